#!/usr/bin/env bash
# Judge runs/rooms-release/last.pt (step 16500) with the rule of rule.md (written before training).
# Usage, from the repository root: bash models/training/ablations/rooms-release/judge.sh
# Writes per-item JSON next to this script, tables to benchmarks/results/rooms-release.md and
# passthrough-rooms-release.md, prints the verdict.
set -euo pipefail
here="models/training/ablations/rooms-release"
run="runs/rooms-release"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500 3
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh rooms-release "$here" "rooms+loss+1500" "$lp" "loss+1500" > /dev/null
# pass-through against the release only (the control's checkpoint is not kept; its own table is
# benchmarks/results/passthrough-loss-pesq.md); no DNSMOS (report-only elsewhere, left out here)
mkdir -p runs/m
[ -s runs/m/rooms-release.onnx ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
    --name rooms-release --out-dir runs/m > /dev/null
[ -s benchmarks/results/passthrough-rooms-release.json ] || $py benchmarks/passthrough.py --model hance-base \
    --model runs/m/rooms-release.onnx --split val --name passthrough-rooms-release --no-progress > /dev/null
$py - <<'PY'
"""The rule of rule.md (`branch_deltas`, `passthrough_deltas`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, passthrough_deltas

d = branch_deltas("benchmarks/results/rooms-release.json", "rooms+loss+1500 16500")
pt = passthrough_deltas("benchmarks/results/passthrough-rooms-release.json", "rooms-release", None)
c1 = (d["control", "plain", "pesq_wb"][0] >= -0.005 and d["control", "room", "pesq_wb"][0] >= -0.010
      and (d["control", "plain", "si_sdr"][0] + d["control", "room", "si_sdr"][0]) / 2 >= -0.1)
c2 = all(pt[form, "release"] >= -0.5 for form in ("single", "running", "reverberant"))
print(f"criterion 1 (vs control: plain PESQ-WB >= -0.005, rooms >= -0.010, mean SI-SDR >= -0.1 dB): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (pass-through vs release >= -0.5 dB in each form): {'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate (twin next)" if c1 and c2 else "fails")
PY
