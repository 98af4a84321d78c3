#!/usr/bin/env bash
# Judge the floor release's base network with the rule of rule.md (this script written before any
# step-18000 result). Usage, from the repository root, once runs/floor-release-base (or the saved
# checkpoint in base/) is at step 18000:
#   bash models/training/ablations/floor-release/judge.sh
# Writes base/final-plain.json, tables benchmarks/results/floor-release.md (val, paired against the
# shipped hance-base), passthrough-floor-release.md, floor-release-dnsmos.md; prints S1-S3 and the
# verdict. Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/floor-release
shipped=models/training/hance-base
R=benchmarks/results
py=.venv/bin/python
ckpt=runs/floor-release-base/last.pt
[ -f "$ckpt" ] || ckpt="$here/base/last.pt"
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
if [ "$step" != 18000 ]; then echo "base: checkpoint at step $step, the rule applies at 18000" >&2; exit 2; fi
mkdir -p "$here/base" runs/m
[ "$ckpt" = "$here/base/last.pt" ] || cp runs/floor-release-base/log.jsonl "$here/base/log.jsonl"
[ -s "$here/base/final-plain.json" ] || $py -m hance_plugin.training validate "$ckpt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false > "$here/base/final-plain.json"
[ -s runs/m/floor-release-base.onnx ] || $py -m hance_plugin.training export --checkpoint "$ckpt" \
    --name floor-release-base --out-dir runs/m > /dev/null
[ -s $R/floor-release.json ] || $py benchmarks/training_ablation.py --name floor-release --from-step 0 \
    --run "shipped=$shipped" --run "floor=$here/base" \
    --final "plain val/shipped=$shipped/val-plain-step18000.json" \
    --final "plain val/floor=$here/base/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
m=(--model hance-base --model runs/m/floor-release-base.onnx)
[ -s $R/passthrough-floor-release.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-floor-release --no-progress > /dev/null
[ -s $R/floor-release-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name floor-release-dnsmos --no-progress > /dev/null
$py - <<'PY'
"""rule.md: S1-S3 (floor base - shipped hance-base, paired)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, floor_release_criteria, paired_delta, passthrough_deltas

R = "benchmarks/results"
d = {}
for k in ("pesq_wb", "si_sdr"):
    d[k] = paired_delta(f"{R}/floor-release.json", "plain val", "floor", k)
    m, ci, n = d[k]
    print(f"plain val {k:8s} floor - shipped {m:+.4f} +- {ci:.4f} (n={n})")
dn = dnsmos_delta(f"{R}/floor-release-dnsmos.json", "floor-release-base", "hance-base")
pt = passthrough_deltas(f"{R}/passthrough-floor-release.json", "floor-release-base", None)  # vs hance-base
s1, s2, s3 = floor_release_criteria(d, dn, pt)
print("verdict:", "ship the floor pair once the twin is trained (then run the test set once)" if s1 and s2 and s3
      else "not shipped")
PY
