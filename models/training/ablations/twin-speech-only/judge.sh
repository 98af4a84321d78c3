#!/usr/bin/env bash
# Measure runs/twin-speech-only/last.pt (step 16500) as rule.md says (report only; written before training).
# Usage, from the repository root: bash models/training/ablations/twin-speech-only/judge.sh
# Writes per-item JSON next to this script; prints the change of the phase-aware - twin gap (difference
# in differences, paired per item) for speech-only-pesq + this twin and for the level-release pair.
set -euo pipefail
here=models/training/ablations/twin-speech-only
bash models/training/ablations/branch-validate.sh runs/twin-speech-only "$here" 16500 3
.venv/bin/python - <<'PY'
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import gap_change

A = "models/training/ablations"
REL = {"plain": ("models/training/hance-base/val-plain-step15000.json", "models/training/hance-twin/val-plain-step15000.json"),
       "room": (f"{A}/speech-only-16500/base/rev-step15000.json", f"{A}/speech-only-16500/twin/rev-step15000.json")}
PAIRS = {"speech-only": {"plain": (f"{A}/speech-only-pesq/final-plain.json", f"{A}/twin-speech-only/final-plain.json"),
                         "room": (f"{A}/speech-only-pesq/rev-final.json", f"{A}/twin-speech-only/rev-final.json")},
         "level-release": {"plain": (f"{A}/level-release/base/final-plain.json", f"{A}/level-release/twin/final-plain.json"),
                           "room": (f"{A}/level-release/base/rev-final.json", f"{A}/level-release/twin/rev-final.json")}}

did = {}
for pair, sets in PAIRS.items():
    for s, (base_after, twin_after) in sets.items():
        for key in ("pesq_wb", "si_sdr"):
            g = gap_change(REL[s][0], base_after, REL[s][1], twin_after, key)
            r, twin_gain = g["did"], g["twin_gain"]
            did[pair, s, key] = r
            print(f"{pair:13s} {s:5s} {key:7s}: change of the phase-aware - twin gap {r['mean']:+.4f} +- {r['ci95']:.4f} "
                  f"(twin gain {twin_gain['mean']:+.4f} +- {twin_gain['ci95']:.4f}, n={r['n']})")
so, lr = did["speech-only", "plain", "pesq_wb"], did["level-release", "plain", "pesq_wb"]
if so["mean"] + so["ci95"] < 0 and so["mean"] <= lr["mean"] / 2:
    print("reading: speech-only segments account for at least half of the narrowing")
elif so["mean"] - so["ci95"] <= 0 <= so["mean"] + so["ci95"] and so["mean"] > lr["mean"] / 2:
    print("reading: the level settings (or their interaction) account for most of the narrowing")
else:
    print("reading: not separable at this size")
PY
