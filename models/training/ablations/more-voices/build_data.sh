#!/usr/bin/env bash
# Build the data folders of the more-voices experiment (rule.md): the shipped stage's data
# (../data-voices5, from ../voices/build_data.sh) plus three more studio prompt voices from Debian's
# Asterisk packages (apt-get download; nothing installed), none of them a talker already in training:
#   it-menardi   asterisk-prompt-it-menardi-wav  it_IT_f_Menardi, female, 8 kHz 16-bit PCM, 24.8 min, CC-BY-SA 3.0
#   es-co        asterisk-prompt-es-co           Colombian Spanish, GSM 06.10 (8 kHz, 13 kbit/s), 11.7 min, GPL-2+
#   fr-armelle   asterisk-prompt-fr-armelle      Armelle Desjardins, French, GSM 06.10, 18.6 min, GPL-2+
# Telephone-band recordings: content to about 3.4-4 kHz. The mixer measures each file's bandwidth and
# the loss ignores bins above it (hance_plugin/training/mixing.py), so they teach the low band only.
# Each voice goes to speech/train/asterisk_<voice>/ as 48 kHz mono FLAC (soxr HQ), at most CAP_S seconds
# (a seeded choice of files; default 300 s, the voices5 arm's share per voice), rows appended to MANIFEST.csv.
#   bash models/training/ablations/more-voices/build_data.sh OUT VOICES [CAP_S]
#   e.g.  build_data.sh ../data-more-it it-menardi;  build_data.sh ../data-more-three it-menardi,es-co,fr-armelle
# GSM is decoded with PyAV (pip `av`, installed into .venv if missing: only these data scripts need it).
# Rerunnable (OUT is rebuilt); about 1 min. Neither folder is inside the project.
set -euo pipefail
out="${1:?OUT}"; voices="${2:?VOICES (comma-separated: it-menardi, es-co, fr-armelle)}"; cap="${3:-300}"
base=../data-voices5
py=.venv/bin/python
[ -d "$base/speech/train/asterisk_it" ] || { echo "no $base: run models/training/ablations/voices/build_data.sh ../data-voices5 /tmp/unused-ru 300 first" >&2; exit 2; }
$py -c "import av" 2>/dev/null || .venv/bin/pip install -q av
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pkgs=""
for v in ${voices//,/ }; do
    case "$v" in
        it-menardi) pkgs="$pkgs asterisk-prompt-it-menardi-wav" ;;
        es-co) pkgs="$pkgs asterisk-prompt-es-co" ;;
        fr-armelle) pkgs="$pkgs asterisk-prompt-fr-armelle" ;;
        *) echo "unknown voice '$v' (it-menardi, es-co, fr-armelle)" >&2; exit 2 ;;
    esac
done
rm -rf "$out"
cp -r "$base" "$out"
(cd "$work" && apt-get download -q $pkgs 2>&1 | grep -v '^W:' || true)
for d in "$work"/*.deb; do
    n=$(basename "$d"); n=${n%%_*}
    mkdir -p "$work/$n"
    dpkg-deb -x "$d" "$work/$n"
    cp "$work/$n/usr/share/doc/$n/copyright" "$out/LICENSES/$n.copyright"
done
$py - "$work" "$out" "$cap" "$voices" <<'PY'
"""Decode, select (seeded, up to CAP_S seconds per voice), resample (soxr HQ) and list the new speech."""
import csv
import sys
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr

work, out, cap_s, voices = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4].split(",")
PACKAGE = {"it-menardi": ("asterisk-prompt-it-menardi-wav", "wav"), "es-co": ("asterisk-prompt-es-co", "gsm"),
           "fr-armelle": ("asterisk-prompt-fr-armelle", "gsm")}


def decode(path: Path) -> tuple[np.ndarray, int]:
    if path.suffix == ".wav":
        x, rate = sf.read(str(path), dtype="float32")
        return (x if x.ndim == 1 else x.mean(axis=1)), rate
    with av.open(str(path), format="gsm") as c:
        rate = c.streams.audio[0].rate
        x = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float32)
    return x / 32768.0, rate


rows = []
for voice in voices:
    package, ext = PACKAGE[voice]
    files = sorted((work / package).glob(f"usr/share/asterisk/sounds/**/*.{ext}"))
    order = np.random.default_rng(0).permutation(len(files))
    subset = f"asterisk_{voice.replace('-', '_')}"
    root = out / "speech" / "train" / subset
    root.mkdir(parents=True, exist_ok=True)
    total = 0.0
    count = 0
    for k in order:
        x, rate = decode(files[k])
        if len(x) < 0.5 * rate or np.abs(x).max() < 1e-3:
            continue
        y = soxr.resample(x, rate, 48000, quality="HQ").astype(np.float32)
        rel = files[k].relative_to(work / package / "usr/share/asterisk/sounds")
        dest = root / ("_".join(rel.parts[1:]).rsplit(".", 1)[0] + ".flac")  # sub-folders + prompt, unique
        sf.write(str(dest), np.clip(y, -1.0, 1.0), 48000, subtype="PCM_16")
        secs = round(len(y) / 48000, 3)
        rows.append([str(dest.relative_to(out)), "speech", "train", subset, rate, 1, secs])
        total += secs
        count += 1
        if total >= cap_s:
            break
    print(f"{subset}: {count} files, {total / 60:.1f} min (from {len(files)}, {rate} Hz)")
with (out / "MANIFEST.csv").open("a", newline="") as handle:
    csv.writer(handle).writerows(rows)
PY
