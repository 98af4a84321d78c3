#!/usr/bin/env bash
# One run of the level-release pair (rule.md): 1500 steps from the shipped checkpoint, the
# level-speech recipe, 1 thread. Usage, from the repository root:
#   bash models/training/ablations/level-release/run.sh base|twin
# Resumable: rerun the same command after an interruption (the first call copies the shipped
# checkpoint; a later one finds runs/level-release-ARM/last.pt and continues it).
set -euo pipefail
arm="$1"
case "$arm" in
    base) variant=phase_aware; start=models/training/hance-base/last.pt ;;
    twin) variant=magnitude_twin; start=models/training/hance-twin/last.pt ;;
    *) echo "arm must be base or twin, got $arm" >&2; exit 2 ;;
esac
out="runs/level-release-$arm"
mkdir -p "$out"
[ -s "$out/last.pt" ] || cp "$start" "$out/last.pt"
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant "$variant" \
    --steps 16500 --threads 1 --workers 1 --pesq-items 32 --over-suppression-weight 1 \
    --mix "p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5" \
    --mr-weight 0.02 --complex-weight 0.5 --resume
