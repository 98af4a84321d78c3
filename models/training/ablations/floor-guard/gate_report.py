"""floor-guard report (rule.md): what the learned gate does, by input SNR.

    .venv/bin/python models/training/ablations/floor-guard/gate_report.py CHECKPOINT --name NAME \
        [--set plain=../shared/data --set ru=../data-voices-ru] [--items 203]

For each set, ``--items`` val mixtures (``augment=false``, evenly spaced: ``../snr-guard/probe.py``'s
``speech_mixtures``) run once through the floor-guard network (as ``train.enhance`` runs it, from
reset). Per 5-dB bucket of the mixture's input SNR it reports the mean gate (over frames and the bands
below the split), the mean gate in frames whose lowest band-to-floor distance says "above the floor"
(the mean of band_db - floor over the low bands >= the margin), and the share of low-band bins whose
mask magnitude the guard raised by more than 1 dB. Writes benchmarks/results/NAME.{md,json}. Never
reads the test split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "models/training/ablations/snr-guard"))
sys.path.insert(0, str(ROOT / "benchmarks"))
BUCKETS = [(-100.0, 0.0), (0.0, 5.0), (5.0, 10.0), (10.0, 15.0), (15.0, 100.0)]


def bucket_of(snr_db: float) -> str:
    """The label of ``snr_db``'s 5-dB input SNR bucket (``_results.snr_bucket_label``'s labels)."""
    from _results import snr_bucket_label

    for lo, hi in BUCKETS:
        if lo <= snr_db < hi:
            return snr_bucket_label(lo, hi)
    raise ValueError(f"no bucket for {snr_db}")


def gate_stats(model, dsp, noisy):
    """(gate [T, n_low], |M| without and with the guard [T, F], mean low-band level above the floor [T])."""
    import torch

    from probe import run_model

    captured = {}
    hook = model.guard_head.register_forward_hook(lambda mod, inp, out: captured.__setitem__("logit", out))
    try:
        spec, band_db, floor, mask, gains = run_model(model, dsp, noisy)
    finally:
        hook.remove()
    with torch.no_grad():
        gate = torch.sigmoid(captured["logit"] * model.config.guard_scale)[0]
        saved = model.guard_head.bias.clone()
        model.guard_head.bias.fill_(-1e4)  # a closed gate: the same network without the guard
        try:
            _, _, _, bare, _ = run_model(model, dsp, noisy)
        finally:
            model.guard_head.bias.copy_(saved)
    n = gate.shape[-1]
    above = (band_db - floor)[0, :, :n].mean(-1)
    return gate.numpy(), bare[0].norm(dim=-1).numpy(), mask[0].norm(dim=-1).numpy(), above.numpy()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--name", required=True)
    p.add_argument("--set", action="append", default=None, metavar="LABEL=DIR")
    p.add_argument("--items", type=int, default=203)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    import torch

    from hance_plugin.config import StftConfig
    from hance_plugin.training.dsp_torch import TorchDsp
    from hance_plugin.training.train import load_checkpoint, model_from_checkpoint
    from _results import write_results
    from probe import speech_mixtures

    torch.set_num_threads(max(1, args.threads))
    model = model_from_checkpoint(load_checkpoint(args.checkpoint)).eval()
    if not model.config.floor_guard:
        raise SystemExit(f"{args.checkpoint} has no floor guard")
    dsp = TorchDsp(StftConfig())
    sets = args.set or [f"plain={ROOT.parent / 'shared' / 'data'}", f"ru={ROOT.parent / 'data-voices-ru'}"]
    rows = []
    for spec_ in sets:
        label, data_dir = spec_.split("=", 1)
        acc: dict[str, dict[str, list]] = {}
        n_picks, mixtures = speech_mixtures(data_dir, args.items)
        for position, _, m in mixtures:
            noisy = torch.from_numpy(np.asarray(m.noisy, np.float32))[None]
            gate, bare, guarded, above = gate_stats(model, dsp, noisy)
            a = acc.setdefault(bucket_of(float(m.snr_db)), {"gate": [], "gate_above": [], "lifted": [], "items": []})
            a["gate"].append(gate.mean())
            clear = above >= model.config.guard_margin_db
            a["gate_above"].append(gate[clear].mean() if clear.any() else np.nan)
            a["lifted"].append(float((guarded > bare * 10 ** (1 / 20)).mean()))
            a["items"].append(1)
            print(f"\r{label} {position + 1}/{n_picks}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        for bucket in [bucket_of(lo if lo > -99 else -1.0) for lo, _ in BUCKETS]:
            if bucket in acc:
                a = acc[bucket]
                rows.append({"set": label, "bucket": bucket, "items": len(a["items"]),
                             "gate": float(np.mean(a["gate"])), "gate_above_margin": float(np.nanmean(a["gate_above"]))
                             if np.isfinite(a["gate_above"]).any() else None,
                             "lifted_share": float(np.mean(a["lifted"]))})
    lines = [f"# {args.name}: the floor guard's learned gate by input SNR", "",
             f"`{' '.join(['gate_report.py'] + (sys.argv[1:] if argv is None else argv))}`; margin "
             f"{model.config.guard_margin_db:g} dB. gate: mean over frames and the {model.guard_head.out_features} bands "
             "below the split; above margin: frames whose low bands stand on average at least the margin above the "
             "floor; lifted: share of low-band bins raised by more than 1 dB.", "",
             "| set | input SNR | items | gate | gate, above margin | lifted |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        ga = "–" if r["gate_above_margin"] is None else f"{r['gate_above_margin']:.3f}"
        lines.append(f"| {r['set']} | {r['bucket']} | {r['items']} | {r['gate']:.3f} | {ga} | {100 * r['lifted_share']:.1f} % |")
    write_results(ROOT / "benchmarks" / "results", args.name, "\n".join(lines) + "\n",
                  {"checkpoint": args.checkpoint, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
