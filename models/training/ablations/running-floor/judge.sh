#!/usr/bin/env bash
# Judge the running-floor base network with the rule of rule.md (written before any result of the
# stage). Usage, from the repository root, once runs/running-floor-base (or base/ here) is at 18000:
#   bash models/training/ablations/running-floor/judge.sh
# Writes base/final-plain.json, benchmarks/results/running-floor.{md,json} (plain val, paired against
# the shipped hance-base), running-floor-vs-floor.* (report only: against the floor release's base), passthrough-running-floor.*,
# running-floor-dnsmos.*, windows-running-floor.json here; prints S1-S3 and the verdict. Each output
# is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/running-floor
floor=models/training/ablations/floor-release/base
shipped=models/training/hance-base
R=benchmarks/results
py=.venv/bin/python
ckpt=runs/running-floor-base/last.pt
[ -f "$ckpt" ] || ckpt="$here/base/last.pt"
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
if [ "$step" != 18000 ]; then echo "base: checkpoint at step $step, the rule applies at 18000" >&2; exit 2; fi
mkdir -p "$here/base" runs/m
[ "$ckpt" = "$here/base/last.pt" ] || cp runs/running-floor-base/log.jsonl "$here/base/log.jsonl"
[ -s "$here/base/final-plain.json" ] || $py -m hance_plugin.training validate "$ckpt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/base/final-plain.json"
[ -s runs/m/running-floor-base.onnx ] || $py -m hance_plugin.training export --checkpoint "$ckpt" \
    --name running-floor-base --out-dir runs/m > /dev/null
[ -s runs/m/floor-release-base.onnx ] || $py -m hance_plugin.training export --checkpoint "$floor/last.pt" \
    --name floor-release-base --out-dir runs/m > /dev/null
[ -s $R/running-floor.json ] || $py benchmarks/training_ablation.py --name running-floor --from-step 0 \
    --run "shipped=$shipped" --run "running=$here/base" \
    --final "plain val/shipped=$shipped/val-plain-step18000.json" \
    --final "plain val/running=$here/base/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
[ -s $R/running-floor-vs-floor.json ] || $py benchmarks/training_ablation.py --name running-floor-vs-floor \
    --from-step 16500 --run "floor=$floor" --run "running=$here/base" \
    --final "plain val/floor=$floor/final-plain.json" \
    --final "plain val/running=$here/base/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
m=(--model hance-base --model runs/m/running-floor-base.onnx --model runs/m/floor-release-base.onnx)
[ -s $R/passthrough-running-floor.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-running-floor --no-progress > /dev/null
[ -s $R/running-floor-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name running-floor-dnsmos --no-progress > /dev/null
[ -s "$here/windows-running-floor.json" ] || $py "$here/windows.py" hance-base runs/m/running-floor-base.onnx \
    runs/m/floor-release-base.onnx --json "$here/windows-running-floor.json" 2> /dev/null
$py - <<'PY'
"""rule.md: S1-S3 (running-floor base - shipped hance-base, paired); report only: - floor release."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import PASSTHROUGH_FORMS, dnsmos_delta, floor_release_criteria, paired_delta, passthrough_deltas

R = "benchmarks/results"
d = {}
for k in ("pesq_wb", "si_sdr"):
    d[k] = paired_delta(f"{R}/running-floor.json", "plain val", "running", k)
    m, ci, n = d[k]
    print(f"plain val {k:8s} running - shipped {m:+.4f} +- {ci:.4f} (n={n})")
    m, ci, n = paired_delta(f"{R}/running-floor-vs-floor.json", "plain val", "running", k)
    print(f"plain val {k:8s} running - floor release (report only) {m:+.4f} +- {ci:.4f} (n={n})")
dn = dnsmos_delta(f"{R}/running-floor-dnsmos.json", "running-floor-base", "hance-base")
pt = passthrough_deltas(f"{R}/passthrough-running-floor.json", "running-floor-base", None)  # vs hance-base
print("DNSMOS running - shipped:", {k: round(v, 3) for k, v in dn.items()})
print("pass-through SDR running - shipped:", {form: round(pt[form, "release"], 2) for form in PASSTHROUGH_FORMS})
s1, s2, s3 = floor_release_criteria(d, dn, pt)
print("verdict:", "the floor recipe with this last stage goes on: train its twin (rule.md), then ship the pair"
      if s1 and s2 and s3 else "not shipped")
PY
