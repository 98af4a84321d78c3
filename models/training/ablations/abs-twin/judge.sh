#!/usr/bin/env bash
# Judge the abs-twin experiment (rule.md; written before the results).
# Usage, from the repository root, once runs/abs-twin is at step 3000 (and
# ../deep-filter-scratch/control/final-plain.json exists):
#   bash models/training/ablations/abs-twin/judge.sh
# Writes arm/ here (log.jsonl, final-plain.json), benchmarks/results/abs-twin.{md,json} (paired,
# training_ablation.py) and benchmarks/results/abs-twin-gains.{md,json} (band_gains.py), then prints M1.
set -euo pipefail
here=models/training/ablations/abs-twin
ref=models/training/ablations/deep-filter-scratch/control
py=.venv/bin/python
R=benchmarks/results
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" runs/abs-twin/last.pt)
[ "$s" = 3000 ] || { echo "abs-twin at step $s, the rule judges at 3000" >&2; exit 2; }
bash "$here/run.sh" save
[ -s "$here/arm/final-plain.json" ] || $py -m hance_plugin.training validate runs/abs-twin/last.pt --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/arm/final-plain.json"
[ -s $R/abs-twin-gains.json ] || $py benchmarks/band_gains.py --checkpoint abs-twin=runs/abs-twin/last.pt \
    --checkpoint phase-aware=runs/deep-filter-scratch-control/last.pt --threads 2 --name abs-twin-gains > /dev/null
[ -s $R/abs-twin.json ] || $py benchmarks/training_ablation.py --name abs-twin --from-step 0 \
    --run "phase-aware=$ref" --run "abs-twin=$here/arm" \
    --final "plain val/phase-aware=$ref/final-plain.json" --final "plain val/abs-twin=$here/arm/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - <<'PY'
"""M1 of rule.md."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta  # noqa: E402

out = {}
for key in ("si_sdr", "pesq_wb"):  # paired per item in the table written above
    m, ci, n = paired_delta("benchmarks/results/abs-twin.json", "plain val", "abs-twin", key)
    out[key] = {"mean": m, "ci95": ci, "n": n}
    print(f"abs-twin - phase-aware {key}: {m:+.3f} +- {ci:.3f} ({n} items)")
m1 = out["si_sdr"]["mean"] >= -0.1 and out["pesq_wb"]["mean"] >= -0.005
print(f"M1 (SI-SDR >= -0.1 dB and PESQ-WB >= -0.005): {'holds' if m1 else 'fails'}")
PY
