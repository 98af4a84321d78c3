#!/usr/bin/env bash
# Ship the step-21000 pair (tp, twin-tp) as hance-base / hance-twin, only after judge.sh printed "ship the
# pair" (rule.md: V1, V2 and R1-R5 hold). Written before the judge's results were read. Usage, from the
# repository root, with nothing else running (the reports time things):
#   bash models/training/ablations/tuxpaint-voices/ship.sh
# Rerunnable: each step is skipped where its output is there already.
#  0. run.sh save tp / twin-tp (checkpoints into tp/, twin-tp/ here); the twin's plain val scores.
#  1. The pair shipped until now (voices5-rn and twin5-rn, step 19500) moves (../retire-pair.sh) to
#     models/training/released/voices-19500/ with its cards.
#  2. ../install-net.sh for both; 3. the cards keep the previous cards' texts (release_cards, the voices
#     stage as the anchor, the "steps 18000-" data range moved too); 4. the reports naming the pair
#     (../running-floor/pair-reports.sh) and the test set compared paired with the step-19500 pair's.
set -euo pipefail
here=models/training/ablations/tuxpaint-voices
py=.venv/bin/python
R=benchmarks/results
old=models/training/released/voices-19500
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
grep -q "R5 Asterisk ru voice PESQ-WB >= -0.010: holds" runs/tpv-judge.out 2>/dev/null && \
    grep -q "verdict: ship the pair" runs/tpv-judge.out || { echo "runs/tpv-judge.out (judge.sh's output) does not say ship" >&2; exit 2; }
declare -A arm=([base]=tp [twin]=twin-tp)
for net in base twin; do
    a=${arm[$net]}
    [ -f "$here/$a/last.pt" ] || bash $here/run.sh save "$a"
    s=$(step_of "$here/$a/last.pt"); [ "$s" = 21000 ] || { echo "$net at step $s, the pair ships at 21000" >&2; exit 2; }
done
[ -s "$here/twin-tp/final-plain.json" ] || $py -m hance_plugin.training validate "$here/twin-tp/last.pt" \
    --data-dir ../shared/data --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false \
    --segment-seconds 3 > "$here/twin-tp/final-plain.json"
mkdir -p runs
[ -s runs/quality-ours-voices-19500.json ] || cp $R/quality-ours.json runs/quality-ours-voices-19500.json
bash models/training/ablations/retire-pair.sh "$old" <<'MD'
# The pair shipped on 2026-12-05 until the step-21000 tuxpaint-voices release

`hance-base/` (`../../ablations/voices/` voices5-rn: the running-floor network trained 1500 steps
further with three new talkers and the residual-noise loss) and `hance-twin/` (its |linear| twin,
twin5-rn), step 19500, as they were in `models/training/`, with their cards (`hance-base.json`,
`hance-twin.json`). They were replaced by the same networks trained 1500 steps further with the Tux
Paint talkers added (`../../ablations/tuxpaint-voices/rule.md`).
MD
for net in base twin; do
    bash models/training/ablations/install-net.sh "$here/${arm[$net]}" "$net" 21000
done
$py - "$old" <<'PY'
"""The cards' texts: the previous cards' with steps 19500-21000 and the Tux Paint talkers added."""
import sys

sys.path.insert(0, "benchmarks")
from release_cards import RANGE_STARTS, VOICES_STAGE, carry_cards

carry_cards(sys.argv[1], "models", 19500, 21000,
            ", 19500-21000 the same with --steps 21000 --data-dir ../data-tuxpaint "
            "--speech-weights nist_mrt_fullband/*=1.22 (19 min of Tux Paint talkers added, the NIST talkers' "
            "share of the draws held; models/training/ablations/tuxpaint-voices/rule.md, build_data.sh and run.sh; "
            "benchmarks/results/tuxpaint-voices.md)",
            "; steps 19500-21000 also drew speech from 19.2 min of spoken stamp descriptions by volunteer "
            "translators in six languages (Debian tuxpaint-stamps-default, GPL-2+, 44.1 kHz, clips with a "
            "frame-level span under 30 dB left out; models/training/ablations/tuxpaint-voices/build_data.sh), "
            "drawing the NIST files 1.22 times as often per second",
            stage=VOICES_STAGE, range_starts=(*RANGE_STARTS, 18000))
print("cards written")
PY
bash models/training/ablations/running-floor/pair-reports.sh models/hance-base.onnx
[ -s $R/quality-release-tuxpaint-voices.json ] && [ $R/quality-release-tuxpaint-voices.json -nt models/hance-base.onnx ] || \
    $py benchmarks/quality.py compare runs/quality-ours-voices-19500.json $R/quality-ours.json \
    --systems hance-base,hance-twin --name quality-release-tuxpaint-voices
echo "shipped: models/hance-base, models/hance-twin (step 21000; previous pair: $old); reports: $R/quality.md," \
     "quality-release-tuxpaint-voices.md, passthrough-{val,test}.md, state-drift.md, level-normalization-running-floor.md"
