#!/usr/bin/env bash
# One arm of the phase-loss experiment (rule.md): 1500 steps (18000 -> 19500) from the shipped
# hance-base with the shipped last stage's recipe, --complex-weight 0.5 (control) or 1.0 (complex).
# Usage, from the repository root: bash models/training/ablations/phase-loss/run.sh control|complex [THREADS]
# Resumable (same THREADS): rerun the same command after an interruption. The run is runs/phase-loss-<arm>/.
set -euo pipefail
arm="${1:-}"; threads="${2:-1}"
case "$arm" in
    control) cw=0.5 ;;
    complex) cw=1.0 ;;
    *) echo "arm must be control or complex, got '$arm'" >&2; exit 2 ;;
esac
start=models/training/hance-base/last.pt
out=runs/phase-loss-$arm
mkdir -p "$out"
if [ ! -s "$out/last.pt" ]; then
    step=$(.venv/bin/python -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$start")
    [ "$step" = 18000 ] || { echo "$start is at step $step, the rule starts from 18000" >&2; exit 2; }
    cp "$start" "$out/last.pt"
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant phase_aware \
    --noise-floor --steps 19500 --threads "$threads" --workers 1 --segment-seconds 6 --batch-size 4 \
    --over-suppression-weight 1 --mr-weight 0.02 --complex-weight "$cw" --mix "$mix" --resume
