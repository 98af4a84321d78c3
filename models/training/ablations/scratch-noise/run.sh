#!/usr/bin/env bash
# One arm of scratch-noise (rule.md): the floor release's first stage (../floor-release/run.sh base,
# steps 0-3000, one 3000-step cosine with 200 warm-up steps, --noise-floor, ../shared/data) from
# step 0, with the stage's default mixtures (control) or with wider noise from the first step (wide:
# domain-randomised noise, p_random_noise=0.3, and noise speed perturbation, p_noise_speed=0.5).
# Usage, from the repository root: bash models/training/ablations/scratch-noise/run.sh control|wide [THREADS] [MAX_MINUTES]
# Resumable (same THREADS): rerun the same command. The run is runs/scratch-noise-<arm>/;
# `save` copies its last.pt and log.jsonl here (<arm>/, committed between sessions):
#   bash models/training/ablations/scratch-noise/run.sh save control|wide
set -euo pipefail
here=models/training/ablations/scratch-noise
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/scratch-noise-$2/last.pt" "runs/scratch-noise-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    control) mix=() ;;
    wide) mix=(--mix p_random_noise=0.3,p_noise_speed=0.5) ;;
    *) echo "arm must be control or wide, got '$arm'" >&2; exit 2 ;;
esac
out=runs/scratch-noise-$arm
if [ ! -f "$out/last.pt" ] && [ -f "$here/$arm/last.pt" ]; then
    mkdir -p "$out"; cp "$here/$arm/last.pt" "$here/$arm/log.jsonl" "$out/"
fi
resume=(); [ -f "$out/last.pt" ] && resume=(--resume)
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant phase_aware \
    --noise-floor --steps 3000 --warmup-steps 200 --threads "$threads" --workers 1 --max-minutes "$budget" \
    "${mix[@]}" "${resume[@]}"
