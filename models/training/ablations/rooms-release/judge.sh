#!/usr/bin/env bash
# Judge runs/NAME/last.pt (step 16500) with the rule of rooms-release/rule.md (written before training);
# NAME defaults to rooms-release (also judges ../rooms-added, whose rule.md takes the same criteria).
# Usage, from the repository root: bash models/training/ablations/rooms-release/judge.sh [NAME]
# Writes per-item JSON to models/training/ablations/NAME/, tables to benchmarks/results/NAME.md and
# passthrough-NAME.md, prints the verdict.
set -euo pipefail
name="${1:-rooms-release}"
here="models/training/ablations/$name"
run="runs/$name"
label="$name"; [ "$name" = rooms-release ] && label=rooms  # the label rooms-release's table was written with
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500 3
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh "$name" "$here" "$label+loss+1500" "$lp" "loss+1500" > /dev/null
# pass-through against the release only (the control's checkpoint is not kept; its own table is
# benchmarks/results/passthrough-loss-pesq.md); no DNSMOS (report-only elsewhere, left out here)
mkdir -p runs/m
[ -s "runs/m/$name.onnx" ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
    --name "$name" --out-dir runs/m > /dev/null
[ -s "benchmarks/results/passthrough-$name.json" ] || $py benchmarks/passthrough.py --model hance-base \
    --model "runs/m/$name.onnx" --split val --name "passthrough-$name" --no-progress > /dev/null
NAME="$name" LABEL="$label" $py - <<'PY'
"""The rule of rule.md (`branch_deltas`, `passthrough_deltas`)."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, passthrough_deltas

name = os.environ["NAME"]
label = os.environ["LABEL"]
d = branch_deltas(f"benchmarks/results/{name}.json", f"{label}+loss+1500 16500")
pt = passthrough_deltas(f"benchmarks/results/passthrough-{name}.json", name, None)
c1 = (d["control", "plain", "pesq_wb"][0] >= -0.005 and d["control", "room", "pesq_wb"][0] >= -0.010
      and (d["control", "plain", "si_sdr"][0] + d["control", "room", "si_sdr"][0]) / 2 >= -0.1)
c2 = all(pt[form, "release"] >= -0.5 for form in ("single", "running", "reverberant"))
print(f"criterion 1 (vs control: plain PESQ-WB >= -0.005, rooms >= -0.010, mean SI-SDR >= -0.1 dB): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (pass-through vs release >= -0.5 dB in each form): {'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate (twin next)" if c1 and c2 else "fails")
PY
