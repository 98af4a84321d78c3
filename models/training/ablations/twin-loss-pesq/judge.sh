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
import json
import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from training_ablation import _mean_ci

A = "models/training/ablations"
SETS = {
    "plain": ("models/training/hance-base/val-plain-step15000.json", f"{A}/loss-pesq/final-plain.json",
              "models/training/hance-twin/val-plain-step15000.json", f"{A}/twin-loss-pesq/final-plain.json"),
    "room": (f"{A}/speech-only-16500/base/rev-step15000.json", f"{A}/loss-pesq/rev-final.json",
             f"{A}/speech-only-16500/twin/rev-step15000.json", f"{A}/twin-loss-pesq/rev-final.json"),
}


def items(path):
    d = json.load(open(path))
    return {it["index"]: it for it in d["per_item"]}


def mean_ci(xs):
    r = _mean_ci(np.asarray(xs, dtype=np.float64))
    return r["mean"], r["ci95"], r["n"]


for name, paths in SETS.items():
    br, ba, tr, ta = (items(p) for p in paths)
    for key in ("pesq_wb", "si_sdr"):
        common = [i for i in br if all(d.get(i, {}).get(key) is not None for d in (br, ba, tr, ta))]
        before = mean_ci([br[i][key] - tr[i][key] for i in common])
        after = mean_ci([ba[i][key] - ta[i][key] for i in common])
        twin_gain = mean_ci([ta[i][key] - tr[i][key] for i in common])
        base_gain = mean_ci([ba[i][key] - br[i][key] for i in common])
        did = mean_ci([(ba[i][key] - br[i][key]) - (ta[i][key] - tr[i][key]) for i in common])
        verdict = ("the end-stage weights favour the phase-aware design" if did[0] - did[1] > 0 else
                   "the end-stage weights favour the twin" if did[0] + did[1] < 0 else "no difference between the designs")
        print(f"{name:5s} {key:7s} n={did[2]}: phase-aware - twin {before[0]:+.4f} +- {before[1]:.4f} at the releases, "
              f"{after[0]:+.4f} +- {after[1]:.4f} after; recipe gain base {base_gain[0]:+.4f} +- {base_gain[1]:.4f}, "
              f"twin {twin_gain[0]:+.4f} +- {twin_gain[1]:.4f}; change of the gap {did[0]:+.4f} +- {did[1]:.4f}: {verdict}")
PY
