"""floor-guard diagnostic: which training-loss term pushes the floor guard's gate shut, by input SNR.

    .venv/bin/python models/training/ablations/floor-guard/loss_terms.py [--checkpoint runs/fg-o15-grown/last.pt] \
        [--items 160] --name floor-guard-loss-terms

Round 2 (rule.md) trained only the gate and it closed from 0.5 to about 0.1. This takes the network as
it stood at round 2's first step (the grown ``hance-base``, gate 0.5 in every band) and the training
mixtures that stage drew first (the stage's ``TrainConfig`` on ``../data-voices5``: positions from step
19500 on, one item at a time), and for each loss term of the stage (complex and magnitude compressed
terms, the over-suppression term, the multi-resolution term; ``losses.py``) takes the derivative of the
term, at the stage's weight, with respect to the gate's bias summed over bands. Positive: a gradient
step on that term lowers the gate's logits, i.e. closes it. Terms are separated by linearity:
complex = L(cw=1), magnitude = L(cw=0), over-suppression = L(cw=0, os=1) - L(cw=0), multi-resolution
= L(cw=0, mr=1) - L(cw=0). Per item SNR bucket (speech-only and noise-only items apart) it prints and
writes the mean of each (benchmarks/results/NAME.{md,json}). Never reads the test split.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "benchmarks"))
STAGE_MIX = ("p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5,"
             "p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5")  # ../branch-stage.sh
WEIGHTS = {"complex": 0.5, "magnitude": 0.5, "over_suppression": 1.0, "multires": 0.02}  # the stage's flags


def main(argv: list[str] | None = None) -> int:
    from _results import write_results
    from gate_report import BUCKETS, bucket_of

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=str(ROOT / "runs/fg-o15-grown/last.pt"))
    p.add_argument("--data-dir", default=str(ROOT.parent / "data-voices5"))
    p.add_argument("--items", type=int, default=160)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--name", required=True)
    args = p.parse_args(argv)
    import torch

    from hance_plugin.training.losses import EnhancementLoss
    from hance_plugin.training.train import TrainConfig, Trainer, enhance

    torch.set_num_threads(max(1, args.threads))
    with tempfile.TemporaryDirectory() as out:
        cfg = TrainConfig(data_dir=args.data_dir, out=out, variant="phase_aware", noise_floor=True, segment_seconds=6.0,
                          batch_size=4, over_suppression_weight=1.0, mr_weight=0.02, complex_weight=0.5,
                          mix=STAGE_MIX, workers=0, threads=args.threads, train_only="guard_head")
        trainer = Trainer(cfg, checkpoint=args.checkpoint)
    model, dsp = trainer.model.train(), trainer.dsp
    if not model.config.floor_guard:
        raise SystemExit(f"{args.checkpoint} has no floor guard")
    losses = {"c": EnhancementLoss(trainer.stft, complex_weight=1.0, mr_weight=0.0),
              "m": EnhancementLoss(trainer.stft, complex_weight=0.0, mr_weight=0.0),
              "os": EnhancementLoss(trainer.stft, complex_weight=0.0, mr_weight=0.0, over_suppression_weight=1.0),
              "mr": EnhancementLoss(trainer.stft, complex_weight=0.0, mr_weight=1.0)}
    start = trainer.progress.step * cfg.batch_size
    per_bucket: dict[str, list[dict]] = {}
    for k in range(args.items):
        noisy, clean, bw, snr = trainer.dataset[start + k][:4]
        noisy_t, clean_t = torch.from_numpy(noisy)[None], torch.from_numpy(clean)[None]
        bw_t = torch.tensor([bw], dtype=torch.float32)
        est = enhance(model, dsp, noisy_t)  # one forward pass; each term differentiates through it
        grads = {key: float(torch.autograd.grad(loss_fn(est, clean_t, bw_t)[0], model.guard_head.bias,
                                                retain_graph=True)[0].sum())
                 for key, loss_fn in losses.items()}
        terms = {"complex": grads["c"], "magnitude": grads["m"], "over_suppression": grads["os"] - grads["m"],
                 "multires": grads["mr"] - grads["m"]}
        terms = {t: WEIGHTS[t] * v for t, v in terms.items()}
        terms["total"] = sum(terms.values())
        if not np.any(clean):
            bucket = "noise only"
        elif not math.isfinite(float(snr)):
            bucket = "speech only"
        else:
            bucket = bucket_of(float(snr))
        per_bucket.setdefault(bucket, []).append(terms)
        print(f"\r{k + 1}/{args.items}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    order = ["noise only"] + [bucket_of(lo if lo > -99 else -1.0) for lo, _ in BUCKETS] + ["speech only"]
    names = ["complex", "magnitude", "over_suppression", "multires", "total"]
    rows = [{"bucket": b, "items": len(per_bucket[b]), **{t: float(np.mean([r[t] for r in per_bucket[b]])) for t in names}}
            for b in order if b in per_bucket]
    lines = [f"# {args.name}: d(loss term)/d(gate bias, summed over bands) at round 2's start", "",
             f"`loss_terms.py {' '.join(sys.argv[1:] if argv is None else argv)}`: the stage's training items from "
             f"step {trainer.progress.step}, one at a time, each term at the stage's weight. Positive: a gradient step "
             "on it closes the gate. Mean per item, x 1e3.", "",
             "| items | n | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    lines += [f"| {r['bucket']} | {r['items']} | " + " | ".join(f"{1e3 * r[t]:+.3f}" for t in names) + " |" for r in rows]
    write_results(ROOT / "benchmarks" / "results", args.name, "\n".join(lines) + "\n",
                  {"checkpoint": args.checkpoint, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
