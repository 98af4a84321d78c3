#!/usr/bin/env bash
# Judge runs/speech-only-pesq/last.pt (step 16500) with the rule of rule.md (written before training).
# Control: ../loss-pesq (same steps, flags and loss weights, p_speech_only 0.05).
# Usage, from the repository root: bash models/training/ablations/speech-only-pesq/judge.sh
# Needs runs/m/loss-pesq.onnx (bash models/training/ablations/loss-pesq/judge.sh exports it).
# Writes per-item JSON next to this script, tables to benchmarks/results/ (branch-report.sh: pass-through
# and DNSMOS, report-only), prints the verdict.
set -euo pipefail
here="models/training/ablations/speech-only-pesq"
run="runs/speech-only-pesq"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh speech-only-pesq "$here" "speech-only+loss+1500" "$lp" "loss+1500"
bash models/training/ablations/branch-report.sh "$run" speech-only-pesq loss-pesq
$py - <<'PY'
"""The rule of rule.md: paired per-item val deltas from the table written above (`branch_deltas`),
pass-through deltas from benchmarks/passthrough.py's "all" rows (`passthrough_deltas`: each model
minus hance-base paired per item; the control difference is the difference of the two paired means)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, passthrough_deltas, passthrough_release_rule

d = branch_deltas("benchmarks/results/speech-only-pesq.json", "speech-only+loss+1500 16500")
pt = passthrough_deltas("benchmarks/results/passthrough-speech-only-pesq.json", "speech-only-pesq", "loss-pesq")
c1 = (d["control", "plain", "pesq_wb"][0] >= -0.01 and d["control", "room", "pesq_wb"][0] >= -0.01
      and pt["single", "control"] >= 1.5)
c2 = passthrough_release_rule(d, pt)
print(f"criterion 1 (vs control: both PESQ-WB >= -0.01, single pass-through >= +1.5 dB): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: mean PESQ-WB >= -0.01, mean SI-SDR >= -0.3 dB, pass-through >= +1 dB x3): "
      f"{'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate" if c1 and c2 else ("speech-only is free with these weights" if c1 else "fails"))
PY
