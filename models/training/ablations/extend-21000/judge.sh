#!/usr/bin/env bash
# Judge the extended base network with rule.md (written before any result of the run). Usage, from the
# repository root, once runs/extend-base (or base/ here) is at 21000; the twin's report lines need
# runs/extend-twin (or twin/ here) at 21000 as well and are skipped until then:
#   bash models/training/ablations/extend-21000/judge.sh
# Writes base/final-plain.json, benchmarks/results/extend-21000.{md,json} (plain val, paired against the
# shipped hance-base), passthrough-extend-21000.*, extend-21000-dnsmos.*; with the twin also
# twin/final-plain.json and extend-21000-pair.* (report only); prints S1-S3 and the verdict.
# Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/extend-21000
R=benchmarks/results
py=.venv/bin/python
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
ckpt_of() { if [ -f "runs/extend-$1/last.pt" ]; then echo "runs/extend-$1/last.pt"; else echo "$here/$1/last.pt"; fi; }
b=$(ckpt_of base)
[ "$(step_of "$b")" = 21000 ] || { echo "base at step $(step_of "$b"), the rule applies at 21000" >&2; exit 2; }
[ "$b" = "$here/base/last.pt" ] || bash "$here/run.sh" save base
val() { [ -s "$here/$1/final-plain.json" ] || $py -m hance_plugin.training validate "$here/$1/last.pt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/$1/final-plain.json"; }
val base
mkdir -p runs/m
[ -s runs/m/extend-base.onnx ] || $py -m hance_plugin.training export --checkpoint "$here/base/last.pt" \
    --name extend-base --out-dir runs/m > /dev/null
[ -s $R/extend-21000.json ] || $py benchmarks/training_ablation.py --name extend-21000 --from-step 18000 \
    --run "shipped=models/training/hance-base" --run "extended=$here/base" \
    --final "plain val/shipped=models/training/hance-base/val-plain-step18000.json" \
    --final "plain val/extended=$here/base/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
m=(--model hance-base --model runs/m/extend-base.onnx)
[ -s $R/passthrough-extend-21000.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-extend-21000 --no-progress > /dev/null
[ -s $R/extend-21000-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name extend-21000-dnsmos --no-progress > /dev/null
t=$(ckpt_of twin)
if [ -f "$t" ] && [ "$(step_of "$t")" = 21000 ]; then
    [ "$t" = "$here/twin/last.pt" ] || bash "$here/run.sh" save twin
    val twin
    [ -s $R/extend-21000-pair.json ] || $py benchmarks/training_ablation.py --name extend-21000-pair --from-step 18000 \
        --run "phase-aware=$here/base" --run "twin=$here/twin" \
        --final "plain val/phase-aware=$here/base/final-plain.json" \
        --final "plain val/twin=$here/twin/final-plain.json" \
        --final "twin vs shipped twin/shipped twin=models/training/hance-twin/val-plain-step18000.json" \
        --final "twin vs shipped twin/twin=$here/twin/final-plain.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
else
    echo "twin not at 21000 yet: its report lines are skipped"
fi
$py - <<'PY'
"""rule.md: S1-S3 (extended base - shipped hance-base, paired); report only: the pair's lead."""
import sys
from pathlib import Path

sys.path.insert(0, "benchmarks")
from training_ablation import PASSTHROUGH_FORMS, dnsmos_delta, floor_release_criteria, paired_delta, passthrough_deltas

R = "benchmarks/results"
d = {}
for k in ("pesq_wb", "si_sdr"):
    d[k] = paired_delta(f"{R}/extend-21000.json", "plain val", "extended", k)
    m, ci, n = d[k]
    print(f"plain val {k:8s} extended - shipped {m:+.4f} +- {ci:.4f} (n={n})")
dn = dnsmos_delta(f"{R}/extend-21000-dnsmos.json", "extend-base", "hance-base")
pt = passthrough_deltas(f"{R}/passthrough-extend-21000.json", "extend-base", None)  # vs hance-base
print("DNSMOS extended - shipped:", {k: round(v, 3) for k, v in dn.items()})
print("pass-through SDR extended - shipped:", {form: round(pt[form, "release"], 2) for form in PASSTHROUGH_FORMS})
if Path(f"{R}/extend-21000-pair.json").exists():
    for k in ("pesq_wb", "si_sdr"):
        m, ci, n = paired_delta(f"{R}/extend-21000-pair.json", "plain val", "twin", k)
        print(f"report: plain val {k:8s} phase-aware - twin at 21000 {-m:+.4f} +- {ci:.4f} (n={n})")
        m, ci, n = paired_delta(f"{R}/extend-21000-pair.json", "twin vs shipped twin", "twin", k)
        print(f"report: plain val {k:8s} twin 21000 - shipped twin {m:+.4f} +- {ci:.4f} (n={n})")
s1, s2, s3 = floor_release_criteria(d, dn, pt)
print("verdict:", "the 21000 pair ships (ship.sh), then the test set once as a report" if s1 and s2 and s3
      else "not shipped")
PY
