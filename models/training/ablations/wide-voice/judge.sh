#!/usr/bin/env bash
# Judge the wide-voice experiment with rule.md (written before any result): W1 (the Tux Paint el and es
# clips) and W2 (plain val), the arm - rn-off's `off`, paired per item; the two ru voices and the rest
# reported through ../unseen-judge.sh (its U1/U2 line is a report here).
#   bash models/training/ablations/wide-voice/judge.sh   (once runs/wv-ru or ru/ here is at step 21000)
# Writes ru/{log.jsonl,final-*.json} here, ../rn-off/off/final-eles.json (the control on the el/es set),
# benchmarks/results/wide-voice{,-eles}.{md,json}, wide-voice-dnsmos.*, passthrough-wide-voice*.
set -euo pipefail
here=models/training/ablations/wide-voice
ctl=models/training/ablations/rn-off/off
R=benchmarks/results
py=.venv/bin/python
eles=../data-tuxpaint-eles
[ -d "$eles/speech/val" ] || { echo "no $eles: run $here/build_data.sh first" >&2; exit 2; }
ckpt=runs/wv-ru/last.pt; [ -f "$ckpt" ] || ckpt="$here/ru/last.pt"
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = 21000 ] || { echo "$ckpt at step $s, the rule applies at 21000" >&2; exit 2; }
echo "report (../unseen-judge.sh; U1 is language-matched here):"
bash models/training/ablations/unseen-judge.sh wide-voice 19500 "$ctl" runs/rnoff-off/last.pt "$here/ru" "$ckpt"
val() {  # checkpoint, output
    [ -s "$2" ] || $py -m hance_plugin.training validate "$1" --data-dir "$eles" --val-items 400 --pesq-items 400 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$2"
}
ctl_ckpt=runs/rnoff-off/last.pt; [ -f "$ctl_ckpt" ] || { [ -s "$ctl/final-eles.json" ] || { echo "no control checkpoint" >&2; exit 2; }; }
val "$ctl_ckpt" "$ctl/final-eles.json"
val "$ckpt" "$here/ru/final-eles.json"
[ -s $R/wide-voice-eles.json ] || $py benchmarks/training_ablation.py --name wide-voice-eles --from-step 19500 \
    --run "control=$ctl" --run "ru=$here/ru" \
    --final "tuxpaint el+es/control=$ctl/final-eles.json" --final "tuxpaint el+es/ru=$here/ru/final-eles.json" \
    --final "plain val/control=$ctl/final-plain.json" --final "plain val/ru=$here/ru/final-plain.json" > /dev/null
$py - <<'PY'
"""rule.md: W1 (Tux Paint el + es) and W2 (plain val), ru - control, paired per item."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

d = {}
for s in ("tuxpaint el+es", "plain val"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta("benchmarks/results/wide-voice-eles.json", s, "ru", k)
        m, ci, n = d[s, k]
        print(f"{s:15s} {k:8s} ru - control {m:+.4f} +- {ci:.4f} (n={n})")
w1 = d["tuxpaint el+es", "pesq_wb"][0] >= 0.015 and d["tuxpaint el+es", "si_sdr"][0] >= 0.20
w2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
print(f"ru: W1 {'holds' if w1 else 'fails'}; W2 {'holds' if w2 else 'fails'}")
PY
