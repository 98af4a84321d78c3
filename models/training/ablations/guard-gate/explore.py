"""guard-gate groundwork (not judged): how well does the network's own SNR estimate rank the input SNR,
and what would a gate on it have kept of the speech guard's measured per-item deltas?

For every mixture of ``../clean-guard``'s round-3 (−5..20 dB) and round-2 (15..30 dB) sets (val splits,
rebuilt exactly; their stored SNRs are checked), the shipped ``Denoiser()`` runs the mixture, and per
frame (the engine's window, hop) Y = power of the output, R = power of input − output; snr_est at a
frame is 10 log10 of their exponentially weighted sums (tau 1 s and 2 s). Prints the Spearman rank
correlation of snr_est at the last frame with the true SNR and a linear fit, then the mean guard
delta (PESQ-WB, DNSMOS BAK where scored) per set if the guard (margin 35 dB) had been on only where
snr_est >= threshold. Reads the stored per-item deltas in ``benchmarks/results/clean-guard{2,3}-*.json``.

    .venv/bin/python models/training/ablations/guard-gate/explore.py > models/training/ablations/guard-gate/explore.txt
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "models" / "training" / "ablations" / "snr-guard"))

NONSTATIONARY = "music/*,misc_real/audiomentations_*,0ad_actor_fauna_animal/*"
SETS = {"plain": (ROOT.parent / "shared" / "data", False, 203), "ru": (ROOT.parent / "data-voices-ru", False, 201),
        "tpru": (ROOT.parent / "data-tuxpaint-ru", False, 160), "nonstationary": (ROOT.parent / "shared" / "data", True, 203)}
RANGES = (("-5:20", "clean-guard3"), ("15:30", "clean-guard2"))
LABEL = "margin 35 dB"
TAUS_S = (1.0, 2.0)


def main() -> int:
    from probe import speech_mixtures
    from scipy.stats import spearmanr

    from hance_plugin import Denoiser
    from hance_plugin.config import StftConfig
    from hance_plugin.training.mixing import parse_patterns

    cfg = StftConfig()
    wa, _ = cfg.windows()
    hop, n_win = cfg.hop_samples, cfg.window_samples

    def frame_power(x: np.ndarray) -> np.ndarray:
        n = (len(x) - n_win) // hop + 1
        frames = np.stack([x[i * hop:i * hop + n_win] * wa for i in range(n)])
        return (np.abs(np.fft.rfft(frames, axis=-1)) ** 2).sum(1)

    def weighted_sum(p: np.ndarray, tau_s: float) -> np.ndarray:
        a = math.exp(-hop / cfg.sample_rate_hz / tau_s)
        out, s = np.empty_like(p), 0.0
        for i, v in enumerate(p):
            s = a * s + v
            out[i] = s
        return out

    den = Denoiser()
    results = {}
    for snr_range, prefix in RANGES:
        for name, (data_dir, nonstationary, n) in SETS.items():
            stored = json.load(open(ROOT / "benchmarks" / "results" / f"{prefix}-{name}.json"))
            by_index = {it["index"]: it for it in stored["items"]}
            kw = dict(noise_split="train", noise_include=parse_patterns(NONSTATIONARY)) if nonstationary else {}
            _, mixtures = speech_mixtures(data_dir, n, mix=f"augment=false,snr_db_range={snr_range}", **kw)
            rows = []
            for _, index, m in mixtures:
                it = by_index[index]
                assert abs(it["snr_db"] - m.snr_db) < 1e-6, (name, index)
                x = np.asarray(m.noisy, np.float32)
                y = den(x[None], 48000)[0]
                kept, removed = frame_power(y.astype(float)), frame_power((x - y).astype(float))
                off, on = it["off"], it[LABEL]
                row = {"snr": m.snr_db, "pesq_wb": on["pesq_wb"] - off["pesq_wb"],
                       "dnsmos_bak": (on.get("dnsmos_bak") or math.nan) - (off.get("dnsmos_bak") or math.nan)}
                for tau in TAUS_S:
                    est = 10 * np.log10(weighted_sum(kept, tau) / np.maximum(weighted_sum(removed, tau), 1e-20))
                    row[f"tau {tau:g} s"] = float(est[-1])
                rows.append(row)
            results[f"{name} {snr_range}"] = rows
            snr = np.array([r["snr"] for r in rows])
            for tau in TAUS_S:
                est = np.array([r[f"tau {tau:g} s"] for r in rows])
                fit = np.polyfit(snr, est, 1)
                print(f"{name:13s} {snr_range:6s} tau {tau:g} s: Spearman {spearmanr(snr, est)[0]:.3f}, "
                      f"snr_est = {fit[0]:.2f} * snr {fit[1]:+.1f} dB, residual sd {np.std(est - np.polyval(fit, snr)):.1f} dB")
    for tau in TAUS_S:
        print(f"\nhard gate on snr_est (tau {tau:g} s) at the last frame: mean guard delta per set (PESQ-WB; fraction on; BAK)")
        for threshold in (None, 0, 4, 6, 8, 10, 12):
            cells = []
            for key, rows in results.items():
                d = np.array([r["pesq_wb"] for r in rows])
                bak = np.array([r["dnsmos_bak"] for r in rows])
                est = np.array([r[f"tau {tau:g} s"] for r in rows])
                on = np.ones_like(d) if threshold is None else (est >= threshold).astype(float)
                cell = f"{key} {np.mean(on * d):+.3f} ({on.mean():.2f})"
                if np.isfinite(bak).any():
                    cell += f" BAK {np.nanmean(on * bak):+.3f}"
                cells.append(cell)
            print(f"  {'ungated' if threshold is None else f'>= {threshold} dB'}: " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
