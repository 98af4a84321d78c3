#!/usr/bin/env bash
# Judge guard-gate (rule.md, written before the engine code and any judged measurement): the shipped
# Denoiser off, with the ungated guard (35 dB) and with the gated guard (35 dB, gate 5 dB), paired per
# mixture, on five val sets at -5..20 dB and at 15..30 dB; prints A1 / A2 / A3 for gated - off.
# Writes benchmarks/results/guard-gate-{noisy,clean}-{plain,ru,tpru,nonstationary,wl}.{md,json} (each only
# where missing).
#   bash models/training/ablations/guard-gate/judge.sh      (about 13 min at 2 cores)
# The gate and measure.py --gate-db were removed after the outcome (rule.md): run this at commit ba9e13d.
set -euo pipefail
R=benchmarks/results
py=.venv/bin/python
export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1
for d in ../data-voices-ru ../data-tuxpaint-ru ../data-noise-wl; do
    [ -d "$d/speech/val" ] || { echo "no $d: run the build_data.sh scripts first" >&2; exit 2; }
done
mkdir -p runs
measure() {  # name, snr range, args
    local name="$1" snr="$2"; shift 2
    [ -s "$R/$name.json" ] || $py models/training/ablations/clean-guard/measure.py --name "$name" --margins 35 --gate-db 5 \
        --snr="$snr" "$@" > "runs/$name.out" 2> "runs/$name.err"
}
for range in noisy:-5:20 clean:15:30; do
    tag="${range%%:*}"; snr="${range#*:}"
    measure "guard-gate-$tag-plain" "$snr" --items 203 --dnsmos-items 60 &
    measure "guard-gate-$tag-ru" "$snr" --data-dir ../data-voices-ru --items 201
    wait
    measure "guard-gate-$tag-tpru" "$snr" --data-dir ../data-tuxpaint-ru --items 160 &
    measure "guard-gate-$tag-nonstationary" "$snr" --items 203 --noise-include "music/*,misc_real/audiomentations_*,0ad_actor_fauna_animal/*"
    wait
    measure "guard-gate-$tag-wl" "$snr" --data-dir ../data-noise-wl --items 203
done
$py - <<'PY'
import json

R = "benchmarks/results"
GATED, UNGATED = "margin 35 dB, gate 5 dB", "margin 35 dB"
s = {(tag, k): json.load(open(f"{R}/guard-gate-{tag}-{k}.json"))["summary"]
     for tag in ("noisy", "clean") for k in ("plain", "ru", "tpru", "nonstationary", "wl")}
for (tag, k), summary in s.items():
    for label in (UNGATED, GATED):
        row = summary[label]
        extra = f", DNSMOS BAK {row['dnsmos_bak']['delta']:+.3f} +- {row['dnsmos_bak']['ci95']:.3f}" if "dnsmos_bak" in row else ""
        print(f"{tag:5s} {k:13s} {label:24s} PESQ-WB {row['pesq_wb']['delta']:+.4f} +- {row['pesq_wb']['ci95']:.4f}, "
              f"SI-SDR {row['si_sdr']['delta']:+.3f} +- {row['si_sdr']['ci95']:.3f} dB{extra}")
g = {key: summary[GATED] for key, summary in s.items()}
d = lambda tag, k, m: g[(tag, k)][m]["delta"]  # noqa: E731
a1 = all(d("clean", k, "pesq_wb") >= lo and d("clean", k, "si_sdr") >= 0.0
         for k, lo in (("ru", 0.140), ("tpru", 0.035), ("plain", 0.015)))
a2 = (d("noisy", "plain", "pesq_wb") >= -0.005 and d("noisy", "plain", "si_sdr") >= -0.10
      and d("noisy", "plain", "dnsmos_bak") >= -0.030
      and all(d("noisy", k, "pesq_wb") >= -0.010 and d("noisy", k, "si_sdr") >= -0.20 for k in ("nonstationary", "wl")))
a3 = d("noisy", "ru", "pesq_wb") >= 0.015 and d("noisy", "tpru", "pesq_wb") >= 0.0
print(f"A1 {'holds' if a1 else 'FAILS'}; A2 {'holds' if a2 else 'FAILS'}; A3 {'holds' if a3 else 'FAILS'}")
PY
