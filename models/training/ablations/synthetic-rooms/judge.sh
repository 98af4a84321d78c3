#!/usr/bin/env bash
# Judge the synthetic-rooms experiment with the rule of rule.md (written before training): both arms
# at step 2000, scored per item on val speech through the two held-out rooms (E1), on plain val (E2),
# and clean val speech through the held-out rooms (E3); the training rooms as a report.
# Usage, from the repository root, after run.sh: bash models/training/ablations/synthetic-rooms/judge.sh [less-real]
# Writes per-item JSON and logs next to this script, the tables to benchmarks/results/synthetic-rooms.md
# and passthrough-synthetic-rooms.md, prints the verdict. With less-real (after `run.sh less-real`):
# also scores the follow-up arm, writes synthetic-rooms-less-real.md (paired against real) and
# synthetic-rooms-vs-less-real.md (synth paired against less-real), passthrough-synthetic-rooms-less-real.md,
# and prints the follow-up reading of rule.md.
set -euo pipefail
here=models/training/ablations/synthetic-rooms
data=runs/data-ho
py=.venv/bin/python
rooms_mix="p_synthetic_noise=0,p_second_noise=0,p_voice_perturb=0,p_eq=0,p_lowpass=0,p_clip=0,p_noise_only=0,p_speech_only=0,p_reverb=1"
mkdir -p runs/m
arms=(real synth)
[ "${1:-}" = less-real ] && arms+=(less-real)
for arm in "${arms[@]}"; do
    run="runs/rooms-$arm"
    step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
    if [ "$step" != 2000 ]; then echo "$arm: checkpoint at step $step, the rule applies at 2000" >&2; exit 2; fi
    mkdir -p "$here/$arm"
    cp "$run/log.jsonl" "$here/$arm/log.jsonl"
    v=($py -m hance_plugin.training validate "$run/last.pt" --data-dir "$data" --val-items 203 --pesq-items 203 --per-item --threads 2)
    [ -s "$here/$arm/heldout-rooms.json" ] || "${v[@]}" --val-mix "$rooms_mix" --val-rir-split val > "$here/$arm/heldout-rooms.json"
    [ -s "$here/$arm/final-plain.json" ] || "${v[@]}" --val-mix "augment=false" > "$here/$arm/final-plain.json"
    [ -s "$here/$arm/training-rooms.json" ] || "${v[@]}" --val-mix "$rooms_mix" --val-rir-split train > "$here/$arm/training-rooms.json"
    [ -s "runs/m/rooms-$arm.onnx" ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
        --name "rooms-$arm" --out-dir runs/m
done
[ -s benchmarks/results/passthrough-synthetic-rooms.json ] || $py benchmarks/passthrough.py \
    --model runs/m/rooms-real.onnx --model runs/m/rooms-synth.onnx --data-dir "$data" --split val --rir-split val \
    --name passthrough-synthetic-rooms --no-progress
finals=()
for set in "held-out rooms=heldout-rooms" "plain val=final-plain" "training rooms=training-rooms"; do
    for arm in real synth; do finals+=(--final "${set%%=*}/$arm=$here/$arm/${set#*=}.json"); done
done
$py benchmarks/training_ablation.py --name synthetic-rooms --run "real=$here/real" --run "synth=$here/synth" \
    "${finals[@]}" --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
$py - <<'PY'
"""The rule of rule.md: synth - real, paired per item (`paired_delta`, `passthrough_deltas`)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

d = {}
for s in ("held-out rooms", "plain val", "training rooms"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta("benchmarks/results/synthetic-rooms.json", s, "synth", k)
        m, ci, n = d[s, k]
        print(f"{s:15s} {k:8s} synth - real {m:+.4f} +- {ci:.4f} (n={n})")
pt = passthrough_deltas("benchmarks/results/passthrough-synthetic-rooms.json", "rooms-synth", None)
c1 = d["held-out rooms", "si_sdr"][0] >= 0.3 and d["held-out rooms", "pesq_wb"][0] >= 0.01
c2 = d["plain val", "pesq_wb"][0] >= -0.01 and d["plain val", "si_sdr"][0] >= -0.2
c3 = pt["reverberant", "release"] >= 1.0
print(f"criterion 1 (held-out rooms: SI-SDR >= +0.3 dB, PESQ-WB >= +0.01): {'holds' if c1 else 'FAILS'}")
print(f"criterion 2 (plain val: PESQ-WB >= -0.01, SI-SDR >= -0.2 dB): {'holds' if c2 else 'FAILS'}")
print(f"criterion 3 (reverberant pass-through through the held-out rooms >= +1 dB): {'holds' if c3 else 'FAILS'}")
print("verdict:", "simulated rooms are the candidate for the next release continuation" if c1 and c2 and c3 else "fails")
PY
[ "${1:-}" = less-real ] || exit 0
[ -s benchmarks/results/passthrough-synthetic-rooms-less-real.json ] || $py benchmarks/passthrough.py \
    --model runs/m/rooms-real.onnx --model runs/m/rooms-less-real.onnx --model runs/m/rooms-synth.onnx \
    --data-dir "$data" --split val --rir-split val --name passthrough-synthetic-rooms-less-real --no-progress > /dev/null
for pair in "synthetic-rooms-less-real=real less-real synth" "synthetic-rooms-vs-less-real=less-real synth"; do
    name="${pair%%=*}"; read -r -a order <<< "${pair#*=}"
    runs=(); finals=()
    for arm in "${order[@]}"; do
        runs+=(--run "$arm=$here/$arm")
        for set in "held-out rooms=heldout-rooms" "plain val=final-plain" "training rooms=training-rooms"; do
            finals+=(--final "${set%%=*}/$arm=$here/$arm/${set#*=}.json")
        done
    done
    $py benchmarks/training_ablation.py --name "$name" "${runs[@]}" "${finals[@]}" \
        --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
done
$py - <<'PY'
"""The follow-up reading of rule.md (less-real - real, synth - less-real; paired per item)."""
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta

d = {}
for report, run, label in (("synthetic-rooms-less-real", "less-real", "less-real - real"),
                           ("synthetic-rooms-vs-less-real", "synth", "synth - less-real")):
    for s in ("held-out rooms", "plain val", "training rooms"):
        for k in ("pesq_wb", "si_sdr"):
            d[label, s, k] = paired_delta(f"benchmarks/results/{report}.json", s, run, k)
            m, ci, n = d[label, s, k]
            print(f"{label:17s} {s:15s} {k:8s} {m:+.4f} +- {ci:.4f} (n={n})")
b = (d["less-real - real", "plain val", "pesq_wb"][0] >= 0.015
     and abs(d["synth - less-real", "plain val", "pesq_wb"][0]) <= 0.01
     and abs(d["synth - less-real", "plain val", "si_sdr"][0]) <= 0.2)
a = any(d["synth - less-real", s, "pesq_wb"][0] >= 0.01 or d["synth - less-real", s, "si_sdr"][0] >= 0.3
        for s in ("plain val", "held-out rooms"))
if b:
    print("reading (b): the wet rooms' share moved dry val; simulated rooms add nothing measurable there")
if a:
    print("reading (a): simulated rooms add something beyond a smaller wet share (plain val or held-out rooms)")
if not (a or b):
    print("reading: undecided at this length")
PY
