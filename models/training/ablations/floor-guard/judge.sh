#!/usr/bin/env bash
# Judge the floor-guard experiment with rule.md (written before any result): U1 and U2 of ../unseen-judge.sh,
# the arm - control (round 1: rn-off's `off`, the same stage on ../data-voices5 without the guard), paired per item, and B:
# DNSMOS BAK (60 plain val mixtures) >= -0.05.
#   bash models/training/ablations/floor-guard/judge.sh g15|g25|o15|o25
# Round 2's arms (o15, o25: only the gate trained) are judged against hance-base itself (rule.md), scored
# into base/ here and exported as hance-base.
# once runs/fg-<arm> (or <arm>/ here) is at step 21000. Writes <arm>/log.jsonl and final-*.json here and
# benchmarks/results/floor-guard-<arm>{,-dnsmos}.* and passthrough-floor-guard-<arm>{,-ru,-tpru}.*.
set -euo pipefail
here=models/training/ablations/floor-guard
arm="${1:-}"
case "$arm" in
    g15|g25) ctl=models/training/ablations/rn-off/off; ctl_ckpt=runs/rnoff-off/last.pt; ctl_model=rnoff-off ;;
    o15|o25) ctl=$here/base; ctl_ckpt=models/training/hance-base/last.pt; ctl_model=hance-base ;;
    *) echo "ARM must be g15, g25, o15 or o25" >&2; exit 2 ;;
esac
ckpt=$(bash models/training/ablations/final-checkpoint.sh "runs/fg-$arm/last.pt" "$here/$arm/last.pt" 21000)
bash models/training/ablations/unseen-judge.sh "floor-guard-$arm" 19500 "$ctl" "$ctl_ckpt" "$here/$arm" "$ckpt" \
    | tee "runs/floor-guard-$arm.verdict"
.venv/bin/python - "$arm" "$(basename "$(dirname "$ckpt")")" "$ctl_model" <<'PY'
"""B: DNSMOS BAK, arm - control (rn-off's `off` or hance-base), on the judge's 60 plain val mixtures."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta

arm, model, control = sys.argv[1:4]
d = dnsmos_delta(f"benchmarks/results/floor-guard-{arm}-dnsmos.json", model, control)
print(f"{arm}: B {'holds' if d['bak'] >= -0.05 else 'fails'} (DNSMOS BAK {d['bak']:+.3f} >= -0.05)")
PY
