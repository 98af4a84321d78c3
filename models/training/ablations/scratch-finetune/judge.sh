#!/usr/bin/env bash
# Judge runs/scratch-ft/last.pt (step 16500) with the rule of rule.md (written before training).
# Usage, from the repository root: bash models/training/ablations/scratch-finetune/judge.sh
# Writes per-item JSON next to this script, tables to benchmarks/results/, prints the verdict.
set -euo pipefail
here="models/training/ablations/scratch-finetune"
run="runs/scratch-ft"
py=.venv/bin/python
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
if [ "$step" != 16500 ]; then echo "checkpoint at step $step, the rule applies at 16500" >&2; exit 2; fi
room_mix="p_synthetic_noise=0,p_second_noise=0,p_voice_perturb=0,p_eq=0,p_lowpass=0,p_clip=0,p_noise_only=0,p_speech_only=0,p_reverb=0.5"
$py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item \
    --threads 2 --val-mix "augment=false" > "$here/final-plain.json"
$py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item \
    --threads 2 --val-mix "$room_mix" --val-rir-split train > "$here/rev-final.json"
so16=models/training/ablations/speech-only-16500
$py benchmarks/training_ablation.py --name scratch-finetune --from-step 15000 \
    --run "release=models/training/hance-base" --run "scratch=models/training/ablations/scratch-recipe/base" \
    --run "scratch+1500=$run" --run "release+1500 (control)=$so16/recipe-base" \
    --final "plain val/release 15000=models/training/hance-base/val-plain-step15000.json" \
    --final "plain val/scratch 15000=models/training/ablations/scratch-recipe/base/final-plain.json" \
    --final "plain val/scratch+1500 16500=$here/final-plain.json" \
    --final "plain val/release+1500 16500 (control)=$so16/recipe-base/final-plain.json" \
    --final "reverberant val/release 15000=$so16/base/rev-step15000.json" \
    --final "reverberant val/scratch 15000=models/training/ablations/scratch-recipe/base/rev-final.json" \
    --final "reverberant val/scratch+1500 16500=$here/rev-final.json" \
    --final "reverberant val/release+1500 16500 (control)=$so16/recipe-base/rev-final.json" \
    --final "plain val vs control/release+1500 16500 (control)=$so16/recipe-base/final-plain.json" \
    --final "plain val vs control/scratch+1500 16500=$here/final-plain.json" \
    --final "reverberant val vs control/release+1500 16500 (control)=$so16/recipe-base/rev-final.json" \
    --final "reverberant val vs control/scratch+1500 16500=$here/rev-final.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_'
mkdir -p runs/m
$py -m hance_plugin.training export --checkpoint "$run/last.pt" --name scratch-ft --out-dir runs/m
$py benchmarks/passthrough.py --model hance-base --model runs/m/scratch-ft.onnx --split val \
    --name passthrough-scratch-finetune --no-progress
$py - <<'PY'
"""The rule of rule.md from the files written above: the paired per-item deltas are the ones
benchmarks/training_ablation.py computed against each set's first run (`*_minus_first`)."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas

d = branch_deltas("benchmarks/results/scratch-finetune.json", "scratch+1500 16500")
pt = json.load(open("benchmarks/results/passthrough-scratch-finetune.json"))
forms = {row["form"]: row["sdr_db_delta"]["mean"] for row in pt["rows"]
         if row["group"] == "all" and row["model"] != "hance-base" and "sdr_db_delta" in row}
for form, m in forms.items():
    print(f"pass-through {form:12s} SDR delta {m:+.2f} dB")
c1 = (min(d["release", "plain", "pesq_wb"][0], d["release", "room", "pesq_wb"][0]) >= -0.01
      and (d["release", "plain", "si_sdr"][0] + d["release", "room", "si_sdr"][0]) / 2 >= -0.1)
c2 = len(forms) == 3 and min(forms.values()) >= 2.0
print(f"criterion 1 (both PESQ-WB deltas >= -0.01, mean SI-SDR delta >= -0.1 dB): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (each pass-through delta >= +2 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "candidate (train a twin)" if c1 and c2 else "fails")
PY
