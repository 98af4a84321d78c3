#!/usr/bin/env bash
# Judge tuxpaint-cleaned with rule.md (written before any result): T1 = cleaned - tuxpaint-voices' tp on plain
# val and the Asterisk ru voice; T2 = ../unseen-judge.sh's U1/U2 against tuxpaint-voices' control.
#   bash models/training/ablations/tuxpaint-cleaned/judge.sh   (once runs/tpc-cleaned or cleaned/ here is at 21000)
# Writes cleaned/{log.jsonl,final-*.json} here, benchmarks/results/tuxpaint-cleaned{,-vs-tp}.{md,json},
# tuxpaint-cleaned-dnsmos.*, passthrough-tuxpaint-cleaned*.
set -euo pipefail
here=models/training/ablations/tuxpaint-cleaned
tpv=models/training/ablations/tuxpaint-voices
R=benchmarks/results
py=.venv/bin/python
ckpt=runs/tpc-cleaned/last.pt; [ -f "$ckpt" ] || ckpt="$here/cleaned/last.pt"
s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = 21000 ] || { echo "$ckpt at step $s, the rule applies at 21000" >&2; exit 2; }
echo "T2 (../unseen-judge.sh against tuxpaint-voices/control):"
bash models/training/ablations/unseen-judge.sh tuxpaint-cleaned 19500 "$tpv/control" runs/tpv-control/last.pt \
    "$here/cleaned" "$ckpt"
[ -s $R/tuxpaint-cleaned-vs-tp.json ] || $py benchmarks/training_ablation.py --name tuxpaint-cleaned-vs-tp --from-step 19500 \
    --run "tp=$tpv/tp" --run "cleaned=$here/cleaned" \
    --final "asterisk ru voice/tp=$tpv/tp/final-ru.json" --final "asterisk ru voice/cleaned=$here/cleaned/final-ru.json" \
    --final "tuxpaint ru voice/tp=$tpv/tp/final-tpru.json" --final "tuxpaint ru voice/cleaned=$here/cleaned/final-tpru.json" \
    --final "plain val/tp=$tpv/tp/final-plain.json" --final "plain val/cleaned=$here/cleaned/final-plain.json" > /dev/null
$py - <<'PY'
"""rule.md T1: cleaned - tp, paired per item."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

d = {}
for s in ("plain val", "asterisk ru voice", "tuxpaint ru voice"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta("benchmarks/results/tuxpaint-cleaned-vs-tp.json", s, "cleaned", k)
        m, ci, n = d[s, k]
        print(f"{s:17s} {k:8s} cleaned - tp {m:+.4f} +- {ci:.4f} (n={n})")
t1 = d["plain val", "pesq_wb"][0] >= 0.010 and d["asterisk ru voice", "pesq_wb"][0] >= 0.010
print(f"cleaned: T1 {'holds' if t1 else 'fails'}")
PY
