#!/usr/bin/env bash
# more-voices (rule.md): 1500 steps (19500 -> 21000) of the shipped stage without the residual-noise
# term, from hance-base, with one (`it`) or three (`three`) more telephone-band studio voices
# (build_data.sh) and the NIST talkers' share of the speech draws held at the control's (rn-off `off`,
# the same stage on ../data-voices5). Resumable:
#   bash models/training/ablations/more-voices/run.sh it|three [THREADS] [MAX_MINUTES]
# A run lives in runs/mv-<arm>/ (ignored by git); `save ARM` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/more-voices
if [ "${1:-}" = save ]; then
    mkdir -p "$here/$2"; cp "runs/mv-$2/last.pt" "runs/mv-$2/log.jsonl" "$here/$2/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    it) data=../data-more-it ;;
    three) data=../data-more-three ;;
    *) echo "arm must be it or three, got '$arm'" >&2; exit 2 ;;
esac
[ -d "$data/speech/train" ] || { echo "no $data: run $here/build_data.sh first (see rule.md)" >&2; exit 2; }
# The NIST talkers' weight that keeps their share of the speech seconds at ../data-voices5's.
w=$(.venv/bin/python models/training/ablations/nist_weight.py "$data")
src=models/training/hance-base
[ -f "$here/$arm/last.pt" ] && src="$here/$arm"
bash models/training/ablations/branch-stage.sh "runs/mv-$arm" "$data" "$src" 21000 "$threads" "$budget" \
    --speech-weights "nist_mrt_fullband/*=$w"
