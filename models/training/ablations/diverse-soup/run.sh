#!/usr/bin/env bash
# diverse-soup (rule.md): train the three members (1500 steps of the shipped stage from hance-base each),
# then average them with floor-reliance's ctl. Resumable (runs/ds-<arm>/, ignored by git):
#   bash models/training/ablations/diverse-soup/run.sh random|speed|games [THREADS] [MAX_MINUTES]
#   bash models/training/ablations/diverse-soup/run.sh soup     # -> runs/ds-soup/last.pt
set -euo pipefail
here=models/training/ablations/diverse-soup
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"  # branch-stage.sh's own
data=../data-voices5
case "$arm" in
    random) flags=(--mix "$mix,p_random_noise=0.3") ;;
    speed) flags=(--mix "$mix,p_noise_speed=0.5") ;;
    games) data=../data-voices5-games; flags=() ;;
    soup) exec .venv/bin/python "$here/soup.py" runs/ds-soup/last.pt runs/fr-ctl/last.pt runs/ds-random/last.pt \
              runs/ds-speed/last.pt runs/ds-games/last.pt ;;
    *) echo "arm must be random, speed, games or soup, got '$arm'" >&2; exit 2 ;;
esac
bash models/training/ablations/branch-stage.sh "runs/ds-$arm" "$data" models/training/hance-base 21000 "$threads" \
    "$budget" --residual-noise-weight 1 "${flags[@]}"
