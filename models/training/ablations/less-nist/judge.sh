#!/usr/bin/env bash
# Judge the less-nist experiment with rule.md (written before any result): U1 and U2, each arm -
# the control (../tuxpaint-voices/control, scored last session; not retrained), paired per item.
# Usage, from the repository root, once runs/lnist-n50 and runs/lnist-n20 (or n50/, n20/ here) are at
# step 21000 and ../data-voices-ru (../voices/build_data.sh) and ../data-tuxpaint-ru
# (../tuxpaint-voices/build_data.sh) exist:  bash models/training/ablations/less-nist/judge.sh
# Writes <arm>/log.jsonl and <arm>/final-{plain,ru,tpru}.json (plain val of ../shared/data, the
# Asterisk ru voice, the Tux Paint ru clips), benchmarks/results/less-nist.{md,json} (paired tables)
# and passthrough-less-nist{,-ru,-tpru}.* (control first; report only); prints the criteria and a
# verdict per arm. Each output is made only where it is not there yet (rerunnable). Checkpoints stay
# in runs/.
set -euo pipefail
here=models/training/ablations/less-nist
ctl=models/training/ablations/tuxpaint-voices/control
R=benchmarks/results
py=.venv/bin/python
ru=../data-voices-ru
tpru=../data-tuxpaint-ru
for d in "$ru" "$tpru"; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
ckpt_of() { if [ -f "runs/lnist-$1/last.pt" ]; then echo "runs/lnist-$1/last.pt"; else echo "$here/$1/last.pt"; fi; }
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
for a in n50 n20; do
    c=$(ckpt_of $a)
    [ "$(step_of "$c")" = 21000 ] || { echo "$a at step $(step_of "$c"), the rule applies at 21000" >&2; exit 2; }
    mkdir -p "$here/$a"
    [ "$c" = "$here/$a/last.pt" ] || cp "$(dirname "$c")/log.jsonl" "$here/$a/log.jsonl"
    val "$c" ../shared/data "$here/$a/final-plain.json"
    val "$c" "$ru" "$here/$a/final-ru.json"
    val "$c" "$tpru" "$here/$a/final-tpru.json"
done
[ -s $R/less-nist.json ] || $py benchmarks/training_ablation.py --name less-nist --from-step 19500 \
    --run "control=$ctl" --run "n50=$here/n50" --run "n20=$here/n20" \
    --final "asterisk ru voice/control=$ctl/final-ru.json" \
    --final "asterisk ru voice/n50=$here/n50/final-ru.json" \
    --final "asterisk ru voice/n20=$here/n20/final-ru.json" \
    --final "tuxpaint ru voice/control=$ctl/final-tpru.json" \
    --final "tuxpaint ru voice/n50=$here/n50/final-tpru.json" \
    --final "tuxpaint ru voice/n20=$here/n20/final-tpru.json" \
    --final "plain val/control=$ctl/final-plain.json" \
    --final "plain val/n50=$here/n50/final-plain.json" \
    --final "plain val/n20=$here/n20/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
mkdir -p runs/m
[ -s runs/m/tpv-control.onnx ] || { [ -f runs/tpv-control/last.pt ] && $py -m hance_plugin.training export \
    --checkpoint runs/tpv-control/last.pt --name tpv-control --out-dir runs/m > /dev/null; } || true
for a in n50 n20; do
    [ -s runs/m/lnist-$a.onnx ] || $py -m hance_plugin.training export --checkpoint "$(ckpt_of $a)" \
        --name lnist-$a --out-dir runs/m > /dev/null
done
if [ -s runs/m/tpv-control.onnx ]; then  # report only; the control's checkpoint is not in git
    m=(--model runs/m/tpv-control.onnx --model runs/m/lnist-n50.onnx --model runs/m/lnist-n20.onnx)
    [ -s $R/passthrough-less-nist.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
        --name passthrough-less-nist --no-progress > /dev/null
    [ -s $R/passthrough-less-nist-ru.json ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir "$ru" \
        --split val --name passthrough-less-nist-ru --no-progress > /dev/null
    [ -s $R/passthrough-less-nist-tpru.json ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir "$tpru" \
        --split val --name passthrough-less-nist-tpru --no-progress > /dev/null
else
    echo "report: no control checkpoint here (runs/tpv-control/last.pt): pass-through not measured" >&2
fi
$py - <<'PY'
"""rule.md: U1 (both ru voices) and U2 (plain val), arm - control, paired per item."""
import sys
from pathlib import Path

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

R = "benchmarks/results"
for arm in ("n50", "n20"):
    d = {}
    for s in ("asterisk ru voice", "tuxpaint ru voice", "plain val"):
        for k in ("pesq_wb", "si_sdr"):
            d[s, k] = paired_delta(f"{R}/less-nist.json", s, arm, k)
            m, ci, n = d[s, k]
            print(f"{s:18s} {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
    for name in ("", "-ru", "-tpru"):
        f = Path(f"{R}/passthrough-less-nist{name}.json")
        if f.exists():
            print(f"report: clean speech pass-through{name or ' (val)'}, {arm} - control:")
            passthrough_deltas(f, f"lnist-{arm}", None)
    u1 = all(d[s, "pesq_wb"][0] >= 0.015 and d[s, "si_sdr"][0] >= 0.20 for s in ("asterisk ru voice", "tuxpaint ru voice"))
    u2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
    print(f"{arm}: U1 {'holds' if u1 else 'fails'}; U2 {'holds' if u2 else 'fails'}; "
          f"{'promising: the release criteria next session (rule.md)' if u1 and u2 else 'not promising'}")
PY
