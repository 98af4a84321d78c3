#!/usr/bin/env bash
# Judge the noise-floor-init experiment with the rule of rule.md (this script written before any result).
# Usage, from the repository root, after `run.sh control` and `run.sh floor` reached step 2000:
#   bash models/training/ablations/noise-floor-init/judge.sh
# Writes per-item JSON and logs next to this script and the table benchmarks/results/noise-floor-init.md;
# prints the criteria and the verdict. Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/noise-floor-init
c0=models/training/ablations/subband-scratch/control
f0=models/training/ablations/noise-floor/floor
R=benchmarks/results
py=.venv/bin/python
for arm in control floor; do
    run="runs/noise-floor-init-$arm"
    step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
    if [ "$step" != 2000 ]; then echo "$arm: checkpoint at step $step, the rule applies at 2000" >&2; exit 2; fi
    mkdir -p "$here/$arm"
    cp "$run/log.jsonl" "$here/$arm/log.jsonl"
    v=($py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false)
    [ -s "$here/$arm/heldout-noise.json" ] || "${v[@]}" --holdout > "$here/$arm/heldout-noise.json"
    [ -s "$here/$arm/final-plain.json" ] || "${v[@]}" > "$here/$arm/final-plain.json"
done
# first run of each set = control at init 1; the others are paired against it
[ -s $R/noise-floor-init.json ] || $py benchmarks/training_ablation.py --name noise-floor-init --from-step 0 \
    --run "control init1=$here/control" --run "floor init1=$here/floor" \
    --run "control init0=$c0" --run "floor init0=$f0" \
    --final "held-out noise/control init1=$here/control/heldout-noise.json" \
    --final "held-out noise/floor init1=$here/floor/heldout-noise.json" \
    --final "held-out noise/control init0=$c0/heldout-noise.json" \
    --final "held-out noise/floor init0=$f0/heldout-noise.json" \
    --final "plain val/control init1=$here/control/final-plain.json" \
    --final "plain val/floor init1=$here/floor/final-plain.json" \
    --final "plain val/control init0=$c0/final-plain.json" \
    --final "plain val/floor init0=$f0/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - <<'PY'
"""rule.md: R1, R2 (floor - control at init 1, paired per item); report-only rows."""
import json
import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

R = "benchmarks/results"
rep = json.load(open(f"{R}/noise-floor-init.json"))
d = {}
for s in ("held-out noise", "plain val"):
    for run in ("floor init1", "control init0", "floor init0"):
        for k in ("pesq_wb", "si_sdr"):
            d[s, run, k] = paired_delta(rep, s, run, k)
            m, ci, n = d[s, run, k]
            print(f"{s:14s} {k:8s} {run:13s} - control init1 {m:+.4f} +- {ci:.4f} (n={n})")
r1 = d["held-out noise", "floor init1", "pesq_wb"][0] >= 0.024 and d["held-out noise", "floor init1", "si_sdr"][0] >= 0.15
r2 = d["plain val", "floor init1", "pesq_wb"][0] >= -0.010 and d["plain val", "floor init1", "si_sdr"][0] >= -0.2
print(f"R1 held-out noise floor - control (init 1) PESQ-WB >= +0.024 and SI-SDR >= +0.15 dB: {'holds' if r1 else 'FAILS'}")
print(f"R2 plain val floor - control (init 1) PESQ-WB >= -0.010 and SI-SDR >= -0.2 dB: {'holds' if r2 else 'FAILS'}")
print("verdict:", "confirmed (the floor input joins the next from-scratch recipe)" if r1 and r2 else
      "not confirmed (noise-floor's verdict is withdrawn)")
print("\n== report only (from the paired means above)")
for s in ("held-out noise", "plain val"):
    for k in ("pesq_wb", "si_sdr"):
        spread = -d[s, "control init0", k][0]  # control init1 - control init0
        f1 = d[s, "floor init1", k][0]
        f0_c0 = d[s, "floor init0", k][0] - d[s, "control init0", k][0]
        f1_f0 = f1 - d[s, "floor init0", k][0]
        print(f"{s:14s} {k:8s} init spread control(1) - control(0) {spread:+.4f}; floor(1) - floor(0) {f1_f0:+.4f}; "
              f"floor - control at init 0 {f0_c0:+.4f}, at init 1 {f1:+.4f}, mean {np.mean([f0_c0, f1]):+.4f}")
PY
