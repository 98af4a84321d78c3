#!/usr/bin/env bash
# Print the checkpoint a judge scores: RUN_CKPT (runs/..., where the run trained) if it exists, else
# SAVED_CKPT (its copy under models/training/ablations/, from which a fresh checkout resumes); exit 2
# unless that checkpoint is at STEP, the step the experiment's rule applies at. Shared by the judges from
# regularise/ on (earlier judge.sh scripts carry the same lines; they stay as the records of what ran).
#   ckpt=$(bash models/training/ablations/final-checkpoint.sh RUN_CKPT SAVED_CKPT STEP)
set -euo pipefail
[ $# -eq 3 ] || { sed -n 2,6p "$0" >&2; exit 2; }
ckpt="$1"; [ -f "$ckpt" ] || ckpt="$2"
[ -f "$ckpt" ] || { echo "no $1 and no $2" >&2; exit 2; }
s=$(.venv/bin/python -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$ckpt")
[ "$s" = "$3" ] || { echo "$ckpt at step $s, the rule applies at $3" >&2; exit 2; }
echo "$ckpt"
