#!/usr/bin/env bash
# Judge the snr-guard probe with rule.md (written before any measurement): G1 (both unheard voices) and
# G2 (plain val, with DNSMOS BAK) per margin, guard - no guard on hance-base, paired per mixture; the
# non-stationary set is a report. Writes benchmarks/results/PREFIX-{plain,ru,tpru,nonstationary}.json
# (each only where missing) and prints the verdict.
#   bash models/training/ablations/snr-guard/judge.sh [MARGINS [PREFIX]]      (about 10 min at 2 cores)
# MARGINS: round 1's 10,15 by default; PREFIX names the results (snr-guard); round 2 (rule.md) is
#   bash models/training/ablations/snr-guard/judge.sh 20,25 snr-guard2
# and round 3 (each bin's own power against its band's floor) `judge.sh 15,20 snr-guard3 --per-bin`;
# round 4: `judge.sh 20 snr-guard4-low --region low`, `judge.sh 20 snr-guard4-high --region high`.
set -euo pipefail
margins="${1:-10,15}"; prefix="${2:-snr-guard}"; extra=("${@:3}")
here=models/training/ablations/snr-guard
R=benchmarks/results
py=.venv/bin/python
for d in ../data-voices-ru ../data-tuxpaint-ru; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
probe() {  # name, args
    local name="$1"; shift
    [ -s "$R/$name.json" ] || $py "$here/probe.py" --name "$name" --margins "$margins" --threads 1 "${extra[@]}" "$@" \
        > "runs/$name.out" 2> /dev/null
}
probe "$prefix-plain" --items 203 --dnsmos-items 60 &
probe "$prefix-ru" --data-dir ../data-voices-ru --items 201
wait
probe "$prefix-tpru" --data-dir ../data-tuxpaint-ru --items 160 &
probe "$prefix-nonstationary" --items 203 --noise-include "music/*,misc_real/audiomentations_*,0ad_actor_fauna_animal/*"
wait
PREFIX="$prefix" $py - <<'PY'
import json
import os

R = "benchmarks/results"
s = {k: json.load(open(f"{R}/{os.environ['PREFIX']}-{k}.json"))["summary"] for k in ("plain", "ru", "tpru", "nonstationary")}
for label in s["plain"]:
    g1 = all(s[k][label]["pesq_wb"]["delta"] >= 0.015 and s[k][label]["si_sdr"]["delta"] >= 0.0 for k in ("ru", "tpru"))
    p = s["plain"][label]
    g2 = p["pesq_wb"]["delta"] >= -0.005 and p["si_sdr"]["delta"] >= -0.10 and p["dnsmos_bak"]["delta"] >= -0.05
    for k in ("ru", "tpru", "plain", "nonstationary"):
        row = s[k][label]
        extra = f", DNSMOS BAK {row['dnsmos_bak']['delta']:+.3f} +- {row['dnsmos_bak']['ci95']:.3f}" if "dnsmos_bak" in row else ""
        print(f"{label}, {k}: PESQ-WB {row['pesq_wb']['delta']:+.4f} +- {row['pesq_wb']['ci95']:.4f}, "
              f"SI-SDR {row['si_sdr']['delta']:+.3f} +- {row['si_sdr']['ci95']:.3f} dB{extra}")
    print(f"{label}: G1 {'holds' if g1 else 'fails'}; G2 {'holds' if g2 else 'fails'}")
PY
