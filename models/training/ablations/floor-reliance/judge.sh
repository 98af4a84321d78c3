#!/usr/bin/env bash
# Judge floor-reliance round 4 (rule.md): est-ft against ctl at step 21000, paired per item, on
# Widelands (F1, ../data-noise-wl) and plain val (F2); the two ru voices as a report. est-ft is scored
# through with_estimator.py (its floor input is the estimator's). Scores go to est-ft/ and ctl/ here,
# the table to benchmarks/results/floor-reliance.{md,json}. Rerunnable (each score made only where missing).
#   bash models/training/ablations/floor-reliance/judge.sh
set -euo pipefail
here=models/training/ablations/floor-reliance
R=benchmarks/results
py=.venv/bin/python
for a in est-ft ctl; do
    s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "runs/fr-$a/last.pt")
    [ "$s" = 21000 ] || { echo "runs/fr-$a/last.pt is at step $s, not 21000" >&2; exit 2; }
    mkdir -p "$here/$a"; cp "runs/fr-$a/log.jsonl" "$here/$a/log.jsonl"
done
val() {  # arm, data dir, output
    local run=($py)
    [ "$1" = est-ft ] && run=(env FR_ESTIMATOR="$here/estimator-q10.pt" $py "$here/with_estimator.py")
    [ -s "$3" ] || "${run[@]}" -m hance_plugin.training validate "runs/fr-$1/last.pt" --data-dir "$2" --val-items 203 \
        --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
for a in ctl est-ft; do
    val $a ../data-noise-wl "$here/$a/final-wl.json"
    val $a ../shared/data "$here/$a/final-plain.json"
    val $a ../data-voices-ru "$here/$a/final-ru.json"
    val $a ../data-tuxpaint-ru "$here/$a/final-tpru.json"
done
c=$here/ctl; e=$here/est-ft
$py benchmarks/training_ablation.py --name floor-reliance --from-step 19500 --run "ctl=$c" --run "est-ft=$e" \
    --final "unheard noise (widelands)/ctl=$c/final-wl.json" --final "unheard noise (widelands)/est-ft=$e/final-wl.json" \
    --final "plain val/ctl=$c/final-plain.json" --final "plain val/est-ft=$e/final-plain.json" \
    --final "asterisk ru voice/ctl=$c/final-ru.json" --final "asterisk ru voice/est-ft=$e/final-ru.json" \
    --final "tuxpaint ru voice/ctl=$c/final-tpru.json" --final "tuxpaint ru voice/est-ft=$e/final-tpru.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - <<'PY'
"""F1 (Widelands) and F2 (plain val), est-ft - ctl, paired per item; the ru voices as a report."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

d = {}
for s in ("unheard noise (widelands)", "plain val", "asterisk ru voice", "tuxpaint ru voice"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta("benchmarks/results/floor-reliance.json", s, "est-ft", k)
        m, ci, n = d[s, k]
        print(f"{s:26s} {k:8s} est-ft - ctl {m:+.4f} +- {ci:.4f} (n={n})")
f1 = d["unheard noise (widelands)", "pesq_wb"][0] >= 0.015 and d["unheard noise (widelands)", "si_sdr"][0] >= 0.20
f2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
print(f"est-ft: F1 {'holds' if f1 else 'fails'}; F2 {'holds' if f2 else 'fails'}")
PY
