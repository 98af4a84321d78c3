#!/usr/bin/env bash
# floor-reliance round 4 (rule.md): 1500 steps (19500 -> 21000) of the shipped stage, with its
# residual-noise term, from hance-base on ../data-voices5; `est-ft` feeds the network the frozen
# estimator's floor (with_estimator.py), `ctl` the tracked one; round 7's `spp-ft` the SPP noise
# estimate (with_spp.py). Resumable:
#   bash models/training/ablations/floor-reliance/run.sh est-ft|spp-ft|ctl [THREADS] [MAX_MINUTES]
#   bash models/training/ablations/floor-reliance/run.sh keep Q   # runs/fr-est-qQ/last.pt -> estimator-qQ.pt (weights only)
# Runs live in runs/fr-<arm>/ (ignored by git). est-ft reads estimator-q10.pt here, round 3's choice (rule.md).
set -euo pipefail
here=models/training/ablations/floor-reliance
py=.venv/bin/python
if [ "${1:-}" = keep ]; then
    src="runs/fr-est-q$2/last.pt"; [ "$2" = 50 ] && src=runs/fr-est/last.pt
    $py -c "import torch,sys; c=torch.load(sys.argv[1], map_location='cpu', weights_only=False); torch.save({k: c[k] for k in ('model','config','args','step')}, sys.argv[2])" "$src" "$here/estimator-q$2.pt"
    exit 0
fi
arm="${1:-}"; threads="${2:-1}"; budget="${3:-0}"
case "$arm" in
    est-ft) [ -f "$here/estimator-q10.pt" ] || { echo "no $here/estimator-q10.pt: run.sh keep 10 first" >&2; exit 2; }
            export FR_ESTIMATOR="$here/estimator-q10.pt" TRAIN_PY="$py $here/with_estimator.py" ;;
    spp-ft) export TRAIN_PY="$py $here/with_spp.py" ;;  # round 7: the SPP floor (with_spp.py)
    ctl) ;;
    *) echo "arm must be est-ft, spp-ft or ctl, got '$arm'" >&2; exit 2 ;;
esac
bash models/training/ablations/branch-stage.sh "runs/fr-$arm" ../data-voices5 models/training/hance-base 21000 \
    "$threads" "$budget" --residual-noise-weight 1
