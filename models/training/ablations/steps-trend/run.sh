#!/usr/bin/env bash
# steps-trend (rule.md): floor-reliance's control `ctl` (the shipped stage from hance-base, 19500 -> 21000,
# runs/fr-ctl) continued through the same stage once more, 21000 -> 22500 (one more warm restart of the
# cosine, as every stage was run), then scored like ctl. Resumable:
#   bash models/training/ablations/steps-trend/run.sh train [THREADS] [MAX_MINUTES]
#   bash models/training/ablations/steps-trend/run.sh score
# `train` needs runs/fr-ctl/last.pt (remade by `bash models/training/ablations/floor-reliance/run.sh ctl 2`,
# about 25 min). `score` writes ctl2/final-{wl,plain,ru,tpru}.json with the command that scored ctl and
# hance-base (floor-reliance/judge.sh's), the tables benchmarks/results/steps-trend.{md,json} (ctl and
# ctl2 against hance-base) and steps-trend-vs-ctl.{md,json} (ctl2 against ctl), and prints the paired
# deltas (kept in deltas.txt).
set -euo pipefail
here=models/training/ablations/steps-trend
py=.venv/bin/python
case "${1:-}" in
    train)
        bash models/training/ablations/branch-stage.sh runs/st-ctl2 ../data-voices5 runs/fr-ctl 22500 \
            "${2:-2}" "${3:-0}" --residual-noise-weight 1 ;;
    score)
        mkdir -p "$here/ctl2"; cp runs/st-ctl2/log.jsonl "$here/ctl2/"
        for s in wl:../data-noise-wl plain:../shared/data ru:../data-voices-ru tpru:../data-tuxpaint-ru; do
            f="$here/ctl2/final-${s%%:*}.json"
            [ -s "$f" ] || $py -m hance_plugin.training validate runs/st-ctl2/last.pt --data-dir "${s#*:}" --val-items 203 \
                --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$f"
        done
        report() {  # name, then LABEL=RUN_DIR:SCORES_DIR per run (the first is the reference)
            local name="$1" args=() spec label dirs set; shift
            for spec in "$@"; do
                label="${spec%%=*}"; dirs="${spec#*=}"; args+=(--run "$label=${dirs%%:*}")
                for set in "unheard noise (widelands):wl" "plain val:plain" "asterisk ru voice:ru" "tuxpaint ru voice:tpru"; do
                    args+=(--final "${set%%:*}/$label=${dirs#*:}/final-${set#*:}.json")
                done
            done
            $py benchmarks/training_ablation.py --name "$name" --from-step 19500 "${args[@]}" \
                --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
        }
        fr=models/training/ablations/floor-reliance
        report steps-trend "hance-base=models/training/hance-base:$fr/hance-base" "ctl=$fr/ctl:$fr/ctl" "ctl2=$here/ctl2:$here/ctl2"
        report steps-trend-vs-ctl "ctl=$fr/ctl:$fr/ctl" "ctl2=$here/ctl2:$here/ctl2"
        $py - <<'PY'
"""Paired per-item deltas from the two tables: ctl and ctl2 against hance-base, ctl2 against ctl (T1)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

R = "benchmarks/results"
for s in ("unheard noise (widelands)", "plain val", "asterisk ru voice", "tuxpaint ru voice"):
    for name, run, ref in (("steps-trend", "ctl", "hance-base"), ("steps-trend-vs-ctl", "ctl2", "ctl"),
                           ("steps-trend", "ctl2", "hance-base")):
        for k in ("pesq_wb", "si_sdr"):
            m, ci, n = paired_delta(f"{R}/{name}.json", s, run, k)
            print(f"{s:26s} {run:4s} - {ref:10s} {k:8s} {m:+.4f} +- {ci:.4f} (n={n})")
PY
        ;;
    *) echo "usage: run.sh train [THREADS] [MAX_MINUTES] | score" >&2; exit 2 ;;
esac
