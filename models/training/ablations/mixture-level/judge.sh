#!/usr/bin/env bash
# Judge runs/NAME/last.pt (step 16500) with the rule of rule.md (written before training); NAME
# defaults to mixture-level (also judges ../level-range, whose rule.md takes the same criteria).
# Usage, from the repository root: bash models/training/ablations/mixture-level/judge.sh [NAME]
# Writes per-item JSON and the log to models/training/ablations/NAME/; tables benchmarks/results/NAME.md
# (val, against loss-pesq), passthrough-NAME-{45,26,10}.md (clean val speech at -45 / -26 / -10 dBFS,
# against branch-null exported) and noise-only-NAME-{30,20}.md; prints the verdict.
set -euo pipefail
name="${1:-mixture-level}"
here="models/training/ablations/$name"
label="$name"; [ "$name" = mixture-level ] && label=mixlevel  # the label mixture-level's table was written with
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "runs/$name" "$here" 16500 3
bash models/training/ablations/branch-table.sh "$name" "$here" "$label+loss+1500" \
    models/training/ablations/loss-pesq "loss+1500" > /dev/null
mkdir -p runs/m
[ -s "runs/m/$name.onnx" ] || $py -m hance_plugin.training export --checkpoint "runs/$name/last.pt" \
    --name "$name" --out-dir runs/m > /dev/null
[ -s runs/m/branch-null.onnx ] || $py -m hance_plugin.training export --checkpoint runs/branch-null/last.pt \
    --name branch-null --out-dir runs/m > /dev/null
for level in 45 26 10; do
    [ -s "benchmarks/results/passthrough-$name-$level.json" ] || $py benchmarks/passthrough.py \
        --model runs/m/branch-null.onnx --model "runs/m/$name.onnx" --split val --level-dbfs "-$level" \
        --name "passthrough-$name-$level" --no-progress > /dev/null
done
for level in 30 20; do
    [ -s "benchmarks/results/noise-only-$name-$level.json" ] || $py benchmarks/noise_only.py \
        --model runs/m/branch-null.onnx --model "runs/m/$name.onnx" --level-dbfs "-$level" \
        --name "noise-only-$name-$level" > /dev/null
done
NAME="$name" LABEL="$label" $py - <<'PY'
"""The rule of rule.md: the level gap of clean single files (criterion 1), noisy val (criterion 2)."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, level_gap

name, label = os.environ["NAME"], os.environ["LABEL"]
shrink = level_gap({level: f"benchmarks/results/passthrough-{name}-{level}.json" for level in (45, 26, 10)},
                   "branch-null", name)
d = branch_deltas(f"benchmarks/results/{name}.json", f"{label}+loss+1500 16500")
c1 = shrink["mean"] >= 2.0
c2 = all(d["control", s, "pesq_wb"][0] >= -0.005 and d["control", s, "si_sdr"][0] >= -0.1 for s in ("plain", "room"))
print(f"criterion 1 (level gap at least 2.0 dB smaller than the control's): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (vs loss-pesq, plain and rooms: PESQ-WB >= -0.005, SI-SDR >= -0.1 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "the level cue comes from the mixing levels" if c1 and c2 else "fails")
PY
