#!/usr/bin/env bash
# Build the data folders of the voices experiment (rule.md): new talkers for training from the Debian
# Asterisk PBX prompt packages (apt-get download; nothing installed), CC-BY-SA 3.0, studio voice
# prompts stored as G.722 (16 kHz, so content to about 7 kHz, like the test set's LibriSpeech clips):
#   en_US_f_Allison, es_MX_f_Allison (the same talker), fr_CA_f_June, it_IT_m_Carlo -> train
#   ru_RU_f_IvrvoiceRU                                                            -> held-out val voice
# OUT (default ../data-voices) is a copy of ../shared/data plus speech/train/asterisk_<lang>/ as 48 kHz
# mono FLAC (soxr HQ), at most CAP_S seconds per language (seeded choice of files), so the new voices are
# about a third of the train speech seconds, not most of them (the mixer draws speech per second).
# HELD (default ../data-voices-ru) holds speech/val/asterisk_ru (up to 600 s whatever CAP_S is) and a copy of the
# shared noise/val (and links to the shared train folders, which validate opens but does not score):
# `validate --data-dir HELD` scores the held-out talker under the val noises.
# Neither folder is inside the project. G.722 is decoded with PyAV (pip `av`, installed into .venv if
# missing: only this script needs it). Rerunnable; about 2 min.
# Usage, from the repository root: bash models/training/ablations/voices/build_data.sh [OUT] [HELD] [CAP_S]
set -euo pipefail
out="${1:-../data-voices}"
held="${2:-../data-voices-ru}"
cap="${3:-600}"
src=../shared/data
py=.venv/bin/python
$py -c "import av" 2>/dev/null || .venv/bin/pip install -q av
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$out" "$held"
cp -r "$src" "$out"
mkdir -p "$held/noise" "$held/speech/val" "$held/rir"
cp -r "$src/noise/val" "$held/noise/val"
for k in speech noise rir; do  # validate builds the train source too (never drawn from when scoring val)
    ln -s "$(realpath "$src/$k/train")" "$held/$k/train"
done
pkgs="asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-fr-g722"
pkgs="$pkgs asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722"
(cd "$work" && apt-get download -q $pkgs 2>&1 | grep -v '^W:' || true)
for d in "$work"/*.deb; do
    n=$(basename "$d"); n=${n%%_*}
    mkdir -p "$work/$n"
    dpkg-deb -x "$d" "$work/$n"
done
$py - "$work" "$out" "$held" "$cap" <<'PY'
"""Decode, select (seeded, up to CAP_S seconds per language), resample (soxr HQ) and list the new speech."""
import csv
import sys
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr

work, out, held, cap_s = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
SPLIT = {"en": "train", "es": "train", "fr": "train", "it": "train", "ru": "val"}


def decode(path: Path) -> np.ndarray:
    with av.open(str(path), format="g722") as c:
        rate = c.streams.audio[0].rate
        x = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float32) / 32768.0
    assert rate == 16000, (path, rate)
    return x


rows = []
for lang, split in SPLIT.items():
    files = sorted((work / f"asterisk-core-sounds-{lang}-g722").glob("usr/share/asterisk/sounds/*/**/*.g722"))
    order = np.random.default_rng(0).permutation(len(files))
    root = (out if split == "train" else held) / "speech" / split / f"asterisk_{lang}"
    root.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for k in order:
        path = files[k]
        x = decode(path)
        if len(x) < 0.5 * 16000 or np.abs(x).max() < 1e-3:
            continue
        y = soxr.resample(x, 16000, 48000, quality="HQ").astype(np.float32)
        rel = path.relative_to(path.parents[len(path.relative_to(work / f"asterisk-core-sounds-{lang}-g722").parts) - 5])
        name = "_".join(rel.parts[1:]).replace(".g722", ".flac")  # talker folder + sub-folders + prompt
        dest = root / name
        sf.write(str(dest), y, 48000, subtype="PCM_16")
        secs = round(len(y) / 48000, 3)
        base = out if split == "train" else held
        rows.append([str(dest.relative_to(base)), "speech", split, f"asterisk_{lang}", 16000, 1, secs])
        total += secs
        if total >= (cap_s if split == "train" else 600.0):
            break
    print(f"asterisk_{lang} ({split}): {sum(r[3] == f'asterisk_{lang}' for r in rows)} files, {total / 60:.1f} min")
with (out / "MANIFEST.csv").open("a", newline="") as handle:
    csv.writer(handle).writerows([r for r in rows if r[2] == "train"])
with (held / "MANIFEST.csv").open("w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["path", "kind", "split", "subset", "sample_rate", "channels", "seconds"])
    w.writerows([r for r in rows if r[2] == "val"])
PY
mkdir -p "$out/LICENSES" "$held/LICENSES"
for n in $pkgs; do
    cp "$work/$n/usr/share/doc/$n/copyright" "$out/LICENSES/$n.copyright"
    cp "$work/$n/usr/share/doc/$n/copyright" "$held/LICENSES/$n.copyright"
done
