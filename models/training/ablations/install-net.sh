#!/usr/bin/env bash
# A step of a pair release's ship.sh, after retire-pair.sh: install one trained network as the shipped
# one. SRC_DIR's last.pt, log.jsonl and final-plain.json (as val-plain-step<STEP>.json) go to
# models/training/hance-<NET>/, its curves.png is plotted, and models/hance-<NET>.onnx and its card are
# exported (export checks torch/onnxruntime parity). Files already there are kept (a rerun of ship.sh).
# Usage, from the repository root: bash models/training/ablations/install-net.sh SRC_DIR base|twin STEP
set -euo pipefail
src="$1"; net="$2"; step="$3"
py=.venv/bin/python
dst=models/training/hance-$net
mkdir -p "$dst"
[ -s "$dst/last.pt" ] || cp "$src/last.pt" "$dst/last.pt"
[ -s "$dst/log.jsonl" ] || cp "$src/log.jsonl" "$dst/log.jsonl"
[ -s "$dst/val-plain-step$step.json" ] || cp "$src/final-plain.json" "$dst/val-plain-step$step.json"
[ -s "$dst/curves.png" ] || $py -m hance_plugin.training plot "$dst" --output "$dst/curves.png" > /dev/null
$py -m hance_plugin.training export --checkpoint "$dst/last.pt" --name "hance-$net" --out-dir models > /dev/null
