#!/usr/bin/env bash
# One arm of the clean-targets experiment (rule.md): 1500 steps (16500 -> 18000) from the shipped
# hance-base checkpoint with the release recipe, 1 thread; arm "clean" also leaves out of training
# the speech folders whose median noise floor is above -30 dB (floors.py). Usage, from the repository root:
#   bash models/training/ablations/clean-targets/run.sh control|clean|matched|floor|floor-twin|twin
# (floor-twin: stage 4 of rule.md, hance-twin's checkpoint with the floor arm's flags, 2 threads)
# (floor: stage 3 of rule.md, the control's recipe plus a recording floor on 30 % of the speech, 2 threads)
# (matched: stage 1b of rule.md, low-floor folders of the same seconds left out instead, 2 threads)
# (twin: stage 2 of rule.md, hance-twin's checkpoint with the clean arm's flags, 2 threads)
# Resumable: rerun the same command after an interruption.
set -euo pipefail
arm="$1"
extra=()
mix_extra=""
case "$arm" in
    control) variant=phase_aware; start=models/training/hance-base/last.pt; threads=1; extra=() ;;
    clean|twin) extra=(--holdout-speech "multilingual_bandlimited/ktuberling_fi/*,multilingual_bandlimited/ktuberling_fr/*,multilingual_bandlimited/ktuberling_gl/*,multilingual_bandlimited/ktuberling_nl/*,multilingual_bandlimited/ktuberling_sr/*,multilingual_bandlimited/ktuberling_sr@ijekavian/*,multilingual_bandlimited/ktuberling_sr@ijekavianlatin/*,multilingual_bandlimited/ktuberling_sr@latin/*") ;;&
    clean) variant=phase_aware; start=models/training/hance-base/last.pt; threads=1 ;;
    twin) variant=magnitude_twin; start=models/training/hance-twin/last.pt; threads=2 ;;
    control) ;;
    matched) variant=phase_aware; start=models/training/hance-base/last.pt; threads=2
             extra=(--holdout-speech "multilingual_bandlimited/ktuberling_it/*,multilingual_bandlimited/ktuberling_sl/*,multilingual_bandlimited/ktuberling_es/*,multilingual_bandlimited/ktuberling_sv/*,multilingual_bandlimited/ktuberling_ga/*,multilingual_bandlimited/ktuberling_lt/*") ;;
    floor) variant=phase_aware; start=models/training/hance-base/last.pt; threads=2; mix_extra=",p_speech_floor=0.3,speech_floor_db_range=-45:-20" ;;
    floor-twin) variant=magnitude_twin; start=models/training/hance-twin/last.pt; threads=2; mix_extra=",p_speech_floor=0.3,speech_floor_db_range=-45:-20" ;;
    *) echo "arm must be control, clean, matched, floor, floor-twin or twin, got $arm" >&2; exit 2 ;;
esac
out="runs/clean-targets-$arm"
mkdir -p "$out"
[ -s "$out/last.pt" ] || cp "$start" "$out/last.pt"
exec .venv/bin/python -m hance_plugin.training train --data-dir ../shared/data --out "$out" --variant "$variant" \
    --steps 18000 --threads "$threads" --workers 1 --pesq-items 32 --over-suppression-weight 1 \
    --mix "p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5$mix_extra" \
    --mr-weight 0.02 --complex-weight 0.5 "${extra[@]}" --resume
