#!/usr/bin/env bash
# unheard-noise (rule.md): 1500 steps (19500 -> 21000) of the shipped stage without the residual-noise
# term, from hance-base, on ../data-voices5-games (build_data.sh). Resumable:
#   bash models/training/ablations/unheard-noise/run.sh games|speed|random|random-rn|twin-random-rn [THREADS] [MAX_MINUTES]
# The run lives in runs/un-<arm>/ (ignored by git); `save ARM` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/unheard-noise
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/un-$2/last.pt" "runs/un-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    games) data=../data-voices5-games; flags=() ;;
    speed) data=../data-voices5  # rule.md, second arm: the stage's mixing plus noise speed perturbation
        mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
        flags=(--mix "$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5,p_noise_speed=0.5") ;;
    random) data=../data-voices5  # rule.md, third arm: the stage's mixing plus domain-randomised noise
        mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
        flags=(--mix "$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5,p_random_noise=0.3") ;;
    random-rn|twin-random-rn) data=../data-voices5  # release.md: the shipped stage (with its term) plus random noise
        mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
        flags=(--residual-noise-weight 1
               --mix "$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5,p_random_noise=0.3") ;;
    *) echo "arm must be games, speed, random, random-rn or twin-random-rn, got '$arm'" >&2; exit 2 ;;
esac
src=models/training/hance-base
if [ "$arm" = twin-random-rn ]; then
    src=models/training/hance-twin
    flags+=(--variant magnitude_twin)  # the head (abs) comes from the checkpoint
fi
[ -f "$here/$arm/last.pt" ] && src="$here/$arm"
bash models/training/ablations/branch-stage.sh "runs/un-$arm" "$data" "$src" 21000 "$threads" "$budget" "${flags[@]}"
