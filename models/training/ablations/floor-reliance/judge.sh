#!/usr/bin/env bash
# Judge a floor-reliance fine-tune (rule.md) against ctl at step 21000, paired per item, on Widelands
# (F1, ../data-noise-wl) and plain val (F2); the two ru voices as a report. ARM is round 4's est-ft
# (the default; scored through with_estimator.py, its floor input is the estimator's) or round 7's spp-ft
# (scored through with_spp.py). Scores go to ARM/ and ctl/ here, the table to
# benchmarks/results/floor-reliance.{md,json} (est-ft) or floor-reliance-spp.{md,json} (spp-ft).
# Rerunnable (each score made only where missing).
#   bash models/training/ablations/floor-reliance/judge.sh [est-ft|spp-ft]
set -euo pipefail
here=models/training/ablations/floor-reliance
R=benchmarks/results
py=.venv/bin/python
arm="${1:-est-ft}"
case "$arm" in
    est-ft) name=floor-reliance; wrap=(env FR_ESTIMATOR="$here/estimator-q10.pt" $py "$here/with_estimator.py") ;;
    spp-ft) name=floor-reliance-spp; wrap=($py "$here/with_spp.py") ;;
    *) echo "ARM must be est-ft or spp-ft, got '$arm'" >&2; exit 2 ;;
esac
for a in "$arm" ctl; do
    s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "runs/fr-$a/last.pt")
    [ "$s" = 21000 ] || { echo "runs/fr-$a/last.pt is at step $s, not 21000" >&2; exit 2; }
    mkdir -p "$here/$a"; cp "runs/fr-$a/log.jsonl" "$here/$a/log.jsonl"
done
val() {  # arm, data dir, output
    local run=($py)
    [ "$1" = ctl ] || run=("${wrap[@]}")
    [ -s "$3" ] || "${run[@]}" -m hance_plugin.training validate "runs/fr-$1/last.pt" --data-dir "$2" --val-items 203 \
        --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
for a in ctl "$arm"; do
    val $a ../data-noise-wl "$here/$a/final-wl.json"
    val $a ../shared/data "$here/$a/final-plain.json"
    val $a ../data-voices-ru "$here/$a/final-ru.json"
    val $a ../data-tuxpaint-ru "$here/$a/final-tpru.json"
done
c=$here/ctl; e=$here/$arm
args=()
for s in "unheard noise (widelands):wl" "plain val:plain" "asterisk ru voice:ru" "tuxpaint ru voice:tpru"; do
    args+=(--final "${s%%:*}/ctl=$c/final-${s#*:}.json" --final "${s%%:*}/$arm=$e/final-${s#*:}.json")
done
$py benchmarks/training_ablation.py --name "$name" --from-step 19500 --run "ctl=$c" --run "$arm=$e" "${args[@]}" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - "$R/$name.json" "$arm" <<'PY'
"""F1 (Widelands) and F2 (plain val), ARM - ctl, paired per item; the ru voices as a report."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import set_deltas

table, arm = sys.argv[1], sys.argv[2]
d = set_deltas(table, ("unheard noise (widelands)", "plain val", "asterisk ru voice", "tuxpaint ru voice"), arm, "ctl")
f1 = d["unheard noise (widelands)", "pesq_wb"][0] >= 0.015 and d["unheard noise (widelands)", "si_sdr"][0] >= 0.20
f2 = d["plain val", "pesq_wb"][0] >= -0.010 and d["plain val", "si_sdr"][0] >= -0.20
print(f"{arm}: F1 {'holds' if f1 else 'fails'}; F2 {'holds' if f2 else 'fails'}")
PY
