"""benchmarks/state_drift.py: does a model keep passing clean speech as its state runs on?"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from onnx_models import aging_model, constant_model

sf = pytest.importorskip("soundfile")
pytest.importorskip("soxr")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "state_drift.py"
SR = 48000
HALF_SDR_DB = -20 * math.log10(0.5)  # 6.02 dB: SDR of a gain of 0.5 against the input


def _load():
    spec = importlib.util.spec_from_file_location("state_drift_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _voice(rng, f0: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 60) if f0 * k < 20000)
    return (0.2 * (0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * t)) * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("sd") / "data"
    rng = np.random.default_rng(5)
    for talker, f0 in (("a", 120.0), ("b", 210.0)):
        folder = root / "speech/val/voices" / talker
        folder.mkdir(parents=True)
        for i in range(7):  # 7 x 1 s, joined with 50 ms gaps: one 6 s item per talker
            sf.write(folder / f"{talker}{i}.flac", _voice(rng, f0 * (1 + 0.03 * i), 1.0), SR)
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sd-models")
    return (aging_model(folder / "aging.onnx", after_frames=200, late_gain=0.5),
            constant_model(folder / "half.onnx", mask=0.5, gain=0.5, name="half"))


def _run(tmp_path, data_dir, models, *extra) -> dict:
    mod = _load()
    argv = ["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--no-progress", "--seconds", "6",
            "--reset-every", "1.5", *extra]
    for m in models:
        argv += ["--model", str(m)]
    assert mod.main(argv) == 0
    return json.loads((tmp_path / "state-drift.json").read_text())


def test_a_model_that_drifts_is_caught_and_a_stateless_one_is_not(tmp_path, data_dir, models):
    """The aging model (identity for 2 s after a reset, then a gain of 0.5): in one piece its SDR
    falls to 6.02 dB after 2 s; cut every 1.5 s it never gets there. The constant 0.5 model has no
    state: one piece and cut agree, no drift."""
    report = _run(tmp_path, data_dir, models)
    aging, half = (Path(m).stem for m in models)
    rows = {(r["model"], r["subset"]): r for r in report["summary"]}
    assert {s for _, s in rows} == {"voices", "all"} and rows[aging, "all"]["items"] == 2
    a = rows[aging, "all"]
    assert a["first_sdr_db"] > 60 and a["after_cut_sdr_db"] > 60  # identity up to float rounding
    assert 6.0 < a["after_whole_sdr_db"] < 15  # seconds 2-5 at 0.5, the 1.5-2 s window near identity
    assert a["drift_db"] < -45 and a["cut_minus_whole_db"] > 45
    late = [w["whole_sdr_db"] for w in report["windows"]
            if w["model"] == aging and w["subset"] == "all" and w["second"] >= 3]
    np.testing.assert_allclose(late, HALF_SDR_DB, atol=0.01)
    h = rows[half, "all"]
    for key in ("first_sdr_db", "after_whole_sdr_db", "after_cut_sdr_db"):
        np.testing.assert_allclose(h[key], HALF_SDR_DB, atol=0.01)
    assert abs(h["drift_db"]) < 0.01 and abs(h["cut_minus_whole_db"]) < 0.01
    md = (tmp_path / "state-drift.md").read_text()
    assert "| aging | all | 2 |" in md and "## SDR (dB) per second" in md


def test_window_sdr_skips_silence_and_drops_a_partial_window():
    mod = _load()
    x = np.concatenate([np.ones(100), np.zeros(100), np.ones(50)]).astype(np.float32)
    out = mod.window_sdr_db(x, 0.5 * x, 100)
    assert len(out) == 2 and out[1] is None
    np.testing.assert_allclose(out[0], HALF_SDR_DB, atol=1e-9)
    assert mod.window_sdr_db(x, x, 100) == [None, None]  # exact identity has no finite SDR


@pytest.mark.parametrize("extra, message", [
    (["--reset-every", "6"], "--reset-every must be"),
    (["--reset-every", "0.5"], "--reset-every must be"),
    (["--seconds", "1"], "--seconds must be"),
    (["--seconds", "20"], "no running-speech item of 20 s"),
    (["--level-dbfs", "0"], "--level-dbfs must be"),
])
def test_bad_arguments_are_refused_with_a_message(tmp_path, data_dir, models, capsys, extra, message):
    mod = _load()
    argv = ["--data-dir", str(data_dir), "--out-dir", str(tmp_path), "--no-progress", "--seconds", "6",
            "--reset-every", "1.5", "--model", str(models[1]), *extra]
    with pytest.raises(SystemExit) as exc:
        mod.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err
