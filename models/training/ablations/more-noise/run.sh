#!/usr/bin/env bash
# The one arm of the more-noise experiment (rule.md): the held-out-noise recipe of ../noise-speed/
# from scratch, 2000 steps, 2 threads, on ../data-plus (build_data.sh: ../shared/data plus 31 min of
# Debian game-data noise). The control is ../subband-scratch/control (same recipe on ../shared/data).
# Usage, from the repository root: bash models/training/ablations/more-noise/run.sh   (resumable)
set -euo pipefail
[ -f ../data-plus/MANIFEST.csv ] || { echo "run build_data.sh first" >&2; exit 2; }
exec .venv/bin/python -m hance_plugin.training train --data-dir ../data-plus --out runs/more-noise \
    --variant phase_aware --steps 2000 --warmup-steps 200 --threads 2 --workers 1 --pesq-items 32 \
    --over-suppression-weight 1 --mix "p_noise_lowpass=0.3,p_noise_only=0.15" --resume \
    --holdout-noise "0ad_ambient_weather/windstorm_*,0ad_ambient_dayscape/day_temperate_1*,0ad_ambient_building/amb_port_*,music/pibble*"
