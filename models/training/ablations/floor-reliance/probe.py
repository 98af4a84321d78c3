"""How much the shipped network leans on its noise-floor input, under heard and unheard noise.

``hance-base`` reads band_db − band_floor_db, the a-posteriori SNR against the engine's tracked floor
(``kernels/floor.py``, a slow minimum tracker; Xu et al., Interspeech 2014, "noise-aware training").
Under Widelands' noise (``../data-noise-wl``) it removes 6.3 dB of noise against 10.5 dB under the val
noises (``unheard-noise/decompose.py``). Two readings: the network cannot tell an unheard noise from
speech whatever its inputs, or it leans on the floor input, and a slow tracker under non-stationary
noise reports band − floor that looks like speech. This probe swaps only the floor fed to the network,
on the same mixtures that ``validate --val-mix augment=false --segment-seconds 3`` scores:

    tracked     the engine's floor of the noisy bands (what ships; reproduces ``validate``)
    noise-track the same tracker run on the noise alone (an oracle of the noise's slow level)
    noise-frame the noise's own band_db per frame (an oracle of its instantaneous level)
    flat        the tracked floor's per-item median per band, held for every frame (no tracking)
    rise=R      the engine's tracker with a faster rise, R dB/s (ships with 5): a realistic faster floor
    target      noise-frame clamped to [band_db - 40, band_db]: the exact target of ``estimator.py``
    estimate    the prediction of ``estimator.py``'s network (``--estimator``; rule.md, round 2)
    spp         the unbiased MMSE noise estimate with speech presence probability (Gerkmann and
                Hendriks, IEEE TASLP 2012) on the band powers, in dB (``--spp``; rule.md, round 5)

If ``noise-frame`` lifts Widelands near the peer (DeepFilterNet3 +0.479 PESQ-WB over noisy there),
the network can use a better noise estimate and the tracker is the bottleneck; if it does not, the
network does not know what the noise is, and no floor estimate will help. Speech-only and noise-only
mixtures are skipped (the oracles need both parts). Per mixture: PESQ-WB (16 kHz), SI-SDR, noise
reduction 10·log10(Σn²/Σr²).

    .venv/bin/python models/training/ablations/floor-reliance/probe.py \\
        --checkpoint models/training/hance-base/last.pt --data-dir ../shared/data --data-dir ../data-noise-wl \\
        --out models/training/ablations/floor-reliance/probe.json

A diagnostic, not a benchmark: it writes per-item rows to ``--out`` and prints a summary table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch

from hance_plugin.kernels.floor import band_floor_db
from hance_plugin.training.signals import si_sdr_db
from hance_plugin.training.train import _pesq_wb, checkpoint_trainer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estimator import load as load_estimator, target_db  # noqa: E402

VARIANTS = ["tracked", "noise-track", "noise-frame", "flat"]


ESTIMATOR = None  # estimator.NoiseEstimator, when --estimator is given


def spp_noise_db(band_db: np.ndarray, hop_s: float, xi_db: float = 15.0, alpha_16ms: float = 0.8) -> np.ndarray:
    """Gerkmann and Hendriks' MMSE-SPP noise estimate (B, T, n_bands) in dB, frame by frame (rule.md, round 5).

    p = 1 / (1 + (1 + xi) exp(-(P / s2) xi / (1 + xi))) with the previous estimate s2; a smoothed p
    above 0.99 caps p at 0.99 (their stagnation guard); s2 <- a s2 + (1 - a)((1 - p) P + p s2), with
    a = alpha_16ms ** (hop / 16 ms). The first frame starts s2.
    """
    power = np.power(10.0, band_db.astype(np.float64) / 10.0)
    xi = 10.0 ** (xi_db / 10.0)
    a = alpha_16ms ** (hop_s / 0.016)
    out = np.empty_like(power)
    s2 = np.maximum(power[:, 0], 1e-12)
    p_bar = np.zeros_like(s2)
    for t in range(power.shape[1]):
        x = power[:, t]
        p = 1.0 / (1.0 + (1.0 + xi) * np.exp(-np.minimum(x / s2, 1e6) * xi / (1.0 + xi)))
        p_bar = 0.9 * p_bar + 0.1 * p
        p = np.where(p_bar > 0.99, np.minimum(p, 0.99), p)
        s2 = np.maximum(a * s2 + (1.0 - a) * ((1.0 - p) * x + p * s2), 1e-12)
        out[:, t] = s2
    return (10.0 * np.log10(out)).astype(np.float32)


def _floor(variant: str, dsp, band_db: torch.Tensor, noise_band_db: torch.Tensor) -> torch.Tensor:
    if variant == "tracked":
        return dsp.band_floor_db(band_db)
    if variant == "noise-track":
        return dsp.band_floor_db(noise_band_db)
    if variant == "noise-frame":
        return noise_band_db
    if variant.startswith("rise="):
        x = band_db.detach().to("cpu", torch.float32).numpy()
        floor = band_floor_db(x.reshape((-1,) + x.shape[-2:]), dsp.hop / dsp.config.sample_rate_hz,
                              rise_db_per_s=float(variant[5:]))
        return torch.from_numpy(floor.reshape(x.shape))
    if variant == "target":
        return target_db(band_db, noise_band_db)
    if variant == "estimate":
        return ESTIMATOR(band_db, dsp.band_floor_db(band_db))[0]
    if variant == "spp":
        x = band_db.detach().to("cpu", torch.float32).numpy()
        return torch.from_numpy(spp_noise_db(x, dsp.hop / dsp.config.sample_rate_hz))
    if variant == "flat":
        tracked = dsp.band_floor_db(band_db)
        return tracked.median(dim=1, keepdim=True).values.expand_as(tracked).contiguous()
    raise ValueError(variant)


def outputs(checkpoint: str, data_dir: str, items: int) -> list[dict]:
    """One record per speech + noise mixture: the signals per variant (for scoring in parallel)."""
    trainer = checkpoint_trainer(checkpoint, data_dir, val_items=items, pesq_items=0, val_mix="augment=false",
                                 segment_seconds=3.0, threads=2)
    model, dsp = trainer.model.eval(), trainer.dsp
    if not model.config.noise_floor:
        raise SystemExit(f"{checkpoint}: this network does not read the noise floor")
    rows = []
    with torch.no_grad():
        for start, chunk, noisy, clean, _ in trainer.val_batches(8):
            n = noisy.shape[-1]
            spec, noise_spec = dsp.stft(noisy), dsp.stft(noisy - clean)
            spec_low, band_db = dsp.features(spec)
            noise_band_db = dsp.band_db(noise_spec)
            outs = {}
            for v in VARIANTS:
                floor = _floor(v, dsp, band_db, noise_band_db)
                mask, gains, _ = model(spec_low, band_db, model.initial_state(noisy.shape[0], noisy.device), floor)
                outs[v] = (dsp.istft(dsp.apply_mask(spec, mask, gains), n).numpy(),
                           dsp.istft(dsp.apply_mask(noise_spec, mask, gains), n).numpy())
            for j, (nz, cl, _, snr) in enumerate(chunk):
                if not np.isfinite(snr) or not np.any(cl) or not np.any(nz - cl):
                    continue
                rows.append({"index": start + j, "snr_db": float(snr), "clean": cl, "noisy": nz,
                             "out": {v: (outs[v][0][j], outs[v][1][j]) for v in VARIANTS}})
    return rows


def _ci(a: np.ndarray) -> float:
    """Half-width of the normal 95 % confidence interval of the mean of ``a``."""
    return float(1.96 * a.std(ddof=1) / np.sqrt(len(a)))


def score(row: dict) -> dict:
    cl, nz = row["clean"], row["noisy"]
    rec = {"index": row["index"], "snr_db": row["snr_db"], "pesq_wb_noisy": _pesq_wb(cl, nz),
           "si_sdr_noisy": float(si_sdr_db(cl, nz))}
    energy_n = float(np.sum((nz - cl) ** 2))
    for v, (y, r) in row["out"].items():
        rec[v] = {"pesq_wb": _pesq_wb(cl, y), "si_sdr": float(si_sdr_db(cl, y)),
                  "noise_reduction_db": float(10 * np.log10(energy_n / max(float(np.sum(r**2)), 1e-20)))}
    return rec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data-dir", action="append", required=True)
    p.add_argument("--items", type=int, default=203)
    p.add_argument("--out", required=True)
    p.add_argument("--rise", type=float, action="append", default=[], metavar="DB_PER_S",
                   help="also feed the tracker with this rise (repeatable)")
    p.add_argument("--estimator", help="estimator.py's last.pt: adds the variants target and estimate")
    p.add_argument("--spp", action="store_true", help="adds the variant spp (rule.md, round 5)")
    p.add_argument("--only", help="comma-separated variants to run instead of all (tracked is always run)")
    args = p.parse_args()
    VARIANTS.extend(f"rise={r:g}" for r in args.rise)
    if args.estimator:
        global ESTIMATOR
        ESTIMATOR = load_estimator(args.estimator)
        VARIANTS.extend(("target", "estimate"))
    if args.spp:
        VARIANTS.append("spp")
    if args.only:
        keep = ["tracked"] + [v for v in args.only.split(",") if v != "tracked"]
        unknown = set(keep) - set(VARIANTS)
        if unknown:
            raise SystemExit(f"unknown variants {sorted(unknown)}; have {VARIANTS}")
        VARIANTS[:] = keep
    torch.set_num_threads(2)
    result = {"checkpoint": args.checkpoint, "sets": {}}
    for d in args.data_dir:
        rows = outputs(args.checkpoint, d, args.items)
        with ProcessPoolExecutor(2) as pool:
            recs = list(pool.map(score, rows, chunksize=4))
        result["sets"][d] = recs
        ok = [r for r in recs if r["pesq_wb_noisy"] is not None and all(r[v]["pesq_wb"] is not None for v in VARIANTS)]
        print(f"{d}: {len(recs)} mixtures ({len(ok)} with PESQ); gain over noisy, mean ± 95 % CI")
        print(f"  {'floor fed':12s} {'PESQ-WB':>16s} {'SI-SDR dB':>16s} {'noise removed dB':>17s}")
        for v in VARIANTS:
            dp = np.array([r[v]["pesq_wb"] - r["pesq_wb_noisy"] for r in ok])
            ds = np.array([r[v]["si_sdr"] - r["si_sdr_noisy"] for r in recs])
            nr = np.array([r[v]["noise_reduction_db"] for r in recs])
            vp = np.array([r[v]["pesq_wb"] - r["tracked"]["pesq_wb"] for r in ok])
            vs = np.array([r[v]["si_sdr"] - r["tracked"]["si_sdr"] for r in recs])
            print(f"  {v:12s} {dp.mean():+8.3f} ± {_ci(dp):.3f} {ds.mean():+8.2f} ± {_ci(ds):.2f} {nr.mean():12.2f}"
                  + ("" if v == "tracked" else f"   - tracked: {vp.mean():+.3f} ± {_ci(vp):.3f} PESQ-WB, "
                                               f"{vs.mean():+.2f} ± {_ci(vs):.2f} dB"))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
