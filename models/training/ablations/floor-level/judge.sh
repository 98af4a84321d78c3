#!/usr/bin/env bash
# Judge the floor-level experiment with the rule of rule.md (this script written before training).
# Usage, from the repository root: bash models/training/ablations/floor-level/judge.sh
# Needs runs/floor-level-low (step 19500) and ../mic-colour/control's records and run (the control).
# Writes per-item JSON and the log to models/training/ablations/floor-level/low/; tables
# benchmarks/results/floor-level.md (val), passthrough-floor-level.md, floor-level-dnsmos.md,
# noise-only-floor-level-30.md; prints the criteria and the verdict. Each output is made only where
# it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/floor-level
A=models/training/ablations
MC=$A/mic-colour
R=benchmarks/results
py=.venv/bin/python
mkdir -p runs/m "$here/low"
export_run() {  # RUN NAME
    [ -s "runs/m/$2.onnx" ] || $py -m hance_plugin.training export --checkpoint "runs/$1/last.pt" --name "$2" \
        --out-dir runs/m > /dev/null
}
bash $A/branch-validate.sh runs/floor-level-low "$here/low" 19500 3
[ -s $R/floor-level.json ] || $py benchmarks/training_ablation.py --name floor-level --from-step 18000 \
    --run "control=$MC/control" --run "floor-low=$here/low" \
    --final "plain val/control 19500=$MC/control/final-plain.json" \
    --final "plain val/floor-low 19500=$here/low/final-plain.json" \
    --final "reverberant val/control 19500=$MC/control/rev-final.json" \
    --final "reverberant val/floor-low 19500=$here/low/rev-final.json" \
    --final "plain val vs shipped/hance-base 18000=models/training/hance-base/val-plain-step18000.json" \
    --final "plain val vs shipped/floor-low 19500=$here/low/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
export_run mic-colour-control mic-colour-control
export_run floor-level-low floor-level-low
[ -s $R/passthrough-floor-level.json ] || $py benchmarks/passthrough.py \
    --model runs/m/mic-colour-control.onnx --model runs/m/floor-level-low.onnx --split val \
    --name passthrough-floor-level --no-progress > /dev/null
[ -s $R/floor-level-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model runs/m/mic-colour-control.onnx \
    --model runs/m/floor-level-low.onnx --limits 100 --items 203 --dnsmos-items 60 \
    --name floor-level-dnsmos --no-progress > /dev/null
[ -s $R/noise-only-floor-level-30.json ] || $py benchmarks/noise_only.py --model runs/m/mic-colour-control.onnx \
    --model runs/m/floor-level-low.onnx --level-dbfs -30 --name noise-only-floor-level-30 > /dev/null
$py - <<'PY'
"""rule.md: L1, L2, L3 (floor-low - control); the arm against the shipped model (report only)."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = f"{R}/floor-level.json"
mean = {}
for key in ("pesq_wb", "si_sdr"):
    vals = [paired_delta(rep, s, "floor-low 19500", key) for s in ("plain val", "reverberant val")]
    for s, (m, ci, n) in zip(("plain", "room"), vals):
        print(f"floor-low - control {s:5s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
    mean[key] = (vals[0][0] + vals[1][0]) / 2
pt = passthrough_deltas(f"{R}/passthrough-floor-level.json", "floor-level-low", None)  # vs the control (first model)
rows = [r for r in json.load(open(f"{R}/floor-level-dnsmos.json"))["model_rows"]
        if r["bucket"] == "all" and r.get("against") == "mic-colour-control" and r["model"] == "floor-level-low"]
assert len(rows) == 1, rows
bak = rows[0]
l1 = mean["pesq_wb"] >= -0.005 and mean["si_sdr"] >= -0.1
l2 = bak["dnsmos_bak_delta"] >= 0.03
l3 = pt["single", "release"] >= -0.5 and pt["running", "release"] >= -0.5
print(f"L1 mean PESQ-WB {mean['pesq_wb']:+.4f} (>= -0.005), mean SI-SDR {mean['si_sdr']:+.3f} dB (>= -0.1): {'holds' if l1 else 'FAILS'}")
print(f"L2 DNSMOS BAK {bak['dnsmos_bak_delta']:+.3f} +- {bak['dnsmos_bak_ci95']:.3f} (>= +0.03; OVRL "
      f"{bak['dnsmos_ovrl_delta']:+.3f} +- {bak['dnsmos_ovrl_ci95']:.3f}): {'holds' if l2 else 'FAILS'}")
print(f"L3 pass-through single {pt['single', 'release']:+.2f}, running {pt['running', 'release']:+.2f} dB (each >= -0.5): "
      f"{'holds' if l3 else 'FAILS'}")
print("verdict:", "promising (next: the twin and a release rule with a BAK guard)" if l1 and l2 and l3 else "not promising")
print("\n== report only: floor-low - the shipped step-18000 hance-base, plain val")
for key in ("pesq_wb", "si_sdr"):
    m, ci, n = paired_delta(rep, "plain val vs shipped", "floor-low 19500", key)
    print(f"{key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
print(f"noise alone at -30 dBFS: {R}/noise-only-floor-level-30.md")
PY
