#!/usr/bin/env bash
# Judge the level-release pair (runs/level-release-{base,twin}/last.pt, step 16500) with the rule of
# rule.md (this script written during training, before any result).
# Usage, from the repository root: bash models/training/ablations/level-release/judge.sh
# Writes per-item JSON and logs to models/training/ablations/level-release/{base,twin}/; tables
# benchmarks/results/level-release-base.md (val against hance-base, and level-speech as a replica),
# level-release-twin.md (val against hance-twin; the phase-aware - twin gap before and after),
# passthrough-level-release-{base,twin}.md (-26 dBFS) and -{base,twin}-45.md, level-release-base-dnsmos.md,
# noise-only-level-release-{30,20}.md (report only); prints the criteria and the verdict.
# Each output is made only where it is not there yet (rerunnable).
set -euo pipefail
here=models/training/ablations/level-release
A=models/training/ablations
py=.venv/bin/python
for arm in base twin; do
    mkdir -p "$here/$arm"
    bash $A/branch-validate.sh "runs/level-release-$arm" "$here/$arm" 16500 3
done
# base: against the release and level-speech (the same recipe at 2 threads: a replica, for the drift clause)
bash $A/branch-table.sh level-release-base "$here/base" "level-release-base" $A/level-speech "level-speech" replica > /dev/null
bash $A/branch-report.sh runs/level-release-base level-release-base level-speech > /dev/null
# twin: against the twin release; the pair gap at 15000 and 16500 (report only)
[ -s benchmarks/results/level-release-twin.json ] || $py benchmarks/training_ablation.py --name level-release-twin \
    --from-step 15000 --run "twin release=models/training/hance-twin" --run "level-release-twin=$here/twin" \
    --final "plain val/twin release 15000=models/training/hance-twin/val-plain-step15000.json" \
    --final "plain val/level-release-twin 16500=$here/twin/final-plain.json" \
    --final "reverberant val/twin release 15000=$A/speech-only-16500/twin/rev-step15000.json" \
    --final "reverberant val/level-release-twin 16500=$here/twin/rev-final.json" \
    --final "plain val, pair at 15000/hance-base 15000=models/training/hance-base/val-plain-step15000.json" \
    --final "plain val, pair at 15000/hance-twin 15000=models/training/hance-twin/val-plain-step15000.json" \
    --final "plain val, pair at 16500/level-release-base 16500=$here/base/final-plain.json" \
    --final "plain val, pair at 16500/level-release-twin 16500=$here/twin/final-plain.json" \
    --final "reverberant val, pair at 15000/hance-base 15000=$A/speech-only-16500/base/rev-step15000.json" \
    --final "reverberant val, pair at 15000/hance-twin 15000=$A/speech-only-16500/twin/rev-step15000.json" \
    --final "reverberant val, pair at 16500/level-release-base 16500=$here/base/rev-final.json" \
    --final "reverberant val, pair at 16500/level-release-twin 16500=$here/twin/rev-final.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
mkdir -p runs/m
[ -s runs/m/level-release-twin.onnx ] || $py -m hance_plugin.training export --checkpoint runs/level-release-twin/last.pt \
    --name level-release-twin --out-dir runs/m > /dev/null
[ -s benchmarks/results/passthrough-level-release-twin.json ] || $py benchmarks/passthrough.py --model hance-twin \
    --model runs/m/level-release-twin.onnx --split val --name passthrough-level-release-twin --no-progress > /dev/null
for arm in base twin; do
    [ -s "benchmarks/results/passthrough-level-release-$arm-45.json" ] || $py benchmarks/passthrough.py \
        --model "hance-$arm" --model "runs/m/level-release-$arm.onnx" --split val --level-dbfs -45 \
        --name "passthrough-level-release-$arm-45" --no-progress > /dev/null
done
for level in 30 20; do
    [ -s "benchmarks/results/noise-only-level-release-$level.json" ] || $py benchmarks/noise_only.py \
        --model hance-base --model runs/m/level-release-base.onnx --model hance-twin --model runs/m/level-release-twin.onnx \
        --level-dbfs "-$level" --name "noise-only-level-release-$level" > /dev/null
done
$py - <<'PY'
"""The rule of rule.md: B1 (passthrough_release_rule, with the drift clause), B2, T1, T2."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import (PASSTHROUGH_FORMS, branch_deltas, level_gap, paired_delta, passthrough_deltas,
                               passthrough_release_rule)

R = "benchmarks/results"
FLOOR = {"pesq_wb": 0.003, "si_sdr": 0.01, "passthrough": 0.05}  # ../branch-null/

print("== base against hance-base (and level-speech, the replica, as 'control')")
d = branch_deltas(f"{R}/level-release-base.json", "level-release-base 16500")
pt = passthrough_deltas(f"{R}/passthrough-level-release-base.json", "level-release-base", "level-speech")
# level-speech's own values against the release, measured in the same reports (for the drift clause)
rep = {"pesq_wb": [paired_delta(f"{R}/level-release-base.json", s, "level-speech 16500 (replica)", "pesq_wb")[0]
                   for s in ("plain val", "reverberant val")],
       "si_sdr": [paired_delta(f"{R}/level-release-base.json", s, "level-speech 16500 (replica)", "si_sdr")[0]
                  for s in ("plain val", "reverberant val")]}
pt_rep = passthrough_deltas(f"{R}/passthrough-level-release-base.json", "level-speech", None)
quantities = {  # name: (this run, level-speech, threshold, floor)
    "mean PESQ-WB": ((d["release", "plain", "pesq_wb"][0] + d["release", "room", "pesq_wb"][0]) / 2,
                     sum(rep["pesq_wb"]) / 2, -0.01, FLOOR["pesq_wb"]),
    "mean SI-SDR": ((d["release", "plain", "si_sdr"][0] + d["release", "room", "si_sdr"][0]) / 2,
                    sum(rep["si_sdr"]) / 2, -0.3, FLOOR["si_sdr"]),
    **{f"pass-through {f}": (pt[f, "release"], pt_rep[f, "release"], 1.0, FLOOR["passthrough"])
       for f in PASSTHROUGH_FORMS},
}
b1 = True
for q, (run, replica, thr, floor) in quantities.items():
    if run >= thr:
        state = "holds"
    elif thr - run < floor:
        mean = (run + replica) / 2
        state = f"missed within the floor; mean with level-speech {mean:+.4f}: {'holds' if mean >= thr else 'FAILS'}"
        b1 &= mean >= thr
    else:
        state, b1 = "FAILS", False
    print(f"B1 {q:26s} {run:+.4f} (level-speech {replica:+.4f}, threshold {thr:+.2f}): {state}")
print(f"(the shared passthrough_release_rule, without the drift clause: {'holds' if passthrough_release_rule(d, pt) else 'FAILS'})")
b2 = level_gap({45: f"{R}/passthrough-level-release-base-45.json", 26: f"{R}/passthrough-level-release-base.json"},
               "hance-base", "level-release-base")["mean"] >= 2.0

print("== twin against hance-twin")
t = {(s, k): paired_delta(f"{R}/level-release-twin.json", s, "level-release-twin 16500", k)
     for s in ("plain val", "reverberant val") for k in ("pesq_wb", "si_sdr")}
for (s, k), (m, ci, n) in t.items():
    print(f"vs twin release {s:16s} {k:8s} {m:+.4f} +- {ci:.4f} (n={n})")
t1_parts = {"plain PESQ-WB": (t["plain val", "pesq_wb"][0], -0.01, FLOOR["pesq_wb"]),
            "rooms PESQ-WB": (t["reverberant val", "pesq_wb"][0], -0.01, FLOOR["pesq_wb"]),
            "mean SI-SDR": ((t["plain val", "si_sdr"][0] + t["reverberant val", "si_sdr"][0]) / 2, -0.3, FLOOR["si_sdr"])}
t1, t1_floor = True, False
for q, (v, thr, floor) in t1_parts.items():
    state = "holds" if v >= thr else "missed within the floor (a 2-thread twin replica decides)" if thr - v < floor else "FAILS"
    t1 &= v >= thr
    t1_floor |= v < thr and thr - v < floor
    print(f"T1 {q:14s} {v:+.4f} (threshold {thr:+.2f}): {state}")
passthrough_deltas(f"{R}/passthrough-level-release-twin.json", "level-release-twin", None)  # report only
t2 = level_gap({45: f"{R}/passthrough-level-release-twin-45.json", 26: f"{R}/passthrough-level-release-twin.json"},
               "hance-twin", "level-release-twin")["mean"] >= 2.0

print("== phase-aware - twin (report only)")
for s in ("plain val", "reverberant val"):
    for k in ("pesq_wb", "si_sdr"):
        before = paired_delta(f"{R}/level-release-twin.json", f"{s}, pair at 15000", "hance-twin 15000", k)
        after = paired_delta(f"{R}/level-release-twin.json", f"{s}, pair at 16500", "level-release-twin 16500", k)
        print(f"{s:16s} {k:8s} twin - phase-aware at 15000 {before[0]:+.4f} +- {before[1]:.4f}, "
              f"at 16500 {after[0]:+.4f} +- {after[1]:.4f}")

print(f"B1 (base vs release: PESQ, SI-SDR, pass-through >= +1 dB x3): {'holds' if b1 else 'FAILS'}")
print(f"B2 (base level gap at least 2.0 dB smaller than hance-base's): {'holds' if b2 else 'FAILS'}")
print(f"T1 (twin vs hance-twin: plain, rooms PESQ-WB >= -0.01, mean SI-SDR >= -0.3 dB): "
      f"{'holds' if t1 else 'missed within the floor' if t1_floor else 'FAILS'}")
print(f"T2 (twin level gap at least 2.0 dB smaller than hance-twin's): {'holds' if t2 else 'FAILS'}")
ok = b1 and b2 and t1 and t2
pending = b1 and b2 and t2 and not t1 and t1_floor and all(
    v >= thr or thr - v < floor for v, thr, floor in t1_parts.values())
print("verdict:", "the pair ships" if ok else "pending a 2-thread twin replica" if pending else "nothing ships")
PY
