#!/usr/bin/env bash
# Build the spectral-envelope swap of the voice-gap diagnostic (README.md here): is the held-out ru
# voice's small gain (../data-voices-ru, built by voices/build_data.sh) its long-term spectrum?
#   OUT/nist8k-rueq: the NIST val words band-limited to 8 kHz (as build_data.sh's bw8000) and then
#                    shaped to the ru voice's long-term average spectrum (LTAS);
#   OUT/ru-nisteq:   the ru val prompts shaped to the 8-kHz NIST words' LTAS.
# The shaping filter: 10^(d/20) of the LTAS difference d (Welch, 4096-point Hann, all of each set's
# files, each file weighted by its energy), smoothed over 1/3 octave, limited to +-15 dB, set to 0 dB
# below 60 Hz and above 7.5 kHz (the ru prompts have no content there); a zero-phase FIR (4097 taps,
# frequency sampling, Hann window) so no delay is added. Val speech only; nothing from test.
# Folder layout: layout.sh. Needs ../data-voices-ru. Rerunnable, seconds.
# Usage, from the repository root: bash models/training/ablations/voice-gap/eq_data.sh [OUT]
set -euo pipefail
out="${1:-../data-voice-gap}"
src=../shared/data
. "$(dirname "$0")/layout.sh"
ru=../data-voices-ru
[ -d "$ru/speech/val/asterisk_ru" ] || { echo "needs $ru (bash models/training/ablations/voices/build_data.sh)" >&2; exit 2; }
rm -rf "$out/nist8k-rueq" "$out/ru-nisteq"
for name in nist8k-rueq ru-nisteq; do
    d="$out/$name"
    val_folder "$d"
done
.venv/bin/python - "$src" "$ru" "$out" <<'PY'
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from scipy.signal import fftconvolve, welch

src, ru, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
RATE, NFFT = 48000, 4096


def load(path: Path, bandlimit: bool) -> np.ndarray:
    x, rate = sf.read(str(path), dtype="float32")
    assert rate == RATE and x.ndim == 1, path
    if bandlimit:  # as build_data.sh's bw8000
        x = soxr.resample(soxr.resample(x, RATE, 16000, quality="HQ"), 16000, RATE, quality="HQ")[: len(x)]
    return x


def ltas(signals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    total = 0.0
    for x in signals:
        f, p = welch(x, RATE, nperseg=NFFT)
        total = total + p * len(x)
    return f, total


nist_files = sorted((src / "speech/val/nist_mrt_fullband").glob("*.flac"))
ru_files = sorted((ru / "speech/val/asterisk_ru").glob("*.flac"))
nist = [load(f, True) for f in nist_files]
rus = [load(f, False) for f in ru_files]
f, p_nist = ltas(nist)
_, p_ru = ltas(rus)
d_db = 10 * np.log10(p_ru / p_ru.sum() + 1e-30) - 10 * np.log10(p_nist / p_nist.sum() + 1e-30)
smooth = np.empty_like(d_db)
for i, fc in enumerate(f):
    band = (f >= fc * 2 ** (-1 / 6)) & (f <= fc * 2 ** (1 / 6)) if fc > 0 else f == 0
    smooth[i] = np.mean(d_db[band])
smooth = np.clip(smooth, -15, 15)
smooth[(f < 60) | (f > 7500)] = 0.0
smooth -= np.average(smooth, weights=p_nist * ((f >= 60) & (f <= 7500)))  # keep the overall level


def fir(gain_db: np.ndarray) -> np.ndarray:
    h = np.fft.irfft(10 ** (gain_db / 20), NFFT)  # zero-phase, circular
    h = np.roll(h, NFFT // 2) * np.hanning(NFFT + 1)[:NFFT]
    return h


def shape(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    y = fftconvolve(x, h)[NFFT // 2 : NFFT // 2 + len(x)]
    return y.astype(np.float32)


for name, files, sigs, g in (("nist8k-rueq", nist_files, nist, smooth), ("ru-nisteq", ru_files, rus, -smooth)):
    sub = "nist_mrt_fullband" if name.startswith("nist") else "asterisk_ru"
    dest = out / name / "speech/val" / sub
    dest.mkdir(parents=True)
    h = fir(g)
    for path, x in zip(files, sigs):
        y = shape(x, h)
        peak = float(np.max(np.abs(y)))
        if peak > 0.99:
            y *= 0.99 / peak
        sf.write(str(dest / path.name), y, RATE, subtype="PCM_24")
    print(f"{name}: {len(files)} files")
edges = [100, 200, 400, 800, 1600, 3200, 6000]
print("ru - nist8k LTAS (dB, 1/3-octave smoothed) at " + ", ".join(
    f"{e} Hz {smooth[np.argmin(np.abs(f - e))]:+.1f}" for e in edges))
PY
