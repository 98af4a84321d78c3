#!/usr/bin/env bash
# The over-suppression-low experiment's one arm (rule.md): 1500 steps (18000 -> 19500) from the shipped
# step-18000 hance-base with its release recipe and --over-suppression-weight 0.3 instead of 1,
# 2 threads. Its control is ../mic-colour/control (run.sh control there).
# Usage, from the repository root: bash models/training/ablations/over-suppression-low/run.sh
# Resumable: rerun the same command after an interruption.
set -euo pipefail
start=models/training/hance-base/last.pt
out=runs/osw-0.3
mkdir -p "$out"
if [ ! -s "$out/last.pt" ]; then
    step=$(.venv/bin/python -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$start")
    [ "$step" = 18000 ] || { echo "$start is at step $step, the rule starts from 18000" >&2; exit 2; }
    cp "$start" "$out/last.pt"
fi
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant phase_aware \
    --steps 19500 --threads 2 --workers 1 --pesq-items 32 --over-suppression-weight 0.3 \
    --mix "p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5,p_speech_floor=0.3,speech_floor_db_range=-45:-20" \
    --mr-weight 0.02 --complex-weight 0.5 --resume
