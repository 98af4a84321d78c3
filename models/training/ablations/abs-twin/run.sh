#!/usr/bin/env bash
# The abs-twin arm (rule.md): the floor release's first stage (../floor-release/run.sh, steps
# 0-3000, --noise-floor) from step 0 with the magnitude-only twin whose mask is |Linear| (--twin-mask abs).
# Its reference is ../deep-filter-scratch/'s control (the phase-aware one-tap network, same stage).
# Usage, from the repository root: bash models/training/ablations/abs-twin/run.sh [THREADS] [MAX_MINUTES]
# Resumable (same THREADS): rerun the same command. The run is runs/abs-twin/; `save` copies its
# last.pt and log.jsonl here (arm/, committed between sessions): bash models/training/ablations/abs-twin/run.sh save
# TWIN_MASK=softplus (environment) trains the shipped twin's head instead (softplus.md): runs/softplus-twin/, softplus/ here.
set -euo pipefail
here=models/training/ablations/abs-twin
mask="${TWIN_MASK:-abs}"
case "$mask" in
    abs) out=runs/abs-twin; keep="$here/arm" ;;
    softplus) out=runs/softplus-twin; keep="$here/softplus" ;;
    *) echo "TWIN_MASK must be abs or softplus, got '$mask'" >&2; exit 2 ;;
esac
if [ "${1:-}" = save ]; then mkdir -p "$keep"; cp "$out/last.pt" "$out/log.jsonl" "$keep/"; exit 0; fi
threads="${1:-2}"; budget="${2:-0}"
if [ ! -f "$out/last.pt" ] && [ -f "$keep/last.pt" ]; then mkdir -p "$out"; cp "$keep/last.pt" "$keep/log.jsonl" "$out/"; fi
resume=(); [ -f "$out/last.pt" ] && resume=(--resume)
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant magnitude_twin \
    --twin-mask "$mask" --noise-floor --steps 3000 --warmup-steps 200 --threads "$threads" --workers 1 --max-minutes "$budget" \
    "${resume[@]}"
