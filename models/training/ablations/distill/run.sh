#!/usr/bin/env bash
# distill (rule.md): 1500 steps (19500 -> 21000) of the shipped stage without the residual-noise term, from
# hance-base on ../data-voices5, with DeepFilterNet3 as a teacher (--teacher deepfilternet3, weight 1; needs
# the [distill] extra). Resumable:
#   bash models/training/ablations/distill/run.sh [THREADS] [MAX_MINUTES]
# The run lives in runs/kd-dfn3/ (ignored by git); `save` copies its last.pt and log.jsonl to kd/ here,
# from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/distill
if [ "${1:-}" = save ]; then mkdir -p "$here/kd"; cp runs/kd-dfn3/last.pt runs/kd-dfn3/log.jsonl "$here/kd/"; exit 0; fi
threads="${1:-2}"; budget="${2:-0}"
src=models/training/hance-base
[ -f "$here/kd/last.pt" ] && src="$here/kd"
bash models/training/ablations/branch-stage.sh runs/kd-dfn3 ../data-voices5 "$src" 21000 "$threads" "$budget" \
    --teacher deepfilternet3 --teacher-weight 1
