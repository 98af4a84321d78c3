#!/usr/bin/env bash
# Judge runs/subband-10/last.pt (step 16500) with the rule of rule.md (written before training):
# criteria 1 and 2 of ../subband/rule.md. Control: ../loss-pesq; report-only: against ../subband.
# Usage, from the repository root: bash models/training/ablations/subband-10/judge.sh
# Needs runs/m/loss-pesq.onnx (bash models/training/ablations/loss-pesq/judge.sh exports it).
# Writes per-item JSON next to this script, tables to benchmarks/results/ (subband-10.md; report-only:
# subband-10-vs-subband.md, passthrough-subband-10, subband-10-dnsmos), prints the verdict.
set -euo pipefail
here="models/training/ablations/subband-10"
run="runs/subband-10"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh subband-10 "$here" "subband-10+loss+1500" "$lp" "loss+1500"
sb=models/training/ablations/subband
bash models/training/ablations/branch-table.sh subband-10-vs-subband "$here" "subband-10+loss+1500" "$sb" \
    "subband+loss+1500" "first arm"
$py - <<'PY'
"""The rule of rule.md from the tables written above (paired per-item deltas, `branch_deltas`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, control_gain_rule, release_rule

d = branch_deltas("benchmarks/results/subband-10.json", "subband-10+loss+1500 16500")
c1 = control_gain_rule(d, plain_pesq_min=0.010, plain_si_sdr_min=-0.1, room_pesq_min=0)
c2 = release_rule(d, pesq_min=0.005, mean_si_sdr_min=-0.1)
print("report-only, against the first arm (scale 1):")
branch_deltas("benchmarks/results/subband-10-vs-subband.json", "subband-10+loss+1500 16500")
print(f"criterion 1 (vs control: plain PESQ-WB >= +0.010 with CI above 0, plain SI-SDR >= -0.1 dB, rooms PESQ-WB >= 0): "
      f"{'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: both PESQ-WB >= +0.005, mean SI-SDR >= -0.1 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate" if c1 and c2 else ("the refinement helps at equal steps" if c1 else "fails"))
PY
# report-only: export, pass-through (release, control, branch), DNSMOS against the release
bash models/training/ablations/branch-report.sh "$run" subband-10 loss-pesq
