#!/usr/bin/env bash
# One arm of the deep-filter-from-scratch experiment (rule.md): the floor release's first stage
# (../floor-release/run.sh, steps 0-3000, --noise-floor) from step 0, with a 3-tap deep filter on
# the 64 lowest bins (df) or the one-tap complex mask (control). Both start from the same weights
# (the filter's taps zero, `TrainConfig.df_order`).
# Usage, from the repository root: bash models/training/ablations/deep-filter-scratch/run.sh control|df [THREADS] [MAX_MINUTES]
# Resumable (same THREADS): rerun the same command. The run is runs/deep-filter-scratch-<arm>/;
# `save` copies its last.pt and log.jsonl here (<arm>/, committed between sessions):
#   bash models/training/ablations/deep-filter-scratch/run.sh save control|df
set -euo pipefail
here=models/training/ablations/deep-filter-scratch
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/deep-filter-scratch-$2/last.pt" "runs/deep-filter-scratch-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    control) df=() ;;
    df) df=(--df-order 3 --df-bins 64) ;;
    *) echo "arm must be control or df, got '$arm'" >&2; exit 2 ;;
esac
out=runs/deep-filter-scratch-$arm
if [ ! -f "$out/last.pt" ] && [ -f "$here/$arm/last.pt" ]; then
    mkdir -p "$out"; cp "$here/$arm/last.pt" "$here/$arm/log.jsonl" "$out/"
fi
resume=(); [ -f "$out/last.pt" ] && resume=(--resume)
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant phase_aware \
    --noise-floor --steps 3000 --warmup-steps 200 --threads "$threads" --workers 1 --max-minutes "$budget" \
    "${df[@]}" "${resume[@]}"
