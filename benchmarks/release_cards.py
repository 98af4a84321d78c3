"""The model cards of a continued release: the previous cards' texts carried over.

``python -m hance_plugin.training export`` writes a card whose ``checkpoint`` and ``training_data``
texts describe only the run's last stage. When a shipped pair is trained one more stage and shipped
again (``models/training/ablations/*/ship.sh``), the new cards keep the previous cards' full
curriculum texts with the new stage added, so a card still says how its weights were made from step 0.
Each edit must match the previous text exactly once; a card whose text has changed since the ship
script was written is refused rather than silently left half-edited.

    python - <<'PY'
    import sys; sys.path.insert(0, "benchmarks")
    from release_cards import carry_cards
    carry_cards("models/training/released/running-floor-18000", "models", 18000, 19500,
                stage_suffix=", 18000-19500 the same with ...", data_suffix="; steps 18000-19500 also ...")
    PY
"""

from __future__ import annotations

import json
from pathlib import Path

# the shipped pair's last stage as its cards name it (models/training/ablations/running-floor/)
RUNNING_FLOOR_STAGE = (
    "16500-18000 with --steps 18000 --over-suppression-weight 1 --mr-weight 0.02 --complex-weight 0.5 "
    "--segment-seconds 6 --batch-size 4 --mix p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,"
    "level_of_mixture=true,level_dbfs_range=-55:-5,p_speech_floor=0.3,speech_floor_db_range=-45:-20,"
    "p_running_speech=0.5 (benchmarks/results/running-floor.md)")
# the step-19500 release's last stage (models/training/ablations/voices/), appended to the one above
VOICES_STAGE = RUNNING_FLOOR_STAGE + (
    ", 18000-19500 the same with --steps 19500 --residual-noise-weight 1 --data-dir ../data-voices5 "
    "(20 min of new talkers added; models/training/ablations/voices/rule.md, build_data.sh and run.sh; "
    "benchmarks/results/voices5-rn.md)")
SECONDS_PER_STEP = 24  # batch 8 x 3.0 s, and batch 4 x 6.0 s from step 16500
RANGE_STARTS = (9000, 12000, 15000, 16500)  # the first steps of the running-floor cards' data ranges


def _swap_once(text: str, swaps: list[tuple[str, str]], what: str) -> str:
    for old, new in swaps:
        if text.count(old) != 1:
            raise ValueError(f"{what}: the previous card's text changed ({old[:50]}...)")
        text = text.replace(old, new)
    return text


def carried_card(old: dict, new: dict, from_step: int, to_step: int, stage_suffix: str,
                 data_suffix: str = "", stage: str = RUNNING_FLOOR_STAGE,
                 range_starts: tuple[int, ...] = RANGE_STARTS) -> dict:
    """``new`` (the card export wrote) with ``old``'s texts: its ``checkpoint`` text with the schedule's
    end moved from ``from_step`` to ``to_step`` and ``stage_suffix`` appended to ``stage``; its
    ``training_data`` text with every "steps A-from_step" range (A in ``range_starts``) and the audio hours moved to
    ``to_step`` and ``data_suffix`` appended; its description, training curve and
    ``analysis_level_dbfs`` (placed after ``latency_samples``)."""
    name = new.get("name", "card")
    checkpoint = _swap_once(old["checkpoint"], [
        (f"exported at step {from_step}, the end of the --steps {from_step} cosine schedule",
         f"exported at step {to_step}, the end of the --steps {to_step} cosine schedule"),
        (stage, stage + stage_suffix)], name)
    hours = lambda steps: f"{steps * SECONDS_PER_STEP / 3600:.1f} h"  # noqa: E731
    data = _swap_once(old["training_data"], [
        (f"{from_step} steps x 24 s of audio (batch 8 x 3.0 s segments; steps 16500-{from_step} batch 4 x 6.0 s) "
         f"= {hours(from_step)}",
         f"{to_step} steps x 24 s of audio (batch 8 x 3.0 s segments; steps 16500-{to_step} batch 4 x 6.0 s) "
         f"= {hours(to_step)}"),
        *[(f"steps {a}-{from_step}", f"steps {a}-{to_step}") for a in range_starts]], name)
    card = dict(new, checkpoint=checkpoint, training_data=data + data_suffix,
                description=old["description"].replace(f"{from_step} CPU steps", f"{to_step} CPU steps"),
                training_curve=old["training_curve"])
    card.pop("analysis_level_dbfs", None)
    out = {}
    for key, value in card.items():
        out[key] = value
        if key == "latency_samples":
            out["analysis_level_dbfs"] = old["analysis_level_dbfs"]
    return out


def carry_cards(old_dir: str | Path, models_dir: str | Path, from_step: int, to_step: int, stage_suffix: str,
                data_suffix: str = "", names: tuple[str, ...] = ("hance-base", "hance-twin"),
                stage: str = RUNNING_FLOOR_STAGE, range_starts: tuple[int, ...] = RANGE_STARTS) -> None:
    """Rewrite ``models_dir/<name>.json`` for each name with :func:`carried_card` of the previous card
    ``old_dir/<name>.json``; every card is checked before any is written."""
    cards = {}
    for name in names:
        old = json.loads((Path(old_dir) / f"{name}.json").read_text())
        new = json.loads((Path(models_dir) / f"{name}.json").read_text())
        cards[name] = carried_card(old, new, from_step, to_step, stage_suffix, data_suffix, stage, range_starts)
    for name, card in cards.items():
        (Path(models_dir) / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
