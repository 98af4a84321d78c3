#!/usr/bin/env bash
# Judge runs/subband/last.pt (step 16500) with the rule of rule.md (written before training).
# Control: ../loss-pesq (same steps, flags, loss weights and data order, no refinement).
# Usage, from the repository root: bash models/training/ablations/subband/judge.sh
# Needs runs/m/loss-pesq.onnx (bash models/training/ablations/loss-pesq/judge.sh exports it).
# Writes per-item JSON next to this script, tables to benchmarks/results/ (subband.md; report-only:
# passthrough-subband, subband-dnsmos, speed-subband), prints the verdict.
set -euo pipefail
here="models/training/ablations/subband"
run="runs/subband"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh subband "$here" "subband+loss+1500" "$lp" "loss+1500"
$py - <<'PY'
"""The rule of rule.md from the table written above (paired per-item deltas, `branch_deltas`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, control_gain_rule, release_rule

d = branch_deltas("benchmarks/results/subband.json", "subband+loss+1500 16500")
c1 = control_gain_rule(d, plain_pesq_min=0.010, plain_si_sdr_min=-0.1, room_pesq_min=0)
c2 = release_rule(d, pesq_min=0.005, mean_si_sdr_min=-0.1)
print(f"criterion 1 (vs control: plain PESQ-WB >= +0.010 with CI above 0, plain SI-SDR >= -0.1 dB, rooms PESQ-WB >= 0): "
      f"{'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: both PESQ-WB >= +0.005, mean SI-SDR >= -0.1 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate" if c1 and c2 else ("the refinement helps at equal steps" if c1 else "fails"))
PY
# report-only: export, pass-through (release, control, branch), DNSMOS against the release, graph cost
bash models/training/ablations/branch-report.sh "$run" subband loss-pesq
[ -s benchmarks/results/speed-subband.json ] || $py benchmarks/speed.py \
    --systems hance-base,runs/m/loss-pesq.onnx,runs/m/subband.onnx --seconds 10 --repeats 11 \
    --baseline 'hance-base stream-480' --name speed-subband
