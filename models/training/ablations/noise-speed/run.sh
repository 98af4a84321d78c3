#!/usr/bin/env bash
# One arm of the noise-speed experiment (rule.md): from scratch, 2000 steps, four noise families held out.
# Usage, from the repository root: bash models/training/ablations/noise-speed/run.sh control|speed
# Resumable: rerun the same command after an interruption.
set -euo pipefail
arm="$1"
case "$arm" in
    control) mix="p_noise_lowpass=0.3,p_noise_only=0.15" ;;
    speed) mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_noise_speed=0.5" ;;
    *) echo "arm must be control or speed, got $arm" >&2; exit 2 ;;
esac
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "runs/noise-speed-$arm" \
    --variant phase_aware --steps 2000 --warmup-steps 200 --threads 1 --workers 1 --pesq-items 32 \
    --over-suppression-weight 1 --mix "$mix" --resume \
    --holdout-noise "0ad_ambient_weather/windstorm_*,0ad_ambient_dayscape/day_temperate_1*,0ad_ambient_building/amb_port_*,music/pibble*"
