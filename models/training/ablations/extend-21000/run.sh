#!/usr/bin/env bash
# Extend (rule.md): the shipped pair's last stage (../running-floor/run.sh's command) from step 18000
# to 21000, from the shipped checkpoints. Resumable across sessions:
#   bash models/training/ablations/extend-21000/run.sh base|twin [THREADS] [MAX_MINUTES]
# A run lives in runs/extend-<net>/ (ignored by git); `save` copies its last.pt and log.jsonl to <net>/
# here (committed between sessions), from where a fresh checkout resumes:
#   bash models/training/ablations/extend-21000/run.sh save base|twin
set -euo pipefail
here=models/training/ablations/extend-21000
py=.venv/bin/python
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
if [ "${1:-}" = save ]; then
    net="$2"; mkdir -p "$here/$net"; cp "runs/extend-$net/last.pt" "runs/extend-$net/log.jsonl" "$here/$net/"; exit 0
fi
net="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$net" in
    base) variant=phase_aware ;;
    twin) variant=magnitude_twin ;;  # the head (softplus or abs) comes from the checkpoint's model config
    *) echo "net must be base or twin, got '$net'" >&2; exit 2 ;;
esac
out="runs/extend-$net"
if [ ! -f "$out/last.pt" ]; then
    mkdir -p "$out"
    if [ -f "$here/$net/last.pt" ]; then src="$here/$net"; else src="models/training/hance-$net"; fi
    cp "$src/last.pt" "$src/log.jsonl" "$out/"
    s=$(step_of "$out/last.pt"); [ "$s" -ge 18000 ] || { echo "$src/last.pt at step $s, expected >= 18000" >&2; exit 2; }
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
$py -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant "$variant" --noise-floor \
    --threads "$threads" --workers 1 --resume --max-minutes "$budget" --steps 21000 --segment-seconds 6 --batch-size 4 \
    --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$mix" > /dev/null
echo "$net: step $(step_of "$out/last.pt")"
