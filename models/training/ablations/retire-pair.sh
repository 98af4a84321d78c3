#!/usr/bin/env bash
# The first step of a pair release's ship.sh: move the shipped pair out of the way. models/training/
# hance-{base,twin}/ move (git mv) into OLD_DIR with copies of their cards (models/hance-*.json), and the
# README text on stdin becomes OLD_DIR/README.md (what the pair was and what replaced it). Nothing is
# done where OLD_DIR exists already (a rerun of ship.sh).
# Usage, from the repository root: bash models/training/ablations/retire-pair.sh OLD_DIR <<'MD' ... MD
set -euo pipefail
old="$1"
[ ! -d "$old" ] || exit 0
readme="$(cat)"
[ -n "$readme" ] || { echo "retire-pair.sh: the README text comes on stdin" >&2; exit 2; }
mkdir -p "$old"
git mv models/training/hance-base models/training/hance-twin "$old/"
cp models/hance-base.json models/hance-twin.json "$old/"
printf '%s\n' "$readme" > "$old/README.md"
git add "$old"
