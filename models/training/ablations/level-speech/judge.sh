#!/usr/bin/env bash
# Judge runs/level-speech/last.pt (step 16500) with the rule of rule.md (written before training).
# Control: ../speech-only-pesq (the same recipe without the level settings); level gap against the
# branch-null export (as in ../mixture-level/judge.sh).
# Usage, from the repository root: bash models/training/ablations/level-speech/judge.sh
# Writes per-item JSON and the log next to this script; tables benchmarks/results/level-speech.md
# (val), passthrough-level-speech.md (-26 dBFS, against the release: criterion 2),
# passthrough-level-speech-{45,26}.md (against branch-null: criterion 3); prints the verdict.
set -euo pipefail
name=level-speech
here="models/training/ablations/$name"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "runs/$name" "$here" 16500 3
bash models/training/ablations/branch-table.sh "$name" "$here" "level-speech+loss+1500" \
    models/training/ablations/speech-only-pesq "speech-only+loss+1500" > /dev/null
mkdir -p runs/m
[ -s "runs/m/$name.onnx" ] || $py -m hance_plugin.training export --checkpoint "runs/$name/last.pt" \
    --name "$name" --out-dir runs/m > /dev/null
[ -s runs/m/branch-null.onnx ] || $py -m hance_plugin.training export --checkpoint runs/branch-null/last.pt \
    --name branch-null --out-dir runs/m > /dev/null
[ -s "benchmarks/results/passthrough-$name.json" ] || $py benchmarks/passthrough.py --model hance-base \
    --model "runs/m/$name.onnx" --split val --name "passthrough-$name" --no-progress > /dev/null
for level in 45 26; do
    [ -s "benchmarks/results/passthrough-$name-$level.json" ] || $py benchmarks/passthrough.py \
        --model runs/m/branch-null.onnx --model "runs/m/$name.onnx" --split val --level-dbfs "-$level" \
        --name "passthrough-$name-$level" --no-progress > /dev/null
done
$py - <<'PY'
"""The rule of rule.md: val deltas (`branch_deltas`), pass-through against the release
(`passthrough_deltas`, `passthrough_release_rule`) and the level gap of clean single files."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, level_gap, passthrough_deltas, passthrough_release_rule

d = branch_deltas("benchmarks/results/level-speech.json", "level-speech+loss+1500 16500")
pt = passthrough_deltas("benchmarks/results/passthrough-level-speech.json", "level-speech", None)
shrink = level_gap({level: f"benchmarks/results/passthrough-level-speech-{level}.json" for level in (45, 26)},
                   "branch-null", "level-speech")
c1 = d["control", "plain", "pesq_wb"][0] >= -0.005 and d["control", "room", "pesq_wb"][0] >= -0.005
c2 = passthrough_release_rule(d, pt)
c3 = shrink["mean"] >= 2.0
print(f"criterion 1 (vs speech-only-pesq: plain and rooms PESQ-WB >= -0.005): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs release: mean PESQ-WB >= -0.01, mean SI-SDR >= -0.3 dB, pass-through >= +1 dB x3): "
      f"{'holds' if c2 else 'FAILS'}")
print(f"criterion 3 (level gap at least 2.0 dB smaller than branch-null's): {'holds' if c3 else 'FAILS'}")
print("verdict:", "release candidate (the twin next)" if c1 and c2 and c3 else "not a candidate")
PY
