#!/usr/bin/env bash
# Judge quiet-lead (rule.md, each round written before its training): the arm's checkpoint is checked at step 21000,
# ../unseen-judge.sh scores it against floor-reliance's ctl (plain val, the two ru voices, Widelands;
# pass-through and DNSMOS), digital_silence.py runs both exported models over 8-s val mixtures with the
# quiet lead-ins, then Q1-Q3. Outputs are made only where missing.
#   bash models/training/ablations/quiet-lead/judge.sh [lead|keep]   (about 15 min at 2 cores)
# Round 1's arm `lead` writes benchmarks/results/quiet-lead*, round 2's `keep` quiet-lead-keep*.
set -euo pipefail
here=models/training/ablations/quiet-lead
fr=models/training/ablations/floor-reliance
py=.venv/bin/python
R=benchmarks/results
arm="${1:-lead}"
case "$arm" in lead) name=quiet-lead ;; keep) name=quiet-lead-keep ;; *) echo "arm must be lead or keep" >&2; exit 2 ;; esac
ckpt=$(bash models/training/ablations/final-checkpoint.sh "runs/ql-$arm/last.pt" /nonexistent 21000)
bash models/training/ablations/final-checkpoint.sh runs/fr-ctl/last.pt /nonexistent 21000 > /dev/null
bash models/training/ablations/unseen-judge.sh "$name" 19500 "$fr/ctl" runs/fr-ctl/last.pt "$here/$arm" "$ckpt" \
    | tee "runs/ql-judge-$arm.out"
[ -s "$R/$name-8s.json" ] || $py benchmarks/digital_silence.py --model runs/m/fr-ctl.onnx --model "runs/m/ql-$arm.onnx" \
    --segment-seconds 8 --items 40 --name "$name-8s" --no-progress
export NAME="$name" ARM="$arm"
$py - <<'PY' | tee -a "runs/ql-judge-$arm.out"
"""Q1-Q3 of rule.md, the arm - control."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
name, label = os.environ["NAME"], os.environ["ARM"]
ds = json.load(open(f"{R}/{name}-8s.json"))
ctl, arm = "fr-ctl", "ql-" + label
loss = {}
for model in (ctl, arm):
    for lead in ("lead_dither", "lead_hum", "lead_quiet_noise"):
        delta = ds["models"][model]["deltas"][f"{lead} - plain"]
        loss[model, lead] = delta["si_sdr"]["mean"]
        print(f"{model:8s} {lead:17s} - plain: SI-SDR {delta['si_sdr']['mean']:+.2f} +- {delta['si_sdr']['ci95']:.2f} dB, "
              f"PESQ-WB {delta['pesq_wb']['mean']:+.3f} +- {delta['pesq_wb']['ci95']:.3f}")
q1 = (loss[arm, "lead_dither"] >= 0.5 * loss[ctl, "lead_dither"] and loss[arm, "lead_hum"] >= 0.5 * loss[ctl, "lead_hum"]
      and loss[arm, "lead_quiet_noise"] >= loss[ctl, "lead_quiet_noise"])


def paired(condition, key):
    a = {r["index"]: r[condition][key] for r in ds["per_item"][arm]}
    c = {r["index"]: r[condition][key] for r in ds["per_item"][ctl]}
    x = np.array([a[i] - c[i] for i in a if i in c and a[i] is not None and c[i] is not None], float)
    return float(x.mean()), float(1.96 * x.std(ddof=1) / np.sqrt(x.size)), x.size


p8 = {k: paired("plain", k) for k in ("pesq_wb", "si_sdr")}
for cond in ("plain", "lead_dither", "lead_hum", "lead_quiet_noise"):
    for k in ("pesq_wb", "si_sdr"):
        m, ci, n = paired(cond, k)
        print(f"8-s {cond:17s} {k:8s} {label} - control {m:+.4f} +- {ci:.4f} (n={n})")
plain = {k: paired_delta(f"{R}/{name}.json", "plain val", label, k)[0] for k in ("pesq_wb", "si_sdr")}
wl = paired_delta(f"{R}/{name}.json", "unheard noise (widelands)", label, "pesq_wb")[0]
q2 = (p8["pesq_wb"][0] >= -0.010 and p8["si_sdr"][0] >= -0.20 and plain["pesq_wb"] >= -0.010
      and plain["si_sdr"] >= -0.20 and wl >= -0.010)
pt = passthrough_deltas(f"{R}/passthrough-{name}.json", arm, None)  # its first model is the control
q3 = all(v >= -0.3 for v in pt.values())
print(f"{label}: Q1 {'holds' if q1 else 'fails'}; Q2 {'holds' if q2 else 'fails'}; Q3 {'holds' if q3 else 'fails'}")
PY
