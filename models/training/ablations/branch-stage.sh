#!/usr/bin/env bash
# One resumable branch of the shipped last training stage, for experiments from here on (the earlier
# experiments' run.sh scripts each carried a copy of this; they stay as the records of what ran).
#
#   bash models/training/ablations/branch-stage.sh OUT DATA SRC STEPS THREADS MAX_MINUTES [TRAIN FLAGS...]
#
# OUT    run folder (runs/<name>, ignored by git). Made on the first call by copying SRC/last.pt and
#        SRC/log.jsonl; later calls resume OUT (training's --resume), so a killed run goes on from its
#        last checkpoint. A fresh checkout resumes from a saved copy by passing that folder as SRC.
# DATA   data folder (../shared/data layout), e.g. ../data-voices5.
# SRC    folder holding last.pt and log.jsonl to branch from, e.g. models/training/hance-base.
# STEPS  the step the stage ends at (the cosine schedule is recomputed for it); SRC must be below it.
# THREADS torch threads (2 for one run on this 2-core machine, 1 each for two side by side).
# MAX_MINUTES wall-clock budget of this call (0: none); the run checkpoints and stops when it is spent.
# TRAIN FLAGS are appended, e.g. --variant magnitude_twin, --residual-noise-weight 1 (the shipped
#        stage's residual-noise term; without it the term is off), --speech-weights 'nist_mrt_fullband/*=1.1'.
#
# The stage's fixed flags are the shipped one's (models/training/ablations/voices/run.sh voices5-rn,
# itself the running-floor stage): 6-s segments, batch 4, the noise-floor model, over-suppression 1,
# multi-resolution 0.02, complex 0.5, and the mixing below. Prints "OUT: step N" at the end.
# TRAIN_PY (environment, default .venv/bin/python) is the interpreter command of the training call only,
# e.g. floor-reliance/with_estimator.py's wrapper.
set -euo pipefail
[ $# -ge 6 ] || { sed -n 4,22p "$0" >&2; exit 2; }
out="$1"; data="$2"; src="$3"; steps="$4"; threads="$5"; budget="$6"; shift 6
py=.venv/bin/python
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
[ -d "$data/speech/train" ] || { echo "no $data/speech/train: build the data folder first" >&2; exit 2; }
if [ ! -f "$out/last.pt" ]; then
    [ -f "$src/last.pt" ] && [ -f "$src/log.jsonl" ] || { echo "no $src/last.pt and log.jsonl to branch from" >&2; exit 2; }
    s=$(step_of "$src/last.pt")
    [ "$s" -lt "$steps" ] || { echo "$src/last.pt is at step $s, not below the stage's end $steps" >&2; exit 2; }
    mkdir -p "$out"
    cp "$src/last.pt" "$src/log.jsonl" "$out/"
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
${TRAIN_PY:-$py} -m hance_plugin.training train --data-dir "$data" --out "$out" --variant phase_aware --noise-floor \
    --threads "$threads" --workers 1 --resume --max-minutes "$budget" --steps "$steps" --segment-seconds 6 \
    --batch-size 4 --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$mix" "$@" > /dev/null
echo "$out: step $(step_of "$out/last.pt")"
