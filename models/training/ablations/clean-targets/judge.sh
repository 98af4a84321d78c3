#!/usr/bin/env bash
# Judge the clean-targets experiment with the rule of rule.md (this script written during training,
# before any result). Usage, from the repository root:
#   bash models/training/ablations/clean-targets/judge.sh stage1   # clean vs control (runs/clean-targets-{control,clean}, step 18000)
#   bash models/training/ablations/clean-targets/judge.sh stage1b  # matched vs control and clean (runs/clean-targets-matched; report only)
#   bash models/training/ablations/clean-targets/judge.sh stage3   # floor vs control (runs/clean-targets-floor)
#   bash models/training/ablations/clean-targets/judge.sh stage4   # the floor pair vs the shipped pair (needs runs/clean-targets-floor-twin)
#   bash models/training/ablations/clean-targets/judge.sh stage2   # the pair vs the shipped models (needs runs/clean-targets-twin)
# Writes per-item JSON and logs to models/training/ablations/clean-targets/{control,clean,twin}/; tables
# benchmarks/results/clean-targets.md (val), passthrough-clean-targets.md, clean-targets-dnsmos.md (stage 1);
# clean-targets-twin.md, passthrough-clean-targets-twin.md (stage 2); prints the criteria and the verdict.
# Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
stage="$1"
here=models/training/ablations/clean-targets
A=models/training/ablations
R=benchmarks/results
py=.venv/bin/python
mkdir -p runs/m
export_run() {  # RUN NAME
    [ -s "runs/m/$2.onnx" ] || $py -m hance_plugin.training export --checkpoint "runs/$1/last.pt" --name "$2" \
        --out-dir runs/m > /dev/null
}
case "$stage" in
stage1)
    for arm in control clean; do
        mkdir -p "$here/$arm"
        bash $A/branch-validate.sh "runs/clean-targets-$arm" "$here/$arm" 18000 3
    done
    [ -s $R/clean-targets.json ] || $py benchmarks/training_ablation.py --name clean-targets --from-step 16500 \
        --run "release=models/training/hance-base" --run "control=$here/control" --run "clean=$here/clean" \
        --final "plain val/release 16500=models/training/hance-base/val-plain-step16500.json" \
        --final "plain val/control 18000=$here/control/final-plain.json" \
        --final "plain val/clean 18000=$here/clean/final-plain.json" \
        --final "reverberant val/release 16500=$A/level-release/base/rev-final.json" \
        --final "reverberant val/control 18000=$here/control/rev-final.json" \
        --final "reverberant val/clean 18000=$here/clean/rev-final.json" \
        --final "plain val vs control/control 18000=$here/control/final-plain.json" \
        --final "plain val vs control/clean 18000=$here/clean/final-plain.json" \
        --final "reverberant val vs control/control 18000=$here/control/rev-final.json" \
        --final "reverberant val vs control/clean 18000=$here/clean/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    export_run clean-targets-control clean-targets-control
    export_run clean-targets-clean clean-targets-clean
    [ -s $R/passthrough-clean-targets.json ] || $py benchmarks/passthrough.py --model hance-base \
        --model runs/m/clean-targets-control.onnx --model runs/m/clean-targets-clean.onnx --split val \
        --name passthrough-clean-targets --no-progress > /dev/null
    [ -s $R/clean-targets-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model runs/m/clean-targets-control.onnx \
        --model runs/m/clean-targets-clean.onnx --limits 100 --items 203 --dnsmos-items 60 \
        --name clean-targets-dnsmos --no-progress > /dev/null
    $py - <<'PY'
"""Stage 1 of rule.md: S1-S3 (clean - control), and the report-only split by the reference's floor."""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
sys.path.insert(0, "models/training/ablations/clean-targets")
from floors import floor_db
from training_ablation import _check_same_mixtures, _final_metric, _mean_ci, branch_deltas, passthrough_deltas

from hance_plugin.training.signals import load_mono_48k

R = "benchmarks/results"
H = "models/training/ablations/clean-targets"
d = branch_deltas(f"{R}/clean-targets.json", "clean 18000")
pt = passthrough_deltas(f"{R}/passthrough-clean-targets.json", "clean-targets-clean", "clean-targets-control")
s1 = (d["control", "plain", "pesq_wb"][0] + d["control", "room", "pesq_wb"][0]) / 2
s2 = (d["control", "plain", "si_sdr"][0] + d["control", "room", "si_sdr"][0]) / 2
ok = {"S1 mean PESQ-WB >= +0.006": s1 >= 0.006, "S2 mean SI-SDR >= -0.05 dB": s2 >= -0.05,
      **{f"S3 pass-through {f} >= -0.5 dB": pt[f, "control"] >= -0.5 for f in ("single", "running", "reverberant")}}
print(f"S1 mean PESQ-WB clean - control {s1:+.4f}; S2 mean SI-SDR {s2:+.3f} dB")
for k, v in ok.items():
    print(f"{k}: {'holds' if v else 'FAILS'}")
print("verdict:", "helps: stage 2 runs" if all(ok.values()) else "does not help: nothing else trained or shipped")

print("\n== report only: clean - control by the floor of the item's clean reference (floors.py measure)")
floors = {}
for s in ("plain", "rev"):
    rec = {a: json.loads(Path(f"{H}/{a}/{'final-plain' if s == 'plain' else 'rev-final'}.json").read_text())["per_item"]
           for a in ("control", "clean")}
    _check_same_mixtures(s, "clean", rec["clean"], rec["control"])
    for r in rec["control"]:
        f = r.get("speech_file")
        if f and f not in floors:
            floors[f] = floor_db(load_mono_48k(Path("../shared/data/speech") / f))
    noisy_ref = {int(r["index"]) for r in rec["control"] if r.get("speech_file") and floors[r["speech_file"]] > -30}
    for key in ("pesq_wb", "si_sdr"):
        c, k = _final_metric(rec["control"], key), _final_metric(rec["clean"], key)
        for name, keep in (("reference floor > -30 dB", lambda i: i in noisy_ref),
                           ("reference floor <= -30 dB", lambda i: i not in noisy_ref)):
            common = [i for i in c if i in k and keep(i)]
            if len(common) < 2:
                continue
            m = _mean_ci(np.array([k[i] - c[i] for i in common]))
            print(f"{s:5s} {key:7s} {name:26s} {m['mean']:+.4f} +- {m['ci95']:.4f} (n={m['n']})")
print(f"\nDNSMOS (report only): {R}/clean-targets-dnsmos.md")
PY
    ;;
stage1b)
    mkdir -p "$here/matched"
    bash $A/branch-validate.sh runs/clean-targets-matched "$here/matched" 18000 3
    [ -s $R/clean-targets-matched.json ] || $py benchmarks/training_ablation.py --name clean-targets-matched --from-step 16500 \
        --run "control=$here/control" --run "clean=$here/clean" --run "matched=$here/matched" \
        --final "plain val/control 18000=$here/control/final-plain.json" \
        --final "plain val/clean 18000=$here/clean/final-plain.json" \
        --final "plain val/matched 18000=$here/matched/final-plain.json" \
        --final "reverberant val/control 18000=$here/control/rev-final.json" \
        --final "reverberant val/clean 18000=$here/clean/rev-final.json" \
        --final "reverberant val/matched 18000=$here/matched/rev-final.json" \
        --final "plain val vs matched/matched 18000=$here/matched/final-plain.json" \
        --final "plain val vs matched/clean 18000=$here/clean/final-plain.json" \
        --final "reverberant val vs matched/matched 18000=$here/matched/rev-final.json" \
        --final "reverberant val vs matched/clean 18000=$here/clean/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    export_run clean-targets-matched clean-targets-matched
    [ -s $R/passthrough-clean-targets-matched.json ] || $py benchmarks/passthrough.py \
        --model runs/m/clean-targets-control.onnx --model runs/m/clean-targets-matched.onnx \
        --model runs/m/clean-targets-clean.onnx --split val --name passthrough-clean-targets-matched --no-progress > /dev/null
    $py - <<'PY'
"""Stage 1b of rule.md (report only): matched - control, clean - matched, and the reading."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = f"{R}/clean-targets-matched.json"
out = {}
for arm, sets in (("matched", ("plain val", "reverberant val")), ("clean", ("plain val vs matched", "reverberant val vs matched"))):
    for key in ("pesq_wb", "si_sdr"):
        vals = [paired_delta(rep, s, f"{arm} 18000", key) for s in sets]
        for s, (m, ci, n) in zip(sets, vals):
            print(f"{arm} - {'control' if arm == 'matched' else 'matched'} {s:26s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
        out[arm, key] = (vals[0][0] + vals[1][0]) / 2
pt = passthrough_deltas(f"{R}/passthrough-clean-targets-matched.json", "clean-targets-matched", None)
print(f"matched - control: mean PESQ-WB {out['matched', 'pesq_wb']:+.4f}, mean SI-SDR {out['matched', 'si_sdr']:+.3f} dB")
print(f"clean - matched: mean PESQ-WB {out['clean', 'pesq_wb']:+.4f}, mean SI-SDR {out['clean', 'si_sdr']:+.3f} dB")
m, single = out["matched", "pesq_wb"], pt["single", "release"]  # "release" = the report's first model, the control
if m <= -0.006 and single <= -0.5:
    print("reading: data quantity (taking ~6 % of the speech away costs by itself)")
elif m > -0.006 and single > -0.5 and out["clean", "pesq_wb"] <= -0.006:
    print("reading: the floors (the noisy-floor folders carry something the model uses)")
else:
    print("reading: inconclusive")
PY
    ;;
stage3)
    mkdir -p "$here/floor"
    bash $A/branch-validate.sh runs/clean-targets-floor "$here/floor" 18000 3
    [ -s $R/clean-targets-floor.json ] || $py benchmarks/training_ablation.py --name clean-targets-floor --from-step 16500 \
        --run "control=$here/control" --run "floor=$here/floor" \
        --final "plain val/control 18000=$here/control/final-plain.json" \
        --final "plain val/floor 18000=$here/floor/final-plain.json" \
        --final "reverberant val/control 18000=$here/control/rev-final.json" \
        --final "reverberant val/floor 18000=$here/floor/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    export_run clean-targets-floor clean-targets-floor
    [ -s $R/passthrough-clean-targets-floor.json ] || $py benchmarks/passthrough.py \
        --model runs/m/clean-targets-control.onnx --model runs/m/clean-targets-floor.onnx --split val \
        --name passthrough-clean-targets-floor --no-progress > /dev/null
    [ -s $R/clean-targets-floor-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model runs/m/clean-targets-control.onnx \
        --model runs/m/clean-targets-floor.onnx --limits 100 --items 203 --dnsmos-items 60 \
        --name clean-targets-floor-dnsmos --no-progress > /dev/null
    [ -s $R/noise-only-clean-targets-floor-30.json ] || $py benchmarks/noise_only.py --model runs/m/clean-targets-control.onnx \
        --model runs/m/clean-targets-floor.onnx --level-dbfs -30 --name noise-only-clean-targets-floor-30 > /dev/null
    $py - <<'PY'
"""Stage 3 of rule.md: F1, F2 (floor - control); DNSMOS for the record."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = f"{R}/clean-targets-floor.json"
mean = {}
for key in ("pesq_wb", "si_sdr"):
    vals = [paired_delta(rep, s, "floor 18000", key) for s in ("plain val", "reverberant val")]
    for s, (m, ci, n) in zip(("plain", "room"), vals):
        print(f"floor - control {s:5s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
    mean[key] = (vals[0][0] + vals[1][0]) / 2
pt = passthrough_deltas(f"{R}/passthrough-clean-targets-floor.json", "clean-targets-floor", None)  # vs the control
f1 = mean["pesq_wb"] >= -0.005 and mean["si_sdr"] >= -0.1
f2 = pt["single", "release"] >= 0.5 and pt["running", "release"] >= 0.5
print(f"F1 mean PESQ-WB {mean['pesq_wb']:+.4f} (>= -0.005), mean SI-SDR {mean['si_sdr']:+.3f} dB (>= -0.1): {'holds' if f1 else 'FAILS'}")
print(f"F2 pass-through single {pt['single', 'release']:+.2f}, running {pt['running', 'release']:+.2f} dB (each >= +0.5): {'holds' if f2 else 'FAILS'}")
print("verdict:", "promising (next: the twin and a release rule)" if f1 and f2 else "not promising")
for r in json.load(open(f"{R}/clean-targets-floor-dnsmos.json"))["model_rows"]:
    if r["bucket"] == "all" and r.get("against"):
        print("DNSMOS (report only):", {k: f"{r[k + '_delta']:+.3f} +- {r[k + '_ci95']:.3f}" for k in ("dnsmos_bak", "dnsmos_ovrl")})
PY
    ;;
stage4)
    mkdir -p "$here/floor-twin"
    bash $A/branch-validate.sh runs/clean-targets-floor-twin "$here/floor-twin" 18000 3
    [ -s $R/clean-targets-release.json ] || $py benchmarks/training_ablation.py --name clean-targets-release --from-step 16500 \
        --run "hance-base=models/training/hance-base" --run "floor=$here/floor" \
        --run "hance-twin=models/training/hance-twin" --run "floor-twin=$here/floor-twin" \
        --final "plain val/hance-base 16500=models/training/hance-base/val-plain-step16500.json" \
        --final "plain val/floor 18000=$here/floor/final-plain.json" \
        --final "reverberant val/hance-base 16500=$A/level-release/base/rev-final.json" \
        --final "reverberant val/floor 18000=$here/floor/rev-final.json" \
        --final "twin, plain val/hance-twin 16500=models/training/hance-twin/val-plain-step16500.json" \
        --final "twin, plain val/floor-twin 18000=$here/floor-twin/final-plain.json" \
        --final "twin, reverberant val/hance-twin 16500=$A/level-release/twin/rev-final.json" \
        --final "twin, reverberant val/floor-twin 18000=$here/floor-twin/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    export_run clean-targets-floor-twin clean-targets-floor-twin
    [ -s $R/passthrough-clean-targets-release-base.json ] || $py benchmarks/passthrough.py --model hance-base \
        --model runs/m/clean-targets-floor.onnx --split val --name passthrough-clean-targets-release-base --no-progress > /dev/null
    [ -s $R/passthrough-clean-targets-release-twin.json ] || $py benchmarks/passthrough.py --model hance-twin \
        --model runs/m/clean-targets-floor-twin.onnx --split val --name passthrough-clean-targets-release-twin --no-progress > /dev/null
    $py - <<'PY'
"""Stage 4 of rule.md: B1 (floor vs hance-base), T1 (floor-twin vs hance-twin); the phase-aware - twin gap (report only)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import gap_change, paired_delta, passthrough_deltas

R = "benchmarks/results"
H = "models/training/ablations/clean-targets"
A = "models/training/ablations"
rep = f"{R}/clean-targets-release.json"


def mean_of(run, sets, key):
    vals = [paired_delta(rep, s, run, key) for s in sets]
    for s, (m, ci, n) in zip(sets, vals):
        print(f"{run:16s} {s:22s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
    return (vals[0][0] + vals[1][0]) / 2


bp = mean_of("floor 18000", ("plain val", "reverberant val"), "pesq_wb")
bs = mean_of("floor 18000", ("plain val", "reverberant val"), "si_sdr")
tp = mean_of("floor-twin 18000", ("twin, plain val", "twin, reverberant val"), "pesq_wb")
ts = mean_of("floor-twin 18000", ("twin, plain val", "twin, reverberant val"), "si_sdr")
print("base:")
ptb = passthrough_deltas(f"{R}/passthrough-clean-targets-release-base.json", "clean-targets-floor", None)
print("twin:")
ptt = passthrough_deltas(f"{R}/passthrough-clean-targets-release-twin.json", "clean-targets-floor-twin", None)
b1 = bp >= -0.005 and bs >= -0.15 and all(ptb[f, "release"] >= 0.5 for f in ("single", "running", "reverberant"))
t1 = tp >= -0.005 and ptt["single", "release"] >= 0.0
print(f"B1 base: mean PESQ-WB {bp:+.4f} (>= -0.005), mean SI-SDR {bs:+.3f} dB (>= -0.15), pass-through each >= +0.5 dB: "
      f"{'holds' if b1 else 'FAILS'}")
print(f"T1 twin: mean PESQ-WB {tp:+.4f} (>= -0.005), mean SI-SDR {ts:+.3f} dB (report), pass-through single "
      f"{ptt['single', 'release']:+.2f} dB (>= 0): {'holds' if t1 else 'FAILS'}")
print("verdict:", "ship the pair (step 18000)" if b1 and t1 else "nothing ships")
print("\n== report only: phase-aware - twin gap, before (shipped pair) and after (floor pair)")
for name, recs in (("plain", ("models/training/hance-base/val-plain-step16500.json", f"{H}/floor/final-plain.json",
                              "models/training/hance-twin/val-plain-step16500.json", f"{H}/floor-twin/final-plain.json")),
                   ("rooms", (f"{A}/level-release/base/rev-final.json", f"{H}/floor/rev-final.json",
                              f"{A}/level-release/twin/rev-final.json", f"{H}/floor-twin/rev-final.json"))):
    for key in ("pesq_wb", "si_sdr"):
        g = gap_change(*recs, key)
        print(f"{name:5s} {key:7s} before {g['before']['mean']:+.4f}, after {g['after']['mean']:+.4f}, "
              f"change {g['did']['mean']:+.4f} +- {g['did']['ci95']:.4f} (n={g['did']['n']})")
PY
    ;;
stage2)
    mkdir -p "$here/twin"
    bash $A/branch-validate.sh runs/clean-targets-twin "$here/twin" 18000 3
    [ -s $R/clean-targets-twin.json ] || $py benchmarks/training_ablation.py --name clean-targets-twin --from-step 16500 \
        --run "twin release=models/training/hance-twin" --run "clean twin=$here/twin" \
        --final "plain val/twin release 16500=models/training/hance-twin/val-plain-step16500.json" \
        --final "plain val/clean twin 18000=$here/twin/final-plain.json" \
        --final "reverberant val/twin release 16500=$A/level-release/twin/rev-final.json" \
        --final "reverberant val/clean twin 18000=$here/twin/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    $py - <<'PY'
"""Stage 2 of rule.md: R1 (clean base vs hance-base), R2 (clean twin vs hance-twin)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import branch_deltas, paired_delta, passthrough_deltas

R = "benchmarks/results"
d = branch_deltas(f"{R}/clean-targets.json", "clean 18000")
pt = passthrough_deltas(f"{R}/passthrough-clean-targets.json", "clean-targets-clean", None)
r1p = (d["release", "plain", "pesq_wb"][0] + d["release", "room", "pesq_wb"][0]) / 2
r1s = (d["release", "plain", "si_sdr"][0] + d["release", "room", "si_sdr"][0]) / 2
r1 = r1p >= 0 and r1s >= -0.1 and all(pt[f, "release"] >= -0.5 for f in ("single", "running", "reverberant"))
t = [paired_delta(f"{R}/clean-targets-twin.json", s, "clean twin 18000", "pesq_wb") for s in ("plain val", "reverberant val")]
ts = [paired_delta(f"{R}/clean-targets-twin.json", s, "clean twin 18000", "si_sdr") for s in ("plain val", "reverberant val")]
for s, (m, ci, n), (ms, cis, _) in zip(("plain", "room"), t, ts):
    print(f"twin vs twin release {s:5s} PESQ-WB {m:+.4f} +- {ci:.4f}, SI-SDR {ms:+.3f} +- {cis:.3f} dB (n={n})")
r2m = (t[0][0] + t[1][0]) / 2
r2 = r2m >= -0.005
print(f"R1 base: mean PESQ-WB {r1p:+.4f} (>= 0), mean SI-SDR {r1s:+.3f} dB (>= -0.1), pass-through >= -0.5 dB: {'holds' if r1 else 'FAILS'}")
print(f"R2 twin: mean PESQ-WB {r2m:+.4f} (>= -0.005): {'holds' if r2 else 'FAILS'}")
print("verdict:", "ship the pair" if r1 and r2 else "nothing ships")
PY
    ;;
*) echo "usage: judge.sh stage1|stage1b|stage3|stage4|stage2" >&2; exit 2 ;;
esac
