#!/usr/bin/env bash
# One run of the noise-floor-init experiment (rule.md): ../noise-floor/'s recipe with other initial
# weights (--init-seed 1), control or floor, 1 thread (the two runs side by side).
# Usage, from the repository root: bash models/training/ablations/noise-floor-init/run.sh control|floor
# Resumable: rerun the same command after an interruption.
set -euo pipefail
arm="$1"
case "$arm" in
    control) extra=() ;;
    floor) extra=(--noise-floor) ;;
    *) echo "arm must be control or floor, got $arm" >&2; exit 2 ;;
esac
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "runs/noise-floor-init-$arm" \
    --variant phase_aware --steps 2000 --warmup-steps 200 --threads 1 --workers 1 --pesq-items 32 --init-seed 1 \
    --over-suppression-weight 1 --mix "p_noise_lowpass=0.3,p_noise_only=0.15" --resume "${extra[@]}" \
    --holdout-noise "0ad_ambient_weather/windstorm_*,0ad_ambient_dayscape/day_temperate_1*,0ad_ambient_building/amb_port_*,music/pibble*"
