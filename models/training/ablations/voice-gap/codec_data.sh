#!/usr/bin/env bash
# Build the codec arm of the voice-gap diagnostic (README.md here): the NIST val words through the
# codec the held-out ru voice (../data-voices-ru) was stored in, G.722 at 64 kbit/s (ITU-T G.722:
# two ADPCM sub-bands, 0-4 kHz at 48 kbit/s and 4-8 kHz at 16 kbit/s), so that its quantisation
# noise is part of the speech (and of the target) as in the Asterisk prompts:
#   OUT/nist-g722: 48 kHz -> soxr HQ 16 kHz -> int16 -> G.722 encode/decode (libavcodec via PyAV,
#                  pip `av`) -> soxr HQ 48 kHz, aligned to the input (the codec's delay is measured
#                  by cross-correlation on each file and removed).
# Folder layout: layout.sh. Rerunnable, seconds.
# Usage, from the repository root: bash models/training/ablations/voice-gap/codec_data.sh [OUT]
set -euo pipefail
out="${1:-../data-voice-gap}"
src=../shared/data
. "$(dirname "$0")/layout.sh"
py=.venv/bin/python
$py -c "import av" 2>/dev/null || .venv/bin/pip install -q av
d="$out/nist-g722"
rm -rf "$d"
val_folder "$d"
$py - "$src" "$d" <<'PY'
import io
import sys
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr

src, dest_root = Path(sys.argv[1]), Path(sys.argv[2])


def g722_roundtrip(x16: np.ndarray) -> np.ndarray:
    """int16-range float 16 kHz mono -> G.722 bytes -> decoded float (libavcodec's g722)."""
    pcm = np.clip(np.round(x16 * 32768.0), -32768, 32767).astype(np.int16)
    buf = io.BytesIO()
    with av.open(buf, "w", format="g722") as c:
        stream = c.add_stream("g722", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.rate = 16000
        for packet in stream.encode(frame):
            c.mux(packet)
        for packet in stream.encode(None):
            c.mux(packet)
    buf.seek(0)
    with av.open(buf, "r", format="g722") as c:
        y = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float32) / 32768.0
    return y


files = sorted((src / "speech/val/nist_mrt_fullband").glob("*.flac"))
dest = dest_root / "speech/val/nist_mrt_fullband"
dest.mkdir(parents=True)
snrs = []
for f in files:
    x, rate = sf.read(str(f), dtype="float32")
    x16 = soxr.resample(x, rate, 16000, quality="HQ")
    y16 = g722_roundtrip(x16)
    n = min(len(x16), len(y16))
    lags = range(0, 64)
    lag = max(lags, key=lambda k: float(np.dot(x16[: n - k], y16[k:n])))
    y16 = np.concatenate([y16[lag:], np.zeros(lag, np.float32)])[: len(x16)]
    if len(y16) < len(x16):
        y16 = np.pad(y16, (0, len(x16) - len(y16)))
    snrs.append(10 * np.log10(np.sum(x16**2) / max(np.sum((x16 - y16) ** 2), 1e-20)))
    y = soxr.resample(y16, 16000, rate, quality="HQ")[: len(x)]
    sf.write(str(dest / f.name), y.astype(np.float32), rate, subtype="PCM_24")
print(f"nist-g722: {len(files)} files; codec SNR at 16 kHz (aligned) median {np.median(snrs):.1f} dB, "
      f"range {min(snrs):.1f}..{max(snrs):.1f} dB; delay removed per file")
PY
