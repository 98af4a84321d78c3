#!/usr/bin/env bash
# Score one training arm against its control on two unseen voices and plain val, paired per item, and
# check the U criteria that the experiments since less-nist/ share (each experiment's rule.md states them
# before training; this is the shared scorer from more-voices/ on; earlier judge.sh scripts stay as records):
#   U1, unseen voices of two sources: the Asterisk ru voice (../data-voices-ru, 201 mixtures; from
#       voices/build_data.sh) and the Tux Paint ru clips (../data-tuxpaint-ru, 160; tuxpaint-voices/build_data.sh):
#       arm - control PESQ-WB >= +0.015 and SI-SDR >= +0.20 dB, each;
#   U2, plain val (../shared/data, 203 mixtures): PESQ-WB >= -0.010 and SI-SDR >= -0.20 dB.
# Report only: clean-speech pass-through (benchmarks/passthrough.py, val and both voices) and DNSMOS
# BAK / OVRL (benchmarks/attenuation_limit.py, 60 plain val mixtures), when the control's checkpoint is here;
# and, when ../data-noise-wl exists (unheard-noise/build_data.sh), the val speech under noise that no model
# here has heard (Widelands, 203 mixtures): the only val set on which we trail DeepFilterNet3 by far.
#
#   bash models/training/ablations/unseen-judge.sh NAME FROM_STEP CONTROL_DIR CONTROL_CKPT ARM_DIR ARM_CKPT
#
# NAME names the outputs (benchmarks/results/NAME.{md,json}, passthrough-NAME{,-ru,-tpru}.*, NAME-dnsmos.*).
# CONTROL_DIR holds the control's log.jsonl and final-{plain,ru,tpru}.json (made here when missing, from
# CONTROL_CKPT). ARM_DIR (its basename is the arm's label) gets the arm's log.jsonl and final-*.json, scored
# from ARM_CKPT. The ONNX exports go to runs/m/<checkpoint folder name>.onnx. FROM_STEP is where the
# curves' table starts. Each output is made only where it is missing (rerunnable). Prints the verdict.
set -euo pipefail
[ $# -eq 6 ] || { sed -n 2,21p "$0" >&2; exit 2; }
name="$1"; from="$2"; ctl="$3"; ctl_ckpt="$4"; arm_dir="$5"; arm_ckpt="$6"
arm=$(basename "$arm_dir")
R=benchmarks/results
py=.venv/bin/python
ru=../data-voices-ru
tpru=../data-tuxpaint-ru
wl=../data-noise-wl  # report only, where it exists
for d in "$ru" "$tpru"; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
score() {  # checkpoint, folder
    mkdir -p "$2"
    [ -s "$2/log.jsonl" ] || cp "$(dirname "$1")/log.jsonl" "$2/log.jsonl"
    val "$1" ../shared/data "$2/final-plain.json"
    val "$1" "$ru" "$2/final-ru.json"
    val "$1" "$tpru" "$2/final-tpru.json"
    if [ -d "$wl/noise/val" ]; then val "$1" "$wl" "$2/final-wl.json"; fi
}
[ -s "$ctl/final-tpru.json" ] || score "$ctl_ckpt" "$ctl"
if [ -d "$wl/noise/val" ] && [ ! -s "$ctl/final-wl.json" ]; then
    if [ -f "$ctl_ckpt" ]; then val "$ctl_ckpt" "$wl" "$ctl/final-wl.json"
    else echo "report: no control checkpoint $ctl_ckpt here: Widelands not scored" >&2; fi
fi
score "$arm_ckpt" "$arm_dir"
wl_final=()
if [ -s "$ctl/final-wl.json" ] && [ -s "$arm_dir/final-wl.json" ]; then
    wl_final=(--final "unheard noise (widelands)/control=$ctl/final-wl.json"
              --final "unheard noise (widelands)/$arm=$arm_dir/final-wl.json")
fi
[ -s $R/$name.json ] || $py benchmarks/training_ablation.py --name "$name" --from-step "$from" \
    --run "control=$ctl" --run "$arm=$arm_dir" \
    --final "asterisk ru voice/control=$ctl/final-ru.json" --final "asterisk ru voice/$arm=$arm_dir/final-ru.json" \
    --final "tuxpaint ru voice/control=$ctl/final-tpru.json" --final "tuxpaint ru voice/$arm=$arm_dir/final-tpru.json" \
    --final "plain val/control=$ctl/final-plain.json" --final "plain val/$arm=$arm_dir/final-plain.json" \
    "${wl_final[@]}" --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
export NAME="$name" ARM="$arm" CTL_MODEL="" ARM_MODEL
ARM_MODEL=$(basename "$(dirname "$arm_ckpt")")
mkdir -p runs/m
onnx() {  # checkpoint -> runs/m/<its folder>.onnx
    local n; n=$(basename "$(dirname "$1")")
    [ -s "runs/m/$n.onnx" ] || $py -m hance_plugin.training export --checkpoint "$1" --name "$n" --out-dir runs/m > /dev/null
}
onnx "$arm_ckpt"
if [ -f "$ctl_ckpt" ]; then
    onnx "$ctl_ckpt"
    CTL_MODEL=$(basename "$(dirname "$ctl_ckpt")")
    m=(--model "runs/m/$CTL_MODEL.onnx" --model "runs/m/$ARM_MODEL.onnx")
    [ -s "$R/passthrough-$name.json" ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
        --name "passthrough-$name" --no-progress > /dev/null
    [ -s "$R/passthrough-$name-ru.json" ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir "$ru" \
        --split val --name "passthrough-$name-ru" --no-progress > /dev/null
    [ -s "$R/passthrough-$name-tpru.json" ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir "$tpru" \
        --split val --name "passthrough-$name-tpru" --no-progress > /dev/null
    [ -s "$R/$name-dnsmos.json" ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
        --dnsmos-items 60 --name "$name-dnsmos" --no-progress > /dev/null
else
    echo "report: no control checkpoint $ctl_ckpt here: pass-through and DNSMOS not measured" >&2
fi
$py - <<'PY'
"""U1 (both ru voices) and U2 (plain val), arm - control, paired per item."""
import os
import sys
from pathlib import Path

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, paired_delta, passthrough_deltas

R, name, arm = "benchmarks/results", os.environ["NAME"], os.environ["ARM"]
d = {}
for s in ("asterisk ru voice", "tuxpaint ru voice", "plain val"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(f"{R}/{name}.json", s, arm, k)
        m, ci, n = d[s, k]
        print(f"{s:18s} {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
try:  # report only: present when both Widelands scores were in the table
    for k in ("pesq_wb", "si_sdr"):
        m, ci, n = paired_delta(f"{R}/{name}.json", "unheard noise (widelands)", arm, k)
        print(f"report: unheard noise (widelands) {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
except KeyError:
    print("report: unheard noise (widelands) not in the table")
if os.environ["CTL_MODEL"]:
    for suffix in ("", "-ru", "-tpru"):
        print(f"report: clean speech pass-through{suffix or ' (val)'}, {arm} - control:")
        passthrough_deltas(Path(f"{R}/passthrough-{name}{suffix}.json"), os.environ["ARM_MODEL"], None)
    dn = dnsmos_delta(Path(f"{R}/{name}-dnsmos.json"), os.environ["ARM_MODEL"], os.environ["CTL_MODEL"])
u1 = all(d[s, "pesq_wb"][0] >= 0.015 and d[s, "si_sdr"][0] >= 0.20 for s in ("asterisk ru voice", "tuxpaint ru voice"))
u2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
print(f"{arm}: U1 {'holds' if u1 else 'fails'}; U2 {'holds' if u2 else 'fails'}")
PY
