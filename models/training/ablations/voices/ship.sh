#!/usr/bin/env bash
# Ship the step-19500 pair as hance-base / hance-twin (release.md: R1-R4 held for voices5-rn; the twin
# went through the same stage, twin5-rn). Written before the twin's results were read; not run yet
# when written. Usage, from the repository root, with nothing else running (the reports time things):
#   bash models/training/ablations/voices/ship.sh
# Rerunnable: each step is skipped where its output is there already.
#  1. The pair shipped until now (running-floor base, abs twin; step 18000) moves (git mv, ../retire-pair.sh) to
#     models/training/released/running-floor-18000/ with its cards; scripts written before this release
#     name its files under models/training/hance-*/.
#  2. ../install-net.sh: models/training/hance-{base,twin}/: voices5-rn/ and twin5-rn/ here (last.pt, log.jsonl),
#     voices5-rn/final-plain.json as the base's val-plain-step19500.json (the twin's is made), curves.png.
#  3. models/hance-{base,twin}.onnx and cards (export checks torch/onnxruntime parity); the cards keep the
#     previous cards' texts with the 1500 steps and the new talkers added, and analysis_level_dbfs.
#  4. The reports naming the pair (../running-floor/pair-reports.sh: the test set once, report only, the
#     previous quality-ours.json kept as runs/quality-ours-running-floor-18000.json and compared paired;
#     pass-through on val and test, state drift, level normalization).
set -euo pipefail
here=models/training/ablations/voices
py=.venv/bin/python
R=benchmarks/results
old=models/training/released/running-floor-18000
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
declare -A arm=([base]=voices5-rn [twin]=twin5-rn)
for net in base twin; do
    a=${arm[$net]}
    [ -f "$here/$a/last.pt" ] || { echo "$net: no $here/$a/last.pt (run.sh save $a)" >&2; exit 2; }
    s=$(step_of "$here/$a/last.pt"); [ "$s" = 19500 ] || { echo "$net at step $s, the pair ships at 19500" >&2; exit 2; }
done
[ -s "$here/twin5-rn/final-plain.json" ] || $py -m hance_plugin.training validate "$here/twin5-rn/last.pt" \
    --data-dir ../shared/data --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false \
    --segment-seconds 3 > "$here/twin5-rn/final-plain.json"
bash models/training/ablations/retire-pair.sh "$old" <<'MD'
# The pair shipped on 2026-12-05 until the step-19500 new-voices release

`hance-base/` (running-floor, `../../ablations/running-floor/`) and `hance-twin/` (the |linear| twin,
`../../ablations/abs-twin-full/`) as they were in `models/training/`, step 18000, with their cards
(`hance-base.json`, `hance-twin.json`). They were replaced by the same networks trained 1500 steps
further with new talkers and the residual-noise loss (`../../ablations/voices/rule.md`, `release.md`).
Scripts written before then name these files under `models/training/hance-*/`.
MD
for net in base twin; do
    bash models/training/ablations/install-net.sh "$here/${arm[$net]}" "$net" 19500
done
$py - "$old" <<'PY'
"""The cards' texts: the previous cards' with steps 18000-19500 and the new talkers added
(benchmarks/release_cards.py)."""
import sys

sys.path.insert(0, "benchmarks")
from release_cards import carry_cards

carry_cards(sys.argv[1], "models", 18000, 19500,
            ", 18000-19500 the same with --steps 19500 --residual-noise-weight 1 --data-dir ../data-voices5 "
            "(20 min of new talkers added; models/training/ablations/voices/rule.md, build_data.sh and run.sh; "
            "benchmarks/results/voices5-rn.md)",
            "; steps 18000-19500 also drew speech from 20.2 min of studio voice prompts by three new talkers "
            "(Debian asterisk-core-sounds-{en,es,fr,it}-g722, CC-BY-SA 3.0, 16 kHz content, 5 min per "
            "language; models/training/ablations/voices/build_data.sh)")
print("cards written")
PY
new() { [ -s "$1" ] && [ "$1" -nt models/hance-base.onnx ]; }
mkdir -p runs
[ -s runs/quality-ours-running-floor-18000.json ] || cp $R/quality-ours.json runs/quality-ours-running-floor-18000.json
bash models/training/ablations/running-floor/pair-reports.sh models/hance-base.onnx
new $R/quality-release-voices.json || $py benchmarks/quality.py compare runs/quality-ours-running-floor-18000.json \
    $R/quality-ours.json --systems hance-base,hance-twin --name quality-release-voices
echo "shipped: models/hance-base, models/hance-twin (step 19500; previous pair: $old); reports: $R/quality.md," \
     "quality-release-voices.md, passthrough-{val,test}.md, state-drift.md, level-normalization-running-floor.md"
