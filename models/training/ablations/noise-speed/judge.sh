#!/usr/bin/env bash
# Judge the noise-speed experiment with the rule of rule.md (written before training): both arms at
# step 2000, scored per item on val speech with the four held-out noise families and on plain val,
# paired against the control; lp03 (../holdout-noise/lp03, the same recipe trained earlier) is the null pair.
# Usage, from the repository root, after `run.sh control` and `run.sh speed`:
#   bash models/training/ablations/noise-speed/judge.sh
# Writes per-item JSON and logs next to this script, the table to benchmarks/results/noise-speed.md,
# prints the verdict.
set -euo pipefail
here=models/training/ablations/noise-speed
lp03=models/training/ablations/holdout-noise/lp03
py=.venv/bin/python
for arm in control speed; do
    run="runs/noise-speed-$arm"
    step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
    if [ "$step" != 2000 ]; then echo "$arm: checkpoint at step $step, the rule applies at 2000" >&2; exit 2; fi
    mkdir -p "$here/$arm"
    cp "$run/log.jsonl" "$here/$arm/log.jsonl"
    v=($py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false)
    [ -s "$here/$arm/heldout-noise.json" ] || "${v[@]}" --holdout > "$here/$arm/heldout-noise.json"
    [ -s "$here/$arm/final-plain.json" ] || "${v[@]}" > "$here/$arm/final-plain.json"
done
$py benchmarks/training_ablation.py --name noise-speed --run "control=$here/control" --run "speed=$here/speed" \
    --run "lp03=$lp03" --from-step 0 \
    --final "held-out noise/control=$here/control/heldout-noise.json" \
    --final "held-out noise/speed=$here/speed/heldout-noise.json" \
    --final "held-out noise/lp03=$lp03/holdout-plain.json" \
    --final "plain val/control=$here/control/final-plain.json" \
    --final "plain val/speed=$here/speed/final-plain.json" \
    --final "plain val/lp03=$lp03/final-plain.json" > /dev/null
$py - <<'PY'
"""The rule of rule.md: speed - control and the null pair lp03 - control, paired per item (`paired_delta`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

d = {}
for s in ("held-out noise", "plain val"):
    for run in ("speed", "lp03"):
        for k in ("pesq_wb", "si_sdr"):
            d[s, run, k] = paired_delta("benchmarks/results/noise-speed.json", s, run, k)
            m, ci, n = d[s, run, k]
            print(f"{s:14s} {k:8s} {run:5s} - control {m:+.4f} +- {ci:.4f} (n={n})")
h = {k: d["held-out noise", "speed", k][0] for k in ("pesq_wb", "si_sdr")}
null = {k: abs(d["held-out noise", "lp03", k][0]) for k in ("pesq_wb", "si_sdr")}
c1 = h["pesq_wb"] >= 0.015 and h["si_sdr"] >= 0.3 and h["pesq_wb"] > null["pesq_wb"] and h["si_sdr"] > null["si_sdr"]
c2 = d["plain val", "speed", "pesq_wb"][0] >= -0.010 and d["plain val", "speed", "si_sdr"][0] >= -0.2
print(f"criterion 1 (held-out noise: PESQ-WB >= +0.015, SI-SDR >= +0.3 dB, each above the null pair's |lp03 - control|): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (plain val: PESQ-WB >= -0.010, SI-SDR >= -0.2 dB): {'holds' if c2 else 'FAILS'}")
print("verdict:", "noise speed joins the next from-scratch recipe" if c1 and c2 else "fails: stays off")
PY
