#!/usr/bin/env bash
# heard-noise (rule.md): the shipped stage (19500 -> 21000) from hance-base on ../data-wl-heard (half A of
# Widelands' sources added to the train noise), against floor-reliance's ctl. Resumable:
#   bash models/training/ablations/heard-noise/run.sh train [THREADS] [MAX_MINUTES]
#   bash models/training/ablations/heard-noise/run.sh score
# Needs the folders of build_data.sh, and runs/fr-ctl/last.pt at step 21000 for the control (remade by
# `bash models/training/ablations/floor-reliance/run.sh ctl 2`, about 25 min). `score` writes the arm's
# heard/final-{wlb,wla,plain,ru,tpru}.json and the control's ctl/final-{wlb,wla}.json with the validate
# command of every judge here (the control's plain, ru and tpru scores are floor-reliance/ctl's, made by
# that command), the table benchmarks/results/heard-noise.{md,json}, and prints H1 and the deltas.
set -euo pipefail
here=models/training/ablations/heard-noise
fr=models/training/ablations/floor-reliance
py=.venv/bin/python
case "${1:-}" in
    train)
        bash models/training/ablations/branch-stage.sh runs/hn-heard ../data-wl-heard models/training/hance-base 21000 \
            "${2:-2}" "${3:-0}" --residual-noise-weight 1 ;;
    score)
        for run in runs/hn-heard runs/fr-ctl; do
            s=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
            [ "$s" = 21000 ] || { echo "$run/last.pt is at step $s, not 21000" >&2; exit 2; }
        done
        mkdir -p "$here/heard" "$here/ctl"
        cp runs/hn-heard/log.jsonl "$here/heard/"
        val() {  # checkpoint, data dir, output
            [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
                --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
        }
        for s in wlb:../data-wl-unheard wla:../data-wl-halfa plain:../shared/data ru:../data-voices-ru tpru:../data-tuxpaint-ru; do
            val runs/hn-heard/last.pt "${s#*:}" "$here/heard/final-${s%%:*}.json"
        done
        val runs/fr-ctl/last.pt ../data-wl-unheard "$here/ctl/final-wlb.json"
        val runs/fr-ctl/last.pt ../data-wl-halfa "$here/ctl/final-wla.json"
        args=()
        for set in "widelands half b (unheard):wlb:$here/ctl" "widelands half a (heard):wla:$here/ctl" \
                   "plain val:plain:$fr/ctl" "asterisk ru voice:ru:$fr/ctl" "tuxpaint ru voice:tpru:$fr/ctl"; do
            IFS=: read -r label key ctl_dir <<< "$set"
            args+=(--final "$label/ctl=$ctl_dir/final-$key.json" --final "$label/heard=$here/heard/final-$key.json")
        done
        $py benchmarks/training_ablation.py --name heard-noise --from-step 19500 --run "ctl=$fr/ctl" --run "heard=$here/heard" \
            "${args[@]}" --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
        $py - <<'PY'
"""H1 (Widelands half B) and the reports, heard - ctl, paired per item."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import set_deltas

d = set_deltas("benchmarks/results/heard-noise.json", ("widelands half b (unheard)", "widelands half a (heard)",
               "plain val", "asterisk ru voice", "tuxpaint ru voice"), "heard", "ctl")
h1 = d["widelands half b (unheard)", "pesq_wb"][0] >= 0.030 and d["widelands half b (unheard)", "si_sdr"][0] >= 0.30
print(f"H1 {'holds' if h1 else 'fails'}")
PY
        ;;
    *) echo "usage: run.sh train [THREADS] [MAX_MINUTES] | score" >&2; exit 2 ;;
esac
