#!/usr/bin/env bash
# The abs-twin arm (rule.md): the floor release's first stage (../floor-release/run.sh, steps
# 0-3000, --noise-floor) from step 0 with the magnitude-only twin whose mask is |Linear| (--twin-mask abs).
# Its reference is ../deep-filter-scratch/'s control (the phase-aware one-tap network, same stage).
# Usage, from the repository root: bash models/training/ablations/abs-twin/run.sh [THREADS] [MAX_MINUTES]
# Resumable (same THREADS): rerun the same command. The run is runs/abs-twin/; `save` copies its
# last.pt and log.jsonl here (arm/, committed between sessions): bash models/training/ablations/abs-twin/run.sh save
set -euo pipefail
here=models/training/ablations/abs-twin
out=runs/abs-twin
if [ "${1:-}" = save ]; then mkdir -p "$here/arm"; cp "$out/last.pt" "$out/log.jsonl" "$here/arm/"; exit 0; fi
threads="${1:-2}"; budget="${2:-0}"
if [ ! -f "$out/last.pt" ] && [ -f "$here/arm/last.pt" ]; then mkdir -p "$out"; cp "$here/arm/last.pt" "$here/arm/log.jsonl" "$out/"; fi
resume=(); [ -f "$out/last.pt" ] && resume=(--resume)
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant magnitude_twin \
    --twin-mask abs --noise-floor --steps 3000 --warmup-steps 200 --threads "$threads" --workers 1 --max-minutes "$budget" \
    "${resume[@]}"
