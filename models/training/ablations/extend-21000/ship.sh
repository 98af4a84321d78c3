#!/usr/bin/env bash
# Ship the step-21000 pair as hance-base / hance-twin: only where judge.sh (rule.md) printed S1-S3
# "holds" for the base network and the twin is at 21000 too (written before the results).
# Usage, from the repository root, with nothing else running (the reports time things):
#   bash models/training/ablations/extend-21000/ship.sh
# Rerunnable: each step is skipped where its output is there already.
#  1. The pair shipped until now (running-floor base, abs twin; step 18000) moves (git mv, ../retire-pair.sh) to
#     models/training/released/running-floor-18000/ with its cards; scripts written before this release
#     name its files under models/training/hance-*/.
#  2. ../install-net.sh: models/training/hance-{base,twin}/: base/ and twin/ here (last.pt, log.jsonl), final-plain.json as
#     val-plain-step21000.json, curves.png.
#  3. models/hance-{base,twin}.onnx and cards (export checks torch/onnxruntime parity); the cards keep the
#     previous cards' texts with the 3000 more steps added (the export's own texts name the last stage only)
#     and analysis_level_dbfs.
#  4. The reports naming the pair (../running-floor/pair-reports.sh: the test set once, report only, the
#     previous quality-ours.json kept as runs/quality-ours-running-floor-18000.json and compared paired;
#     pass-through on val and test, state drift, level normalization).
set -euo pipefail
here=models/training/ablations/extend-21000
py=.venv/bin/python
R=benchmarks/results
old=models/training/released/running-floor-18000
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
for net in base twin; do
    [ -f "$here/$net/last.pt" ] || { echo "$net: no $here/$net/last.pt (run.sh save $net)" >&2; exit 2; }
    s=$(step_of "$here/$net/last.pt"); [ "$s" = 21000 ] || { echo "$net at step $s, the pair ships at 21000" >&2; exit 2; }
    [ -s "$here/$net/final-plain.json" ] || { echo "run judge.sh first" >&2; exit 2; }
done
bash models/training/ablations/retire-pair.sh "$old" <<'MD'
# The pair shipped on 2026-12-05 until the step-21000 release

`hance-base/` (running-floor, `../../ablations/running-floor/`) and `hance-twin/` (the |linear| twin,
`../../ablations/abs-twin-full/`) as they were in `models/training/`, step 18000, with their cards
(`hance-base.json`, `hance-twin.json`). They were replaced by the same networks trained 3000 steps
further with the same last stage (`../../ablations/extend-21000/rule.md`). Scripts written before
then name these files under `models/training/hance-*/`.
MD
for net in base twin; do
    bash models/training/ablations/install-net.sh "$here/$net" "$net" 21000
done
$py - "$old" <<'PY'
"""The cards' texts: the previous cards' with steps 18000-21000 added (benchmarks/release_cards.py)."""
import sys

sys.path.insert(0, "benchmarks")
from release_cards import carry_cards

carry_cards(sys.argv[1], "models", 18000, 21000, ", 18000-21000 the same with --steps 21000 "
            "(models/training/ablations/extend-21000/rule.md and run.sh; benchmarks/results/extend-21000.md)")
print("cards written")
PY
new() { [ -s "$1" ] && [ "$1" -nt models/hance-base.onnx ]; }
mkdir -p runs
[ -s runs/quality-ours-running-floor-18000.json ] || cp $R/quality-ours.json runs/quality-ours-running-floor-18000.json
bash models/training/ablations/running-floor/pair-reports.sh models/hance-base.onnx
new $R/quality-release-21000.json || $py benchmarks/quality.py compare runs/quality-ours-running-floor-18000.json \
    $R/quality-ours.json --systems hance-base,hance-twin --name quality-release-21000
echo "shipped: models/hance-base, models/hance-twin (step 21000; previous pair: $old); reports: $R/quality.md," \
     "quality-release-21000.md, passthrough-{val,test}.md, state-drift.md, level-normalization-running-floor.md"
