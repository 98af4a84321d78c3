#!/usr/bin/env bash
# The table step of a branch experiment's judge.sh: benchmarks/training_ablation.py over the release,
# a same-steps control (or comparison) and the branch, on plain val, reverberant val (half through
# training rooms) and both again against the control (the four sets of training_ablation.BRANCH_SETS).
# Usage, from the repository root:
#   bash models/training/ablations/branch-table.sh NAME RECORD_DIR LABEL CONTROL_DIR CONTROL_LABEL [ROLE] [CURVE]
# NAME: the results name (benchmarks/results/NAME.md/.json); RECORD_DIR: the branch's per-item files
# (final-plain.json, rev-final.json) and log; LABEL / CONTROL_LABEL: run labels ("LABEL 16500" in the
# final rows); ROLE: what the control is called in the labels (default "control"); CURVE: "no" leaves
# the branch out of the training curves (a soup has none). PY overrides the interpreter.
set -euo pipefail
name="$1"; here="$2"; label="$3"; ctl="$4"; ctl_label="$5"; role="${6:-control}"; curve="${7:-yes}"
py="${PY:-.venv/bin/python}"
so16=models/training/ablations/speech-only-16500
runs=(--run "release=models/training/hance-base" --run "$ctl_label ($role)=$ctl")
if [ "$curve" = yes ]; then runs+=(--run "$label=$here"); fi
finals=(--final "plain val/release 15000=models/training/hance-base/val-plain-step15000.json"
        --final "plain val/$ctl_label 16500 ($role)=$ctl/final-plain.json"
        --final "plain val/$label 16500=$here/final-plain.json"
        --final "reverberant val/release 15000=$so16/base/rev-step15000.json"
        --final "reverberant val/$ctl_label 16500 ($role)=$ctl/rev-final.json"
        --final "reverberant val/$label 16500=$here/rev-final.json"
        --final "plain val vs control/$ctl_label 16500 ($role)=$ctl/final-plain.json"
        --final "plain val vs control/$label 16500=$here/final-plain.json"
        --final "reverberant val vs control/$ctl_label 16500 ($role)=$ctl/rev-final.json"
        --final "reverberant val vs control/$label 16500=$here/rev-final.json")
$py benchmarks/training_ablation.py --name "$name" --from-step 15000 "${runs[@]}" "${finals[@]}" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_'
