"""snr-guard, diagnostic (no judging): what does the guard lift, speech or noise?

For ``hance-base`` on val mixtures (as ``probe.py`` picks them), every bin whose gain the guard raises is
classed by its true local SNR (clean against noise power in that bin, known on val): the share of the
added output power (|X|^2 (g_guarded^2 - g_model^2)) that lands in bins with true SNR below 0 dB
(noise lifted) and above 10 dB (speech lifted), overall and by input SNR bucket.

    .venv/bin/python models/training/ablations/snr-guard/lift_truth.py --data-dir DIR --margin 25 [--per-bin]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from probe import ROOT, guard_per_bin, guarded_mask, run_model, speech_mixtures  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--items", type=int, default=203)
    p.add_argument("--margin", type=float, default=25.0)
    p.add_argument("--per-bin", action="store_true")
    args = p.parse_args(argv)
    import torch

    from hance_plugin.config import StftConfig
    from hance_plugin.training.dsp_torch import TorchDsp
    from hance_plugin.training.train import load_checkpoint, model_from_checkpoint

    model = model_from_checkpoint(load_checkpoint(ROOT / "models/training/hance-base/last.pt")).eval()
    dsp = TorchDsp(StftConfig())
    buckets = ((-99, 0), (0, 5), (5, 10), (10, 15), (15, 99))
    acc = {b: np.zeros(3) for b in [None, *buckets]}  # added power: total, true SNR < 0 dB, > 10 dB
    for _, _, m in speech_mixtures(args.data_dir, args.items)[1]:
        snr = float(m.snr_db)
        spec, band_db, floor, mask, gains = run_model(model, dsp, torch.from_numpy(np.asarray(m.noisy, np.float32))[None])
        with torch.no_grad():
            s = dsp.stft(torch.from_numpy(np.asarray(m.clean, np.float32))[None])
            guard = guard_per_bin(dsp, band_db, floor, args.margin, spec if args.per_bin else None)
            low, high = guarded_mask(dsp, mask, gains, guard)
            g0 = torch.cat((torch.linalg.vector_norm(mask, dim=-1), dsp.high_gains_per_bin(gains)), -1)
            g1 = torch.cat((torch.linalg.vector_norm(low, dim=-1), high), -1)
            added = (spec.abs() ** 2 * (g1 ** 2 - g0 ** 2)).clamp_min(0.0)[0].double().numpy()
            ps, pn = (s.abs() ** 2)[0].double().numpy(), ((spec - s).abs() ** 2)[0].double().numpy()
        local = 10 * np.log10((ps + 1e-20) / (pn + 1e-20))
        row = np.array([added.sum(), added[local < 0].sum(), added[local > 10].sum()])
        bucket = next(b for b in buckets if b[0] <= snr < b[1])
        acc[None] += row
        acc[bucket] += row
    for b, (total, noise, speech) in acc.items():
        name = "all" if b is None else f"[{b[0]}, {b[1]}) dB"
        print(f"margin {args.margin:g} dB{' per bin' if args.per_bin else ''}, input SNR {name}: of the added power "
              f"{100 * noise / max(total, 1e-30):.1f} % in bins with true SNR < 0 dB, "
              f"{100 * speech / max(total, 1e-30):.1f} % > 10 dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
