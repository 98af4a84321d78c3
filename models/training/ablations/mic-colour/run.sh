#!/usr/bin/env bash
# One arm of the mic-colour experiment (rule.md): 1500 steps (18000 -> 19500) from the shipped
# step-18000 checkpoint with its release recipe; arm "colour" adds a random EQ of the speech alone.
# Usage, from the repository root:
#   bash models/training/ablations/mic-colour/run.sh control|colour|colour-twin
# (control, colour: stage 1, side by side at 1 thread each; colour-twin: stage 2, hance-twin's
# checkpoint with the colour arm's flags, 2 threads). Resumable: rerun the same command after an interruption.
set -euo pipefail
arm="$1"
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5,p_speech_floor=0.3,speech_floor_db_range=-45:-20"
colour=",p_speech_eq=0.5,speech_eq_max_gain_db=9"
case "$arm" in
    control) variant=phase_aware; start=models/training/hance-base/last.pt; threads=1 ;;
    colour) variant=phase_aware; start=models/training/hance-base/last.pt; threads=1; mix="$mix$colour" ;;
    colour-twin) variant=magnitude_twin; start=models/training/hance-twin/last.pt; threads=2; mix="$mix$colour" ;;
    *) echo "arm must be control, colour or colour-twin, got $arm" >&2; exit 2 ;;
esac
out="runs/mic-colour-$arm"
mkdir -p "$out"
if [ ! -s "$out/last.pt" ]; then
    step=$(.venv/bin/python -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$start")
    [ "$step" = 18000 ] || { echo "$start is at step $step, the rule starts from 18000" >&2; exit 2; }
    cp "$start" "$out/last.pt"
fi
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant "$variant" \
    --steps 19500 --threads "$threads" --workers 1 --pesq-items 32 --over-suppression-weight 1 \
    --mix "$mix" --mr-weight 0.02 --complex-weight 0.5 --resume
