#!/usr/bin/env bash
# Judge the more-noise experiment with the rule of rule.md (this script written before any result).
# Usage, from the repository root, after `run.sh` reached step 2000 (and ../subband-scratch/judge.sh
# ran: the control's records and runs/m/subband-scratch-control.onnx):
#   bash models/training/ablations/more-noise/judge.sh
# Writes per-item JSON and the log next to this script; tables benchmarks/results/more-noise.md (val),
# passthrough-more-noise.md, more-noise-dnsmos.md, noise-only-more-noise-30.md; prints the criteria
# and the verdict. Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/more-noise
ctl=models/training/ablations/subband-scratch/control
R=benchmarks/results
py=.venv/bin/python
run=runs/more-noise
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
if [ "$step" != 2000 ]; then echo "checkpoint at step $step, the rule applies at 2000" >&2; exit 2; fi
mkdir -p "$here/arm" runs/m
cp "$run/log.jsonl" "$here/arm/log.jsonl"
v=($py -m hance_plugin.training validate "$run/last.pt" --val-items 203 --pesq-items 203 --per-item --threads 2 --val-mix augment=false)
[ -s "$here/arm/heldout-noise.json" ] || "${v[@]}" --holdout > "$here/arm/heldout-noise.json"
[ -s "$here/arm/final-plain.json" ] || "${v[@]}" > "$here/arm/final-plain.json"
[ -s runs/m/more-noise.onnx ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" --name more-noise \
    --out-dir runs/m > /dev/null
[ -s $R/more-noise.json ] || $py benchmarks/training_ablation.py --name more-noise --from-step 0 \
    --run "control=$ctl" --run "more-noise=$here/arm" \
    --final "held-out noise/control=$ctl/heldout-noise.json" \
    --final "held-out noise/more-noise=$here/arm/heldout-noise.json" \
    --final "plain val/control=$ctl/final-plain.json" \
    --final "plain val/more-noise=$here/arm/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
m=(--model runs/m/subband-scratch-control.onnx --model runs/m/more-noise.onnx)
[ -s $R/passthrough-more-noise.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-more-noise --no-progress > /dev/null
[ -s $R/more-noise-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name more-noise-dnsmos --no-progress > /dev/null
[ -s $R/noise-only-more-noise-30.json ] || $py benchmarks/noise_only.py "${m[@]}" --level-dbfs -30 \
    --name noise-only-more-noise-30 > /dev/null
$py - <<'PY'
"""rule.md: N1, N2 (more-noise - control, paired per item); report-only rows."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
here, ctl = "models/training/ablations/more-noise/arm", "models/training/ablations/subband-scratch/control"
for name in ("heldout-noise", "final-plain"):  # same mixtures as the control's?
    a, c = (json.load(open(f"{p}/{name}.json"))["per_item"] for p in (here, ctl))
    same = len(a) == len(c) and all(x["speech_file"] == y["speech_file"] and x["pesq_wb_noisy"] == y["pesq_wb_noisy"]
                                    and x["si_sdr_noisy"] == y["si_sdr_noisy"] for x, y in zip(a, c))
    print(f"{name}: mixtures identical to the control's (speech file and noisy scores per item): {same}")
rep = json.load(open(f"{R}/more-noise.json"))
d = {}
for s in ("held-out noise", "plain val"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(rep, s, "more-noise", k)
        m, ci, n = d[s, k]
        print(f"{s:14s} {k:8s} more-noise - control {m:+.4f} +- {ci:.4f} (n={n})")
n1 = d["held-out noise", "pesq_wb"][0] >= 0.024 and d["held-out noise", "si_sdr"][0] >= 0.15
n2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.2
print(f"N1 held-out noise PESQ-WB >= +0.024 and SI-SDR >= +0.15 dB: {'holds' if n1 else 'FAILS'}")
print(f"N2 plain val PESQ-WB >= -0.010 and SI-SDR >= -0.2 dB: {'holds' if n2 else 'FAILS'}")
print("verdict:", "promising (the extra noise becomes a data option for the next from-scratch recipe)"
      if n1 and n2 else "not promising")
print("\n== report only")
for row in rep["final"]:
    if row["run"] == "more-noise":
        for g, v in sorted(row.get("groups", {}).items()):
            print(f"{row['set']:14s} {g:34s} PESQ-WB {v['pesq_wb']['mean']:+.4f} +- {v['pesq_wb']['ci95']:.4f}, "
                  f"SI-SDR {v['si_sdr']['mean']:+.3f} +- {v['si_sdr']['ci95']:.3f} dB (n={v['si_sdr']['n']})")
pt = passthrough_deltas(f"{R}/passthrough-more-noise.json", "more-noise", None)  # vs the control (first model)
rows = [r for r in json.load(open(f"{R}/more-noise-dnsmos.json"))["model_rows"]
        if r["bucket"] == "all" and r.get("against") == "subband-scratch-control" and r["model"] == "more-noise"]
assert len(rows) == 1, rows
b = rows[0]
print(f"DNSMOS (60 plain val) more-noise - control: BAK {b['dnsmos_bak_delta']:+.3f} +- {b['dnsmos_bak_ci95']:.3f}, "
      f"OVRL {b['dnsmos_ovrl_delta']:+.3f} +- {b['dnsmos_ovrl_ci95']:.3f}")
print(f"noise alone at -30 dBFS: {R}/noise-only-more-noise-30.md")
PY
