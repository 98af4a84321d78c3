#!/usr/bin/env bash
# Build the data folders of the tuxpaint-voices experiment (rule.md): new talkers from the spoken stamp
# descriptions of Debian's tuxpaint-stamps-default (apt-get download; nothing installed), GPL-2+:
# short phrases (about 1 s) read by volunteer translators, one folder of clips per language, 44.1 kHz Ogg.
#   es, el, be, bg, fr, da -> train (the KDE test languages en/ro/hu and val languages ru/ca/pt are not used)
#   ru                     -> held-out val voice (a channel other than the Asterisk ru voice's)
# Each clip: the louder channel (some stereo clips have one silent channel), soxr HQ to 48 kHz, kept only
# if at least 0.5 s long and its 20-ms frame levels span at least 30 dB from the 5th to the 95th
# percentile (a crude clip SNR: the home recordings' floors would otherwise be taught as speech).
# OUT (default ../data-tuxpaint) is a copy of BASE (default ../data-voices5, the shipped stage's data:
# voices/build_data.sh ../data-voices5 /tmp/unused-ru 300) plus speech/train/tuxpaint_<lang>/ as 48 kHz
# mono FLAC, at most CAP_S seconds per language (seeded choice of clips).
# HELD (default ../data-tuxpaint-ru) holds speech/val/tuxpaint_ru (up to 600 s) and a copy of the shared
# noise/val (and links to the shared train folders, which validate opens but does not score):
# `validate --data-dir HELD` scores the held-out talker(s) under the val noises.
# Neither folder is inside the project. Rerunnable; about 1 min.
# Usage, from the repository root:
#   bash models/training/ablations/tuxpaint-voices/build_data.sh [OUT] [HELD] [CAP_S] [BASE] [MIN_SPAN_DB]
# (MIN_SPAN_DB: the clip filter, default 30; rule.md's second arm used 35)
set -euo pipefail
out="${1:-../data-tuxpaint}"
held="${2:-../data-tuxpaint-ru}"
cap="${3:-240}"
base="${4:-../data-voices5}"
span="${5:-30}"
src=../shared/data
py=.venv/bin/python
[ -f "$base/MANIFEST.csv" ] || { echo "no $base: bash models/training/ablations/voices/build_data.sh ../data-voices5 /tmp/unused-ru 300" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$out" "$held"
cp -r "$base" "$out"
mkdir -p "$held/noise" "$held/speech/val" "$held/rir"
cp -r "$src/noise/val" "$held/noise/val"
for k in speech noise rir; do  # validate builds the train source too (never drawn from when scoring val)
    ln -s "$(realpath "$src/$k/train")" "$held/$k/train"
done
pkg=tuxpaint-stamps-default
(cd "$work" && apt-get download -q $pkg 2>&1 | grep -v '^W:' || true)
dpkg-deb -x "$work"/${pkg}_*.deb "$work/$pkg"
$py - "$work/$pkg/usr/share/tuxpaint/stamps" "$out" "$held" "$cap" "$span" <<'PY'
"""Select (filter, then seeded order, up to CAP_S seconds per language), resample and list the clips."""
import csv
import re
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

stamps, out, held, cap_s = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
SPLIT = {"es": "train", "el": "train", "be": "train", "bg": "train", "fr": "train", "da": "train", "ru": "val"}
MIN_SPAN_DB = float(sys.argv[5])


def span_db(x: np.ndarray, rate: int) -> float:
    """95th minus 5th percentile of the 20-ms frame levels (dB)."""
    n = int(0.02 * rate)
    frames = x[: len(x) // n * n].reshape(-1, n)
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    return float(np.percentile(level, 95) - np.percentile(level, 5))


rows = []
for lang, split in SPLIT.items():
    files = sorted(stamps.glob(f"**/*_desc_{lang}.ogg"))
    order = np.random.default_rng(0).permutation(len(files))
    root = (out if split == "train" else held) / "speech" / split / f"tuxpaint_{lang}"
    root.mkdir(parents=True, exist_ok=True)
    total, seen, kept = 0.0, 0, 0
    for k in order:
        path = files[k]
        x, rate = sf.read(str(path), dtype="float32", always_2d=True)
        seen += 1
        x = x[:, int(np.argmax(np.mean(x.astype(np.float64) ** 2, axis=0)))]
        if rate != 44100 or len(x) < 0.5 * rate or np.abs(x).max() < 1e-3 or span_db(x, rate) < MIN_SPAN_DB:
            continue
        y = soxr.resample(x, rate, 48000, quality="HQ").astype(np.float32)
        dest = root / ("_".join(path.relative_to(stamps).parts).replace(".ogg", ".flac"))
        sf.write(str(dest), y, 48000, subtype="PCM_16")
        secs = round(len(y) / 48000, 3)
        base = out if split == "train" else held
        rows.append([str(dest.relative_to(base)), "speech", split, f"tuxpaint_{lang}", rate, 1, secs])
        total += secs
        kept += 1
        if total >= (cap_s if split == "train" else 600.0):
            break
    print(f"tuxpaint_{lang} ({split}): {kept} of {seen} clips read kept, {total / 60:.1f} min")
with (out / "MANIFEST.csv").open("a", newline="") as handle:
    csv.writer(handle).writerows([r for r in rows if r[2] == "train"])
with (held / "MANIFEST.csv").open("w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["path", "kind", "split", "subset", "sample_rate", "channels", "seconds"])
    w.writerows([r for r in rows if r[2] == "val"])
PY
mkdir -p "$out/LICENSES" "$held/LICENSES"
cp "$work/$pkg/usr/share/doc/$pkg/copyright" "$out/LICENSES/$pkg.copyright"
cp "$work/$pkg/usr/share/doc/$pkg/copyright" "$held/LICENSES/$pkg.copyright"
