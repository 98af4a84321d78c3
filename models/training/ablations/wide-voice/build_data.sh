#!/usr/bin/env bash
# Build the data folders of the wide-voice experiment (rule.md):
# OUT  (default ../data-wide-ru) = ../data-voices5 (the shipped stage's data) plus speech/train/festvox_ru/:
#      CAP_S seconds (default 300, the voices5 arm's share per voice; seeded choice of files) of the one male
#      Russian talker of Debian's festvox-ru (msu_ru_nsh_clunits, Nickolay V. Shmyrev, BSD-like licence):
#      620 read sentences, 99.5 min, 16 kHz 16-bit PCM studio recordings (content to about 7 kHz, like the
#      Asterisk G.722 talkers of voices5), soxr HQ to 48 kHz FLAC, rows appended to MANIFEST.csv.
# HELD (default ../data-tuxpaint-eles) = a val-only folder of two voices that no model of the voices5
#      line heard and that are not Russian: the Tux Paint el and es clips of ../data-tuxpaint (built by
#      ../tuxpaint-voices/build_data.sh; home recordings), under the shared val noises.
# Neither folder is inside the project. Rerunnable; about 1 min.
#   bash models/training/ablations/wide-voice/build_data.sh [OUT] [HELD] [CAP_S]
set -euo pipefail
out="${1:-../data-wide-ru}"; held="${2:-../data-tuxpaint-eles}"; cap="${3:-300}"
base=../data-voices5; tux=../data-tuxpaint; src=../shared/data
py=.venv/bin/python
. "$(dirname "$0")/../voice-gap/layout.sh"
[ -d "$base/speech/train/asterisk_it" ] || { echo "no $base: run models/training/ablations/voices/build_data.sh ../data-voices5 /tmp/unused-ru 300 first" >&2; exit 2; }
[ -d "$tux/speech/train/tuxpaint_el" ] || { echo "no $tux: run models/training/ablations/tuxpaint-voices/build_data.sh first" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$out" "$held"
cp -r "$base" "$out"
(cd "$work" && apt-get download -q festvox-ru 2>&1 | grep -v '^W:' || true)
dpkg-deb -x "$work"/festvox-ru_*.deb "$work/x"
cp "$work/x/usr/share/doc/festvox-ru/copyright" "$out/LICENSES/festvox-ru.copyright"
$py - "$work/x/usr/share/festival/voices/russian/msu_ru_nsh_clunits/wav" "$out" "$cap" <<'PY'
"""Select (seeded, up to CAP_S seconds), resample (soxr HQ) and list the festvox-ru sentences."""
import csv
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

wav, out, cap_s = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
files = sorted(wav.glob("*.wav"))
root = out / "speech" / "train" / "festvox_ru"
root.mkdir(parents=True)
rows, total = [], 0.0
for k in np.random.default_rng(0).permutation(len(files)):
    x, rate = sf.read(str(files[k]), dtype="float32")
    y = soxr.resample(x, rate, 48000, quality="HQ").astype(np.float32)
    dest = root / (files[k].stem + ".flac")
    sf.write(str(dest), np.clip(y, -1.0, 1.0), 48000, subtype="PCM_16")
    secs = round(len(y) / 48000, 3)
    rows.append([str(dest.relative_to(out)), "speech", "train", "festvox_ru", rate, 1, secs])
    total += secs
    if total >= cap_s:
        break
with (out / "MANIFEST.csv").open("a", newline="") as handle:
    csv.writer(handle).writerows(rows)
print(f"festvox_ru: {len(rows)} files, {total / 60:.1f} min (from {len(files)})")
PY
val_folder "$held"  # ../voice-gap/layout.sh: speech/val to fill, shared noise/val, train links
for lang in el es; do cp -r "$tux/speech/train/tuxpaint_$lang" "$held/speech/val/tuxpaint_$lang"; done
echo "$held: $(find "$held/speech/val" -name '*.flac' | wc -l) clips"
