#!/usr/bin/env bash
# The floor release (rule.md): the shipped models' curriculum from scratch, stage by stage, every
# stage with --noise-floor. Resumable across sessions:
#   bash models/training/ablations/floor-release/run.sh base|twin|abs-twin [THREADS] [MAX_MINUTES]
# runs the stage that holds the checkpoint's step, then the next ones, until step 18000 or until
# MAX_MINUTES (default 0 = no limit) of this call are spent (a clean stop with a checkpoint).
# The run lives in runs/floor-release-<net>/ (ignored by git). `save` copies its last.pt and
# log.jsonl to this folder (<net>/, committed between sessions); a fresh checkout starts from there:
#   bash models/training/ablations/floor-release/run.sh save base|twin
# STOP_AT=<step> (environment; default 18000) ends the run at that stage end instead (the
# running-floor twin takes the twin from here at 16500, ../running-floor/run.sh).
# abs-twin is the twin with --twin-mask abs (../abs-twin-full/rule.md); it has no folder here
# (../abs-twin-full/run.sh keeps its checkpoints).
set -euo pipefail
here=models/training/ablations/floor-release
py=.venv/bin/python
if [ "$1" = save ]; then
    net="$2"; mkdir -p "$here/$net"
    cp "runs/floor-release-$net/last.pt" "runs/floor-release-$net/log.jsonl" "$here/$net/"
    exit 0
fi
net="$1"; threads="${2:-2}"; budget="${3:-0}"
case "$net" in
    base) variant=phase_aware; head=() ;;
    twin) variant=magnitude_twin; head=() ;;
    abs-twin) variant=magnitude_twin; head=(--twin-mask abs) ;;
    *) echo "net must be base, twin or abs-twin, got $net" >&2; exit 2 ;;
esac
out="runs/floor-release-$net"
if [ ! -f "$out/last.pt" ] && [ -f "$here/$net/last.pt" ]; then
    mkdir -p "$out"; cp "$here/$net/last.pt" "$here/$net/log.jsonl" "$out/"
fi
step_of() { [ -f "$out/last.pt" ] && $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$out/last.pt" || echo 0; }
lp="p_noise_lowpass=0.3"; no="$lp,p_noise_only=0.15"; lv="$no,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
start=$(date +%s)
stop="${STOP_AT:-18000}"
while :; do
    step=$(step_of)
    if [ "$step" -ge "$stop" ]; then echo "stopped: step $step"; exit 0; fi
    left=0
    if [ "$budget" != 0 ]; then
        left=$(( budget - ($(date +%s) - start) / 60 ))
        if [ "$left" -lt 3 ]; then echo "budget spent at step $step"; exit 0; fi
    fi
    if   [ "$step" -lt 3000 ];  then stage=(--steps 3000 --warmup-steps 200)
    elif [ "$step" -lt 6000 ];  then stage=(--steps 6000)
    elif [ "$step" -lt 9000 ];  then stage=(--steps 9000)
    elif [ "$step" -lt 12000 ]; then stage=(--steps 12000 --over-suppression-weight 1 --mix "$lp")
    elif [ "$step" -lt 15000 ]; then stage=(--steps 15000 --over-suppression-weight 1 --mix "$no")
    elif [ "$step" -lt 16500 ]; then stage=(--steps 16500 --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 --mix "$lv")
    elif [ "$step" -lt 18000 ]; then stage=(--steps 18000 --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 \
                                            --mix "$lv,p_speech_floor=0.3,speech_floor_db_range=-45:-20")
    else echo "done: step $step"; exit 0; fi
    $py -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant "$variant" "${head[@]}" --noise-floor \
        --threads "$threads" --workers 1 --resume --max-minutes "$left" "${stage[@]}" > /dev/null
    if [ "$(step_of)" = "$step" ]; then echo "no progress at step $step" >&2; exit 1; fi
done
