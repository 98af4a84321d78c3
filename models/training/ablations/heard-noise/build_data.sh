#!/usr/bin/env bash
# Build the three data folders of heard-noise (rule.md), beside the project, from ../data-noise-wl
# (unheard-noise/build_data.sh) and ../data-voices5 (voices/build_data.sh); symbolic links, no copies:
#   ../data-wl-heard    ../data-voices5's train and val splits (not its test split) plus
#                       noise/train/wl_heard: half A of Widelands' val noise files
#   ../data-wl-unheard  the val speech under half B only (noise/val/wl_animals, noise/val/wl_work)
#   ../data-wl-halfa    the val speech under half A only (the report on the heard sources)
# Halves: per category, the sources (file name without its _NN take index, if any) sorted by name and dealt
# alternately, A first, so no source is in both. Prints the split. Rerunnable; seconds.
set -euo pipefail
wl=../data-noise-wl
v5=../data-voices5
for d in "$wl/noise/val" "$v5/speech/train"; do [ -d "$d" ] || { echo "no $d: build it first" >&2; exit 2; }; done
wl=$(cd "$wl" && pwd); v5=$(cd "$v5" && pwd)
rm -rf ../data-wl-heard ../data-wl-unheard ../data-wl-halfa
mkdir -p ../data-wl-heard/speech ../data-wl-heard/noise/train/wl_heard ../data-wl-heard/rir
ln -s "$v5/speech/train" ../data-wl-heard/speech/train
ln -s "$v5/speech/val" ../data-wl-heard/speech/val
ln -s "$v5/noise/val" ../data-wl-heard/noise/val
for d in "$v5"/noise/train/*/; do ln -s "${d%/}" ../data-wl-heard/noise/train/; done
for d in "$v5"/rir/*/; do n=$(basename "$d"); [ "$n" = test ] || ln -s "${d%/}" ../data-wl-heard/rir/$n; done
for out in ../data-wl-unheard ../data-wl-halfa; do
    mkdir -p $out/speech $out/noise/val/wl_animals $out/noise/val/wl_work $out/rir
    ln -s "$wl/speech/val" $out/speech/val
    ln -s "$wl/speech/train" $out/speech/train
    ln -s "$wl/noise/train" $out/noise/train
    ln -s "$(readlink -f "$wl/rir/train")" $out/rir/train
done
stem() { sed -E 's/(_[0-9]+)?_ogg\.flac$//'; }
for cat in wl_animals wl_work; do
    declare -A half=()
    i=0
    for src in $(ls "$wl/noise/val/$cat" | stem | sort -u); do
        if [ $((i % 2)) = 0 ]; then half[$src]=A; else half[$src]=B; fi
        echo "$cat ${half[$src]} $src"
        i=$((i + 1))
    done
    for f in "$wl/noise/val/$cat"/*.flac; do
        if [ "${half[$(basename "$f" | stem)]}" = A ]; then
            ln -s "$f" ../data-wl-heard/noise/train/wl_heard/
            ln -s "$f" ../data-wl-halfa/noise/val/$cat/
        else
            ln -s "$f" ../data-wl-unheard/noise/val/$cat/
        fi
    done
    unset half
done
