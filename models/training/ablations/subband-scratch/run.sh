#!/usr/bin/env bash
# One run of the subband-scratch experiment (rule.md): from scratch, 2000 steps, the four noise
# families of ../noise-speed/ held out, 1 thread (the two runs side by side).
# Usage, from the repository root: bash models/training/ablations/subband-scratch/run.sh control|sub
# Resumable: rerun the same command after an interruption.
set -euo pipefail
arm="$1"
case "$arm" in
    control) extra=() ;;
    sub) extra=(--subband-hidden 48) ;;
    *) echo "arm must be control or sub, got $arm" >&2; exit 2 ;;
esac
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "runs/subband-scratch-$arm" \
    --variant phase_aware --steps 2000 --warmup-steps 200 --threads 1 --workers 1 --pesq-items 32 \
    --over-suppression-weight 1 --mix "p_noise_lowpass=0.3,p_noise_only=0.15" --resume "${extra[@]}" \
    --holdout-noise "0ad_ambient_weather/windstorm_*,0ad_ambient_dayscape/day_temperate_1*,0ad_ambient_building/amb_port_*,music/pibble*"
