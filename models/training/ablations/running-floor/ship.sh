#!/usr/bin/env bash
# Ship the running-floor pair as hance-base / hance-twin (rule.md: the base network passed S1-S3
# against the shipped hance-base, judge.sh; the twin was then trained the same way, run.sh twin).
# Usage, from the repository root, once base/ and twin/ here hold step-18000 checkpoints
# (`run.sh save twin` after the twin's last stage):
#   bash models/training/ablations/running-floor/ship.sh
# Rerunnable: steps 1-4 are skipped where their output is there already; 5 reruns (same result).
#  1. twin/final-plain.json: plain val (203 mixtures, per item), as base/final-plain.json.
#  2. benchmarks/results/running-floor-pair.{md,json}: phase-aware - twin on it (report only).
#  3. The pair shipped until now moves (git mv) to models/training/released/clean-targets-18000/;
#     the ablation scripts written before this release name its files under models/training/hance-*/.
#  4. models/training/hance-{base,twin}/: last.pt, log.jsonl, val-plain-step18000.json, curves.png.
#  5. models/hance-{base,twin}.onnx and cards (export checks torch/onnxruntime parity), then the cards'
#     description, training_data and checkpoint texts (the export's own would name only the last stage)
#     and analysis_level_dbfs (-22, the level normalisation's target, which the export does not write).
# The release reports (test set once, report only; pass-through, state drift, level normalization,
# speed) follow with reports.sh here.
set -euo pipefail
here=models/training/ablations/running-floor
py=.venv/bin/python
R=benchmarks/results
old=models/training/released/clean-targets-18000
step_of() { $py -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['progress']['step'])" "$1"; }
for net in base twin; do
    [ -f "$here/$net/last.pt" ] || { echo "$net: no checkpoint $here/$net/last.pt (run.sh save $net)" >&2; exit 2; }
    s=$(step_of "$here/$net/last.pt")
    if [ "$s" != 18000 ]; then echo "$net: checkpoint at step $s, the pair ships at 18000" >&2; exit 2; fi
done
[ -s "$here/twin/final-plain.json" ] || $py -m hance_plugin.training validate "$here/twin/last.pt" --val-items 203 \
    --pesq-items 203 --per-item --threads 2 --val-mix augment=false --segment-seconds 3 > "$here/twin/final-plain.json"
[ -s $R/running-floor-pair.json ] || $py benchmarks/training_ablation.py --name running-floor-pair --from-step 16500 \
    --run "phase-aware=$here/base" --run "twin=$here/twin" \
    --final "plain val/phase-aware=$here/base/final-plain.json" \
    --final "plain val/twin=$here/twin/final-plain.json" \
    --talker 'nist_mrt_fullband/([A-Z][0-9])_' > /dev/null
if [ ! -d "$old" ]; then
    mkdir -p "$old"
    git mv models/training/hance-base models/training/hance-twin "$old/"
    cat > "$old/README.md" <<'MD'
# The pair shipped from 2026-12-04 (commit 6027f61) until the running-floor release

`hance-base/` and `hance-twin/` as they were in `models/training/` then: checkpoints at step 18000
(clean-targets stage 4, `../../ablations/clean-targets/rule.md`), logs, curves and the val files of
their stage ends (`val-plain-step*.json`: plain val, `val-step*.json`: val with augmentation). The
ablation scripts written before the running-floor release name these files under
`models/training/hance-*/`; to rerun one, point it here or check out its commit. The graphs are in
git history: `git show 6027f61:models/hance-base.onnx`.
MD
    git add "$old/README.md"
fi
for net in base twin; do
    dst=models/training/hance-$net
    mkdir -p "$dst"
    [ -s "$dst/last.pt" ] || cp "$here/$net/last.pt" "$dst/last.pt"
    [ -s "$dst/log.jsonl" ] || cp "$here/$net/log.jsonl" "$dst/log.jsonl"
    [ -s "$dst/val-plain-step18000.json" ] || cp "$here/$net/final-plain.json" "$dst/val-plain-step18000.json"
    [ -s "$dst/curves.png" ] || $py -m hance_plugin.training plot "$dst" --output "$dst/curves.png" > /dev/null
    $py -m hance_plugin.training export --checkpoint "$dst/last.pt" --name "hance-$net" --out-dir models > /dev/null
done
$py - <<'PY'
"""The cards' texts: the whole curriculum (the export knows only the last stage's settings)."""
import json
from pathlib import Path

LP = "p_noise_lowpass=0.3"
NO = f"{LP},p_noise_only=0.15"
LV = f"{NO},p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5"
FL = f"{LV},p_speech_floor=0.3,speech_floor_db_range=-45:-20"
RUN = f"{FL},p_running_speech=0.5"
LOSS = "--over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5"
DATA = (
    "on-the-fly mixtures from ../shared/data (train split, all noise files; hance_plugin.training.mixing, seed 0): "
    "18000 steps x 24 s of audio (batch 8 x 3.0 s segments; steps 16500-18000 batch 4 x 6.0 s) = 120.0 h of mixtures "
    "seen; every step with the noise-floor input (band_db minus the tracked noise floor, kernels/floor.py); "
    "steps 9000-18000 also with 30 % of the training noises low-passed (--mix p_noise_lowpass=0.3), steps 12000-18000 "
    "with 15 % noise-only segments instead of 5 % (p_noise_only=0.15), steps 15000-18000 with 25 % speech-only "
    "segments (p_speech_only=0.25) and one input-level distribution for mixtures, noise and speech alone, -55..-5 dBFS "
    "(level_of_mixture=true, level_dbfs_range=-55:-5), and steps 16500-18000 with a steady recording floor under 30 % "
    "of the speech clips, stationary coloured noise 20-45 dB below the speech's active level, kept in the target "
    "(p_speech_floor=0.3, speech_floor_db_range=-45:-20), and half the speech segments running speech: files trimmed "
    "of their leading and trailing silence, joined with 20-150 ms gaps (p_running_speech=0.5)"
)
DESC = {
    "base": "Phase-aware hybrid mask estimator (default size): unbounded complex mask below 6 kHz, ERB-band gains "
            "6-24 kHz; causal GRU, 20 ms latency; also reads each band's level above a tracked noise floor. "
            "18000 CPU steps; see benchmarks/results/quality.md.",
    "twin": "Magnitude-only twin of hance-base (same network, noise-floor input, data, steps): real non-negative mask "
            "on all bins, noisy phase. Exists to measure the phase-aware design; not meant for use.",
}
for net, variant in (("base", "phase_aware"), ("twin", "magnitude_twin")):
    path = Path(f"models/hance-{net}.json")
    card = json.loads(path.read_text())
    card["description"] = DESC[net]
    card["training_data"] = DATA
    card["checkpoint"] = (
        "exported at step 18000, the end of the --steps 18000 cosine schedule; trained from scratch with --variant "
        f"{variant} --noise-floor at 2 threads (models/training/ablations/floor-release/rule.md and run.sh; "
        "models/training/ablations/running-floor/rule.md and run.sh): steps 0-3000 on a 3000-step schedule "
        "(warm-up 200), 3000-6000 resumed with --steps 6000, 6000-9000 with --steps 9000, 9000-12000 with --steps 12000 "
        f"--over-suppression-weight 1 --mix {LP}, 12000-15000 with --steps 15000 --over-suppression-weight 1 --mix {NO}, "
        f"15000-16500 with --steps 16500 {LOSS} --mix {LV}, 16500-18000 with --steps 18000 {LOSS} --segment-seconds 6 "
        f"--batch-size 4 --mix {RUN} (benchmarks/results/running-floor.md): each resume is a warm restart of the "
        f"cosine. models/training/hance-{net}/last.pt is this state; continue with: python -m hance_plugin.training "
        f"train --resume --noise-floor --out models/training/hance-{net} --steps N {LOSS} --segment-seconds 6 "
        f"--batch-size 4 --mix {RUN} ..."
    )
    card["training_curve"] = f"models/training/hance-{net}/curves.png"
    # The export does not write it: the level normalisation's target (kernels/level.py), -22 dBFS for
    # both networks since 4bb8ad9; without it Denoiser(level_normalization=True) would do nothing.
    card = {k: v for item in card.items()
            for k, v in ([item, ("analysis_level_dbfs", -22.0)] if item[0] == "latency_samples" else [item])}
    path.write_text(json.dumps(card, indent=2) + "\n")
print("cards written")
PY
echo "shipped: models/hance-base, models/hance-twin (previous pair: $old)"
