#!/usr/bin/env bash
# steps-trend (rule.md): floor-reliance's control `ctl` (the shipped stage from hance-base, 19500 -> 21000,
# runs/fr-ctl) continued through the same stage once more, 21000 -> 22500 (one more warm restart of the
# cosine, as every stage was run), then scored like ctl. Resumable:
#   bash models/training/ablations/steps-trend/run.sh train [THREADS] [MAX_MINUTES]
#   bash models/training/ablations/steps-trend/run.sh score
# `train` needs runs/fr-ctl/last.pt (remade by `bash models/training/ablations/floor-reliance/run.sh ctl 2`,
# about 25 min). `score` writes ctl2/final-{wl,plain,ru,tpru}.json with the command that scored ctl and
# hance-base (floor-reliance/judge.sh's), then prints the paired deltas.
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
        $py - <<'PY'
import json
import numpy as np
fr = "models/training/ablations/floor-reliance"
runs = {"hance-base": f"{fr}/hance-base", "ctl": f"{fr}/ctl", "ctl2": "models/training/ablations/steps-trend/ctl2"}
def items(path):
    d = json.load(open(path))
    return {r["index"]: r for r in d["per_item"]}
for s in ("wl", "plain", "ru", "tpru"):
    a = {k: items(f"{v}/final-{s}.json") for k, v in runs.items()}
    for x, y in (("ctl", "hance-base"), ("ctl2", "ctl"), ("ctl2", "hance-base")):
        for m in ("pesq_wb", "si_sdr"):
            keys = [i for i in a[x] if a[x][i].get(m) is not None and a[y].get(i, {}).get(m) is not None]
            d = np.array([a[x][i][m] - a[y][i][m] for i in keys])
            print(f"{s:6s} {x:5s} - {y:10s} {m:8s} {d.mean():+.4f} +- {1.96 * d.std(ddof=1) / np.sqrt(len(d)):.4f} (n={len(d)})")
PY
        ;;
    *) echo "usage: run.sh train [THREADS] [MAX_MINUTES] | score" >&2; exit 2 ;;
esac
