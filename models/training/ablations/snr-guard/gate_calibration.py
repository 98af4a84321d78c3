"""snr-guard, next step's groundwork (no judging): how well does a causal statistic of the engine's own
signals tell the input's SNR? On *training-split* mixtures (``augment=false``, seed 0; val and test are
not read), per mixture: the broadband a-posteriori SNR of each frame against the tracked floor,
gamma_t = 10 log10(sum_b w_b P_b(t) / sum_b w_b N_b(t)) (w_b: the band's bins), and two summaries over
the frames after the first second: its 95th percentile and its median over frames with gamma_t > 6 dB.
Prints both per true-SNR bucket (mean, sd) and their correlation with the true SNR; writes
benchmarks/results/snr-guard-gate-calibration.json.

    .venv/bin/python models/training/ablations/snr-guard/gate_calibration.py [--items 300]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe import ROOT, speech_mixtures  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--items", type=int, default=300)
    args = p.parse_args(argv)
    import torch

    from hance_plugin.config import StftConfig
    from hance_plugin.training.dsp_torch import TorchDsp

    dsp = TorchDsp(StftConfig())
    width = (dsp.band_matrix > 0).sum(dim=0).double()  # bins per band
    rows = []
    skip = int(round(dsp.frames_per_second))  # the first second: the floor is still settling
    for _, index, m in speech_mixtures(args.data_dir, args.items, split="train")[1]:
        snr = float(m.snr_db)
        with torch.no_grad():
            band_db = dsp.band_db(dsp.stft(torch.from_numpy(np.asarray(m.noisy, np.float32))[None]))
            floor = dsp.band_floor_db(band_db)
        p_sum = (10.0 ** (band_db[0].double() / 10.0) * width).sum(-1)
        n_sum = (10.0 ** (floor[0].double() / 10.0) * width).sum(-1)
        gamma = (10.0 * torch.log10(p_sum / n_sum)).numpy()[skip:]
        if gamma.size < 10:
            continue
        active = gamma[gamma > 6.0]
        rows.append({"index": index, "snr_db": snr, "p95_db": float(np.percentile(gamma, 95)),
                     "active_median_db": float(np.median(active)) if active.size else float("nan")})
    out = {"items": rows}
    snr = np.array([r["snr_db"] for r in rows])
    for key in ("p95_db", "active_median_db"):
        v = np.array([r[key] for r in rows])
        ok = np.isfinite(v)
        out[f"corr_{key}"] = float(np.corrcoef(snr[ok], v[ok])[0, 1])
        print(f"{key}: correlation with the true SNR {out[f'corr_{key}']:.3f} (n={ok.sum()})")
        for lo, hi in ((-99, 0), (0, 5), (5, 10), (10, 15), (15, 99)):
            sel = ok & (snr >= lo) & (snr < hi)
            print(f"  true SNR [{lo}, {hi}) dB: {v[sel].mean():6.2f} +- {v[sel].std():5.2f} dB (n={sel.sum()})")
    (ROOT / "benchmarks" / "results" / "snr-guard-gate-calibration.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
