#!/usr/bin/env bash
# voices (rule.md): the shipped last stage's recipe for 1500 steps (18000 -> 19500) from the shipped
# hance-base, on the shared data (control) or with the new talkers (voices; build_data.sh first).
# Resumable across sessions:
#   bash models/training/ablations/voices/run.sh control|voices|voices5|voices5-rn|twin|twin5-rn [THREADS] [MAX_MINUTES]
# (twin: release.md, the shipped twin through the voices stage; only where that rule says so)
# A run lives in runs/voices-<arm>/ (ignored by git); `save` copies its last.pt and log.jsonl to <arm>/
# here, from where a fresh checkout resumes:  bash models/training/ablations/voices/run.sh save control|voices|voices5|voices5-rn|twin|twin5-rn
set -euo pipefail
here=models/training/ablations/voices
py=.venv/bin/python
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
if [ "${1:-}" = save ]; then
    arm="$2"; mkdir -p "$here/$arm"; cp "runs/voices-$arm/last.pt" "runs/voices-$arm/log.jsonl" "$here/$arm/"; exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"; extra=()
case "$arm" in
    control) data=../shared/data; net=base; variant=phase_aware ;;
    voices) data=../data-voices; net=base; variant=phase_aware ;;
    voices5) data=../data-voices5; net=base; variant=phase_aware ;;  # rule.md, second arm: 5 min per language
    voices5-rn) data=../data-voices5; net=base; variant=phase_aware; extra=(--residual-noise-weight 1) ;;  # third arm
    twin) data=../data-voices; net=twin; variant=magnitude_twin ;;  # release.md; the head (abs) comes from the checkpoint
    twin5-rn) data=../data-voices5; net=twin; variant=magnitude_twin; extra=(--residual-noise-weight 1) ;;  # voices5-rn's twin
    *) echo "arm must be control, voices, voices5, voices5-rn, twin or twin5-rn, got '$arm'" >&2; exit 2 ;;
esac
[ -d "$data/speech/train" ] || { echo "no $data: run $here/build_data.sh first" >&2; exit 2; }
out="runs/voices-$arm"
if [ ! -f "$out/last.pt" ]; then
    mkdir -p "$out"
    if [ -f "$here/$arm/last.pt" ]; then src="$here/$arm"; else src="models/training/hance-$net"; fi
    cp "$src/last.pt" "$src/log.jsonl" "$out/"
    s=$(step_of "$out/last.pt"); [ "$s" -ge 18000 ] || { echo "$src/last.pt at step $s, expected >= 18000" >&2; exit 2; }
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
$py -m hance_plugin.training train --data-dir "$data" --out "$out" --variant "$variant" --noise-floor \
    --threads "$threads" --workers 1 --resume --max-minutes "$budget" --steps 19500 --segment-seconds 6 --batch-size 4 \
    --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$mix" "${extra[@]}" > /dev/null
echo "$arm: step $(step_of "$out/last.pt")"
