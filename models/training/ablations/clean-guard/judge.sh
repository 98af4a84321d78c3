#!/usr/bin/env bash
# Judge the speech guard with rule.md (written before the engine code and any measurement): C1 (both
# unheard voices) and C2 (plain val, with DNSMOS BAK) per margin on the 15..30 dB sets, guard - off on
# the shipped Denoiser, paired per mixture; the non-stationary set and plain val at -5..20 dB are reports.
# Writes benchmarks/results/PREFIX-{plain,ru,tpru,nonstationary,plain-noisy}.{md,json} (each only
# where missing) and prints the verdict.
#   bash models/training/ablations/clean-guard/judge.sh [MARGINS [PREFIX [MEASURE_FLAGS...]]]  (about 6 min at 2 cores)
# round 1: MARGINS 20,25 and PREFIX clean-guard (the defaults); round 2 (rule.md): judge.sh 30,35 clean-guard2;
# round 4: judge.sh 35 clean-guard4 --attenuation-limit-db 30
set -euo pipefail
margins="${1:-20,25}"; prefix="${2:-clean-guard}"; extra=("${@:3}")
here=models/training/ablations/clean-guard
R=benchmarks/results
py=.venv/bin/python
export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1
for d in ../data-voices-ru ../data-tuxpaint-ru; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
mkdir -p runs
measure() {  # name, args
    local name="$1"; shift
    [ -s "$R/$name.json" ] || $py "$here/measure.py" --name "$name" --margins "$margins" "${extra[@]}" "$@" > "runs/$name.out" 2> "runs/$name.err"
}
measure "$prefix"-plain --items 203 --dnsmos-items 60 &
measure "$prefix"-ru --data-dir ../data-voices-ru --items 201
wait
measure "$prefix"-tpru --data-dir ../data-tuxpaint-ru --items 160 &
measure "$prefix"-nonstationary --items 203 --noise-include "music/*,misc_real/audiomentations_*,0ad_actor_fauna_animal/*"
wait
measure "$prefix"-plain-noisy --items 203 --snr=-5:20
PREFIX="$prefix" $py - <<'PY'
import json
import os

R = "benchmarks/results"
s = {k: json.load(open(f"{R}/{os.environ['PREFIX']}-{k}.json"))["summary"] for k in ("plain", "ru", "tpru", "nonstationary", "plain-noisy")}
for label in s["plain"]:
    c1 = all(s[k][label]["pesq_wb"]["delta"] >= 0.015 and s[k][label]["si_sdr"]["delta"] >= 0.0 for k in ("ru", "tpru"))
    p = s["plain"][label]
    c2 = p["pesq_wb"]["delta"] >= -0.005 and p["si_sdr"]["delta"] >= -0.10 and p["dnsmos_bak"]["delta"] >= -0.05
    for k in ("ru", "tpru", "plain", "nonstationary", "plain-noisy"):
        row = s[k][label]
        extra = f", DNSMOS BAK {row['dnsmos_bak']['delta']:+.3f} +- {row['dnsmos_bak']['ci95']:.3f}" if "dnsmos_bak" in row else ""
        print(f"{label}, {k}: PESQ-WB {row['pesq_wb']['delta']:+.4f} +- {row['pesq_wb']['ci95']:.4f}, "
              f"SI-SDR {row['si_sdr']['delta']:+.3f} +- {row['si_sdr']['ci95']:.3f} dB{extra}")
    print(f"{label}: C1 {'holds' if c1 else 'fails'}; C2 {'holds' if c2 else 'fails'}")
PY
