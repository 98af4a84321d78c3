#!/usr/bin/env bash
# Judge the regularise experiment with rule.md (written before any result): U1 and U2 of
# ../unseen-judge.sh, the arm - rn-off's `off` (the same stage on ../data-voices5), paired per item.
#   bash models/training/ablations/regularise/judge.sh drop|fnoise
# once runs/reg-<arm> (or <arm>/ here) is at step 21000. Writes <arm>/log.jsonl and final-*.json here and
# benchmarks/results/regularise-<arm>{,-dnsmos}.* and passthrough-regularise-<arm>{,-ru,-tpru}.*.
set -euo pipefail
here=models/training/ablations/regularise
arm="${1:-}"
case "$arm" in drop|fnoise) ;; *) echo "ARM must be drop or fnoise" >&2; exit 2 ;; esac
py=.venv/bin/python
ckpt="runs/reg-$arm/last.pt"; [ -f "$ckpt" ] || ckpt="$here/$arm/last.pt"
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = 21000 ] || { echo "$ckpt at step $s, the rule applies at 21000" >&2; exit 2; }
bash models/training/ablations/unseen-judge.sh "regularise-$arm" 19500 models/training/ablations/rn-off/off \
    runs/rnoff-off/last.pt "$here/$arm" "$ckpt"
