#!/usr/bin/env bash
# Judge the over-suppression-low experiment with the rule of rule.md (this script written before training).
# Usage, from the repository root: bash models/training/ablations/over-suppression-low/judge.sh
# Needs runs/osw-0.3 (step 19500) and ../mic-colour/control's records and run (the control).
# Writes per-item JSON and the log to models/training/ablations/over-suppression-low/osw-0.3/; tables
# benchmarks/results/over-suppression-low.md (val), passthrough-over-suppression-low.md, over-suppression-low-dnsmos.md,
# noise-only-over-suppression-low-30.md; prints the criteria and the verdict. Each output is made only where
# it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/over-suppression-low
A=models/training/ablations
MC=$A/mic-colour
R=benchmarks/results
py=.venv/bin/python
mkdir -p runs/m "$here/osw-0.3"
export_run() {  # RUN NAME
    [ -s "runs/m/$2.onnx" ] || $py -m hance_plugin.training export --checkpoint "runs/$1/last.pt" --name "$2" \
        --out-dir runs/m > /dev/null
}
bash $A/branch-validate.sh runs/osw-0.3 "$here/osw-0.3" 19500 3
[ -s $R/over-suppression-low.json ] || $py benchmarks/training_ablation.py --name over-suppression-low --from-step 18000 \
    --run "control=$MC/control" --run "osw-0.3=$here/osw-0.3" \
    --final "plain val/control 19500=$MC/control/final-plain.json" \
    --final "plain val/osw-0.3 19500=$here/osw-0.3/final-plain.json" \
    --final "reverberant val/control 19500=$MC/control/rev-final.json" \
    --final "reverberant val/osw-0.3 19500=$here/osw-0.3/rev-final.json" \
    --final "plain val vs shipped/hance-base 18000=models/training/hance-base/val-plain-step18000.json" \
    --final "plain val vs shipped/osw-0.3 19500=$here/osw-0.3/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
export_run mic-colour-control mic-colour-control
export_run osw-0.3 osw-0.3
[ -s $R/passthrough-over-suppression-low.json ] || $py benchmarks/passthrough.py \
    --model runs/m/mic-colour-control.onnx --model runs/m/osw-0.3.onnx --split val \
    --name passthrough-over-suppression-low --no-progress > /dev/null
[ -s $R/over-suppression-low-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model runs/m/mic-colour-control.onnx \
    --model runs/m/osw-0.3.onnx --limits 100 --items 203 --dnsmos-items 60 \
    --name over-suppression-low-dnsmos --no-progress > /dev/null
[ -s $R/noise-only-over-suppression-low-30.json ] || $py benchmarks/noise_only.py --model runs/m/mic-colour-control.onnx \
    --model runs/m/osw-0.3.onnx --level-dbfs -30 --name noise-only-over-suppression-low-30 > /dev/null
$py - <<'PY'
"""rule.md: O1, O2, O3 (osw-0.3 - control); the arm against the shipped model (report only)."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = f"{R}/over-suppression-low.json"
mean = {}
for key in ("pesq_wb", "si_sdr"):
    vals = [paired_delta(rep, s, "osw-0.3 19500", key) for s in ("plain val", "reverberant val")]
    for s, (m, ci, n) in zip(("plain", "room"), vals):
        print(f"osw-0.3 - control {s:5s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
    mean[key] = (vals[0][0] + vals[1][0]) / 2
pt = passthrough_deltas(f"{R}/passthrough-over-suppression-low.json", "osw-0.3", None)  # vs the control (first model)
rows = [r for r in json.load(open(f"{R}/over-suppression-low-dnsmos.json"))["model_rows"]
        if r["bucket"] == "all" and r.get("against") == "mic-colour-control" and r["model"] == "osw-0.3"]
assert len(rows) == 1, rows
bak = rows[0]
l1 = mean["pesq_wb"] >= -0.005 and mean["si_sdr"] >= -0.1
l2 = bak["dnsmos_bak_delta"] >= 0.03
l3 = pt["single", "release"] >= -0.5 and pt["running", "release"] >= -0.5
print(f"O2 mean PESQ-WB {mean['pesq_wb']:+.4f} (>= -0.005), mean SI-SDR {mean['si_sdr']:+.3f} dB (>= -0.1): {'holds' if l1 else 'FAILS'}")
print(f"O1 DNSMOS BAK {bak['dnsmos_bak_delta']:+.3f} +- {bak['dnsmos_bak_ci95']:.3f} (>= +0.03; OVRL "
      f"{bak['dnsmos_ovrl_delta']:+.3f} +- {bak['dnsmos_ovrl_ci95']:.3f}): {'holds' if l2 else 'FAILS'}")
print(f"O3 pass-through single {pt['single', 'release']:+.2f}, running {pt['running', 'release']:+.2f} dB (each >= -0.5): "
      f"{'holds' if l3 else 'FAILS'}")
print("verdict:", "promising (next: the twin and a release rule with a BAK guard)" if l1 and l2 and l3 else "not promising")
print("\n== report only: osw-0.3 - the shipped step-18000 hance-base, plain val")
for key in ("pesq_wb", "si_sdr"):
    m, ci, n = paired_delta(rep, "plain val vs shipped", "osw-0.3 19500", key)
    print(f"{key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
print(f"noise alone at -30 dBFS: {R}/noise-only-over-suppression-low-30.md")
PY
