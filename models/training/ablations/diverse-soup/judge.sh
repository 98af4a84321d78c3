#!/usr/bin/env bash
# Judge diverse-soup (rule.md, written before any training): the members' checkpoints are checked at step
# 21000, averaged into runs/ds-soup/last.pt (run.sh soup), and ../unseen-judge.sh scores the soup against
# floor-reliance's ctl (Widelands, plain val, the two ru voices; pass-through and DNSMOS reports); then
# S1 (Widelands) and S2 (plain val). Report: each member against ctl on Widelands and plain val
# (benchmarks/results/diverse-soup-members.{md,json}). Outputs are made only where missing.
#   bash models/training/ablations/diverse-soup/judge.sh        (about 20 min at 2 cores)
set -euo pipefail
here=models/training/ablations/diverse-soup
fr=models/training/ablations/floor-reliance
py=.venv/bin/python
for arm in random speed games; do bash models/training/ablations/final-checkpoint.sh "runs/ds-$arm/last.pt" /nonexistent 21000 > /dev/null; done
bash models/training/ablations/final-checkpoint.sh runs/fr-ctl/last.pt /nonexistent 21000 > /dev/null
[ -f runs/ds-soup/last.pt ] || bash "$here/run.sh" soup
bash models/training/ablations/unseen-judge.sh diverse-soup 19500 "$fr/ctl" runs/fr-ctl/last.pt "$here/soup" runs/ds-soup/last.pt \
    | tee runs/ds-judge.out
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
args=(--run "ctl=$fr/ctl")
for arm in random speed games; do
    mkdir -p "$here/$arm"
    cp "runs/ds-$arm/log.jsonl" "$here/$arm/"
    val "runs/ds-$arm/last.pt" ../data-noise-wl "$here/$arm/final-wl.json"
    val "runs/ds-$arm/last.pt" ../shared/data "$here/$arm/final-plain.json"
    args+=(--run "$arm=$here/$arm")
done
for set in "unheard noise (widelands):wl" "plain val:plain"; do
    IFS=: read -r label key <<< "$set"
    args+=(--final "$label/ctl=$fr/ctl/final-$key.json")
    for arm in random speed games soup; do args+=(--final "$label/$arm=$here/$arm/final-$key.json"); done
done
[ -s benchmarks/results/diverse-soup-members.json ] || $py benchmarks/training_ablation.py --name diverse-soup-members \
    --from-step 19500 "${args[@]}" --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - <<'PY'
"""S1 (Widelands) and S2 (plain val), soup - ctl, paired per item; the members as a report."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import set_deltas

sets = ("unheard noise (widelands)", "plain val")
d = set_deltas("benchmarks/results/diverse-soup-members.json", sets, "soup", "ctl")
for member in ("random", "speed", "games"):
    set_deltas("benchmarks/results/diverse-soup-members.json", sets, member, "ctl")
s1 = d[sets[0], "pesq_wb"][0] >= 0.020 and d[sets[0], "si_sdr"][0] >= 0.20
s2 = d[sets[1], "pesq_wb"][0] >= -0.010 and d[sets[1], "si_sdr"][0] >= -0.20
print(f"S1 {'holds' if s1 else 'fails'}; S2 {'holds' if s2 else 'fails'}")
PY
