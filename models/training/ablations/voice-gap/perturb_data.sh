#!/usr/bin/env bash
# Build the voice-perturbation arm of the voice-gap diagnostic (README.md here): the NIST val words
# through the training mixer's own voice perturbation (augment.pitch_formant_shift, the phase-vocoder
# f0 shift with an envelope warp), one fixed setting per folder, to see whether a voice the model's
# training perturbation makes looks "unheard" to the model the way the ru voice does:
#   OUT/nist-pitch+3, OUT/nist-pitch-3: f0 +-3 semitones (the edge of training's voice_pitch_semitones 3)
#   OUT/nist-formant1.15, OUT/nist-formant0.87: envelope warped by the edges of voice_formant_range
#   OUT/nist-pitch+5-formant1.25: beyond the training ranges (a "new", higher voice)
# Folder layout: layout.sh. Rerunnable, about 30 s.
# Usage, from the repository root: bash models/training/ablations/voice-gap/perturb_data.sh [OUT]
set -euo pipefail
out="${1:-../data-voice-gap}"
src=../shared/data
. "$(dirname "$0")/layout.sh"
names="nist-pitch+3 nist-pitch-3 nist-formant1.15 nist-formant0.87 nist-pitch+5-formant1.25"
for name in $names; do
    d="$out/$name"
    rm -rf "$d"
    val_folder "$d"
done
.venv/bin/python - "$src" "$out" <<'PY'
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from hance_plugin.training.augment import pitch_formant_shift

src, out = Path(sys.argv[1]), Path(sys.argv[2])
SETTINGS = {"nist-pitch+3": (2 ** (3 / 12), 1.0), "nist-pitch-3": (2 ** (-3 / 12), 1.0),
            "nist-formant1.15": (1.0, 1.15), "nist-formant0.87": (1.0, 0.87),
            "nist-pitch+5-formant1.25": (2 ** (5 / 12), 1.25)}
files = sorted((src / "speech/val/nist_mrt_fullband").glob("*.flac"))
for name, (pitch, formant) in SETTINGS.items():
    dest = out / name / "speech/val/nist_mrt_fullband"
    dest.mkdir(parents=True)
    for f in files:
        x, rate = sf.read(str(f), dtype="float32")
        y, _ = pitch_formant_shift(x, pitch, formant, rate)
        peak = float(np.max(np.abs(y)))
        if peak > 0.99:
            y = y * (0.99 / peak)
        sf.write(str(dest / f.name), y.astype(np.float32), rate, subtype="PCM_24")
    print(f"{name}: {len(files)} files (pitch x{pitch:.3f}, formant x{formant:.2f})")
PY
