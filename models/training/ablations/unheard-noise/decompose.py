"""Where a checkpoint loses on a val set: the noise it leaves, or the speech it changes.

Mask application and the inverse STFT are linear, so a model's output on a mixture is its filtered
speech plus its residual noise (``train.enhance_components``, Xu et al.'s components). For each of the
val mixtures that ``validate --val-mix augment=false --segment-seconds 3`` scores (speech + noise only),
this prints the mean noise reduction 10·log10(Σn² / Σr²) and the speech SDR 10·log10(Σs² / Σ(y − r − s)²)
(s the target, n = noisy − s, r the residual, y the output), overall and by input SNR, per data folder.

    .venv/bin/python models/training/ablations/unheard-noise/decompose.py \\
        --checkpoint hance-base=models/training/hance-base/last.pt --data-dir ../shared/data --data-dir ../data-noise-wl

Writes nothing; the numbers go into rule.md by hand (a diagnostic of this experiment, not a benchmark).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from hance_plugin.training.train import checkpoint_trainer, enhance_components


def components(checkpoint: str, data_dir: str, items: int = 203) -> np.ndarray:
    """Rows (input SNR dB, noise reduction dB, speech SDR dB), one per speech + noise val mixture."""
    trainer = checkpoint_trainer(checkpoint, data_dir, val_items=items, pesq_items=0, val_mix="augment=false",
                                 segment_seconds=3.0, threads=1)
    trainer.model.eval()
    rows = []
    with torch.no_grad():
        for _, chunk, noisy, clean, _ in trainer.val_batches(8):
            out, residual = enhance_components(trainer.model, trainer.dsp, noisy, noisy - clean)
            for j, (nz, cl, _, snr) in enumerate(chunk):
                if not np.isfinite(snr) or not np.any(cl):
                    continue
                y, r, s = out[j].numpy(), residual[j].numpy(), clean[j].numpy()
                nr = 10 * np.log10(np.sum((nz - s) ** 2) / max(float(np.sum(r**2)), 1e-20))
                sd = 10 * np.log10(np.sum(s**2) / max(float(np.sum((y - r - s) ** 2)), 1e-20))
                rows.append((snr, nr, sd))
    return np.array(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", action="append", required=True, metavar="LABEL=PATH")
    p.add_argument("--data-dir", action="append", required=True)
    p.add_argument("--items", type=int, default=203)
    args = p.parse_args()
    torch.set_num_threads(1)
    for spec in args.checkpoint:
        label, path = spec.split("=", 1)
        for d in args.data_dir:
            a = components(path, d, args.items)
            print(f"{label} {d}: n={len(a)} noise reduction {a[:, 1].mean():.2f} dB (median {np.median(a[:, 1]):.2f}), "
                  f"speech SDR {a[:, 2].mean():.2f} dB (median {np.median(a[:, 2]):.2f})")
            for lo, hi in ((-6, 2), (2, 10), (10, 21)):
                m = (a[:, 0] >= lo) & (a[:, 0] < hi)
                print(f"    input SNR {lo}..{hi} dB, n={m.sum()}: noise reduction {a[m, 1].mean():.2f} dB, "
                      f"speech SDR {a[m, 2].mean():.2f} dB")


if __name__ == "__main__":
    main()
