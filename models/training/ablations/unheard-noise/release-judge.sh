#!/usr/bin/env bash
# Apply release.md's second question (written before random-rn trained): random-rn at step 21000 against the
# shipped hance-base, P1-P4, paired per item; the Widelands set as a report. Rerunnable (each output only
# where missing). Scores go to random-rn/ here; tables to benchmarks/results/unheard-noise-release.{md,json},
# passthrough-unheard-noise-release.*, unheard-noise-release-dnsmos.*.
#   bash models/training/ablations/unheard-noise/release-judge.sh
set -euo pipefail
here=models/training/ablations/unheard-noise
arm=random-rn
ckpt="runs/un-$arm/last.pt"
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
val "$ckpt" ../shared/data "$here/$arm/final-plain.json"
val "$ckpt" ../data-voices-ru "$here/$arm/final-ru.json"
val "$ckpt" ../data-tuxpaint-ru "$here/$arm/final-tpru.json"
val "$ckpt" ../data-noise-wl "$here/$arm/final-wl.json"
# hance-base's per-item scores of the same mixtures (validate of models/training/hance-base/last.pt, step 19500)
hb_plain=models/training/ablations/voices/voices5-rn/final-plain.json
hb_ru=models/training/ablations/voices/voices5-rn/final-ru.json
hb_tpru=benchmarks/results/val-peer/hance-base-tpru.json
hb_wl=benchmarks/results/val-peer/hance-base-widelands.json
name=unheard-noise-release
$py benchmarks/training_ablation.py --name "$name" --from-step 19500 \
    --run "hance-base=models/training/hance-base" --run "$arm=$here/$arm" \
    --final "plain val/hance-base=$hb_plain" --final "plain val/$arm=$here/$arm/final-plain.json" \
    --final "asterisk ru voice/hance-base=$hb_ru" --final "asterisk ru voice/$arm=$here/$arm/final-ru.json" \
    --final "tuxpaint ru voice/hance-base=$hb_tpru" --final "tuxpaint ru voice/$arm=$here/$arm/final-tpru.json" \
    --final "unheard noise (widelands)/hance-base=$hb_wl" --final "unheard noise (widelands)/$arm=$here/$arm/final-wl.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
mkdir -p runs/m
[ -s runs/m/un-$arm.onnx ] || $py -m hance_plugin.training export --checkpoint "$ckpt" --name "un-$arm" --out-dir runs/m > /dev/null
m=(--model hance-base --model runs/m/un-$arm.onnx)
[ -s $R/passthrough-$name.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val --name passthrough-$name --no-progress > /dev/null
[ -s $R/$name-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name $name-dnsmos --no-progress > /dev/null
NAME="$name" ARM="$arm" $py - <<'PY'
"""release.md, second question: P1-P4, random-rn - hance-base, paired; Widelands as a report."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, paired_delta, passthrough_deltas, PASSTHROUGH_FORMS

R, name, arm = "benchmarks/results", os.environ["NAME"], os.environ["ARM"]
d = {}
for s in ("asterisk ru voice", "tuxpaint ru voice", "plain val", "unheard noise (widelands)"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(f"{R}/{name}.json", s, arm, k)
        m, ci, n = d[s, k]
        print(f"{s:26s} {k:8s} {arm} - hance-base {m:+.4f} +- {ci:.4f} (n={n})")
dn = dnsmos_delta(f"{R}/{name}-dnsmos.json", f"un-{arm}", "hance-base")
print(f"DNSMOS {arm} - hance-base:", {k: round(v, 3) for k, v in dn.items()})
pt = passthrough_deltas(f"{R}/passthrough-{name}.json", f"un-{arm}", None)
p1 = all(d[s, "pesq_wb"][0] >= 0.015 and d[s, "si_sdr"][0] >= 0.10 for s in ("asterisk ru voice", "tuxpaint ru voice"))
p2 = d["plain val", "pesq_wb"][0] >= 0.005 and d["plain val", "si_sdr"][0] >= -0.10
p3 = dn["bak"] >= -0.02
p4 = all(pt[form, "release"] >= -0.5 for form in PASSTHROUGH_FORMS)
for label, ok in (("P1 unheard voices", p1), ("P2 plain val", p2), ("P3 DNSMOS BAK", p3), ("P4 pass-through", p4)):
    print(f"{label}: {'holds' if ok else 'FAILS'}")
print("verdict:", "ship the pair (twin-random-rn with it), test set once as a report" if p1 and p2 and p3 and p4 else "not shipped")
PY
