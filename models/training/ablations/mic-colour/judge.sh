#!/usr/bin/env bash
# Judge the mic-colour experiment with the rule of rule.md (this script written before training).
# Usage, from the repository root:
#   bash models/training/ablations/mic-colour/judge.sh stage1   # colour vs control (runs/mic-colour-{control,colour}, step 19500)
#   bash models/training/ablations/mic-colour/judge.sh stage2   # the colour pair vs the shipped step-18000 pair (needs runs/mic-colour-colour-twin)
# Writes per-item JSON and logs to models/training/ablations/mic-colour/{control,colour,colour-twin}/; tables
# benchmarks/results/mic-colour.md (val), passthrough-mic-colour.md, passthrough-mic-colour-test.md,
# mic-colour-dnsmos.md (stage 1); mic-colour-release.md, passthrough-mic-colour-release-{base,twin}.md,
# mic-colour-release-dnsmos.md (stage 2; B2 added by the amendment in rule.md, before any result);
# prints the criteria and the verdict. Each output is made only where it is not there yet.
set -euo pipefail
stage="$1"
here=models/training/ablations/mic-colour
A=models/training/ablations
CT=$A/clean-targets
R=benchmarks/results
py=.venv/bin/python
mkdir -p runs/m
export_run() {  # RUN NAME
    [ -s "runs/m/$2.onnx" ] || $py -m hance_plugin.training export --checkpoint "runs/$1/last.pt" --name "$2" \
        --out-dir runs/m > /dev/null
}
case "$stage" in
stage1)
    for arm in control colour; do
        mkdir -p "$here/$arm"
        bash $A/branch-validate.sh "runs/mic-colour-$arm" "$here/$arm" 19500 3
    done
    [ -s $R/mic-colour.json ] || $py benchmarks/training_ablation.py --name mic-colour --from-step 18000 \
        --run "control=$here/control" --run "colour=$here/colour" \
        --final "plain val/control 19500=$here/control/final-plain.json" \
        --final "plain val/colour 19500=$here/colour/final-plain.json" \
        --final "reverberant val/control 19500=$here/control/rev-final.json" \
        --final "reverberant val/colour 19500=$here/colour/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    export_run mic-colour-control mic-colour-control
    export_run mic-colour-colour mic-colour-colour
    [ -s $R/passthrough-mic-colour.json ] || $py benchmarks/passthrough.py \
        --model runs/m/mic-colour-control.onnx --model runs/m/mic-colour-colour.onnx --split val \
        --name passthrough-mic-colour --no-progress > /dev/null
    [ -s $R/passthrough-mic-colour-test.json ] || $py benchmarks/passthrough.py \
        --model runs/m/mic-colour-control.onnx --model runs/m/mic-colour-colour.onnx --split test --rir-split test \
        --name passthrough-mic-colour-test --no-progress > /dev/null
    [ -s $R/mic-colour-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model runs/m/mic-colour-control.onnx \
        --model runs/m/mic-colour-colour.onnx --limits 100 --items 203 --dnsmos-items 60 \
        --name mic-colour-dnsmos --no-progress > /dev/null
    $py - <<'PY'
"""Stage 1 of rule.md: K1, K2 (colour - control); report-only groups, test unseen talkers."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
rep = f"{R}/mic-colour.json"
mean = {}
for key in ("pesq_wb", "si_sdr"):
    vals = [paired_delta(rep, s, "colour 19500", key) for s in ("plain val", "reverberant val")]
    for s, (m, ci, n) in zip(("plain", "room"), vals):
        print(f"colour - control {s:5s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
    mean[key] = (vals[0][0] + vals[1][0]) / 2
pt = passthrough_deltas(f"{R}/passthrough-mic-colour.json", "mic-colour-colour", None)  # vs the control (first model)
k1 = mean["pesq_wb"] >= -0.005 and mean["si_sdr"] >= -0.1
k2a = mean["pesq_wb"] >= 0.006
k2b = pt["single", "release"] >= 0.5 and pt["running", "release"] >= 0.5
print(f"K1 mean PESQ-WB {mean['pesq_wb']:+.4f} (>= -0.005), mean SI-SDR {mean['si_sdr']:+.3f} dB (>= -0.1): {'holds' if k1 else 'FAILS'}")
print(f"K2 mean PESQ-WB {mean['pesq_wb']:+.4f} (>= +0.006: {'yes' if k2a else 'no'}) or pass-through single "
      f"{pt['single', 'release']:+.2f}, running {pt['running', 'release']:+.2f} dB (each >= +0.5: {'yes' if k2b else 'no'}): "
      f"{'holds' if k2a or k2b else 'FAILS'}")
print("verdict:", "promising: stage 2 runs" if k1 and (k2a or k2b) else "not promising: nothing else trained or shipped")
print("\n== report only: pass-through colour - control by group (val; test, never decided on)")
for name in ("passthrough-mic-colour", "passthrough-mic-colour-test"):
    report = json.loads(open(f"{R}/{name}.json").read())
    for r in report["rows"]:
        if r["model"] == "mic-colour-colour" and "/" not in r["group"] and "sdr_db_delta" in r:
            d, g = r["sdr_db_delta"], r["gain_db_delta"]
            print(f"{name:28s} {r['form']:11s} {r['group']:28s} SDR {r['sdr_db']:6.2f} dB, {d['mean']:+.2f} +- {d['ci95']:.2f} dB, "
                  f"level {g['mean']:+.2f} dB (n={d['n']})")
print(f"DNSMOS (report only): {R}/mic-colour-dnsmos.md")
PY
    ;;
stage2)
    mkdir -p "$here/colour-twin"
    bash $A/branch-validate.sh runs/mic-colour-colour-twin "$here/colour-twin" 19500 3
    [ -s $R/mic-colour-release.json ] || $py benchmarks/training_ablation.py --name mic-colour-release --from-step 18000 \
        --run "hance-base=models/training/hance-base" --run "colour=$here/colour" \
        --run "hance-twin=models/training/hance-twin" --run "colour-twin=$here/colour-twin" \
        --final "plain val/hance-base 18000=models/training/hance-base/val-plain-step18000.json" \
        --final "plain val/colour 19500=$here/colour/final-plain.json" \
        --final "reverberant val/hance-base 18000=$CT/floor/rev-final.json" \
        --final "reverberant val/colour 19500=$here/colour/rev-final.json" \
        --final "twin, plain val/hance-twin 18000=models/training/hance-twin/val-plain-step18000.json" \
        --final "twin, plain val/colour-twin 19500=$here/colour-twin/final-plain.json" \
        --final "twin, reverberant val/hance-twin 18000=$CT/floor-twin/rev-final.json" \
        --final "twin, reverberant val/colour-twin 19500=$here/colour-twin/rev-final.json" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
    export_run mic-colour-colour-twin mic-colour-colour-twin
    [ -s $R/passthrough-mic-colour-release-base.json ] || $py benchmarks/passthrough.py --model hance-base \
        --model runs/m/mic-colour-colour.onnx --split val --name passthrough-mic-colour-release-base --no-progress > /dev/null
    [ -s $R/passthrough-mic-colour-release-twin.json ] || $py benchmarks/passthrough.py --model hance-twin \
        --model runs/m/mic-colour-colour-twin.onnx --split val --name passthrough-mic-colour-release-twin --no-progress > /dev/null
    [ -s $R/mic-colour-release-dnsmos.json ] || $py benchmarks/attenuation_limit.py --model hance-base \
        --model runs/m/mic-colour-colour.onnx --limits 100 --items 203 --dnsmos-items 60 \
        --name mic-colour-release-dnsmos --no-progress > /dev/null
    $py - <<'PY'
"""Stage 2 of rule.md: B1, B2 (colour vs hance-base), T1 (colour-twin vs hance-twin); the phase-aware - twin gap (report only)."""
import json
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import gap_change, paired_delta, passthrough_deltas

R = "benchmarks/results"
H = "models/training/ablations/mic-colour"
CT = "models/training/ablations/clean-targets"
rep = f"{R}/mic-colour-release.json"


def mean_of(run, sets, key):
    vals = [paired_delta(rep, s, run, key) for s in sets]
    for s, (m, ci, n) in zip(sets, vals):
        print(f"{run:17s} {s:22s} {key:7s} {m:+.4f} +- {ci:.4f} (n={n})")
    return (vals[0][0] + vals[1][0]) / 2


bp = mean_of("colour 19500", ("plain val", "reverberant val"), "pesq_wb")
bs = mean_of("colour 19500", ("plain val", "reverberant val"), "si_sdr")
tp = mean_of("colour-twin 19500", ("twin, plain val", "twin, reverberant val"), "pesq_wb")
ts = mean_of("colour-twin 19500", ("twin, plain val", "twin, reverberant val"), "si_sdr")
print("base:")
ptb = passthrough_deltas(f"{R}/passthrough-mic-colour-release-base.json", "mic-colour-colour", None)
print("twin:")
ptt = passthrough_deltas(f"{R}/passthrough-mic-colour-release-twin.json", "mic-colour-colour-twin", None)
b1 = bp >= -0.003 and bs >= -0.1 and all(ptb[f, "release"] >= 0.0 for f in ("single", "running", "reverberant"))
t1 = tp >= -0.005 and ptt["single", "release"] >= 0.0
print(f"B1 base: mean PESQ-WB {bp:+.4f} (>= -0.003), mean SI-SDR {bs:+.3f} dB (>= -0.1), pass-through each >= 0 dB: "
      f"{'holds' if b1 else 'FAILS'}")
print(f"T1 twin: mean PESQ-WB {tp:+.4f} (>= -0.005), mean SI-SDR {ts:+.3f} dB (report), pass-through single "
      f"{ptt['single', 'release']:+.2f} dB (>= 0): {'holds' if t1 else 'FAILS'}")
bak = [r for r in json.load(open(f"{R}/mic-colour-release-dnsmos.json"))["model_rows"]
       if r["bucket"] == "all" and r.get("against") == "hance-base" and r["model"] == "mic-colour-colour"]
assert len(bak) == 1, bak
b2 = bak[0]["dnsmos_bak_delta"] >= -0.03
print(f"B2 base: DNSMOS BAK {bak[0]['dnsmos_bak_delta']:+.3f} +- {bak[0]['dnsmos_bak_ci95']:.3f} (>= -0.03; OVRL "
      f"{bak[0]['dnsmos_ovrl_delta']:+.3f}): {'holds' if b2 else 'FAILS'}")
print("verdict:", "ship the pair (step 19500)" if b1 and b2 and t1 else "nothing ships")
print("\n== report only: phase-aware - twin gap, before (shipped pair) and after (colour pair)")
for name, recs in (("plain", ("models/training/hance-base/val-plain-step18000.json", f"{H}/colour/final-plain.json",
                              "models/training/hance-twin/val-plain-step18000.json", f"{H}/colour-twin/final-plain.json")),
                   ("rooms", (f"{CT}/floor/rev-final.json", f"{H}/colour/rev-final.json",
                              f"{CT}/floor-twin/rev-final.json", f"{H}/colour-twin/rev-final.json"))):
    for key in ("pesq_wb", "si_sdr"):
        g = gap_change(*recs, key)
        print(f"{name:5s} {key:7s} before {g['before']['mean']:+.4f}, after {g['after']['mean']:+.4f}, "
              f"change {g['did']['mean']:+.4f} +- {g['did']['ci95']:.4f} (n={g['did']['n']})")
PY
    ;;
*) echo "usage: judge.sh stage1|stage2" >&2; exit 2 ;;
esac
