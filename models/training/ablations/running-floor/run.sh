#!/usr/bin/env bash
# The running-floor stage (rule.md): the floor release's last stage (16500-18000) again, from the
# floor base's step-16500 checkpoint (start.pt), with running speech (p_running_speech=0.5) in
# 6 s segments (batch 4: the same 24 s of audio per step). Resumable:
#   bash models/training/ablations/running-floor/run.sh [THREADS] [MAX_MINUTES]
# The run lives in runs/running-floor-base/ (ignored by git); `save` copies its last.pt and
# log.jsonl to base/ here (committed):
#   bash models/training/ablations/running-floor/run.sh save
set -euo pipefail
here=models/training/ablations/running-floor
py=.venv/bin/python
out=runs/running-floor-base
if [ "${1:-}" = save ]; then
    mkdir -p "$here/base"; cp "$out/last.pt" "$out/log.jsonl" "$here/base/"; exit 0
fi
threads="${1:-2}"; budget="${2:-0}"
if [ ! -f "$out/last.pt" ]; then
    mkdir -p "$out"
    if [ -f "$here/base/last.pt" ]; then cp "$here/base/last.pt" "$here/base/log.jsonl" "$out/"
    else cp "$here/start.pt" "$out/last.pt"; cp models/training/ablations/floor-release/base/log.jsonl "$out/"; fi
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
$py -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant phase_aware --noise-floor \
    --threads "$threads" --workers 1 --resume --max-minutes "$budget" --steps 18000 --segment-seconds 6 --batch-size 4 \
    --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$mix" > /dev/null
$py -c "import torch,sys; print('step', torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$out/last.pt"
