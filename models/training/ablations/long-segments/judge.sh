#!/usr/bin/env bash
# Judge runs/long-seg/last.pt (step 16500) with the rule of rule.md (written before training).
# Control (short val only, its committed per-item scores): ../loss-pesq. Long val and pass-through
# against the release. Usage, from the repository root: bash models/training/ablations/long-segments/judge.sh
# Writes per-item JSON next to this script, tables to benchmarks/results/ (long-segments.md: short
# val; long-segments-long.md: 10 s val; passthrough-long-segments; report-only long-segments-dnsmos,
# state-drift-long-segments),
# prints the verdict.
set -euo pipefail
here="models/training/ablations/long-segments"
run="runs/long-seg"
py=.venv/bin/python
bash models/training/ablations/branch-validate.sh "$run" "$here" 16500 3  # 3 s val mixtures, as the release's
lp=models/training/ablations/loss-pesq
bash models/training/ablations/branch-table.sh long-segments "$here" "long-seg+loss+1500" "$lp" "loss+1500"
long=(--segment-seconds 10 --val-items 120 --pesq-items 120 --per-item --threads 2 --val-mix "augment=false")
[ -s "$here/release-long.json" ] || $py -m hance_plugin.training validate models/training/hance-base/last.pt \
    "${long[@]}" > "$here/release-long.json"
[ -s "$here/long.json" ] || $py -m hance_plugin.training validate "$run/last.pt" "${long[@]}" > "$here/long.json"
$py benchmarks/training_ablation.py --name long-segments-long --from-step 15000 \
    --run "release=models/training/hance-base" --run "long-seg+loss+1500=$here" \
    --final "long val/release 15000=$here/release-long.json" \
    --final "long val/long-seg+loss+1500 16500=$here/long.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_'
mkdir -p runs/m
[ -s runs/m/long-seg.onnx ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
    --name long-seg --out-dir runs/m
[ -s benchmarks/results/passthrough-long-segments.json ] || $py benchmarks/passthrough.py \
    --model hance-base --model runs/m/long-seg.onnx --split val --seconds 20 \
    --name passthrough-long-segments --no-progress
$py - <<'PY'
"""The rule of rule.md from the tables written above (paired per-item deltas)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, paired_delta, passthrough_deltas, release_rule

run = "long-seg+loss+1500 16500"
d = branch_deltas("benchmarks/results/long-segments.json", run)
c2 = release_rule(d, pesq_min=-0.005, mean_si_sdr_min=-0.2)
pesq, pesq_ci, n = paired_delta("benchmarks/results/long-segments-long.json", "long val", run, "pesq_wb")
sdr, sdr_ci, n_sdr = paired_delta("benchmarks/results/long-segments-long.json", "long val", run, "si_sdr")
print(f"long val vs release: PESQ-WB {pesq:+.4f} +- {pesq_ci:.4f} (n={n}), SI-SDR {sdr:+.3f} +- {sdr_ci:.3f} dB (n={n_sdr})")
c1 = pesq >= 0.02 and pesq - pesq_ci > 0 and sdr >= 0.2
pt = passthrough_deltas("benchmarks/results/passthrough-long-segments.json", "long-seg", None)
c3 = pt["running", "release"] >= 1.0
print(f"criterion 1 (long val vs release: PESQ-WB >= +0.02 with CI above 0, SI-SDR >= +0.2 dB): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (short val vs release: both PESQ-WB >= -0.005, mean SI-SDR >= -0.2 dB): {'holds' if c2 else 'FAILS'}")
print(f"criterion 3 (running-speech pass-through vs release >= +1 dB): {'holds' if c3 else 'FAILS'}")
print("verdict:", "release candidate" if c1 and c2 and c3 else "not a release candidate")
PY
# report-only: DNSMOS on 60 plain val mixtures against the release
[ -s benchmarks/results/long-segments-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model hance-base \
    --model runs/m/long-seg.onnx --limits 100 --items 203 --dnsmos-items 60 --name long-segments-dnsmos
# report-only: pass-through of 30 s of clean running speech per second, one piece vs cut every 3 s
[ -s benchmarks/results/state-drift-long-segments.json ] || $py benchmarks/state_drift.py --model hance-base \
    --model runs/m/long-seg.onnx --name state-drift-long-segments --no-progress
