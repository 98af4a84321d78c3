#!/usr/bin/env bash
# The report step of a branch judge.sh whose rule reads pass-through against a control: export
# RUN_DIR/last.pt to runs/m/NAME.onnx, clean-speech pass-through of hance-base, runs/m/CONTROL.onnx
# and it on val (benchmarks/results/passthrough-NAME), and DNSMOS on 60 plain val mixtures against
# the release (benchmarks/results/NAME-dnsmos); each only where its output is not there yet.
# Usage, from the repository root: bash models/training/ablations/branch-report.sh RUN_DIR NAME CONTROL
# PY overrides the interpreter.
set -euo pipefail
run="$1"; name="$2"; ctl="$3"
py="${PY:-.venv/bin/python}"
mkdir -p runs/m
[ -s "runs/m/$name.onnx" ] || $py -m hance_plugin.training export --checkpoint "$run/last.pt" \
    --name "$name" --out-dir runs/m
[ -s "benchmarks/results/passthrough-$name.json" ] || $py benchmarks/passthrough.py --model hance-base \
    --model "runs/m/$ctl.onnx" --model "runs/m/$name.onnx" --split val \
    --name "passthrough-$name" --no-progress
[ -s "benchmarks/results/$name-dnsmos.json" ] || $py benchmarks/attenuation_limit.py --model hance-base \
    --model "runs/m/$name.onnx" --limits 100 --items 203 --dnsmos-items 60 --name "$name-dnsmos"
