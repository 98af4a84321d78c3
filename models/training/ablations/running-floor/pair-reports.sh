#!/usr/bin/env bash
# The reports whose rows name the shipped pair (hance-base, hance-twin), each rerun only where its
# output is not newer than REF (the graph a release changed), with the running-floor release's commands:
# the test set (quality-ours, report only, then merged with the peers' run into quality.md), the
# clean-speech pass-through on val and test, state drift and level normalization.
# Usage, from the repository root (reports.sh here and ../abs-twin-full/ship-twin.sh call it):
#   bash models/training/ablations/running-floor/pair-reports.sh models/hance-base.onnx
set -euo pipefail
ref="$1"
py=.venv/bin/python
R=benchmarks/results
new() { [ -s "$1" ] && [ "$1" -nt "$ref" ]; }
new $R/quality-ours.json || $py benchmarks/quality.py evaluate --systems noisy,hance-base,hance-twin --require-all \
    --jobs 2 --dnsmos-limit 60 --name quality-ours
new $R/quality.json || $py benchmarks/quality.py merge $R/quality-peers.json $R/quality-ours.json
new $R/passthrough-val.json || $py benchmarks/passthrough.py --model hance-base --model hance-twin \
    --model wiener-baseline --split val --name passthrough-val --no-progress
new $R/passthrough-test.json || $py benchmarks/passthrough.py --model hance-base --model hance-twin \
    --model wiener-baseline --split test --rir-split test --name passthrough-test --no-progress
new $R/state-drift.json || $py benchmarks/state_drift.py --model hance-base --model hance-twin --model wiener-baseline \
    --no-progress
new $R/level-normalization-running-floor.json || $py benchmarks/level_normalization.py --model hance-base \
    --model hance-twin --no-progress --name level-normalization-running-floor
