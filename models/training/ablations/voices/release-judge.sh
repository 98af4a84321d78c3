#!/usr/bin/env bash
# Apply release.md (written before any result) after judge.sh ARM: R1-R4, the arm at 19500 against the
# shipped hance-base. Usage, from the repository root:
#   bash models/training/ablations/voices/release-judge.sh [ARM]     # voices (default), voices5 or voices5-rn
# Refuses unless judge.sh found V1 and V2 holding. Writes benchmarks/results/passthrough-ARM-release.*
# and ARM-release-dnsmos.* (each only where not there yet); prints R1-R4 and the verdict.
set -euo pipefail
R=benchmarks/results
py=.venv/bin/python
arm="${1:-voices}"
export ARM="$arm"
[ -s $R/$arm.json ] && [ -s runs/m/voices-$arm.onnx ] || { echo "run judge.sh $arm first" >&2; exit 2; }
$py - <<'PY'
import sys
sys.path.insert(0, "benchmarks")
import os
from training_ablation import paired_delta
arm = os.environ["ARM"]
v = lambda s, k: paired_delta(f"benchmarks/results/{arm}.json", s, arm, k)[0]
ok = (v("held-out voice", "pesq_wb") >= 0.020 and v("held-out voice", "si_sdr") >= 0.30
      and v("plain val", "pesq_wb") >= -0.005 and v("plain val", "si_sdr") >= -0.10)
if not ok:
    print("rule.md's V1 and V2 do not both hold: release.md does not apply", file=sys.stderr)
sys.exit(0 if ok else 3)
PY
m=(--model hance-base --model runs/m/voices-$arm.onnx)
[ -s $R/passthrough-$arm-release.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-$arm-release --no-progress > /dev/null
[ -s $R/$arm-release-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name $arm-release-dnsmos --no-progress > /dev/null
$py - <<'PY'
"""release.md: R1-R3 (floor_release_criteria) and R4, the arm - hance-base, paired."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, floor_release_criteria, paired_delta, passthrough_deltas

R = "benchmarks/results"
arm = os.environ["ARM"]
d = {k: paired_delta(f"{R}/{arm}.json", "plain val vs shipped", arm, k) for k in ("pesq_wb", "si_sdr")}
h = {k: paired_delta(f"{R}/{arm}.json", "held-out voice vs shipped", arm, k) for k in ("pesq_wb", "si_sdr")}
for name, x in (("plain val", d), ("held-out voice", h)):
    for k, (m, ci, n) in x.items():
        print(f"{name:15s} {k:8s} {arm} - hance-base {m:+.4f} +- {ci:.4f} (n={n})")
dn = dnsmos_delta(f"{R}/{arm}-release-dnsmos.json", f"voices-{arm}", "hance-base")
print(f"DNSMOS {arm} - hance-base:", {k: round(v, 3) for k, v in dn.items()})
pt = passthrough_deltas(f"{R}/passthrough-{arm}-release.json", f"voices-{arm}", None)
r1, r2, r3 = floor_release_criteria(d, dn, pt)
r4 = h["pesq_wb"][0] >= 0.020 and h["si_sdr"][0] >= 0.30
print(f"R4 held-out voice PESQ-WB >= +0.020 and SI-SDR >= +0.30 dB: {'holds' if r4 else 'FAILS'}")
print("verdict:", "train the twin through the stage (run.sh twin), then ship.sh" if r1 and r2 and r3 and r4
      else "not shipped")
PY
