#!/usr/bin/env bash
# Ship the step-21000 pair (release.md's second question: P1-P4 held for random-rn; the twin went through the
# same stage, twin-random-rn). Written before the verdict. From the repository root, nothing else running:
#   bash models/training/ablations/unheard-noise/ship.sh
# Rerunnable: each step is skipped where its output is there already.
#  1. The step-19500 pair moves (../retire-pair.sh) to models/training/released/voices-19500/ with its cards.
#  2. ../install-net.sh: random-rn/ and twin-random-rn/ here (last.pt, log.jsonl, final-plain.json) become
#     models/training/hance-{base,twin}/; ONNX and cards exported (torch/onnxruntime parity checked).
#  3. The cards keep the previous cards' texts with the stage 19500-21000 added (benchmarks/release_cards.py).
#  4. The reports naming the pair (../running-floor/pair-reports.sh: the test set once, report only; pass-through,
#     state drift, level normalization), and the test set compared with the step-19500 pair under the same
#     engine (quality-ours-steady.json) as quality-release-random.
set -euo pipefail
here=models/training/ablations/unheard-noise
py=.venv/bin/python
R=benchmarks/results
old=models/training/released/voices-19500
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
for a in random-rn twin-random-rn; do
    [ -f "$here/$a/last.pt" ] || bash $here/run.sh save $a
    s=$(step_of "$here/$a/last.pt"); [ "$s" = 21000 ] || { echo "$a at step $s, the pair ships at 21000" >&2; exit 2; }
done
[ -s "$here/twin-random-rn/final-plain.json" ] || $py -m hance_plugin.training validate "$here/twin-random-rn/last.pt" \
    --data-dir ../shared/data --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false \
    --segment-seconds 3 > "$here/twin-random-rn/final-plain.json"
bash models/training/ablations/retire-pair.sh "$old" <<'MD'
# The pair shipped on 2026-12-05 until the step-21000 random-noise release

`hance-base/` and `hance-twin/` as they were in `models/training/`, step 19500 (the new-voices release,
`../../ablations/voices/`), with their cards (`hance-base.json`, `hance-twin.json`). They were replaced by
the same networks trained 1500 steps further with domain-randomised noise in the mixtures
(`../../ablations/unheard-noise/rule.md`, `release.md`). Scripts written before then name these files
under `models/training/hance-*/`.
MD
bash models/training/ablations/install-net.sh "$here/random-rn" base 21000
bash models/training/ablations/install-net.sh "$here/twin-random-rn" twin 21000
$py - "$old" <<'PY'
"""The cards' texts: the previous cards' with steps 19500-21000 and the random noise added."""
import sys

sys.path.insert(0, "benchmarks")
from release_cards import VOICES_STAGE, carry_cards

carry_cards(sys.argv[1], "models", 19500, 21000,
            ", 19500-21000 the same with --steps 21000 and p_random_noise=0.3 added to --mix (domain-randomised "
            "noise; models/training/ablations/unheard-noise/rule.md, release.md and run.sh; "
            "benchmarks/results/unheard-noise-release.md)",
            "; steps 19500-21000 also with domain-randomised noise (hance_plugin.training.noises.random_texture) "
            "replacing or joining the noise in 30 % of the mixtures with noise (p_random_noise=0.3)",
            stage=VOICES_STAGE, range_starts=(9000, 12000, 15000, 16500, 18000))
print("cards written")
PY
bash models/training/ablations/running-floor/pair-reports.sh models/hance-base.onnx
new() { [ -s "$1" ] && [ "$1" -nt models/hance-base.onnx ]; }
new $R/quality-release-random.json || $py benchmarks/quality.py compare $R/quality-ours-steady.json \
    $R/quality-ours.json --systems hance-base,hance-twin --name quality-release-random
echo "shipped: models/hance-base, models/hance-twin (step 21000; previous pair: $old)"
