#!/usr/bin/env bash
# Build the val folders of the bandwidth diagnostic (README.md here): the NIST val words (4 talkers the
# models trained on, unseen words) as the only val speech, once as they are (fullband) and once per
# cutoff with the speech band-limited by a soxr HQ round trip through 2 x cutoff Hz (nothing else
# changes: same files, names, lengths, so the val mixer draws the same crops, noises and SNRs).
# Each folder OUT/bw<cutoff> (OUT/full for the original) has speech/val/nist_mrt_fullband, a link to
# the shared noise/val, and links to the shared train folders (validate builds the train source but
# never scores it). Not inside the project; rerunnable, seconds.
# Usage, from the repository root: bash models/training/ablations/bandwidth/build_data.sh [OUT] [CUTOFFS_HZ...]
set -euo pipefail
out="${1:-../data-bandwidth}"
shift || true
cutoffs="${*:-8000 12000}"
src=../shared/data
. "$(dirname "$0")/layout.sh"
rm -rf "$out"
for name in full $(for c in $cutoffs; do echo "bw$c"; done); do
    d="$out/$name"
    val_folder "$d"
done
.venv/bin/python - "$src" "$out" $cutoffs <<'PY'
import sys
from pathlib import Path

import soundfile as sf
import soxr

src, out, cutoffs = Path(sys.argv[1]), Path(sys.argv[2]), [int(c) for c in sys.argv[3:]]
files = sorted((src / "speech/val/nist_mrt_fullband").glob("*.flac"))
for name, cut in [("full", None)] + [(f"bw{c}", c) for c in cutoffs]:
    dest = out / name / "speech/val/nist_mrt_fullband"
    dest.mkdir(parents=True)
    for f in files:
        x, rate = sf.read(str(f), dtype="float32")
        assert rate == 48000, (f, rate)
        if cut is not None:
            x = soxr.resample(soxr.resample(x, rate, 2 * cut, quality="HQ"), 2 * cut, rate, quality="HQ")[: len(x)]
        sf.write(str(dest / f.name), x, rate, subtype="PCM_24")
    print(f"{name}: {len(files)} files")
PY
