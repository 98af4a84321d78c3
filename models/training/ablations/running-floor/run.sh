#!/usr/bin/env bash
# The running-floor stage (rule.md): the floor release's last stage (16500-18000) again, from the
# floor base's step-16500 checkpoint (start.pt), with running speech (p_running_speech=0.5) in
# 6 s segments (batch 4: the same 24 s of audio per step). Resumable:
#   bash models/training/ablations/running-floor/run.sh base|twin|abs-twin [THREADS] [MAX_MINUTES]
# base starts from start.pt; twin (rule.md: trained the same way once base passed) first runs
# ../floor-release/run.sh twin to step 16500, then this stage with --variant magnitude_twin.
# abs-twin (../abs-twin-full/rule.md) is trained as twin is, with --twin-mask abs in every stage.
# A run lives in runs/running-floor-<net>/ (ignored by git); `save` copies its last.pt and
# log.jsonl to <net>/ here (committed; for twin before 16500: the floor release's twin folder):
#   bash models/training/ablations/running-floor/run.sh save base|twin
set -euo pipefail
here=models/training/ablations/running-floor
py=.venv/bin/python
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
if [ "${1:-}" = save ]; then
    net="$2"; out="runs/running-floor-$net"
    if [ "$net" = twin ] && [ ! -f "$out/last.pt" ]; then
        bash models/training/ablations/floor-release/run.sh save twin; exit 0
    fi
    mkdir -p "$here/$net"; cp "$out/last.pt" "$out/log.jsonl" "$here/$net/"; exit 0
fi
net="${1:-}"; threads="${2:-2}"; budget="${3:-0}"
case "$net" in
    base) variant=phase_aware; head=() ;;
    twin) variant=magnitude_twin; head=() ;;
    abs-twin) variant=magnitude_twin; head=(--twin-mask abs) ;;
    *) echo "net must be base, twin or abs-twin, got '$net'" >&2; exit 2 ;;
esac
out="runs/running-floor-$net"
start=$(date +%s)
if [ ! -f "$out/last.pt" ] && [ -f "$here/$net/last.pt" ]; then
    mkdir -p "$out"; cp "$here/$net/last.pt" "$here/$net/log.jsonl" "$out/"
fi
if [ ! -f "$out/last.pt" ]; then
    if [ "$net" = base ]; then
        mkdir -p "$out"; cp "$here/start.pt" "$out/last.pt"; cp models/training/ablations/floor-release/base/log.jsonl "$out/"
    else
        STOP_AT=16500 bash models/training/ablations/floor-release/run.sh "$net" "$threads" "$budget"
        fr="runs/floor-release-$net"
        step=$(step_of "$fr/last.pt")
        if [ "$step" -lt 16500 ]; then echo "$net at step $step (floor-release stages); run again to go on"; exit 0; fi
        mkdir -p "$out"; cp "$fr/last.pt" "$fr/log.jsonl" "$out/"
    fi
fi
if [ "$budget" != 0 ]; then
    budget=$(( budget - ($(date +%s) - start) / 60 ))
    if [ "$budget" -lt 3 ]; then echo "budget spent before the running-floor stage"; exit 0; fi
fi
mix="p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
mix="$mix,p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5"
$py -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant "$variant" "${head[@]}" --noise-floor \
    --threads "$threads" --workers 1 --resume --max-minutes "$budget" --steps 18000 --segment-seconds 6 --batch-size 4 \
    --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$mix" > /dev/null
echo "step $(step_of "$out/last.pt")"
