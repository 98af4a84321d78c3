#!/usr/bin/env bash
# Measure runs/twin-loss-pesq/last.pt (step 16500) as rule.md says (report-only; written before training).
# Usage, from the repository root: bash models/training/ablations/twin-loss-pesq/judge.sh
# Writes per-item JSON next to this script and prints phase-aware - twin at the releases and after
# the loss-pesq recipe, and the change of that gap, paired per item, on plain and room val.
set -euo pipefail
here="models/training/ablations/twin-loss-pesq"
bash models/training/ablations/branch-validate.sh runs/twin-loss-pesq "$here" 16500
.venv/bin/python - <<'PY'
"""Difference in differences, per item: (base after - base release) - (twin after - twin release)
= (phase-aware - twin after) - (phase-aware - twin at the releases); mean +- 95 % CI (1.96 s / sqrt n)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import gap_change

A = "models/training/ablations"
SETS = {
    "plain": ("models/training/hance-base/val-plain-step15000.json", f"{A}/loss-pesq/final-plain.json",
              "models/training/hance-twin/val-plain-step15000.json", f"{A}/twin-loss-pesq/final-plain.json"),
    "room": (f"{A}/speech-only-16500/base/rev-step15000.json", f"{A}/loss-pesq/rev-final.json",
             f"{A}/speech-only-16500/twin/rev-step15000.json", f"{A}/twin-loss-pesq/rev-final.json"),
}

for name, paths in SETS.items():
    for key in ("pesq_wb", "si_sdr"):
        g = gap_change(*paths, key)
        before, after, did = g["before"], g["after"], g["did"]
        verdict = ("the end-stage weights favour the phase-aware design" if did["mean"] - did["ci95"] > 0 else
                   "the end-stage weights favour the twin" if did["mean"] + did["ci95"] < 0 else "no difference between the designs")
        print(f"{name:5s} {key:7s} n={did['n']}: phase-aware - twin {before['mean']:+.4f} +- {before['ci95']:.4f} at the releases, "
              f"{after['mean']:+.4f} +- {after['ci95']:.4f} after; recipe gain base {g['base_gain']['mean']:+.4f} +- "
              f"{g['base_gain']['ci95']:.4f}, twin {g['twin_gain']['mean']:+.4f} +- {g['twin_gain']['ci95']:.4f}; "
              f"change of the gap {did['mean']:+.4f} +- {did['ci95']:.4f}: {verdict}")
PY
