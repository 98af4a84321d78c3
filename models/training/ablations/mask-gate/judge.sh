#!/usr/bin/env bash
# Judge runs/gate/last.pt (step 16500) with the rule of rule.md (written before training).
# Usage, from the repository root: bash models/training/ablations/mask-gate/judge.sh
# Writes per-item JSON next to this script, tables to benchmarks/results/, prints the verdict.
set -euo pipefail
here="models/training/ablations/mask-gate"
run="runs/gate"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500
so16=models/training/ablations/speech-only-16500
bash models/training/ablations/branch-table.sh mask-gate "$here" "gate+1500" "$so16/recipe-base" "release+1500"
$py - <<'PY'
"""The rule of rule.md from the table written above: the paired per-item deltas are the ones
benchmarks/training_ablation.py computed against each set's first run (`*_minus_first`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, control_gain_rule, release_rule

d = branch_deltas("benchmarks/results/mask-gate.json", "gate+1500 16500")
c1 = control_gain_rule(d, plain_pesq_min=0.010, plain_si_sdr_min=-0.1, room_pesq_min=0)
c2 = release_rule(d, pesq_min=-0.005, mean_si_sdr_min=-0.1)
print(f"criterion 1 (vs control: plain PESQ-WB >= +0.010 with CI above 0, plain SI-SDR >= -0.1 dB, rooms PESQ-WB >= 0): "
      f"{'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: both PESQ-WB >= -0.005, mean SI-SDR >= -0.1 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate" if c1 and c2 else ("the gate helps at equal steps" if c1 else "fails"))
PY
# report-only: DNSMOS, pass-through, noise-only attenuation through the exported model
mkdir -p runs/m
$py -m hance_plugin.training export --checkpoint "$run/last.pt" --name mask-gate --out-dir runs/m
$py benchmarks/noise_only.py --model hance-base --model hance-twin --model runs/m/mask-gate.onnx --name noise-only-mask-gate
$py benchmarks/attenuation_limit.py --model hance-base --model runs/m/mask-gate.onnx --limits 100 --items 203 \
    --dnsmos-items 60 --name mask-gate-dnsmos
$py benchmarks/passthrough.py --model hance-base --model runs/m/mask-gate.onnx --split val \
    --name passthrough-mask-gate --no-progress
