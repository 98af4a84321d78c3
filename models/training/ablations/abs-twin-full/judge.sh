#!/usr/bin/env bash
# Judge the abs twin after the whole curriculum (rule.md; written before the results).
# Usage, from the repository root, once the run (runs/running-floor-abs-twin, or arm/ here) is at 18000:
#   bash models/training/ablations/abs-twin-full/judge.sh
# Writes arm/ here (last.pt, log.jsonl, final-plain.json), benchmarks/results/abs-twin-full.{md,json}
# (paired against the abs twin, training_ablation.py), abs-twin-full-gains.{md,json} (band_gains.py,
# report), passthrough-abs-twin-full.{md,json} (report), then prints L and T. Each output is made only
# where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/abs-twin-full
py=.venv/bin/python
R=benchmarks/results
base=models/training/hance-base
twin=models/training/hance-twin
ckpt=runs/running-floor-abs-twin/last.pt
[ -f "$ckpt" ] || ckpt="$here/arm/last.pt"
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = 18000 ] || { echo "abs twin at step $s, the rule judges at 18000" >&2; exit 2; }
[ "$ckpt" = "$here/arm/last.pt" ] || bash "$here/run.sh" save
[ -s "$here/arm/final-plain.json" ] || $py -m hance_plugin.training validate "$here/arm/last.pt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/arm/final-plain.json"
[ -s $R/abs-twin-full.json ] || $py benchmarks/training_ablation.py --name abs-twin-full --from-step 0 \
    --run "abs-twin=$here/arm" --run "hance-base=$base" --run "hance-twin=$twin" \
    --final "plain val/abs-twin=$here/arm/final-plain.json" \
    --final "plain val/hance-base=$base/val-plain-step18000.json" \
    --final "plain val/hance-twin=$twin/val-plain-step18000.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
[ -s $R/abs-twin-full-gains.json ] || $py benchmarks/band_gains.py --checkpoint "hance-base=$base/last.pt" \
    --checkpoint "hance-twin=$twin/last.pt" --checkpoint "abs-twin=$here/arm/last.pt" --threads 2 \
    --name abs-twin-full-gains > /dev/null
mkdir -p runs/m
[ -s runs/m/abs-twin-full.onnx ] || $py -m hance_plugin.training export --checkpoint "$here/arm/last.pt" \
    --name abs-twin-full --out-dir runs/m > /dev/null
[ -s $R/passthrough-abs-twin-full.json ] || $py benchmarks/passthrough.py --model hance-twin \
    --model runs/m/abs-twin-full.onnx --split val --name passthrough-abs-twin-full --no-progress > /dev/null
$py - <<'PY'
"""L and T of rule.md (the table's first run is the abs twin: each delta is <run> - abs twin)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import passthrough_deltas, paired_delta  # noqa: E402

R = "benchmarks/results"
lead, twin = {}, {}
for key in ("si_sdr", "pesq_wb"):
    m, ci, n = paired_delta(f"{R}/abs-twin-full.json", "plain val", "hance-base", key)
    lead[key] = (m, ci)
    print(f"L hance-base - abs twin {key}: {m:+.3f} +- {ci:.3f} ({n} items)")
    m, ci, n = paired_delta(f"{R}/abs-twin-full.json", "plain val", "hance-twin", key)
    twin[key] = (-m, ci)
    print(f"T abs twin - hance-twin {key}: {-m:+.3f} +- {ci:.3f} ({n} items)")
passthrough_deltas(f"{R}/passthrough-abs-twin-full.json", "abs-twin-full", None)  # report: abs twin - hance-twin
if lead["si_sdr"][0] <= 0.10 and lead["pesq_wb"][0] <= 0.010:
    verdict = "closes"
elif all(m - ci > 0 for m, ci in lead.values()):
    verdict = "survives"
else:
    verdict = "partial"
print(f"L (closes: SI-SDR <= +0.10 dB and PESQ-WB <= +0.010; survives: both lower bounds > 0): {verdict}")
t = all(m >= 0 for m, _ in twin.values())
print(f"T (abs twin - hance-twin >= 0 in both means): {'holds: the abs twin replaces hance-twin' if t else 'fails: hance-twin stays'}")
PY
