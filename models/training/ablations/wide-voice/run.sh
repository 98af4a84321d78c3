#!/usr/bin/env bash
# wide-voice (rule.md): 1500 steps (19500 -> 21000) of the shipped stage without the residual-noise term,
# from hance-base, with 5 min of one more wideband studio talker (festvox-ru; build_data.sh) and the NIST
# talkers' share of the speech draws held at ../data-voices5's. Resumable:
#   bash models/training/ablations/wide-voice/run.sh [THREADS] [MAX_MINUTES]
# The run lives in runs/wv-ru/ (ignored by git); `save` copies its last.pt and log.jsonl to ru/ here,
# from where a fresh checkout resumes.
set -euo pipefail
here=models/training/ablations/wide-voice
if [ "${1:-}" = save ]; then mkdir -p "$here/ru"; cp runs/wv-ru/last.pt runs/wv-ru/log.jsonl "$here/ru/"; exit 0; fi
threads="${1:-2}"; budget="${2:-0}"
data=../data-wide-ru
[ -d "$data/speech/train/festvox_ru" ] || { echo "no $data: run $here/build_data.sh first" >&2; exit 2; }
w=$(.venv/bin/python models/training/ablations/nist_weight.py "$data")
src=models/training/hance-base
[ -f "$here/ru/last.pt" ] && src="$here/ru"
bash models/training/ablations/branch-stage.sh runs/wv-ru "$data" "$src" 21000 "$threads" "$budget" \
    --speech-weights "nist_mrt_fullband/*=$w"
