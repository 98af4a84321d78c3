#!/usr/bin/env bash
# regularise (rule.md): 1500 steps (19500 -> 21000) of the shipped stage without the residual-noise term,
# from hance-base on ../data-voices5, with training-only dropout (`drop`, 0.2) or feature noise (`fnoise`,
# 0.3). Resumable:
#   bash models/training/ablations/regularise/run.sh drop|fnoise [THREADS] [MAX_MINUTES]
# A run lives in runs/reg-<arm>/ (ignored by git); `save ARM` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/regularise
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/reg-$2/last.pt" "runs/reg-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    drop) flags=(--dropout 0.2) ;;
    fnoise) flags=(--feature-noise 0.3) ;;
    *) echo "arm must be drop or fnoise, got '$arm'" >&2; exit 2 ;;
esac
src=models/training/hance-base
[ -f "$here/$arm/last.pt" ] && src="$here/$arm"
bash models/training/ablations/branch-stage.sh "runs/reg-$arm" ../data-voices5 "$src" 21000 "$threads" "$budget" "${flags[@]}"
