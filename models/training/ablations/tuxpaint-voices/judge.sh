#!/usr/bin/env bash
# Judge the tuxpaint-voices experiment with rule.md (written before any result): V1, V2 (tp - control),
# then, only where both hold, R1-R5 (tp - the shipped hance-base, step 19500).
# Usage, from the repository root, once runs/tpv-control and runs/tpv-ARM (or control/, ARM/ here) are at
# step 21000 and ../data-tuxpaint-ru (build_data.sh) and ../data-voices-ru (../voices/build_data.sh) exist:
#   bash models/training/ablations/tuxpaint-voices/judge.sh [ARM]   # tp (default) or tp35 (rule.md's second arm)
# (ARM tp writes the names below; tp35 writes tuxpaint-voices-tp35 where they say tuxpaint-voices, and tp35/)
# Writes <arm>/log.jsonl and <arm>/final-{plain,tpru,ru}.json (203 mixtures each: plain val of
# ../shared/data, the tuxpaint ru clips, the Asterisk ru voice), shipped-tpru.json (hance-base on the
# tuxpaint ru clips), benchmarks/results/tuxpaint-voices.{md,json} (paired tables),
# passthrough-tuxpaint-voices{,-ru}.* (control first; report only) and, for the release,
# passthrough-tuxpaint-voices-release.* and tuxpaint-voices-release-dnsmos.*; prints the criteria and
# the verdict. Each output is made only where it is not there yet (rerunnable). Checkpoints stay in runs/.
set -euo pipefail
here=models/training/ablations/tuxpaint-voices
R=benchmarks/results
py=.venv/bin/python
arm="${1:-tp}"
case "$arm" in tp) name=tuxpaint-voices ;; tp35) name=tuxpaint-voices-tp35 ;; *) echo "ARM must be tp or tp35" >&2; exit 2 ;; esac
export ARM="$arm" NAME="$name"
tpru=../data-tuxpaint-ru
ru=../data-voices-ru
for d in "$tpru" "$ru"; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
ckpt_of() { if [ -f "runs/tpv-$1/last.pt" ]; then echo "runs/tpv-$1/last.pt"; else echo "$here/$1/last.pt"; fi; }
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
# the shipped hance-base is the voices5-rn checkpoint: its plain val and Asterisk ru scores were made then
shipped=models/training/hance-base
[ "$(step_of $shipped/last.pt)" = 19500 ] || { echo "$shipped is not the step-19500 release the rule names" >&2; exit 2; }
ship_plain=$shipped/val-plain-step19500.json
ship_ru=models/training/ablations/voices/voices5-rn/final-ru.json
cmp -s $shipped/last.pt models/training/ablations/voices/voices5-rn/last.pt || { echo "hance-base is not voices5-rn" >&2; exit 2; }
val $shipped/last.pt "$tpru" "$here/shipped-tpru.json"
for a in control "$arm"; do
    c=$(ckpt_of $a)
    [ "$(step_of "$c")" = 21000 ] || { echo "$a at step $(step_of "$c"), the rule applies at 21000" >&2; exit 2; }
    mkdir -p "$here/$a"
    [ "$c" = "$here/$a/last.pt" ] || cp "$(dirname "$c")/log.jsonl" "$here/$a/log.jsonl"
    val "$c" ../shared/data "$here/$a/final-plain.json"
    val "$c" "$tpru" "$here/$a/final-tpru.json"
    val "$c" "$ru" "$here/$a/final-ru.json"
done
[ -s $R/$name.json ] || $py benchmarks/training_ablation.py --name $name --from-step 19500 \
    --run "control=$here/control" --run "$arm=$here/$arm" \
    --final "held-out voice/control=$here/control/final-tpru.json" \
    --final "held-out voice/$arm=$here/$arm/final-tpru.json" \
    --final "plain val/control=$here/control/final-plain.json" \
    --final "plain val/$arm=$here/$arm/final-plain.json" \
    --final "asterisk voice/control=$here/control/final-ru.json" \
    --final "asterisk voice/$arm=$here/$arm/final-ru.json" \
    --final "held-out voice vs shipped/shipped=$here/shipped-tpru.json" \
    --final "held-out voice vs shipped/control=$here/control/final-tpru.json" \
    --final "held-out voice vs shipped/$arm=$here/$arm/final-tpru.json" \
    --final "plain val vs shipped/shipped=$ship_plain" \
    --final "plain val vs shipped/control=$here/control/final-plain.json" \
    --final "plain val vs shipped/$arm=$here/$arm/final-plain.json" \
    --final "asterisk voice vs shipped/shipped=$ship_ru" \
    --final "asterisk voice vs shipped/control=$here/control/final-ru.json" \
    --final "asterisk voice vs shipped/$arm=$here/$arm/final-ru.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
mkdir -p runs/m
for a in control "$arm"; do
    [ -s runs/m/tpv-$a.onnx ] || $py -m hance_plugin.training export --checkpoint "$(ckpt_of $a)" \
        --name tpv-$a --out-dir runs/m > /dev/null
done
[ -s $R/passthrough-$name.json ] || $py benchmarks/passthrough.py --model runs/m/tpv-control.onnx \
    --model runs/m/tpv-$arm.onnx --split val --name passthrough-$name --no-progress > /dev/null
[ -s $R/passthrough-$name-ru.json ] || $py benchmarks/passthrough.py --model runs/m/tpv-control.onnx \
    --model runs/m/tpv-$arm.onnx --data-dir "$tpru" --split val --name passthrough-$name-ru --no-progress > /dev/null
status=0
$py - <<'PY' || status=$?
"""rule.md: V1 (the tuxpaint ru voice) and V2 (plain val), tp - control, paired per item; exit 3 unless both hold."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

arm, name = os.environ["ARM"], os.environ["NAME"]
R = f"benchmarks/results/{name}.json"
d = {}
for s in ("held-out voice", "plain val", "asterisk voice"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(R, s, arm, k)
        m, ci, n = d[s, k]
        print(f"{'' if s != 'asterisk voice' else 'report: '}{s:15s} {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
for s in ("held-out voice vs shipped", "plain val vs shipped", "asterisk voice vs shipped"):
    for a in ("control", arm):
        for k in ("pesq_wb", "si_sdr"):
            m, ci, n = paired_delta(R, s, a, k)
            print(f"report: {s:26s} {k:8s} {a} - hance-base {m:+.4f} +- {ci:.4f} (n={n})")
print(f"report: clean val speech, {arm} - control:")
passthrough_deltas(f"benchmarks/results/passthrough-{name}.json", f"tpv-{arm}", None)
print(f"report: the held-out tuxpaint ru clips' clean speech, {arm} - control:")
passthrough_deltas(f"benchmarks/results/passthrough-{name}-ru.json", f"tpv-{arm}", None)
v1 = d["held-out voice", "pesq_wb"][0] >= 0.020 and d["held-out voice", "si_sdr"][0] >= 0.30
v2 = d["plain val", "pesq_wb"][0] >= -0.005 and d["plain val", "si_sdr"][0] >= -0.10
print(f"V1 {'holds' if v1 else 'fails'}; V2 {'holds' if v2 else 'fails'}")
print("verdict (V1, V2):", "promising: the release criteria apply" if v1 and v2 else "not promising; nothing ships")
sys.exit(0 if v1 and v2 else 3)
PY
[ $status = 0 ] || exit 0
m=(--model hance-base --model runs/m/tpv-$arm.onnx)
[ -s $R/passthrough-$name-release.json ] || $py benchmarks/passthrough.py "${m[@]}" --split val \
    --name passthrough-$name-release --no-progress > /dev/null
[ -s $R/$name-release-dnsmos.json ] || $py benchmarks/attenuation_limit.py "${m[@]}" --limits 100 --items 203 \
    --dnsmos-items 60 --name $name-release-dnsmos --no-progress > /dev/null
$py - <<'PY'
"""rule.md: R1-R3 (floor_release_criteria), R4 and R5, the arm - hance-base, paired."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import dnsmos_delta, floor_release_criteria, paired_delta, passthrough_deltas

R = "benchmarks/results"
arm, name = os.environ["ARM"], os.environ["NAME"]
x = {s: {k: paired_delta(f"{R}/{name}.json", f"{s} vs shipped", arm, k) for k in ("pesq_wb", "si_sdr")}
     for s in ("plain val", "held-out voice", "asterisk voice")}
for s, v in x.items():
    for k, (m, ci, n) in v.items():
        print(f"{s:15s} {k:8s} {arm} - hance-base {m:+.4f} +- {ci:.4f} (n={n})")
dn = dnsmos_delta(f"{R}/{name}-release-dnsmos.json", f"tpv-{arm}", "hance-base")
print(f"DNSMOS {arm} - hance-base:", {k: round(v, 3) for k, v in dn.items()})
pt = passthrough_deltas(f"{R}/passthrough-{name}-release.json", f"tpv-{arm}", None)
r1, r2, r3 = floor_release_criteria(x["plain val"], dn, pt)
r4 = x["held-out voice"]["pesq_wb"][0] >= 0.020 and x["held-out voice"]["si_sdr"][0] >= 0.30
r5 = x["asterisk voice"]["pesq_wb"][0] >= -0.010
print(f"R4 tuxpaint ru voice PESQ-WB >= +0.020 and SI-SDR >= +0.30 dB: {'holds' if r4 else 'FAILS'}")
print(f"R5 Asterisk ru voice PESQ-WB >= -0.010: {'holds' if r5 else 'FAILS'}")
ok = r1 and r2 and r3 and r4 and r5
print("verdict:", ("ship the pair (tp, twin-tp): ship.sh" if arm == "tp" else "the twin goes through the stage next (rule.md)")
      if ok else "not shipped")
PY
