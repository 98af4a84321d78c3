#!/usr/bin/env bash
# Judge the pause post-filter with rule.md (written before any measurement): P1 (plain val, with
# DNSMOS) and P2 (two unheard voices) for each pause post-filter strength, paired against off.
#   bash models/training/ablations/pause-post-filter/judge.sh        (about 15 min at 2 cores)
# Needs ../data-voices-ru (voices/build_data.sh) and ../data-tuxpaint-ru (tuxpaint-voices/build_data.sh).
# Writes benchmarks/results/pause-post-filter{,-ru,-tpru}.{md,json} (each only where missing) and prints
# the criteria and the verdict.
set -euo pipefail
R=benchmarks/results
py=.venv/bin/python
for d in ../data-voices-ru ../data-tuxpaint-ru; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
run() {  # name, extra args
    local name="$1"; shift
    [ -s "$R/$name.json" ] || $py benchmarks/attenuation_limit.py --model hance-base --limits 100 --post-filters 0 \
        --pause-post-filters 0,0.3,1 --name "$name" --no-progress "$@" > /dev/null
}
run pause-post-filter --items 203 --dnsmos-items 60 &
run pause-post-filter-ru --data-dir ../data-voices-ru --items 203 --dnsmos-items 0
run pause-post-filter-tpru --data-dir ../data-tuxpaint-ru --items 203 --dnsmos-items 0
wait
$py - <<'PY'
"""rule.md: P1 and P2 per pause post-filter strength."""
import json

R = "benchmarks/results"


def rows(name):
    report = json.loads(open(f"{R}/{name}.json").read())
    return {r["pause_post_filter_beta"]: r for r in report["models"]["hance-base"]["rows"] if r["bucket"] == "all"}


val, ru, tpru = rows("pause-post-filter"), rows("pause-post-filter-ru"), rows("pause-post-filter-tpru")
passing = []
for p in (0.3, 1.0):
    v = val[p]
    print(f"P = {p:g}, plain val: BAK {v['dnsmos_bak_delta']:+.3f} +- {v['dnsmos_bak_ci95']:.3f}, "
          f"OVRL {v['dnsmos_ovrl_delta']:+.3f} +- {v['dnsmos_ovrl_ci95']:.3f}, PESQ-WB {v['pesq_wb_delta']:+.4f} "
          f"+- {v['pesq_wb_ci95']:.4f}, SI-SDR {v['si_sdr_delta']:+.3f} +- {v['si_sdr_ci95']:.3f} dB, "
          f"ESTOI {v['estoi_delta']:+.4f} +- {v['estoi_ci95']:.4f}")
    p1 = (v["dnsmos_bak_delta"] >= 0.10 and v["pesq_wb_delta"] >= -0.010 and v["si_sdr_delta"] >= -0.10
          and v["estoi_delta"] >= -0.003)
    p2 = True
    for label, s in (("asterisk ru voice", ru[p]), ("tuxpaint ru voice", tpru[p])):
        print(f"P = {p:g}, {label}: PESQ-WB {s['pesq_wb_delta']:+.4f} +- {s['pesq_wb_ci95']:.4f}, "
              f"SI-SDR {s['si_sdr_delta']:+.3f} +- {s['si_sdr_ci95']:.3f} dB (n={s['mixtures']})")
        p2 = p2 and s["pesq_wb_delta"] >= -0.010 and s["si_sdr_delta"] >= -0.10
    print(f"P = {p:g}: P1 {'holds' if p1 else 'fails'}; P2 {'holds' if p2 else 'fails'}")
    if p1 and p2:
        passing.append(p)
print(f"verdict: {'default pause_post_filter_beta = %g' % max(passing) if passing else 'stays off by default'}")
PY
