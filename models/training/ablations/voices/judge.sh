#!/usr/bin/env bash
# Judge an arm of the voices experiment against the control with rule.md (written before any result).
# Usage, from the repository root, once runs/voices-control and runs/voices-ARM (or control/, ARM/ here)
# are at step 19500 and build_data.sh has made ../data-voices-ru:
#   bash models/training/ablations/voices/judge.sh [ARM]     # ARM: voices (default), voices5 or voices5-rn
# Writes <arm>/log.jsonl, <arm>/final-plain.json (the 203 plain val mixtures of ../shared/data),
# <arm>/final-ru.json (203 mixtures of the held-out ru talker under the val noises), shipped-ru.json
# (hance-base on those), benchmarks/results/ARM.{md,json} (paired tables) and
# passthrough-ARM{,-ru}.{md,json} (clean val speech and the ru talker's, control first; report only);
# prints V1, V2 and the verdict. Each output is made only where it is not there yet (rerunnable).
# Checkpoints stay in runs/.
set -euo pipefail
here=models/training/ablations/voices
R=benchmarks/results
py=.venv/bin/python
held=../data-voices-ru
arm="${1:-voices}"
case "$arm" in voices|voices5|voices5-rn) ;; *) echo "ARM must be voices, voices5 or voices5-rn" >&2; exit 2 ;; esac
[ -d "$held/speech/val" ] || { echo "no $held: run $here/build_data.sh first" >&2; exit 2; }
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
ckpt_of() { if [ -f "runs/voices-$1/last.pt" ]; then echo "runs/voices-$1/last.pt"; else echo "$here/$1/last.pt"; fi; }
val() {  # checkpoint, data dir, output
    [ -s "$3" ] || $py -m hance_plugin.training validate "$1" --data-dir "$2" --val-items 203 --pesq-items 203 \
        --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$3"
}
for a in control "$arm"; do
    c=$(ckpt_of $a)
    [ "$(step_of "$c")" = 19500 ] || { echo "$a at step $(step_of "$c"), the rule applies at 19500" >&2; exit 2; }
    mkdir -p "$here/$a"
    [ "$c" = "$here/$a/last.pt" ] || cp "$(dirname "$c")/log.jsonl" "$here/$a/log.jsonl"
    val "$c" ../shared/data "$here/$a/final-plain.json"
    val "$c" "$held" "$here/$a/final-ru.json"
done
val models/training/hance-base/last.pt "$held" "$here/shipped-ru.json"
ship=models/training/hance-base/val-plain-step18000.json
[ -s $R/$arm.json ] || $py benchmarks/training_ablation.py --name "$arm" --from-step 18000 \
    --run "control=$here/control" --run "$arm=$here/$arm" \
    --final "held-out voice/control=$here/control/final-ru.json" \
    --final "held-out voice/$arm=$here/$arm/final-ru.json" \
    --final "plain val/control=$here/control/final-plain.json" \
    --final "plain val/$arm=$here/$arm/final-plain.json" \
    --final "held-out voice vs shipped/shipped=$here/shipped-ru.json" \
    --final "held-out voice vs shipped/control=$here/control/final-ru.json" \
    --final "held-out voice vs shipped/$arm=$here/$arm/final-ru.json" \
    --final "plain val vs shipped/shipped=$ship" \
    --final "plain val vs shipped/control=$here/control/final-plain.json" \
    --final "plain val vs shipped/$arm=$here/$arm/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
mkdir -p runs/m
for a in control "$arm"; do
    [ -s runs/m/voices-$a.onnx ] || $py -m hance_plugin.training export --checkpoint "$(ckpt_of $a)" \
        --name voices-$a --out-dir runs/m > /dev/null
done
[ -s $R/passthrough-$arm.json ] || $py benchmarks/passthrough.py --model runs/m/voices-control.onnx \
    --model runs/m/voices-$arm.onnx --split val --name passthrough-$arm --no-progress > /dev/null
[ -s $R/passthrough-$arm-ru.json ] || $py benchmarks/passthrough.py --model runs/m/voices-control.onnx \
    --model runs/m/voices-$arm.onnx --data-dir "$held" --split val --name passthrough-$arm-ru \
    --no-progress > /dev/null
ARM=$arm $py - <<'PY'
"""rule.md: V1 (held-out voice) and V2 (plain val), voices - control, paired per item."""
import os
import sys

sys.path.insert(0, "benchmarks")
from training_ablation import paired_delta, passthrough_deltas

arm = os.environ["ARM"]
R = f"benchmarks/results/{arm}.json"
d = {}
for s in ("held-out voice", "plain val"):
    for k in ("pesq_wb", "si_sdr"):
        d[s, k] = paired_delta(R, s, arm, k)
        m, ci, n = d[s, k]
        print(f"{s:15s} {k:8s} {arm} - control {m:+.4f} +- {ci:.4f} (n={n})")
for s in ("held-out voice vs shipped", "plain val vs shipped"):
    for a in ("control", arm):
        for k in ("pesq_wb", "si_sdr"):
            m, ci, n = paired_delta(R, s, a, k)
            print(f"report: {s:26s} {k:8s} {a} - hance-base {m:+.4f} +- {ci:.4f} (n={n})")
passthrough_deltas(f"benchmarks/results/passthrough-{arm}.json", f"voices-{arm}", None)  # vs control
print(f"report: the held-out ru talker's clean speech, {arm} - control:")
passthrough_deltas(f"benchmarks/results/passthrough-{arm}-ru.json", f"voices-{arm}", None)
v1 = d["held-out voice", "pesq_wb"][0] >= 0.020 and d["held-out voice", "si_sdr"][0] >= 0.30
v2 = d["plain val", "pesq_wb"][0] >= -0.005 and d["plain val", "si_sdr"][0] >= -0.10
print(f"V1 {'holds' if v1 else 'fails'}; V2 {'holds' if v2 else 'fails'}")
print("verdict:", "promising: a full release stage with the new voices next" if v1 and v2 else "not promising")
PY
