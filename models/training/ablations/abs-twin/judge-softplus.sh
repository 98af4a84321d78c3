#!/usr/bin/env bash
# Score the softplus twin after the first stage (softplus.md; written before the results), report only.
# Usage, from the repository root, once runs/softplus-twin is at step 3000 and judge.sh has run:
#   bash models/training/ablations/abs-twin/judge-softplus.sh
# Writes softplus/ here (log.jsonl, final-plain.json) and benchmarks/results/twin-heads.{md,json}
# (phase-aware, abs-twin, softplus-twin; paired against the first), then prints the paired deltas.
set -euo pipefail
here=models/training/ablations/abs-twin
ref=models/training/ablations/deep-filter-scratch/control
py=.venv/bin/python
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" runs/softplus-twin/last.pt)
[ "$s" = 3000 ] || { echo "softplus-twin at step $s, scored at 3000" >&2; exit 2; }
TWIN_MASK=softplus bash "$here/run.sh" save
[ -s "$here/softplus/final-plain.json" ] || $py -m hance_plugin.training validate runs/softplus-twin/last.pt --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/softplus/final-plain.json"
[ -s benchmarks/results/twin-heads.json ] || $py benchmarks/training_ablation.py --name twin-heads --from-step 0 \
    --run "phase-aware=$ref" --run "abs-twin=$here/arm" --run "softplus-twin=$here/softplus" \
    --final "plain val/phase-aware=$ref/final-plain.json" --final "plain val/abs-twin=$here/arm/final-plain.json" \
    --final "plain val/softplus-twin=$here/softplus/final-plain.json" \
    --final "abs vs softplus/softplus-twin=$here/softplus/final-plain.json" \
    --final "abs vs softplus/abs-twin=$here/arm/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - <<'PY'
"""The paired deltas of softplus.md."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta  # noqa: E402

r = "benchmarks/results/twin-heads.json"
for set_name, run, ref in (("plain val", "softplus-twin", "phase-aware"), ("plain val", "abs-twin", "phase-aware"),
                           ("abs vs softplus", "abs-twin", "softplus-twin")):
    for key in ("si_sdr", "pesq_wb"):
        m, ci, n = paired_delta(r, set_name, run, key)
        print(f"{run} - {ref} {key}: {m:+.3f} +- {ci:.3f} ({n} items)")
PY
