#!/usr/bin/env bash
# After ship.sh: the reports a release reruns, with the commands of the previous release (6027f61)
# plus the speed table (the graph gained the noise-floor input and the engine its tracker); the reports
# naming the pair are pair-reports.sh here (shared with ../abs-twin-full/ship-twin.sh).
# Usage, from the repository root, with nothing else running (timings):
#   bash models/training/ablations/running-floor/reports.sh
# The test set runs once (report only, never deciding): quality-ours.json before the release is kept
# as runs/quality-ours-clean-targets-18000.json and compared with the new run, paired per mixture.
# Each step is skipped where its output is newer than models/hance-base.onnx (rerunnable).
set -euo pipefail
py=.venv/bin/python
R=benchmarks/results
new() { [ -s "$1" ] && [ "$1" -nt models/hance-base.onnx ]; }
if ! grep -q p_running_speech models/hance-base.json; then
    echo "models/hance-base.json is not the running-floor release: run ship.sh first" >&2; exit 2
fi
mkdir -p runs
[ -s runs/quality-ours-clean-targets-18000.json ] || cp $R/quality-ours.json runs/quality-ours-clean-targets-18000.json
bash models/training/ablations/running-floor/pair-reports.sh models/hance-base.onnx
new $R/quality-release-running-floor.json || $py benchmarks/quality.py compare runs/quality-ours-clean-targets-18000.json \
    $R/quality-ours.json --systems hance-base,hance-twin --name quality-release-running-floor
new $R/speed.json || $py benchmarks/speed.py --systems wiener-baseline,hance-base,hance-twin,noisereduce,rnnoise,deepfilternet \
    --seconds 30 --repeats 3
echo "reports done: $R/quality.md, quality-release-running-floor.md, passthrough-*.md, state-drift.md," \
     "level-normalization-running-floor.md, speed.md"
