#!/usr/bin/env bash
# Judge round 3 of rule.md (the speech guard on by default?): D1 (both unheard voices) and D2 (plain
# val, with DNSMOS BAK) at margin 35 dB on the standard -5..20 dB val range, guard - off on the shipped
# Denoiser, paired per mixture; the non-stationary set is a report. Writes
# benchmarks/results/clean-guard3-{plain,ru,tpru,nonstationary}.{md,json} (each only where missing).
#   bash models/training/ablations/clean-guard/judge-default.sh      (about 6 min at 2 cores)
set -euo pipefail
here=models/training/ablations/clean-guard
R=benchmarks/results
py=.venv/bin/python
export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1
for d in ../data-voices-ru ../data-tuxpaint-ru; do [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }; done
mkdir -p runs
measure() {  # name, args
    local name="$1"; shift
    [ -s "$R/$name.json" ] || $py "$here/measure.py" --name "$name" --margins 35 --snr=-5:20 "$@" > "runs/$name.out" 2> "runs/$name.err"
}
measure clean-guard3-plain --items 203 --dnsmos-items 60 &
measure clean-guard3-ru --data-dir ../data-voices-ru --items 201
wait
measure clean-guard3-tpru --data-dir ../data-tuxpaint-ru --items 160 &
measure clean-guard3-nonstationary --items 203 --noise-include "music/*,misc_real/audiomentations_*,0ad_actor_fauna_animal/*"
wait
$py - <<'PY'
import json

R = "benchmarks/results"
s = {k: json.load(open(f"{R}/clean-guard3-{k}.json"))["summary"]["margin 35 dB"] for k in ("plain", "ru", "tpru", "nonstationary")}
d1 = all(s[k]["pesq_wb"]["delta"] >= 0.015 and s[k]["si_sdr"]["delta"] >= 0.0 for k in ("ru", "tpru"))
p = s["plain"]
d2 = p["pesq_wb"]["delta"] >= -0.005 and p["si_sdr"]["delta"] >= -0.10 and p["dnsmos_bak"]["delta"] >= -0.05
for k, row in s.items():
    extra = f", DNSMOS BAK {row['dnsmos_bak']['delta']:+.3f} +- {row['dnsmos_bak']['ci95']:.3f}" if "dnsmos_bak" in row else ""
    print(f"margin 35 dB at -5..20 dB, {k}: PESQ-WB {row['pesq_wb']['delta']:+.4f} +- {row['pesq_wb']['ci95']:.4f}, "
          f"SI-SDR {row['si_sdr']['delta']:+.3f} +- {row['si_sdr']['ci95']:.3f} dB{extra}")
print(f"D1 {'holds' if d1 else 'fails'}; D2 {'holds' if d2 else 'fails'}")
PY
