#!/usr/bin/env bash
# Judge runs/soup-end/last.pt (step 16500 of its latest ingredient) with the rule of rule.md (written before the soup was made).
# Comparison (report-only): ../speech-only-pesq (p_speech_only 0.25).
# Usage, from the repository root: bash models/training/ablations/soup-end/judge.sh
# Makes the soup if runs/soup-end/last.pt is missing (needs runs/loss-pesq and runs/speech-only-40).
# Needs runs/m/speech-only-pesq.onnx (bash models/training/ablations/speech-only-pesq/judge.sh exports it).
# Writes per-item JSON next to this script, tables to benchmarks/results/ (branch-report.sh: pass-through
# and DNSMOS, report-only), prints the verdict.
set -euo pipefail
here="models/training/ablations/soup-end"
run="runs/soup-end"
py=.venv/bin/python
mkdir -p "$run"
[ -s "$run/last.pt" ] || $py -m hance_plugin.training average runs/loss-pesq/last.pt runs/speech-only-40/last.pt \
    --out "$run/last.pt"
# a soup has no training log; branch-validate.sh copies one next to the rule
[ -s "$run/log.jsonl" ] || echo '{"kind": "note", "text": "uniform soup of runs/loss-pesq/last.pt and runs/speech-only-40/last.pt (step 16500 each); no training"}' > "$run/log.jsonl"
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500
ctl=models/training/ablations/speech-only-pesq
bash models/training/ablations/branch-table.sh soup-end "$here" "soup 0.05+0.40" "$ctl" "speech-only 0.25" comparison no
bash models/training/ablations/branch-report.sh "$run" soup-end speech-only-pesq
$py - <<'PY'
"""The rule of rule.md: paired per-item val deltas from the table written above (`branch_deltas`),
pass-through deltas from benchmarks/passthrough.py's "all" rows (`passthrough_deltas`: each model
minus hance-base paired per item; the control difference is the difference of the two paired means)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, passthrough_deltas, passthrough_release_rule

d = branch_deltas("benchmarks/results/soup-end.json", "soup 0.05+0.40 16500")
pt = passthrough_deltas("benchmarks/results/passthrough-soup-end.json", "soup-end", "speech-only-pesq")
c2 = passthrough_release_rule(d, pt)
print("('control' above: speech-only-pesq, report-only)")
print(f"rule (vs release: mean PESQ-WB >= -0.01, mean SI-SDR >= -0.3 dB, pass-through >= +1 dB x3): "
      f"{'holds' if c2 else 'FAILS'}")
print("verdict:", "release candidate" if c2 else "fails")
PY
