#!/usr/bin/env bash
# rn-off (rule.md): the shipped stage's recipe (../voices/run.sh voices5-rn) without the residual-noise term, 1500 steps
# (19500 -> 21000) from hance-base. Resumable:
#   bash models/training/ablations/rn-off/run.sh off|rn03 [THREADS] [MAX_MINUTES]   (rn03: the term at 0.3, rule.md's second arm)
# A run lives in runs/rnoff-<arm>/ (ignored by git); `save` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes:  bash models/training/ablations/rn-off/run.sh save off
set -euo pipefail
here=models/training/ablations/rn-off
py=.venv/bin/python
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
if [ "${1:-}" = save ]; then
    arm="$2"; mkdir -p "$here/$arm"; cp "runs/rnoff-$arm/last.pt" "runs/rnoff-$arm/log.jsonl" "$here/$arm/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    off) extra=() ;;
    rn03) extra=(--residual-noise-weight 0.3) ;;  # rule.md, second arm
    *) echo "arm must be off or rn03, got '$arm'" >&2; exit 2 ;;
esac
data=../data-voices5
[ -d "$data/speech/train" ] || { echo "no $data: run models/training/ablations/voices/build_data.sh ../data-voices5 /tmp/unused-ru 300 first" >&2; exit 2; }
out="runs/rnoff-$arm"
if [ ! -f "$out/last.pt" ]; then
    mkdir -p "$out"
    if [ -f "$here/$arm/last.pt" ]; then src="$here/$arm"; else src="models/training/hance-base"; fi
    cp "$src/last.pt" "$src/log.jsonl" "$out/"
    s=$(step_of "$out/last.pt"); [ "$s" -ge 19500 ] || { echo "$src/last.pt at step $s, expected >= 19500" >&2; exit 2; }
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
$py -m hance_plugin.training train --data-dir "$data" --out "$out" --variant phase_aware --noise-floor \
    --threads "$threads" --workers 1 --resume --max-minutes "$budget" --steps 21000 --segment-seconds 6 --batch-size 4 \
    --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$mix" "${extra[@]}" > /dev/null
echo "$arm: step $(step_of "$out/last.pt")"
