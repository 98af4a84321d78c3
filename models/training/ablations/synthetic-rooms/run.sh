#!/usr/bin/env bash
# Trains the two arms of the synthetic-rooms experiment (rule.md) one after the other, from scratch,
# on a data folder that holds two training rooms out (built here; symlinks into ../shared/data).
# Usage, from the repository root: bash models/training/ablations/synthetic-rooms/run.sh [real|synth|less-real]...
# Resumable: rerun the same command after an interruption (--resume, same --threads).
set -euo pipefail
py=.venv/bin/python
data=runs/data-ho
shared=$(realpath ../shared/data)
if [ ! -d "$data/rir/val/real" ]; then
    mkdir -p "$data/rir/train/real" "$data/rir/val/real"
    ln -sfn "$shared/speech" "$data/speech"; ln -sfn "$shared/noise" "$data/noise"
    ln -sfn "$shared/MANIFEST.csv" "$data/MANIFEST.csv"
    for f in "$shared"/rir/train/real/*.flac; do
        b=$(basename "$f")
        case "$b" in
            small_room.flac|rir48000.flac) ln -sfn "$f" "$data/rir/val/real/$b" ;;
            *) ln -sfn "$f" "$data/rir/train/real/$b" ;;
        esac
    done
fi
for arm in "${@:-real synth}"; do
    for a in $arm; do
        case "$a" in
            real) mix="p_noise_lowpass=0.3" ;;
            synth) mix="p_noise_lowpass=0.3,p_synthetic_rir=0.5" ;;
            less-real) mix="p_noise_lowpass=0.3,p_reverb=0.25" ;;  # follow-up arm (rule.md)
            *) echo "unknown arm $a" >&2; exit 2 ;;
        esac
        resume=""; [ -f "runs/rooms-$a/last.pt" ] && resume="--resume"
        $py -m hance_plugin.training train --data-dir "$data" --out "runs/rooms-$a" --variant phase_aware \
            --steps 2000 --warmup-steps 200 --threads 2 --workers 1 --val-every 1000 \
            --over-suppression-weight 1 --mix "$mix" $resume
    done
done
