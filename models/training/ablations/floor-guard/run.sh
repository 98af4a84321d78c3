#!/usr/bin/env bash
# floor-guard (rule.md): the snr-guard bound inside the network behind a learned gate, grown onto hance-base
# (step 19500; `grow --floor-guard`, gate 0.5 at the start), then 1500 steps (19500 -> 21000) of the shipped
# stage without the residual-noise term on ../data-voices5, as ../rn-off/off (the control). Resumable:
#   bash models/training/ablations/floor-guard/run.sh g15|g25|o15|o25 [THREADS] [MAX_MINUTES]
# (round 2, o15 and o25: the same with `--train-only guard_head`, every other weight frozen at hance-base's)
# A run lives in runs/fg-<arm>/ (ignored by git); `save ARM` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/floor-guard
py=.venv/bin/python
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/fg-$2/last.pt" "runs/fg-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    g15) margin=15; flags=() ;;
    g25) margin=25; flags=() ;;
    o15) margin=15; flags=(--train-only guard_head) ;;
    o25) margin=25; flags=(--train-only guard_head) ;;
    *) echo "arm must be g15, g25, o15 or o25, got '$arm'" >&2; exit 2 ;;
esac
src="$here/$arm"
if [ ! -f "$src/last.pt" ]; then  # grow hance-base once into runs/fg-<arm>-grown
    src="runs/fg-$arm-grown"
    if [ ! -f "$src/last.pt" ]; then
        $py -m hance_plugin.training grow models/training/hance-base/last.pt --out "$src/last.pt" --floor-guard \
            --guard-margin-db "$margin" --guard-scale 20 --guard-gate0 0.5 > /dev/null
        cp models/training/hance-base/log.jsonl "$src/"
    fi
fi
bash models/training/ablations/branch-stage.sh "runs/fg-$arm" ../data-voices5 "$src" 21000 "$threads" "$budget" "${flags[@]}"
