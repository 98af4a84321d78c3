#!/usr/bin/env bash
# unheard-noise (rule.md): 1500 steps (19500 -> 21000) of the shipped stage without the residual-noise
# term, from hance-base, on ../data-voices5-games (build_data.sh). Resumable:
#   bash models/training/ablations/unheard-noise/run.sh games [THREADS] [MAX_MINUTES]
# The run lives in runs/un-<arm>/ (ignored by git); `save ARM` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/unheard-noise
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/un-$2/last.pt" "runs/un-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    games) data=../data-voices5-games ;;
    *) echo "arm must be games, got '$arm'" >&2; exit 2 ;;
esac
src=models/training/hance-base
[ -f "$here/$arm/last.pt" ] && src="$here/$arm"
bash models/training/ablations/branch-stage.sh "runs/un-$arm" "$data" "$src" 21000 "$threads" "$budget"
