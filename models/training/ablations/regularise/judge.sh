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
ckpt=$(bash models/training/ablations/final-checkpoint.sh "runs/reg-$arm/last.pt" "$here/$arm/last.pt" 21000)
bash models/training/ablations/unseen-judge.sh "regularise-$arm" 19500 models/training/ablations/rn-off/off \
    runs/rnoff-off/last.pt "$here/$arm" "$ckpt"
