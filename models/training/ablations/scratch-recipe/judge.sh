#!/usr/bin/env bash
# Judge a scratch-recipe checkpoint with the rule of plan.md (written before the run started).
# Usage, from the repository root:  bash models/training/ablations/scratch-recipe/judge.sh base|twin
# Needs runs/scratch-<variant>/last.pt at step 15000 (it refuses an earlier step: the rule applies at
# 15000 only). Writes per-item JSON next to this script, the tables to benchmarks/results/, and
# prints the verdict of criteria 1-3. About 10 minutes on 2 cores.
set -euo pipefail
variant="${1:?base or twin}"
case "$variant" in
  base) release_model=hance-base ;;
  twin) release_model=hance-twin ;;
  *) echo "variant must be base or twin" >&2; exit 2 ;;
esac
here="models/training/ablations/scratch-recipe"
run="runs/scratch-$variant"
py=.venv/bin/python
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
if [ "$step" != 15000 ]; then echo "checkpoint at step $step, the rule applies at 15000" >&2; exit 2; fi
mkdir -p "$here/$variant"
plain_mix="augment=false"
room_mix="p_synthetic_noise=0,p_second_noise=0,p_voice_perturb=0,p_eq=0,p_lowpass=0,p_clip=0,p_noise_only=0,p_speech_only=0,p_reverb=0.5"
$py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item \
    --threads 2 --val-mix "$plain_mix" > "$here/$variant/final-plain.json"
$py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item \
    --threads 2 --val-mix "$room_mix" --val-rir-split train > "$here/$variant/rev-final.json"
$py benchmarks/training_ablation.py --name "scratch-recipe-$variant" \
    --run "release ($variant)=models/training/$release_model" --run "scratch ($variant)=$run" \
    --final "plain val: $variant/step 15000 (release)=models/training/$release_model/val-plain-step15000.json" \
    --final "plain val: $variant/scratch 15000=$here/$variant/final-plain.json" \
    --final "reverberant val: $variant/step 15000 (release)=models/training/ablations/speech-only-16500/$variant/rev-step15000.json" \
    --final "reverberant val: $variant/scratch 15000=$here/$variant/rev-final.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_'
mkdir -p runs/m
$py -m hance_plugin.training export --checkpoint "$run/last.pt" --name "scratch-$variant" --out-dir runs/m
$py benchmarks/passthrough.py --model "$release_model" --model "runs/m/scratch-$variant.onnx" --split val \
    --name "passthrough-scratch-$variant" --no-progress
$py - "$variant" <<'EOF'
"""Criteria 1-3 of plan.md from the files written above: the paired per-item deltas against the
release are the ones benchmarks/training_ablation.py computed (its `*_minus_first` columns)."""
import json
import sys

variant = sys.argv[1]
release = "hance-base" if variant == "base" else "hance-twin"
final = json.load(open(f"benchmarks/results/scratch-recipe-{variant}.json"))["final"]
d = {}
for s, set_name in (("plain", f"plain val: {variant}"), ("room", f"reverberant val: {variant}")):
    row = next(r for r in final if r["set"] == set_name and r["run"] == "scratch 15000")
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = (row[f"{k}_minus_first"], row[f"{k}_paired_items"])
for (s, k), (m, n) in d.items():
    print(f"{s:5s} {k:8s} delta {m:+.4f} (n={n})")
pesq_mean = (d["plain", "pesq_wb"][0] + d["room", "pesq_wb"][0]) / 2
sdr_mean = (d["plain", "si_sdr"][0] + d["room", "si_sdr"][0]) / 2
pt = json.load(open(f"benchmarks/results/passthrough-scratch-{variant}.json"))
forms = {}
for row in pt["rows"]:
    if row["group"] == "all" and row["model"] != release and "sdr_db_delta" in row:
        forms[row["form"]] = row["sdr_db_delta"]["mean"]
for form, m in forms.items():
    print(f"pass-through {form:12s} SDR delta {m:+.2f} dB")
c1 = pesq_mean >= 0.01 and sdr_mean >= 0.0
c2 = min(d["plain", "pesq_wb"][0], d["room", "pesq_wb"][0]) >= -0.01
c3 = len(forms) == 3 and min(forms.values()) >= -0.5
print(f"criterion 1 (mean PESQ {pesq_mean:+.4f} >= +0.01, mean SI-SDR {sdr_mean:+.3f} >= 0): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (neither PESQ delta < -0.01): {'holds' if c2 else 'FAILS'}")
print(f"criterion 3 (each pass-through delta >= -0.5 dB, 3 forms): {'holds' if c3 else 'FAILS'}")
print("verdict:", "PASSES" if c1 and c2 and c3 else "fails")
EOF
