#!/usr/bin/env bash
# The voice-gap diagnostic (README.md here): why does the shipped hance-base gain so little on the
# held-out Asterisk ru voice (../data-voices-ru) when it gains +0.5 PESQ-WB on the NIST val words under
# the same val noises? One model, several versions of the same val speech, each scored like a branch
# experiment (validate: 3-s mixtures, augment=false, per item) and through benchmarks/passthrough.py
# (clean speech, single and running, no rooms). Val only; test is not touched.
# Builds its folders first (build_data.sh, eq_data.sh, codec_data.sh, perturb_data.sh; needs ../data-voices-ru).
# Writes runs/voice-gap/*.json (ignored by git) and benchmarks/results/voice-gap.{md,json}.
# Usage, from the repository root: bash models/training/ablations/voice-gap/run.sh [MODEL_DIR]
#   MODEL_DIR: a training folder with last.pt and a bundled model of the same name (default
#   models/training/hance-base, scored with the bundled hance-base.onnx for pass-through)
set -euo pipefail
here=models/training/ablations/voice-gap
mdir="${1:-models/training/hance-base}"
model=$(basename "$mdir")
py=.venv/bin/python
work=runs/voice-gap
bash $here/build_data.sh ../data-bandwidth 8000 12000 > /dev/null
bash $here/eq_data.sh ../data-voice-gap > /dev/null
bash $here/codec_data.sh ../data-voice-gap > /dev/null
bash $here/perturb_data.sh ../data-voice-gap > /dev/null
mkdir -p $work
sets="full=../data-bandwidth/full bw12000=../data-bandwidth/bw12000 bw8000=../data-bandwidth/bw8000"
sets="$sets nist-g722=../data-voice-gap/nist-g722 nist8k-rueq=../data-voice-gap/nist8k-rueq"
sets="$sets ru=../data-voices-ru ru-nisteq=../data-voice-gap/ru-nisteq"
for p in nist-pitch+3 nist-pitch-3 nist-formant1.15 nist-formant0.87 nist-pitch+5-formant1.25; do
    sets="$sets $p=../data-voice-gap/$p"
done
for s in $sets; do
    name=${s%%=*}; dir=${s#*=}
    $py -m hance_plugin.training validate "$mdir/last.pt" --data-dir "$dir" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > $work/val-$name.json
    $py benchmarks/passthrough.py --model "$model" --data-dir "$dir" --split val --rir-split none \
        --name pass-$name --out-dir $work --no-progress > /dev/null
done
SETS="$sets" MODEL="$model" $py - <<'PY'
"""Table: per version, gain over the noisy input (paired per item), high-SNR band SDRs, pass-through."""
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
from _results import write_results

work = Path("runs/voice-gap")
sets = [s.split("=", 1) for s in os.environ["SETS"].split()]
LABEL = {
    "full": "NIST val words (4 training talkers), as recorded",
    "bw12000": "the same, band-limited to 12 kHz",
    "bw8000": "the same, band-limited to 8 kHz",
    "nist-g722": "the same, through G.722 (16 kHz, 64 kbit/s)",
    "nist8k-rueq": "8-kHz NIST words shaped to the ru voice's long-term spectrum",
    "ru": "Asterisk ru voice (held out), as stored (G.722)",
    "ru-nisteq": "the ru voice shaped to the 8-kHz NIST words' long-term spectrum",
    "nist-pitch+3": "NIST words, f0 +3 semitones (training's perturbation, its edge)",
    "nist-pitch-3": "NIST words, f0 -3 semitones (the other edge)",
    "nist-formant1.15": "NIST words, envelope x1.15 (edge of training's formant range)",
    "nist-formant0.87": "NIST words, envelope x0.87 (the other edge)",
    "nist-pitch+5-formant1.25": "NIST words, f0 +5 semitones and envelope x1.25 (beyond training's ranges)",
}


def ci(a):
    return 1.96 * a.std(ddof=1) / np.sqrt(len(a)) if len(a) > 1 else float("nan")


rows, per = [], {}
for name, folder in sets:
    items = [x for x in json.loads((work / f"val-{name}.json").read_text())["per_item"]
             if x.get("pesq_wb") is not None and x.get("pesq_wb_noisy") is not None]
    per[name] = {x["index"]: x for x in items}
    g = lambda k: np.array([np.nan if x.get(k) is None else x[k] for x in items], dtype=float)
    dp, ds = g("pesq_wb") - g("pesq_wb_noisy"), g("si_sdr") - g("si_sdr_noisy")
    hi = g("si_sdr_noisy") >= 10
    pt = {r["form"]: r for r in json.loads((work / f"pass-{name}.json").read_text())["rows"] if r["group"] == "all"}
    rows.append({
        "set": name, "what": LABEL[name], "folder": folder, "items": len(items),
        "pesq_noisy": float(np.mean(g("pesq_wb_noisy"))), "pesq": float(np.mean(g("pesq_wb"))),
        "d_pesq": float(dp.mean()), "d_pesq_ci95": float(ci(dp)),
        "d_si_sdr_db": float(np.nanmean(ds)), "d_si_sdr_ci95": float(ci(ds[~np.isnan(ds)])),
        "high_snr_items": int(hi.sum()),
        "high_snr_sdr_low_db": [float(np.nanmean(g("sdr_low_noisy")[hi])), float(np.nanmean(g("sdr_low")[hi]))],
        "high_snr_sdr_high_db": [float(np.nanmean(g("sdr_high_noisy")[hi])), float(np.nanmean(g("sdr_high")[hi]))],
        "passthrough": {f: {k: pt[f][k] for k in ("items", "sdr_db", "sdr_low_db", "sdr_high_db", "gain_db") if k in pt[f]}
                        for f in ("single", "running") if f in pt},
    })


def paired(a, b):
    """Gain of set b - gain of set a on the items both have (same speech files, same mixtures)."""
    common = sorted(set(per[a]) & set(per[b]))
    if not common or any(per[a][i]["speech_file"] != per[b][i]["speech_file"] for i in common):
        return None
    d = {}
    for k in ("pesq_wb", "si_sdr"):
        x = np.array([(per[b][i][k] - per[b][i][k + "_noisy"]) - (per[a][i][k] - per[a][i][k + "_noisy"]) for i in common])
        d[k] = (float(x.mean()), float(ci(x)), len(common))
    return d


pairs = [("full", "bw12000"), ("full", "bw8000"), ("bw8000", "nist-g722"), ("bw8000", "nist8k-rueq"), ("ru", "ru-nisteq"),
         ("full", "nist-pitch+3"), ("full", "nist-pitch-3"), ("full", "nist-formant1.15"), ("full", "nist-formant0.87"),
         ("full", "nist-pitch+5-formant1.25")]
deltas = {f"{b} - {a}": paired(a, b) for a, b in pairs if a in per and b in per}
md = ["# Voice-gap diagnostic (val only): what the held-out voice's small gain is not", "",
      f"- command: `bash models/training/ablations/voice-gap/run.sh` (model `{os.environ['MODEL']}`; folders and "
      "filters in `models/training/ablations/voice-gap/`)",
      "- mixtures: `validate --val-items 203 --segment-seconds 3 --val-mix augment=false --per-item` on each folder "
      "(the val noises; the mixer draws the same crops, noises and SNRs for the same speech files, so the NIST "
      "versions pair per item, as do the two ru versions); gain = model − noisy input, per item",
      "- high-SNR columns: items with input SI-SDR ≥ 10 dB; SDR below / above 6 kHz, noisy → model",
      "- pass-through: `benchmarks/passthrough.py --rir-split none` (clean speech at −26 dBFS, 8-s items; SDR of the "
      "output against the input; `single` each file, `running` files joined with 50-ms gaps)", "",
      "| set | items | PESQ-WB noisy → model | gain PESQ-WB | gain SI-SDR (dB) | ≥10 dB: SDR < 6 kHz | ≥10 dB: SDR > 6 kHz | pass-through single (dB) | < / > 6 kHz | running (dB) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    s, ru_ = r["passthrough"].get("single", {}), r["passthrough"].get("running", {})
    md.append(f"| {r['set']}: {r['what']} | {r['items']} | {r['pesq_noisy']:.3f} → {r['pesq']:.3f} | "
              f"{r['d_pesq']:+.3f} ± {r['d_pesq_ci95']:.3f} | {r['d_si_sdr_db']:+.2f} ± {r['d_si_sdr_ci95']:.2f} | "
              f"{r['high_snr_sdr_low_db'][0]:.1f} → {r['high_snr_sdr_low_db'][1]:.1f} | "
              f"{r['high_snr_sdr_high_db'][0]:.1f} → {r['high_snr_sdr_high_db'][1]:.1f} | "
              f"{s.get('sdr_db', float('nan')):.1f} | {s.get('sdr_low_db', float('nan')):.1f} / {s.get('sdr_high_db', float('nan')):.1f} | "
              f"{ru_.get('sdr_db', float('nan')):.1f} |")
md += ["", "## Paired: how much of the gain a change of the speech moves", "",
       "| change | items | Δ gain PESQ-WB | Δ gain SI-SDR (dB) |", "|---|---:|---:|---:|"]
for k, d in deltas.items():
    if d:
        md.append(f"| {k} | {d['pesq_wb'][2]} | {d['pesq_wb'][0]:+.3f} ± {d['pesq_wb'][1]:.3f} | {d['si_sdr'][0]:+.2f} ± {d['si_sdr'][1]:.2f} |")
write_results("benchmarks/results", "voice-gap", "\n".join(md) + "\n", {"model": os.environ["MODEL"], "rows": rows, "paired": deltas})
PY
