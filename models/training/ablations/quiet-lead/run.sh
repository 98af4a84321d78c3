#!/usr/bin/env bash
# quiet-lead (rule.md): 1500 steps of the shipped stage from hance-base with quiet lead-ins
# (p_quiet_lead=0.3); round 1's arm `lead` has silence in the target during the lead-in, round 2's
# `keep` the lead-in itself (quiet_lead_target=lead). Resumable (runs/ql-<arm>/, ignored by git):
#   bash models/training/ablations/quiet-lead/run.sh [lead|keep] [THREADS] [MAX_MINUTES]
set -euo pipefail
arm="${1:-lead}"; threads="${2:-2}"; budget="${3:-0}"
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"  # branch-stage.sh's own
case "$arm" in
    lead) mix="$mix,p_quiet_lead=0.3" ;;
    keep) mix="$mix,p_quiet_lead=0.3,quiet_lead_target=lead" ;;
    *) echo "arm must be lead or keep, got '$arm'" >&2; exit 2 ;;
esac
bash models/training/ablations/branch-stage.sh "runs/ql-$arm" ../data-voices5 models/training/hance-base 21000 "$threads" \
    "$budget" --residual-noise-weight 1 --mix "$mix"
