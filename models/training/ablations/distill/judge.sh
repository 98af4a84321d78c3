#!/usr/bin/env bash
# Judge the distill experiment with rule.md (written before any result): K1/K2 are ../unseen-judge.sh's
# U1/U2, kd - rn-off's `off`, paired per item; the Tux Paint el + es clips are a report.
#   bash models/training/ablations/distill/judge.sh   (once runs/kd-dfn3 or kd/ here is at step 21000)
# Writes kd/{log.jsonl,final-*.json} here, benchmarks/results/distill{,-eles}.{md,json}, distill-dnsmos.*,
# passthrough-distill*.
set -euo pipefail
here=models/training/ablations/distill
ctl=models/training/ablations/rn-off/off
R=benchmarks/results
py=.venv/bin/python
ckpt=runs/kd-dfn3/last.pt; [ -f "$ckpt" ] || ckpt="$here/kd/last.pt"
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = 21000 ] || { echo "$ckpt at step $s, the rule applies at 21000" >&2; exit 2; }
echo "K1 = U1, K2 = U2 (rule.md):"
bash models/training/ablations/unseen-judge.sh distill 19500 "$ctl" runs/rnoff-off/last.pt "$here/kd" "$ckpt"
eles=../data-tuxpaint-eles
if [ -d "$eles/speech/val" ] && [ -s "$ctl/final-eles.json" ]; then
    [ -s "$here/kd/final-eles.json" ] || $py -m hance_plugin.training validate "$ckpt" --data-dir "$eles" --val-items 400 \
        --pesq-items 400 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/kd/final-eles.json"
    [ -s $R/distill-eles.json ] || $py benchmarks/training_ablation.py --name distill-eles --from-step 19500 \
        --run "control=$ctl" --run "kd=$here/kd" \
        --final "tuxpaint el+es/control=$ctl/final-eles.json" --final "tuxpaint el+es/kd=$here/kd/final-eles.json" > /dev/null
    $py - <<'PY'
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

for k in ("pesq_wb", "si_sdr"):
    m, ci, n = paired_delta("benchmarks/results/distill-eles.json", "tuxpaint el+es", "kd", k)
    print(f"report: tuxpaint el+es {k:8s} kd - control {m:+.4f} +- {ci:.4f} (n={n})")
PY
else
    echo "report: no $eles or no control scores on it (wide-voice/build_data.sh, wide-voice/judge.sh make them)"
fi
