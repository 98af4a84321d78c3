#!/usr/bin/env bash
# Build the data folder of the more-noise experiment (rule.md): a copy of ../shared/data with more
# train noise from four Debian game-data packages (apt-get download; nothing installed), put under
# noise/train/games_*/ as 48 kHz mono FLAC. The test noise families (market crowd, thunder, rocky
# waves, tropical day, wind in leaves) are kept out by name: no thunder, storm, rain (may carry
# thunder), wave, sea, ocean, crowd, market, jungle/fernland day (tropical) file is taken.
# Usage, from the repository root: bash models/training/ablations/more-noise/build_data.sh [OUT]
# OUT defaults to ../data-plus (beside the project, never inside it). Rerunnable; ~3 min.
set -euo pipefail
out="${1:-../data-plus}"
src=../shared/data
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
cp -r "$src" "$out"
(cd "$work" && apt-get download -q megaglest-data flightgear-data-base supertuxkart-data wesnoth-1.16-data 2>&1 | grep -v '^W:' || true)
for d in "$work"/*.deb; do
    n=$(basename "$d"); n=${n%%_*}
    mkdir -p "$work/$n"
    dpkg-deb --fsys-tarfile "$d" | tar -x -C "$work/$n" --wildcards '*.ogg' '*.wav' '*/copyright' 2>/dev/null || true
done
.venv/bin/python - "$work" "$out" <<'PY'
"""Select, convert (48 kHz mono FLAC, soxr HQ) and list the extra noise; append it to MANIFEST.csv."""
import csv
import hashlib
import re
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

work, out = Path(sys.argv[1]), Path(sys.argv[2])
SKIP = re.compile(r"thunder|storm|rain|wave|sea|ocean|crowd|market|jungle|fernland", re.I)
picks = {  # folder under noise/train -> (package, glob under the package root, minimum seconds)
    "games_ambient": [("megaglest-data", "usr/share/games/megaglest/tilesets/*/sounds/*.ogg", 5.0),
                      ("wesnoth-1.16-data", "usr/share/games/wesnoth/*/data/core/sounds/ambient/*.ogg", 5.0)],
    "games_machines": [("flightgear-data-base", "usr/share/games/flightgear/**/Sounds/*.wav", 5.0)],
    "games_music": [("supertuxkart-data", "usr/share/games/supertuxkart/data/music/*.ogg", 30.0)],
}
MUSIC_TRACKS = 10  # the first 10 music tracks by name (about 20 min): music must not swamp the noise draws
rows, seen = [], set()
for folder, sources in picks.items():
    (out / "noise" / "train" / folder).mkdir(parents=True, exist_ok=True)
    taken = 0
    for pkg, pattern, min_s in sources:
        for path in sorted((work / pkg).glob(pattern)):
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            if digest in seen or SKIP.search(str(path.relative_to(work / pkg))):
                continue
            x, sr = sf.read(str(path), dtype="float32", always_2d=True)
            if x.shape[0] / sr < min_s:
                continue
            if folder == "games_music" and taken >= MUSIC_TRACKS:
                break
            seen.add(digest)
            taken += 1
            y = soxr.resample(x.mean(axis=1), sr, 48000, quality="HQ").astype(np.float32)
            name = f"{pkg.split('-')[0]}_{'_'.join(path.relative_to(work / pkg).parts[-3:]).replace('.', '_')}.flac"
            dest = out / "noise" / "train" / folder / name
            sf.write(str(dest), y, 48000, subtype="PCM_16")
            rows.append([str(dest.relative_to(out)), "noise", "train", folder, 48000, 1, round(len(y) / 48000, 3)])
with (out / "MANIFEST.csv").open("a", newline="") as handle:
    csv.writer(handle).writerows(rows)
for folder in picks:
    secs = sum(r[6] for r in rows if r[3] == folder)
    print(f"{folder}: {sum(r[3] == folder for r in rows)} files, {secs / 60:.1f} min")
for r in rows:
    print(r[0], r[6])
PY
mkdir -p "$out/LICENSES"
for n in megaglest-data flightgear-data-base supertuxkart-data wesnoth-1.16-data; do
    find "$work/$n" -name copyright -path "*$n*" -exec cp {} "$out/LICENSES/$n.copyright" \; -quit
done
