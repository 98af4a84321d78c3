#!/usr/bin/env bash
# Judge the subband-scratch experiment with the rule of rule.md (this script written before any result).
# Usage, from the repository root, after `run.sh control` and `run.sh sub` reached step 2000:
#   bash models/training/ablations/subband-scratch/judge.sh
# Writes per-item JSON and logs next to this script; tables benchmarks/results/subband-scratch.md (val),
# passthrough-subband-scratch.md, subband-scratch-dnsmos.md, noise-only-subband-scratch-30.md; prints
# the criteria and the verdict. Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/subband-scratch
ns=models/training/ablations/noise-speed/control
R=benchmarks/results
py=.venv/bin/python
mkdir -p runs/m
for arm in control sub; do
    run="runs/subband-scratch-$arm"
    step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
    if [ "$step" != 2000 ]; then echo "$arm: checkpoint at step $step, the rule applies at 2000" >&2; exit 2; fi
    mkdir -p "$here/$arm"
    cp "$run/log.jsonl" "$here/$arm/log.jsonl"
    v=($py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false)
    [ -s "$here/$arm/heldout-noise.json" ] || "${v[@]}" --holdout > "$here/$arm/heldout-noise.json"
    [ -s "$here/$arm/final-plain.json" ] || "${v[@]}" > "$here/$arm/final-plain.json"
    [ -s "runs/m/subband-scratch-$arm.onnx" ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
        --name "subband-scratch-$arm" --out-dir runs/m > /dev/null
done
[ -s $R/subband-scratch.json ] || $py benchmarks/training_ablation.py --name subband-scratch --from-step 0 \
    --run "control=$here/control" --run "sub=$here/sub" --run "noise-speed control=$ns" \
    --final "held-out noise/control=$here/control/heldout-noise.json" \
    --final "held-out noise/sub=$here/sub/heldout-noise.json" \
    --final "held-out noise/noise-speed control=$ns/heldout-noise.json" \
    --final "plain val/control=$here/control/final-plain.json" \
    --final "plain val/sub=$here/sub/final-plain.json" \
    --final "plain val/noise-speed control=$ns/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
m=(--model runs/m/subband-scratch-control.onnx --model runs/m/subband-scratch-sub.onnx)
[ -s $R/passthrough-subband-scratch.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-subband-scratch --no-progress > /dev/null
[ -s $R/subband-scratch-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name subband-scratch-dnsmos --no-progress > /dev/null
[ -s $R/noise-only-subband-scratch-30.json ] || $py benchmarks/noise_only.py "${m[@]}" --level-dbfs -30 \
    --name noise-only-subband-scratch-30 > /dev/null
$py - <<'PY'
"""rule.md: U1, U2 (sub - control, paired per item); report-only rows."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = json.load(open(f"{R}/subband-scratch.json"))
d = {}
for s in ("held-out noise", "plain val"):
    for run in ("sub", "noise-speed control"):
        for k in ("pesq_wb", "si_sdr"):
            d[s, run, k] = paired_delta(rep, s, run, k)
            m, ci, n = d[s, run, k]
            print(f"{s:14s} {k:8s} {run:19s} - control {m:+.4f} +- {ci:.4f} (n={n})")
u1 = d["held-out noise", "sub", "pesq_wb"][0] >= 0.024 and d["held-out noise", "sub", "si_sdr"][0] >= 0.15
u2 = d["plain val", "sub", "pesq_wb"][0] >= -0.010 and d["plain val", "sub", "si_sdr"][0] >= -0.2
print(f"U1 held-out noise PESQ-WB >= +0.024 and SI-SDR >= +0.15 dB: {'holds' if u1 else 'FAILS'}")
print(f"U2 plain val PESQ-WB >= -0.010 and SI-SDR >= -0.2 dB: {'holds' if u2 else 'FAILS'}")
print("verdict:", "promising (the refinement joins the next from-scratch recipe)" if u1 and u2 else "not promising")
print("\n== report only")
for row in rep["final"]:
    if row["run"] == "sub":
        for g, v in sorted(row.get("groups", {}).items()):
            print(f"{row['set']:14s} {g:34s} PESQ-WB {v['pesq_wb']['mean']:+.4f} +- {v['pesq_wb']['ci95']:.4f}, "
                  f"SI-SDR {v['si_sdr']['mean']:+.3f} +- {v['si_sdr']['ci95']:.3f} dB (n={v['si_sdr']['n']})")
        for g in ("all",):
            gl = row["gains"][g]
            print(f"{row['set']:14s} sub gain over noisy: SDR<6k {gl['sdr_low']['mean']:+.2f}, SDR>6k {gl['sdr_high']['mean']:+.2f} dB")
    if row["run"] == "control":
        gl = row["gains"]["all"]
        print(f"{row['set']:14s} control gain over noisy: SDR<6k {gl['sdr_low']['mean']:+.2f}, SDR>6k {gl['sdr_high']['mean']:+.2f} dB")
pt = passthrough_deltas(f"{R}/passthrough-subband-scratch.json", "subband-scratch-sub", None)  # vs the control (first model)
rows = [r for r in json.load(open(f"{R}/subband-scratch-dnsmos.json"))["model_rows"]
        if r["bucket"] == "all" and r.get("against") == "subband-scratch-control" and r["model"] == "subband-scratch-sub"]
assert len(rows) == 1, rows
b = rows[0]
print(f"DNSMOS (60 plain val) sub - control: BAK {b['dnsmos_bak_delta']:+.3f} +- {b['dnsmos_bak_ci95']:.3f}, "
      f"OVRL {b['dnsmos_ovrl_delta']:+.3f} +- {b['dnsmos_ovrl_ci95']:.3f}")
print(f"noise alone at -30 dBFS: {R}/noise-only-subband-scratch-30.md")
PY
