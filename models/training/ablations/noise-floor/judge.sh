#!/usr/bin/env bash
# Judge the noise-floor experiment with the rule of rule.md (this script written before any result).
# Usage, from the repository root, after `run.sh floor` reached step 2000:
#   bash models/training/ablations/noise-floor/judge.sh
# The control is ../subband-scratch/control: its committed per-item records, and for the engine-side
# report rows its export runs/m/subband-scratch-control.onnx (made from runs/subband-scratch-control/last.pt
# if missing; if that is gone too, `bash models/training/ablations/noise-floor/run.sh control 1` rebuilds
# it bit-identically, ~40 min, into runs/noise-floor-control: pass CONTROL_RUN=runs/noise-floor-control).
# Writes per-item JSON and the log next to this script; tables benchmarks/results/noise-floor.md (val),
# passthrough-noise-floor.md, noise-floor-dnsmos.md, noise-only-noise-floor-30.md; prints the criteria
# and the verdict. Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/noise-floor
ctl=models/training/ablations/subband-scratch/control
control_run="${CONTROL_RUN:-runs/subband-scratch-control}"
R=benchmarks/results
py=.venv/bin/python
mkdir -p runs/m
run=runs/noise-floor-floor
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
if [ "$step" != 2000 ]; then echo "floor: checkpoint at step $step, the rule applies at 2000" >&2; exit 2; fi
mkdir -p "$here/floor"
cp "$run/log.jsonl" "$here/floor/log.jsonl"
v=($py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false)
[ -s "$here/floor/heldout-noise.json" ] || "${v[@]}" --holdout > "$here/floor/heldout-noise.json"
[ -s "$here/floor/final-plain.json" ] || "${v[@]}" > "$here/floor/final-plain.json"
[ -s runs/m/noise-floor-floor.onnx ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
    --name noise-floor-floor --out-dir runs/m > /dev/null
[ -s runs/m/subband-scratch-control.onnx ] || $py -m hance_plugin.training export --checkpoint "$control_run/last.pt" \
    --name subband-scratch-control --out-dir runs/m > /dev/null
[ -s $R/noise-floor.json ] || $py benchmarks/training_ablation.py --name noise-floor --from-step 0 \
    --run "control=$ctl" --run "floor=$here/floor" \
    --final "held-out noise/control=$ctl/heldout-noise.json" \
    --final "held-out noise/floor=$here/floor/heldout-noise.json" \
    --final "plain val/control=$ctl/final-plain.json" \
    --final "plain val/floor=$here/floor/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
m=(--model runs/m/subband-scratch-control.onnx --model runs/m/noise-floor-floor.onnx)
[ -s $R/passthrough-noise-floor.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-noise-floor --no-progress > /dev/null
[ -s $R/noise-floor-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name noise-floor-dnsmos --no-progress > /dev/null
[ -s $R/noise-only-noise-floor-30.json ] || $py benchmarks/noise_only.py "${m[@]}" --level-dbfs -30 \
    --name noise-only-noise-floor-30 > /dev/null
$py - <<'PY'
"""rule.md: F1, F2 (floor - control, paired per item); report-only rows."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = json.load(open(f"{R}/noise-floor.json"))
d = {}
for s in ("held-out noise", "plain val"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(rep, s, "floor", k)
        m, ci, n = d[s, k]
        print(f"{s:14s} {k:8s} floor - control {m:+.4f} +- {ci:.4f} (n={n})")
f1 = d["held-out noise", "pesq_wb"][0] >= 0.024 and d["held-out noise", "si_sdr"][0] >= 0.15
f2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.2
print(f"F1 held-out noise PESQ-WB >= +0.024 and SI-SDR >= +0.15 dB: {'holds' if f1 else 'FAILS'}")
print(f"F2 plain val PESQ-WB >= -0.010 and SI-SDR >= -0.2 dB: {'holds' if f2 else 'FAILS'}")
print("verdict:", "promising (the floor input joins the next from-scratch recipe)" if f1 and f2 else "not promising")
print("\n== report only")
for row in rep["final"]:
    if row["run"] == "floor":
        for g, v in sorted(row.get("groups", {}).items()):
            print(f"{row['set']:14s} {g:34s} PESQ-WB {v['pesq_wb']['mean']:+.4f} +- {v['pesq_wb']['ci95']:.4f}, "
                  f"SI-SDR {v['si_sdr']['mean']:+.3f} +- {v['si_sdr']['ci95']:.3f} dB (n={v['si_sdr']['n']})")
    if row["run"] in ("floor", "control"):
        gl = row["gains"]["all"]
        print(f"{row['set']:14s} {row['run']} gain over noisy: SDR<6k {gl['sdr_low']['mean']:+.2f}, "
              f"SDR>6k {gl['sdr_high']['mean']:+.2f} dB")
passthrough_deltas(f"{R}/passthrough-noise-floor.json", "noise-floor-floor", None)  # vs the control (first model)
dnsmos_delta(f"{R}/noise-floor-dnsmos.json", "noise-floor-floor", "subband-scratch-control")
print(f"noise alone at -30 dBFS: {R}/noise-only-noise-floor-30.md")
PY
