#!/usr/bin/env bash
# Judge the deep-filter-scratch experiment (rule.md; written before the results).
# Usage, from the repository root, once both arms are at step 3000:
#   bash models/training/ablations/deep-filter-scratch/judge.sh
# Writes control/ and df/ here (last.pt, log.jsonl, final-plain.json: plain val, 203 mixtures, per item),
# benchmarks/results/deep-filter-scratch.{md,json} (paired, training_ablation.py) and
# benchmarks/results/deep-filter-scratch-phase-error.{md,json} (band_gains.py), then prints P1, P2 and the verdict.
set -euo pipefail
here=models/training/ablations/deep-filter-scratch
py=.venv/bin/python
R=benchmarks/results
for arm in control df; do
    run=runs/deep-filter-scratch-$arm
    s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
    [ "$s" = 3000 ] || { echo "$arm at step $s, the rule judges at 3000" >&2; exit 2; }
    bash "$here/run.sh" save "$arm"
    [ -s "$here/$arm/final-plain.json" ] || $py -m hance_plugin.training validate "$run/last.pt" --val-items 203 \
        --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/$arm/final-plain.json"
done
[ -s $R/deep-filter-scratch-phase-error.json ] || $py benchmarks/band_gains.py \
    --checkpoint control=runs/deep-filter-scratch-control/last.pt --checkpoint df=runs/deep-filter-scratch-df/last.pt \
    --threads 2 --name deep-filter-scratch-phase-error > /dev/null
[ -s $R/deep-filter-scratch.json ] || $py benchmarks/training_ablation.py --name deep-filter-scratch --from-step 0 \
    --run "control=$here/control" --run "df=$here/df" \
    --final "plain val/control=$here/control/final-plain.json" --final "plain val/df=$here/df/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - "$R" <<'PY'
"""P1, P2 and the verdict of rule.md."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta  # noqa: E402

results = sys.argv[1]
pe = json.load(open(f"{results}/deep-filter-scratch-phase-error.json"))["models"]


def row(model, region, bucket=None):
    return next(r for r in pe[model]["rows"] if r["region_hz"] == region and r["snr_bucket_db"] == bucket)


p1 = True
for region in ([0, 1000], [1000, 3000]):
    c, d = row("control", region), row("df", region)
    print(f"{region[0]}-{region[1]} Hz, all buckets: phase error df {d['phase_error_deg']:.2f}, control "
          f"{c['phase_error_deg']:.2f}, noisy {d['phase_error_noisy_deg']:.2f} deg")
    p1 &= d["phase_error_deg"] < min(d["phase_error_noisy_deg"], c["phase_error_deg"])
    for r in pe["df"]["rows"]:
        if r["region_hz"] == region and r["snr_bucket_db"] is not None:
            cb = row("control", region, r["snr_bucket_db"])
            print(f"  bucket {r['snr_bucket_db']}: df {r['phase_error_deg']:.2f}, control {cb['phase_error_deg']:.2f}, "
                  f"noisy {r['phase_error_noisy_deg']:.2f}")
out = {}
for key in ("si_sdr", "pesq_wb"):  # paired per item in the table written above
    m, ci, n = paired_delta(f"{results}/deep-filter-scratch.json", "plain val", "df", key)
    out[key] = {"mean": m, "ci95": ci, "n": n}
    print(f"df - control {key}: {m:+.3f} +- {ci:.3f} ({n} items)")
s = out["si_sdr"]
p2 = s["mean"] >= 0.2 and s["mean"] - s["ci95"] > 0 and out["pesq_wb"]["mean"] >= 0
print(f"P1 (phase error below noisy and control, 0-1 and 1-3 kHz): {'holds' if p1 else 'fails'}")
print(f"P2 (SI-SDR >= +0.2 dB, CI above 0, PESQ-WB >= 0): {'holds' if p2 else 'fails'}")
print("verdict:", "promising" if p1 and p2 else "pays as a magnitude tool" if p2 else "not promising at equal steps")
PY
