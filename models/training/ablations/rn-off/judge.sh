#!/usr/bin/env bash
# Judge the rn-off experiment with rule.md (written before any result): U1 and U2, the arm -
# the control (../tuxpaint-voices/control, scored last session; not retrained), paired per item.
# Usage, from the repository root, once runs/rnoff-off (or off/ here) is at
# step 21000 and ../data-voices-ru (../voices/build_data.sh) and ../data-tuxpaint-ru
# (../tuxpaint-voices/build_data.sh) exist:  bash models/training/ablations/rn-off/judge.sh
# Writes <arm>/log.jsonl and <arm>/final-{plain,ru,tpru}.json (plain val of ../shared/data, the
# Asterisk ru voice, the Tux Paint ru clips), benchmarks/results/rn-off.{md,json} (paired tables),
# passthrough-rn-off{,-ru,-tpru}.* and rn-off-dnsmos.* (control first; report only); prints the
# criteria and the verdict. Each output is made only where it is not there yet (rerunnable). Checkpoints stay
# in runs/.
set -euo pipefail
here=models/training/ablations/rn-off
arm="${1:-off}"  # off, or rn03 (rule.md's second arm; its outputs are named rn-off-rn03 where they say rn-off)
case "$arm" in off) name=rn-off ;; rn03) name=rn-off-rn03 ;; *) echo "ARM must be off or rn03" >&2; exit 2 ;; esac
export ARM="$arm" NAME="$name"
ctl=models/training/ablations/tuxpaint-voices/control
R=benchmarks/results
py=.venv/bin/python
ru=../data-voices-ru
tpru=../data-tuxpaint-ru
for d in "$ru" "$tpru"; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
ckpt_of() { if [ -f "runs/rnoff-$1/last.pt" ]; then echo "runs/rnoff-$1/last.pt"; else echo "$here/$1/last.pt"; fi; }
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
for a in $arm; do
    c=$(ckpt_of $a)
    [ "$(step_of "$c")" = 21000 ] || { echo "$a at step $(step_of "$c"), the rule applies at 21000" >&2; exit 2; }
    mkdir -p "$here/$a"
    [ "$c" = "$here/$a/last.pt" ] || cp "$(dirname "$c")/log.jsonl" "$here/$a/log.jsonl"
    val "$c" ../shared/data "$here/$a/final-plain.json"
    val "$c" "$ru" "$here/$a/final-ru.json"
    val "$c" "$tpru" "$here/$a/final-tpru.json"
done
[ -s $R/$name.json ] || $py benchmarks/training_ablation.py --name $name --from-step 19500 \
    --run "control=$ctl" --run "$arm=$here/$arm" \
    --final "asterisk ru voice/control=$ctl/final-ru.json" \
    --final "asterisk ru voice/$arm=$here/$arm/final-ru.json" \
    --final "tuxpaint ru voice/control=$ctl/final-tpru.json" \
    --final "tuxpaint ru voice/$arm=$here/$arm/final-tpru.json" \
    --final "plain val/control=$ctl/final-plain.json" \
    --final "plain val/$arm=$here/$arm/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
mkdir -p runs/m
[ -s runs/m/tpv-control.onnx ] || { [ -f runs/tpv-control/last.pt ] && $py -m hance_plugin.training export \
    --checkpoint runs/tpv-control/last.pt --name tpv-control --out-dir runs/m > /dev/null; } || true
for a in $arm; do
    [ -s runs/m/rnoff-$a.onnx ] || $py -m hance_plugin.training export --checkpoint "$(ckpt_of $a)" \
        --name rnoff-$a --out-dir runs/m > /dev/null
done
if [ -s runs/m/tpv-control.onnx ]; then  # report only; the control's checkpoint is not in git
    m=(--model runs/m/tpv-control.onnx --model runs/m/rnoff-$arm.onnx)
    [ -s $R/passthrough-$name.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
        --name passthrough-$name --no-progress > /dev/null
    [ -s $R/passthrough-$name-ru.json ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir "$ru" \
        --split val --name passthrough-$name-ru --no-progress > /dev/null
    [ -s $R/passthrough-$name-tpru.json ] || $py benchmarks/passthrough.py "${m[@]}" --data-dir "$tpru" \
        --split val --name passthrough-$name-tpru --no-progress > /dev/null
    [ -s $R/$name-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
        --dnsmos-items 60 --name $name-dnsmos --no-progress > /dev/null
else
    echo "report: no control checkpoint here (runs/tpv-control/last.pt): pass-through not measured" >&2
fi
$py - <<'PY'
"""rule.md: U1 (both ru voices) and U2 (plain val), off - control, paired per item."""
import os
import sys
from pathlib import Path

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, paired_delta, passthrough_deltas

R = "benchmarks/results"
name = os.environ["NAME"]
for arm in (os.environ["ARM"],):
    d = {}
    for s in ("asterisk ru voice", "tuxpaint ru voice", "plain val"):
        for k in ("pesq_wb", "si_sdr"):
            d[s, k] = paired_delta(f"{R}/{name}.json", s, arm, k)
            m, ci, n = d[s, k]
            print(f"{s:18s} {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
    for suffix in ("", "-ru", "-tpru"):
        f = Path(f"{R}/passthrough-{name}{suffix}.json")
        if f.exists():
            print(f"report: clean speech pass-through{suffix or ' (val)'}, {arm} - control:")
            passthrough_deltas(f, f"rnoff-{arm}", None)
    f = Path(f"{R}/{name}-dnsmos.json")
    if f.exists():
        dn = dnsmos_delta(f, f"rnoff-{arm}", "tpv-control")
        print(f"report: DNSMOS {arm} - control:", {k: round(v, 3) for k, v in dn.items()})
    u1 = all(d[s, "pesq_wb"][0] >= 0.015 and d[s, "si_sdr"][0] >= 0.20 for s in ("asterisk ru voice", "tuxpaint ru voice"))
    u2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
    print(f"{arm}: U1 {'holds' if u1 else 'fails'}; U2 {'holds' if u2 else 'fails'}; "
          f"{'the residual-noise term costs unseen voices (rule.md)' if u1 and u2 else 'not shown'}")
PY
