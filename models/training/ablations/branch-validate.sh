#!/usr/bin/env bash
# The validation step of a branch experiment's judge.sh: check the checkpoint's step, copy its log
# next to the rule, and score it per item on the 203 plain val mixtures (final-plain.json) and the
# 203 with half through training rooms (rev-final.json), each only where that file is not there yet.
# Usage, from the repository root: bash models/training/ablations/branch-validate.sh RUN_DIR RECORD_DIR STEP [SEGMENT_SECONDS]
# SEGMENT_SECONDS: length of the val mixtures (default 3, the release's; validate would otherwise
# use the run's own --segment-seconds, and mixtures of another length are other mixtures that cannot
# be paired with the release's or a control's).
set -euo pipefail
run="$1"
here="$2"
want="$3"
seg="${4:-3}"
py=.venv/bin/python
step=$($py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$run/last.pt")
if [ "$step" != "$want" ]; then echo "checkpoint at step $step, the rule applies at $want" >&2; exit 2; fi
cp "$run/log.jsonl" "$here/log.jsonl"
room_mix="p_synthetic_noise=0,p_second_noise=0,p_voice_perturb=0,p_eq=0,p_lowpass=0,p_clip=0,p_noise_only=0,p_speech_only=0,p_reverb=0.5"
[ -s "$here/final-plain.json" ] || $py -m hance_plugin.training validate "$run/last.pt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix "augment=false" --segment-seconds "$seg" > "$here/final-plain.json"
[ -s "$here/rev-final.json" ] || $py -m hance_plugin.training validate "$run/last.pt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix "$room_mix" --val-rir-split train --segment-seconds "$seg" \
    > "$here/rev-final.json"
