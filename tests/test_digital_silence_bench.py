"""benchmarks/digital_silence.py: digital silence before and inside the input, paired per mixture."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from val_corpus import write_val_corpus

pytest.importorskip("soundfile")
pytest.importorskip("pesq")
pytest.importorskip("pystoi")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "digital_silence.py"


def _load():
    spec = importlib.util.spec_from_file_location("digital_silence_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_conditions_place_the_scored_stretch():
    mod = _load()
    x = np.arange(1, 11, dtype=np.float32)
    c = mod.conditions(x, 3, 2)
    for name, (signal, start) in c.items():
        np.testing.assert_array_equal(signal[start : start + x.size], x, err_msg=name)
    assert c["lead"][0][:3].tolist() == [0, 0, 0] and c["gap"][0][10:12].tolist() == [0, 0]
    assert c["repeat"][0].size == 20 and c["gap"][0].size == 22
    assert 0 < np.abs(c["lead_dither"][0][:3]).max() <= 2 / 32768 and np.abs(c["lead_hum"][0][:3]).max() <= 1e-4


def test_table_and_pairs(tmp_path):
    """hance-base and its 0-dB-limit bypass on a tiny val corpus: the bypass gives back its input, so
    zeros before or inside it change nothing (Δ 0); the model's rows are finite and paired."""
    mod = _load()
    data_dir = write_val_corpus(tmp_path / "data", seed=3)
    out = tmp_path / "out"
    assert mod.main(["--model", "hance-base", "--model", "hance-base[attenuation_limit_db=0]", "--data-dir", str(data_dir),
                     "--items", "3", "--out-dir", str(out), "--name", "ds", "--no-progress"]) == 0
    report = json.loads((out / "ds.json").read_text())
    assert list(report["models"]) == ["hance-base", "hance-base[attenuation_limit_db=0]"]
    bypass = report["models"]["hance-base[attenuation_limit_db=0]"]["deltas"]
    for pair in ("lead - plain", "gap - repeat", "lead_dither - plain", "lead_hum - plain", "lead_quiet_noise - plain"):
        assert bypass[pair]["si_sdr"]["mean"] == pytest.approx(0.0, abs=1e-3)
        assert np.isfinite(report["models"]["hance-base"]["deltas"][pair]["si_sdr"]["mean"])
    assert report["items"] >= 2 and "| hance-base |" in (out / "ds.md").read_text()
    with pytest.raises(SystemExit):
        mod.main(["--data-dir", str(data_dir), "--items", "1", "--out-dir", str(out)])
