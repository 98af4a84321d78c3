"""benchmarks/release_cards.py: a continued release's cards keep the previous cards' texts."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
_PATH = _ROOT / "benchmarks" / "release_cards.py"
# the step-18000 cards release_cards was written for (shipped until the step-19500 release)
_CARDS_18000 = _ROOT / "models" / "training" / "released" / "running-floor-18000"


@pytest.fixture(scope="module")
def cards():
    spec = importlib.util.spec_from_file_location("release_cards_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shipped_cards_carry_over_to_a_later_step(cards, tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    for name in ("hance-base", "hance-twin"):
        shutil.copy(_CARDS_18000 / f"{name}.json", old_dir / f"{name}.json")
        fresh = json.loads((_CARDS_18000 / f"{name}.json").read_text())
        fresh.update(checkpoint="only the last stage", training_data="only the last stage", training_curve="x.png")
        del fresh["analysis_level_dbfs"]
        (new_dir / f"{name}.json").write_text(json.dumps(fresh))
    cards.carry_cards(old_dir, new_dir, 18000, 19500, ", 18000-19500 more", "; and new voices")
    for name in ("hance-base", "hance-twin"):
        old = json.loads((old_dir / f"{name}.json").read_text())
        card = json.loads((new_dir / f"{name}.json").read_text())
        assert "exported at step 19500, the end of the --steps 19500 cosine schedule" in card["checkpoint"]
        assert cards.RUNNING_FLOOR_STAGE + ", 18000-19500 more" in card["checkpoint"]
        assert "= 130.0 h" in card["training_data"] and card["training_data"].endswith("; and new voices")
        assert "-18000" not in card["training_data"]
        assert card["training_curve"] == old["training_curve"]
        keys = list(card)
        assert keys[keys.index("latency_samples") + 1] == "analysis_level_dbfs"
        assert card["analysis_level_dbfs"] == old["analysis_level_dbfs"]


def test_the_shipped_step_19500_cards_carry_over_to_step_21000(cards, tmp_path):
    """A stage after the voices release: its stage text is the anchor and its "steps 18000-19500"
    data range moves too (``range_starts``)."""
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    for name in ("hance-base", "hance-twin"):
        shutil.copy(_ROOT / "models" / f"{name}.json", old_dir / f"{name}.json")
        fresh = json.loads((_ROOT / "models" / f"{name}.json").read_text())
        fresh.update(checkpoint="only the last stage", training_data="only the last stage", training_curve="x.png")
        (new_dir / f"{name}.json").write_text(json.dumps(fresh))
    cards.carry_cards(old_dir, new_dir, 19500, 21000, ", 19500-21000 more", "; and more voices",
                      stage=cards.VOICES_STAGE, range_starts=(*cards.RANGE_STARTS, 18000))
    for name in ("hance-base", "hance-twin"):
        card = json.loads((new_dir / f"{name}.json").read_text())
        assert "exported at step 21000, the end of the --steps 21000 cosine schedule" in card["checkpoint"]
        assert cards.VOICES_STAGE + ", 19500-21000 more" in card["checkpoint"]
        assert "= 140.0 h" in card["training_data"] and card["training_data"].endswith("; and more voices")
        assert "steps 18000-21000 also drew speech" in card["training_data"] and "-19500" not in card["training_data"]
        assert ("21000 CPU steps" in card["description"]) == (name == "hance-base")  # the twin's names no steps


def test_a_changed_previous_text_is_refused_and_nothing_written(cards, tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    for name in ("hance-base", "hance-twin"):
        card = json.loads((_CARDS_18000 / f"{name}.json").read_text())
        if name == "hance-twin":
            card["checkpoint"] = card["checkpoint"].replace("cosine schedule", "schedule")
        (old_dir / f"{name}.json").write_text(json.dumps(card))
        (new_dir / f"{name}.json").write_text(json.dumps({"name": name, "latency_samples": 960}))
    with pytest.raises(ValueError, match="hance-twin: the previous card's text changed"):
        cards.carry_cards(old_dir, new_dir, 18000, 19500, ", more")
    assert json.loads((new_dir / "hance-base.json").read_text()) == {"name": "hance-base", "latency_samples": 960}
