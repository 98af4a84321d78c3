#!/usr/bin/env bash
# Judge the phase-loss experiment (rule.md; written before the results), report only.
# Usage, from the repository root, once both arms are at step 19500:
#   bash models/training/ablations/phase-loss/judge.sh
# Writes control/ and complex/ here (log.jsonl, final-plain.json: plain val, 203 mixtures, per item),
# benchmarks/results/phase-loss.{md,json} (paired, training_ablation.py) and
# benchmarks/results/phase-loss-phase-error.{md,json} (band_gains.py), then prints P1 and P2.
set -euo pipefail
here=models/training/ablations/phase-loss
py=.venv/bin/python
R=benchmarks/results
for arm in control complex; do
    run=runs/phase-loss-$arm
    s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
    [ "$s" = 19500 ] || { echo "$arm at step $s, the rule judges at 19500" >&2; exit 2; }
    mkdir -p "$here/$arm"
    cp "$run/log.jsonl" "$here/$arm/log.jsonl"
    [ -s "$here/$arm/final-plain.json" ] || $py -m hance_plugin.training validate "$run/last.pt" --val-items 203 \
        --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/$arm/final-plain.json"
done
[ -s $R/phase-loss-phase-error.json ] || $py benchmarks/band_gains.py --checkpoint control=runs/phase-loss-control/last.pt \
    --checkpoint complex=runs/phase-loss-complex/last.pt --threads 2 --name phase-loss-phase-error > /dev/null
[ -s $R/phase-loss.json ] || $py benchmarks/training_ablation.py --name phase-loss --from-step 18000 \
    --run "control=$here/control" --run "complex=$here/complex" \
    --final "plain val/control=$here/control/final-plain.json" --final "plain val/complex=$here/complex/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - "$R" <<'PY'
"""P1 and P2 of rule.md."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta  # noqa: E402

results = sys.argv[1]
pe = json.load(open(f"{results}/phase-loss-phase-error.json"))["models"]


def cell(model):
    return next(r for r in pe[model]["rows"] if r["region_hz"] == [1000, 3000] and r["snr_bucket_db"] == [-100.0, 0.0])


for model in ("control", "complex"):
    c = cell(model)
    print(f"{model}: 1-3 kHz below 0 dB phase error {c['phase_error_deg']:.2f} deg (noisy {c['phase_error_noisy_deg']:.2f})")
c = cell("complex")
p1 = c["phase_error_deg"] < c["phase_error_noisy_deg"]
out = {}
for key in ("si_sdr", "pesq_wb"):  # paired per item in the table written above
    m, ci, n = paired_delta(f"{results}/phase-loss.json", "plain val", "complex", key)
    out[key] = {"mean": m, "ci95": ci, "n": n}
    print(f"complex - control {key}: {m:+.3f} +- {ci:.3f} ({n} items)")
p2 = out["si_sdr"]["mean"] >= 0.2 and out["pesq_wb"]["mean"] >= -0.010
print(f"P1 (phase error below the noisy input's): {'holds' if p1 else 'fails'}")
print(f"P2 (SI-SDR >= +0.2 dB and PESQ-WB >= -0.010): {'holds' if p2 else 'fails'}")
print("promising" if p1 and p2 else "not promising")
PY
