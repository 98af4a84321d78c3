#!/usr/bin/env bash
# Judge runs/deep-filter/last.pt (step 16500) with the rule of rule.md (written before training):
# criteria 1 and 2 of ../subband/rule.md. Control: ../loss-pesq. No export, pass-through or DNSMOS:
# the engine cannot run a deep filter yet (export refuses it).
# Usage, from the repository root: bash models/training/ablations/deep-filter/judge.sh
# Writes per-item JSON next to this script, the table to benchmarks/results/deep-filter.md, prints the verdict.
set -euo pipefail
here="models/training/ablations/deep-filter"
run="runs/deep-filter"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500 3
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh deep-filter "$here" "deep-filter+loss+1500" "$lp" "loss+1500"
$py - <<'PY'
"""The rule of rule.md from the table written above (paired per-item deltas, `branch_deltas`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, control_gain_rule, release_rule

d = branch_deltas("benchmarks/results/deep-filter.json", "deep-filter+loss+1500 16500")
c1 = control_gain_rule(d, plain_pesq_min=0.010, plain_si_sdr_min=-0.1, room_pesq_min=0)
c2 = release_rule(d, pesq_min=0.005, mean_si_sdr_min=-0.1)
print(f"criterion 1 (vs control: plain PESQ-WB >= +0.010 with CI above 0, plain SI-SDR >= -0.1 dB, rooms PESQ-WB >= 0): "
      f"{'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: both PESQ-WB >= +0.005, mean SI-SDR >= -0.1 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "the filter pays at equal steps: worth building into the engine" if c1 else "fails")
PY
