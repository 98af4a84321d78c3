#!/usr/bin/env bash
# Judge the more-voices experiment with rule.md (written before any result): U1 and U2 of
# ../unseen-judge.sh, the arm - rn-off's `off` (the same stage on ../data-voices5), paired per item.
#   bash models/training/ablations/more-voices/judge.sh it|three
# once runs/mv-<arm> (or <arm>/ here) is at step 21000. Writes <arm>/log.jsonl and final-*.json here and
# benchmarks/results/more-voices-<arm>{,-dnsmos}.* and passthrough-more-voices-<arm>{,-ru,-tpru}.*.
set -euo pipefail
here=models/training/ablations/more-voices
arm="${1:-}"
case "$arm" in it|three) ;; *) echo "ARM must be it or three" >&2; exit 2 ;; esac
py=.venv/bin/python
ckpt="runs/mv-$arm/last.pt"; [ -f "$ckpt" ] || ckpt="$here/$arm/last.pt"
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = 21000 ] || { echo "$ckpt at step $s, the rule applies at 21000" >&2; exit 2; }
bash models/training/ablations/unseen-judge.sh "more-voices-$arm" 19500 models/training/ablations/rn-off/off \
    runs/rnoff-off/last.pt "$here/$arm" "$ckpt"
