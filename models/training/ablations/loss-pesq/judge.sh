#!/usr/bin/env bash
# Judge runs/loss-pesq/last.pt (step 16500) with the rule of rule.md (written before training).
# Usage, from the repository root: bash models/training/ablations/loss-pesq/judge.sh
# Writes per-item JSON next to this script, tables to benchmarks/results/, prints the verdict.
set -euo pipefail
here="models/training/ablations/loss-pesq"
run="runs/loss-pesq"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500
so16=models/training/ablations/speech-only-16500
bash models/training/ablations/branch-table.sh loss-pesq "$here" "loss+1500" "$so16/recipe-base" "release+1500"
$py - <<'PY'
"""The rule of rule.md from the table written above: the paired per-item deltas are the ones
benchmarks/training_ablation.py computed against each set's first run (`*_minus_first`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, control_gain_rule, release_rule

d = branch_deltas("benchmarks/results/loss-pesq.json", "loss+1500 16500")
c1 = control_gain_rule(d, plain_pesq_min=0.015, plain_si_sdr_min=-0.5, room_pesq_min=0)
c2 = release_rule(d, pesq_min=0, mean_si_sdr_min=-0.3)
print(f"criterion 1 (vs control: plain PESQ-WB >= +0.015 with CI above 0, plain SI-SDR >= -0.5 dB, rooms PESQ-WB >= 0): "
      f"{'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: both PESQ-WB >= 0, mean SI-SDR >= -0.3 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate" if c1 and c2 else ("the loss weights pay at equal steps" if c1 else "fails"))
PY
# report-only: DNSMOS and pass-through through the exported model
mkdir -p runs/m
$py -m hance_plugin.training export --checkpoint "$run/last.pt" --name loss-pesq --out-dir runs/m
$py benchmarks/attenuation_limit.py --model hance-base --model runs/m/loss-pesq.onnx --limits 100 --items 203 \
    --dnsmos-items 60 --name loss-pesq-dnsmos
$py benchmarks/passthrough.py --model hance-base --model runs/m/loss-pesq.onnx --split val \
    --name passthrough-loss-pesq --no-progress
