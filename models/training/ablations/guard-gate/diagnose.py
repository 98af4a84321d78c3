"""guard-gate, after the outcome (report, not judged): how often was the gate open, per input-SNR bucket?

Runs the shipped Denoiser with the gated guard (35 dB, gate 5 dB) over the judge's plain val and
Widelands sets at -5..20 dB and the Tux Paint ru clips at 15..30 dB, records each frame's snr_est
from the engine's ``track_mask_snr`` and prints the fraction of frames whose gated margin was within
4 dB of 35 (open) over the whole mixture, its first 0.5 s and after its first second, and the median
snr_est at the last frame. Needs the gate's engine code, which was removed after the outcome: run it
at commit ba9e13d.

    .venv/bin/python models/training/ablations/guard-gate/diagnose.py > models/training/ablations/guard-gate/diagnose.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "models" / "training" / "ablations" / "snr-guard"))

SETS = ((ROOT.parent / "shared" / "data", 203, "-5:20"), (ROOT.parent / "data-noise-wl", 203, "-5:20"),
        (ROOT.parent / "data-tuxpaint-ru", 160, "15:30"))
FRAMES_PER_S = 100


def main() -> int:
    from probe import speech_mixtures

    import hance_plugin.engine as engine
    from hance_plugin import Denoiser

    recorded = []
    track = engine.track_mask_snr

    def recording(*args):
        track(*args)
        recorded.append(np.array(args[-1]))

    engine.track_mask_snr = recording
    denoiser = Denoiser(speech_guard_db=35.0, speech_guard_gate_db=5.0)
    for data_dir, n, snr_range in SETS:
        _, mixtures = speech_mixtures(data_dir, n, mix=f"augment=false,snr_db_range={snr_range}")
        rows = []
        for _, _, m in mixtures:
            recorded.clear()
            denoiser(np.asarray(m.noisy, np.float32)[None], 48000)
            est = np.concatenate([r[0] for r in recorded])
            open_ = 35.0 + 4.0 * np.maximum(0.0, 5.0 - est) <= 39.0
            rows.append((m.snr_db, open_.mean(), open_[:FRAMES_PER_S // 2].mean(), open_[FRAMES_PER_S:].mean(), est[-1]))
        r = np.array(rows)
        for lo in range(-5, 30, 5):
            s = r[(r[:, 0] >= lo) & (r[:, 0] < lo + 5)]
            if len(s):
                print(f"{data_dir.name:16s} {lo:3d}..{lo + 5:3d} dB (n = {len(s):3d}): open {s[:, 1].mean():.2f} of the frames "
                      f"(first 0.5 s {s[:, 2].mean():.2f}, after 1 s {s[:, 3].mean():.2f}); snr_est at the end {np.median(s[:, 4]):+.1f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
