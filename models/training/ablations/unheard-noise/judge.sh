#!/usr/bin/env bash
# Judge unheard-noise (rule.md): ARM (default games) against ../rn-off/off's control at step 21000,
# paired per item, on the unheard Widelands noise (N1, ../data-noise-wl) and plain val (N2); the two
# unheard ru voices as a report. Scores go to ARM/ and control/ here; the table to
# benchmarks/results/unheard-noise-ARM.{md,json}. Rerunnable (each score is made only where missing).
#   bash models/training/ablations/unheard-noise/judge.sh [ARM]
set -euo pipefail
arm="${1:-games}"
here=models/training/ablations/unheard-noise
ckpt="runs/un-$arm/last.pt"
ctl=$here/control
R=benchmarks/results
py=.venv/bin/python
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$step" = 21000 ] || { echo "$ckpt is at step $step, not 21000" >&2; exit 2; }
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
mkdir -p "$here/$arm"
cp "runs/un-$arm/log.jsonl" "$here/$arm/log.jsonl"
val runs/rnoff-off/last.pt ../data-noise-wl "$ctl/final-wl.json"
val "$ckpt" ../data-noise-wl "$here/$arm/final-wl.json"
val "$ckpt" ../shared/data "$here/$arm/final-plain.json"
val "$ckpt" ../data-voices-ru "$here/$arm/final-ru.json"
val "$ckpt" ../data-tuxpaint-ru "$here/$arm/final-tpru.json"
name=unheard-noise-$arm
$py benchmarks/training_ablation.py --name "$name" --from-step 19500 \
    --run "control=$ctl" --run "$arm=$here/$arm" \
    --final "unheard noise (widelands)/control=$ctl/final-wl.json" --final "unheard noise (widelands)/$arm=$here/$arm/final-wl.json" \
    --final "plain val/control=$ctl/final-plain.json" --final "plain val/$arm=$here/$arm/final-plain.json" \
    --final "asterisk ru voice/control=$ctl/final-ru.json" --final "asterisk ru voice/$arm=$here/$arm/final-ru.json" \
    --final "tuxpaint ru voice/control=$ctl/final-tpru.json" --final "tuxpaint ru voice/$arm=$here/$arm/final-tpru.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
NAME="$name" ARM="$arm" $py - <<'PY'
"""N1 (unheard noise) and N2 (plain val), arm - control, paired per item; the ru voices as a report."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

R, name, arm = "benchmarks/results", os.environ["NAME"], os.environ["ARM"]
d = {}
for s in ("unheard noise (widelands)", "plain val", "asterisk ru voice", "tuxpaint ru voice"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(f"{R}/{name}.json", s, arm, k)
        m, ci, n = d[s, k]
        print(f"{s:26s} {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
n1 = d["unheard noise (widelands)", "pesq_wb"][0] >= 0.015 and d["unheard noise (widelands)", "si_sdr"][0] >= 0.20
n2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
print(f"{arm}: N1 {'holds' if n1 else 'fails'}; N2 {'holds' if n2 else 'fails'} -> "
      f"{'promising' if n1 and n2 else 'not promising'}")
PY
