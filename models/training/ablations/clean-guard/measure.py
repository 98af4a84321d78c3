"""clean-guard measurement (rule.md): the shipped Denoiser with its speech guard off and at each margin.

    .venv/bin/python models/training/ablations/clean-guard/measure.py --data-dir ../data-voices-ru --items 201 \
        --name clean-guard-ru [--snr 15:30] [--margins 20,25] [--dnsmos-items 60] [--noise-include 'music/*,...']

Mixtures: ``--data-dir``'s val split, ``augment=false``, input SNR uniform in ``--snr`` dB, evenly
spaced and picked as snr-guard's probe picks them (``snr-guard/probe.py``'s ``speech_mixtures``).
Each runs through ``Denoiser()`` (the default model, one thread, 48 kHz, ``process`` from reset) with
``speech_guard_db`` None and each margin; outputs are scored against the clean target (PESQ-WB, SI-SDR;
DNSMOS on ``--dnsmos-items`` of them). Writes benchmarks/results/<name>.{md,json}: paired means
(guard − off) with 95 % CIs, overall and by 5-dB input-SNR bucket. Never reads the test split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "models" / "training" / "ablations" / "snr-guard"))

KEYS = ("pesq_wb", "si_sdr", "dnsmos_bak")


def paired(items: list[dict], label: str, key: str) -> dict | None:
    """Mean (label − off) of ``key`` over the items that have both, with its 95 % CI."""
    from training_ablation import _mean_ci

    d = [r[label][key] - r["off"][key] for r in items
         if r[label].get(key) is not None and r["off"].get(key) is not None]
    if len(d) < 2:
        return None
    stats = _mean_ci(np.asarray(d, float))
    return {"delta": stats["mean"], "ci95": stats["ci95"], "items": len(d)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--items", type=int, default=203)
    p.add_argument("--snr", default="15:30", help="input SNR range low:high, dB")
    p.add_argument("--margins", default="20,25")
    p.add_argument("--dnsmos-items", type=int, default=0)
    p.add_argument("--noise-include", default="")
    p.add_argument("--model", default="default")
    p.add_argument("--attenuation-limit-db", type=float, default=100.0, help="both arms' attenuation limit (round 4)")
    p.add_argument("--name", required=True)
    args = p.parse_args(argv)

    from _results import snr_bucket_label, write_results
    from probe import speech_mixtures
    from quality import _Dnsmos, select_entries, to_16k

    from hance_plugin import Denoiser
    from hance_plugin.training.mixing import parse_patterns
    from hance_plugin.training.signals import si_sdr_db
    from hance_plugin.training.train import _pesq_wb

    margins = [float(m) for m in args.margins.split(",")]
    labels = ["off"] + [f"margin {m:g} dB" for m in margins]
    limit = args.attenuation_limit_db
    denoisers = {"off": Denoiser(args.model, attenuation_limit_db=limit)} | {
        label: Denoiser(args.model, attenuation_limit_db=limit, speech_guard_db=m) for m, label in zip(margins, labels[1:])}
    noise = dict(noise_split="train", noise_include=parse_patterns(args.noise_include)) if args.noise_include else {}
    n_picks, mixtures = speech_mixtures(args.data_dir, args.items, mix=f"augment=false,snr_db_range={args.snr}", **noise)
    dnsmos = _Dnsmos() if args.dnsmos_items > 0 else None
    with_dnsmos = set(select_entries(range(n_picks), args.dnsmos_items)) if dnsmos else set()
    items = []
    for position, index, m in mixtures:
        noisy = np.asarray(m.noisy, np.float32)
        ref = np.asarray(m.clean, np.float32)
        record = {"index": index, "snr_db": float(m.snr_db), "speech_file": m.meta.get("speech_file", "")}
        for label, d in denoisers.items():
            y = d(noisy[None], 48000)[0]
            record[label] = {"si_sdr": float(si_sdr_db(ref, y)), "pesq_wb": _pesq_wb(ref, y)}
            if position in with_dnsmos:
                record[label]["dnsmos_bak"] = dnsmos(to_16k(y))["dnsmos_bak"]
        items.append(record)
        print(f"\r{position + 1}/{n_picks}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    lo, hi = (float(v) for v in args.snr.split(":"))
    edges = list(np.arange(lo, hi, 5.0)) + [hi]
    summary, by_snr = {}, {}
    rows = ["| guard | metric | all | " + " | ".join(snr_bucket_label(a, b) for a, b in zip(edges, edges[1:])) + " |",
            "|---|---|---:|" + "---:|" * (len(edges) - 1)]
    for label in labels[1:]:
        summary[label] = {k: s for k in KEYS if (s := paired(items, label, k))}
        by_snr[label] = {}
        for a, b in zip(edges, edges[1:]):
            sub = [r for r in items if a <= r["snr_db"] < b or (b == hi and r["snr_db"] == hi)]
            by_snr[label][snr_bucket_label(a, b)] = {k: s for k in KEYS if (s := paired(sub, label, k))}
        for key in summary[label]:
            cells = [f"{s['delta']:+.3f} ± {s['ci95']:.3f} ({s['items']})" for s in [summary[label][key]]]
            cells += [f"{by_snr[label][snr_bucket_label(a, b)][key]['delta']:+.3f}"
                      if key in by_snr[label][snr_bucket_label(a, b)] else "–" for a, b in zip(edges, edges[1:])]
            rows.append(f"| {label} | {key} | " + " | ".join(cells) + " |")
    off = {k: float(np.mean([r["off"][k] for r in items if r["off"].get(k) is not None]))
           for k in KEYS if any(r["off"].get(k) is not None for r in items)}
    command = "python models/training/ablations/clean-guard/measure.py " + " ".join(sys.argv[1:] if argv is None else argv)
    markdown = (f"# {args.name}: speech guard − off (paired per mixture, 95 % CI)\n\n"
                f"`{command}`; {len(items)} mixtures of {args.data_dir} (val), input SNR {args.snr} dB"
                f"{', noises ' + args.noise_include if args.noise_include else ''}; model {args.model}, "
                f"attenuation limit {limit:g} dB.\n"
                f"Guard off: " + ", ".join(f"{k} {v:.3f}" for k, v in off.items()) + "\n\n" + "\n".join(rows) + "\n")
    write_results(ROOT / "benchmarks" / "results", args.name, markdown,
                  {"command": command, "data_dir": args.data_dir, "snr": args.snr, "noise_include": args.noise_include,
                   "model": args.model, "attenuation_limit_db": limit, "off": off, "summary": summary, "by_snr": by_snr, "items": items})
    return 0


if __name__ == "__main__":
    sys.exit(main())
