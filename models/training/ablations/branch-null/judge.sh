#!/usr/bin/env bash
# Measure the branch-null run of rule.md (written before training): the loss-pesq control again at
# 1 thread, scored per item like every branch (branch-validate.sh, branch-table.sh against ../loss-pesq)
# and clean-speech pass-through against the release, to set beside loss-pesq's own.
# Usage, from the repository root: bash models/training/ablations/branch-null/judge.sh
# Writes per-item JSON and the log next to this script, benchmarks/results/branch-null.md and
# passthrough-branch-null.md, prints the null deltas.
set -euo pipefail
here=models/training/ablations/branch-null
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh runs/branch-null "$here" 16500 3
bash models/training/ablations/branch-table.sh branch-null "$here" "null+loss+1500" \
    models/training/ablations/loss-pesq "loss+1500" > /dev/null
mkdir -p runs/m
[ -s runs/m/branch-null.onnx ] || $py -m hance_plugin.training export --checkpoint runs/branch-null/last.pt \
    --name branch-null --out-dir runs/m > /dev/null
[ -s benchmarks/results/passthrough-branch-null.json ] || $py benchmarks/passthrough.py --model hance-base \
    --model runs/m/branch-null.onnx --split val --name passthrough-branch-null --no-progress > /dev/null
$py - <<'PY'
"""The null deltas (`branch_deltas`, `passthrough_deltas`) beside loss-pesq's own pass-through."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, passthrough_deltas

print("null run - loss-pesq (vs control) and - release:")
branch_deltas("benchmarks/results/branch-null.json", "null+loss+1500 16500")
null = passthrough_deltas("benchmarks/results/passthrough-branch-null.json", "branch-null", None)
lp = passthrough_deltas("benchmarks/results/passthrough-loss-pesq.json", "loss-pesq", None)
for form in ("single", "running", "reverberant"):
    print(f"pass-through {form:11s}: null - loss-pesq {null[form, 'release'] - lp[form, 'release']:+.2f} dB")
PY
