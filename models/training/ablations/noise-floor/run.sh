#!/usr/bin/env bash
# One run of the noise-floor experiment (rule.md): from scratch, 2000 steps, the four noise families
# of ../noise-speed/ held out; the recipe of ../subband-scratch/run.sh (whose control is the
# control here) plus --noise-floor.
# Usage, from the repository root: bash models/training/ablations/noise-floor/run.sh floor [THREADS]
# (THREADS default 2: the arm runs alone). Resumable: rerun the same command after an interruption.
# `run.sh control 1` reruns the control recipe (the one of ../subband-scratch/, bit-identical at 1 thread).
set -euo pipefail
arm="$1"
threads="${2:-2}"
case "$arm" in
    control) extra=() ;;
    floor) extra=(--noise-floor) ;;
    *) echo "arm must be control or floor, got $arm" >&2; exit 2 ;;
esac
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "runs/noise-floor-$arm" \
    --variant phase_aware --steps 2000 --warmup-steps 200 --threads "$threads" --workers 1 --pesq-items 32 \
    --over-suppression-weight 1 --mix "p_noise_lowpass=0.3,p_noise_only=0.15" --resume "${extra[@]}" \
    --holdout-noise "0ad_ambient_weather/windstorm_*,0ad_ambient_dayscape/day_temperate_1*,0ad_ambient_building/amb_port_*,music/pibble*"
