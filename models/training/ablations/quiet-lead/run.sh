#!/usr/bin/env bash
# quiet-lead (rule.md): 1500 steps of the shipped stage from hance-base with quiet lead-ins
# (p_quiet_lead=0.3). Resumable (runs/ql-lead/, ignored by git):
#   bash models/training/ablations/quiet-lead/run.sh [THREADS] [MAX_MINUTES]
set -euo pipefail
threads="${1:-2}"; budget="${2:-0}"
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"  # branch-stage.sh's own
bash models/training/ablations/branch-stage.sh runs/ql-lead ../data-voices5 models/training/hance-base 21000 "$threads" \
    "$budget" --residual-noise-weight 1 --mix "$mix,p_quiet_lead=0.3"
