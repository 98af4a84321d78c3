#!/usr/bin/env bash
# Judge lead-in-restart (rule.md, written before the measurement): digital_silence.py over 8-s val
# mixtures and passthrough.py on val and both ru voices, hance-base with and without lead_in=restart,
# then R1-R3. Outputs are made only where missing (benchmarks/results/lead-in-restart*, passthrough-lead-in-restart*).
#   bash models/training/ablations/lead-in-restart/judge.sh        (about 15 min at 2 cores)
set -euo pipefail
py=.venv/bin/python
R=benchmarks/results
m=(--model hance-base --model 'hance-base[lead_in=restart]')
[ -s $R/lead-in-restart-8s.json ] || $py benchmarks/digital_silence.py "${m[@]}" --segment-seconds 8 --items 40 \
    --name lead-in-restart-8s --no-progress > /dev/null
[ -s $R/passthrough-lead-in-restart.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-lead-in-restart --no-progress > /dev/null
[ -s $R/passthrough-lead-in-restart-ru.json ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir ../data-voices-ru \
    --split val --name passthrough-lead-in-restart-ru --no-progress > /dev/null
[ -s $R/passthrough-lead-in-restart-tpru.json ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir ../data-tuxpaint-ru \
    --split val --name passthrough-lead-in-restart-tpru --no-progress > /dev/null
$py - <<'PY'
"""R1-R3 of rule.md."""
import json
import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from training_ablation import passthrough_deltas

R = "benchmarks/results"
off, on = "hance-base", "hance-base[lead_in=restart]"
ds = json.load(open(f"{R}/lead-in-restart-8s.json"))
loss = {}
for model in (off, on):
    for lead in ("lead_dither", "lead_hum", "lead_quiet_noise"):
        delta = ds["models"][model]["deltas"][f"{lead} - plain"]
        loss[model, lead] = delta["si_sdr"]["mean"]
        print(f"{model:28s} {lead:17s} - plain: SI-SDR {delta['si_sdr']['mean']:+.2f} +- {delta['si_sdr']['ci95']:.2f} dB, "
              f"PESQ-WB {delta['pesq_wb']['mean']:+.3f} +- {delta['pesq_wb']['ci95']:.3f}")
r1 = (loss[on, "lead_dither"] >= 0.25 * loss[off, "lead_dither"] and loss[on, "lead_hum"] >= 0.25 * loss[off, "lead_hum"]
      and loss[on, "lead_quiet_noise"] >= 0.5 * loss[off, "lead_quiet_noise"])


def paired(condition, key):
    a = {r["index"]: r[condition][key] for r in ds["per_item"][on]}
    c = {r["index"]: r[condition][key] for r in ds["per_item"][off]}
    x = np.array([a[i] - c[i] for i in a if i in c and a[i] is not None and c[i] is not None], float)
    return float(x.mean()), float(1.96 * x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0, x.size


d = {}
for cond in ("plain", "repeat", "gap", "lead", "lead_dither", "lead_hum", "lead_quiet_noise"):
    found = [r[cond].get("lead_in_s") for r in ds["per_item"][on]]
    hits = [f for f in found if f is not None]
    where = f", at {min(hits):.2f}-{max(hits):.2f} s" if hits else ""
    for k in ("pesq_wb", "si_sdr"):
        d[cond, k] = m, ci, n = paired(cond, k)
        print(f"{cond:17s} {k:8s} restart - off {m:+.4f} +- {ci:.4f} (n={n})")
    print(f"{cond:17s} lead-in found in {len(hits)} of {len(found)}{where}")
r2 = (all(d[c, "pesq_wb"][0] >= -0.005 and d[c, "si_sdr"][0] >= -0.05 for c in ("plain", "repeat", "gap"))
      and d["lead", "pesq_wb"][0] >= -0.005)
pt = {}
for suffix in ("", "-ru", "-tpru"):
    print(f"pass-through{suffix or ' (val)'}, restart - off:")
    report = json.load(open(f"{R}/passthrough-lead-in-restart{suffix}.json"))
    pt[suffix] = passthrough_deltas(report, on, None)  # its first model is the plain Denoiser
    for form in ("single", "running", "reverberant"):
        rows = [s for s, item in zip(report["per_item"][on], report["items"]) if item.get("form") == form]
        hits = [s["lead_in_s"] for s in rows if s.get("lead_in_s") is not None]
        print(f"  {form}: lead-in found in {len(hits)} of {len(rows)} items" + (f", at {min(hits):.2f}-{max(hits):.2f} s" if hits else ""))
r3 = all(v >= -0.05 for deltas in pt.values() for v in deltas.values())
print(f"lead-in-restart: R1 {'holds' if r1 else 'fails'}; R2 {'holds' if r2 else 'fails'}; R3 {'holds' if r3 else 'fails'}")
PY
