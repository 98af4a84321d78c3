#!/usr/bin/env bash
# Build the two data folders of the unheard-noise experiment (rule.md), beside the project:
#   ../data-noise-wl      val only: the shared val speech under real noise that no model here has
#                         heard, Widelands' sound recordings (Debian widelands-data, CC-BY-SA 3.0 / GPL):
#                         noise/val/wl_animals (birds, crickets, frog, wolves, deer...) and
#                         noise/val/wl_work (farm, woodcutting, smithy, saw, mill, taverns...).
#   ../data-voices5-games ../data-voices5 (the shipped stage's data) plus train noise from four other
#                         Debian game-data packages, the more-noise/ selection without its music:
#                         noise/train/games_ambient (MegaGlest tilesets, Wesnoth ambience) and
#                         noise/train/games_machines (FlightGear).
# Both keep the test noise families out by name (no thunder, storm, rain, wave, sea, ocean, crowd,
# market, jungle, fernland file), as more-noise/build_data.sh does; the user-interface sounds of
# Widelands (clicks, messages, lobby) are left out. Files are 48 kHz mono FLAC (soxr HQ).
# Usage, from the repository root: bash models/training/ablations/unheard-noise/build_data.sh
# Needs ../data-voices5 (models/training/ablations/voices/build_data.sh). Rerunnable; a few minutes.
set -euo pipefail
val_out=../data-noise-wl
train_out=../data-voices5-games
[ -d ../data-voices5/speech/train ] || { echo "no ../data-voices5: run voices/build_data.sh first" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pkgs="widelands-data megaglest-data flightgear-data-base wesnoth-1.16-data"
(cd "$work" && apt-get download -q $pkgs 2>&1 | grep -v '^W:' || true)
for d in "$work"/*.deb; do
    n=$(basename "$d"); n=${n%%_*}
    mkdir -p "$work/$n"
    dpkg-deb --fsys-tarfile "$d" | tar -x -C "$work/$n" --wildcards '*.ogg' '*.wav' '*/copyright' 2>/dev/null || true
done
rm -rf "$val_out" "$train_out"
mkdir -p "$val_out/speech" "$val_out/noise/val" "$val_out/LICENSES"
cp -r ../shared/data/speech/val "$val_out/speech/val"
mkdir -p "$val_out/rir"
for k in speech noise rir; do  # validate builds the train source too (never drawn from when scoring val)
    ln -s "$(realpath "../shared/data/$k/train")" "$val_out/$k/train"
done
cp -r ../data-voices5 "$train_out"
chmod -R u+w "$train_out"
.venv/bin/python - "$work" "$val_out" "$train_out" <<'PY'
"""Select and convert (48 kHz mono FLAC, soxr HQ) the noise of both folders; write their manifests."""
import csv
import hashlib
import re
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

work, val_out, train_out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
SKIP = re.compile(r"thunder|storm|rain|wave|sea|ocean|crowd|market|jungle|fernland", re.I)
WL = "usr/share/games/widelands/data"
picks = {  # (root, split, folder) -> [(package, glob under the package root, minimum seconds)]
    (val_out, "val", "wl_animals"): [("widelands-data", f"{WL}/sound/animals/*.ogg", 0.0),
                                     ("widelands-data", f"{WL}/world/critters/*/*.ogg", 0.0)],
    (val_out, "val", "wl_work"): [("widelands-data", f"{WL}/sound/*/*.ogg", 0.0),
                                  ("widelands-data", f"{WL}/sound/*/*/*.ogg", 0.0)],
    (train_out, "train", "games_ambient"): [
        ("megaglest-data", "usr/share/games/megaglest/tilesets/*/sounds/*.ogg", 5.0),
        ("wesnoth-1.16-data", "usr/share/games/wesnoth/*/data/core/sounds/ambient/*.ogg", 5.0)],
    (train_out, "train", "games_machines"): [("flightgear-data-base", "usr/share/games/flightgear/**/Sounds/*.wav", 5.0)],
}
rows: dict[Path, list] = {val_out: [], train_out: []}
seen: set[str] = set()
for (root, split, folder), sources in picks.items():
    dest_dir = root / "noise" / split / folder
    dest_dir.mkdir(parents=True, exist_ok=True)
    for pkg, pattern, min_s in sources:
        for path in sorted((work / pkg).glob(pattern)):
            rel = str(path.relative_to(work / pkg))
            if folder == "wl_work" and "/sound/animals/" in rel:
                continue
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            if digest in seen or SKIP.search(rel):
                continue
            x, sr = sf.read(str(path), dtype="float32", always_2d=True)
            if x.shape[0] / sr < min_s or x.shape[0] / sr < 0.3:
                continue
            seen.add(digest)
            y = soxr.resample(x.mean(axis=1), sr, 48000, quality="HQ").astype(np.float32)
            if not np.any(y):
                continue
            name = f"{pkg.split('-')[0]}_{'_'.join(path.relative_to(work / pkg).parts[-3:]).replace('.', '_')}.flac"
            dest = dest_dir / name
            sf.write(str(dest), y, 48000, subtype="PCM_16")
            rows[root].append([str(dest.relative_to(root)), "noise", split, folder, 48000, 1, round(len(y) / 48000, 3)])
with (train_out / "MANIFEST.csv").open("a", newline="") as handle:
    csv.writer(handle).writerows(rows[train_out])
with (val_out / "MANIFEST.csv").open("w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["path", "kind", "split", "subset", "sample_rate", "channels", "seconds"])
    writer.writerows(rows[val_out])
for root, rs in rows.items():
    for folder in sorted({r[3] for r in rs}):
        secs = sum(r[6] for r in rs if r[3] == folder)
        print(f"{root}/{folder}: {sum(r[3] == folder for r in rs)} files, {secs / 60:.1f} min")
PY
for n in megaglest-data flightgear-data-base wesnoth-1.16-data; do
    find "$work/$n" -name copyright -path "*$n*" -exec cp {} "$train_out/LICENSES/$n.copyright" \; -quit
done
find "$work/widelands-data" -name copyright -path "*widelands-data*" -exec cp {} "$val_out/LICENSES/widelands-data.copyright" \; -quit
