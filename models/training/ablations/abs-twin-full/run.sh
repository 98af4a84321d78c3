#!/usr/bin/env bash
# The abs twin through the shipped pair's whole curriculum (rule.md): the floor release's stages
# (../floor-release/run.sh abs-twin, steps 0-16500) and the running-floor stage
# (../running-floor/run.sh abs-twin, 16500-18000), each with --twin-mask abs. Resumable across sessions:
#   bash models/training/ablations/abs-twin-full/run.sh [THREADS] [MAX_MINUTES]
# The run lives in runs/floor-release-abs-twin/ (to 16500), then runs/running-floor-abs-twin/ (ignored
# by git). `save` copies the newer run's last.pt and log.jsonl to arm/ here (committed between sessions);
# a fresh checkout resumes from there:
#   bash models/training/ablations/abs-twin-full/run.sh save
# Steps 0-3000 are ../abs-twin/'s run (the same first stage with the same flags): where runs/abs-twin/
# holds it at step 3000 and nothing here has started, the run starts from that checkpoint.
set -euo pipefail
here=models/training/ablations/abs-twin-full
py=.venv/bin/python
fr=runs/floor-release-abs-twin
rf=runs/running-floor-abs-twin
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
if [ "${1:-}" = save ]; then
    src="$rf"; [ -f "$src/last.pt" ] || src="$fr"
    mkdir -p "$here/arm"; cp "$src/last.pt" "$src/log.jsonl" "$here/arm/"; exit 0
fi
threads="${1:-2}"; budget="${2:-0}"
if [ ! -f "$fr/last.pt" ] && [ ! -f "$rf/last.pt" ]; then
    if [ -f "$here/arm/last.pt" ]; then
        dst="$fr"; [ "$(step_of "$here/arm/last.pt")" -lt 16500 ] || dst="$rf"
        mkdir -p "$dst"; cp "$here/arm/last.pt" "$here/arm/log.jsonl" "$dst/"
    elif [ -f runs/abs-twin/last.pt ] && [ "$(step_of runs/abs-twin/last.pt)" = 3000 ]; then
        mkdir -p "$fr"; cp runs/abs-twin/last.pt runs/abs-twin/log.jsonl "$fr/"
    fi
fi
exec bash models/training/ablations/running-floor/run.sh abs-twin "$threads" "$budget"
