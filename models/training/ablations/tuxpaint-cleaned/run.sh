#!/usr/bin/env bash
# tuxpaint-cleaned (rule.md): tuxpaint-voices' `tp` arm on ../data-tuxpaint-cleaned (build_data.sh first).
# Resumable:  bash models/training/ablations/tuxpaint-cleaned/run.sh [THREADS] [MAX_MINUTES]
# The run lives in runs/tpc-cleaned/ (ignored by git); `save` copies its last.pt and log.jsonl to cleaned/ here.
set -euo pipefail
here=models/training/ablations/tuxpaint-cleaned
if [ "${1:-}" = save ]; then mkdir -p "$here/cleaned"; cp runs/tpc-cleaned/last.pt runs/tpc-cleaned/log.jsonl "$here/cleaned/"; exit 0; fi
threads="${1:-2}"; budget="${2:-0}"
data=../data-tuxpaint-cleaned
[ -d "$data/speech/train/tuxpaint_el" ] || { echo "no $data: run $here/build_data.sh first" >&2; exit 2; }
src=models/training/hance-base
[ -f "$here/cleaned/last.pt" ] && src="$here/cleaned"
bash models/training/ablations/branch-stage.sh runs/tpc-cleaned "$data" "$src" 21000 "$threads" "$budget" \
    --residual-noise-weight 1 --speech-weights 'nist_mrt_fullband/*=1.22'
