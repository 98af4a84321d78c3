"""benchmarks/stream_profile.py: per-stage cost of one streaming block, as shares of the whole block."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from hance_plugin.card import resolve_model

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "stream_profile.py"


def _module(monkeypatch):
    for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")  # the script pins them; restored after the test
    spec = importlib.util.spec_from_file_location("stream_profile_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_report_has_every_stage_as_a_share_of_the_block(tmp_path, monkeypatch):
    mod = _module(monkeypatch)
    assert mod.main(["--calls", "5", "--rounds", "2", "--out-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "stream-profile.json").read_text())
    rows = {r["stage"]: r for r in report["stages"]}
    assert rows["whole block (Denoiser stream)"]["share_of_block"] == pytest.approx(1.0)
    assert {"rfft", "irfft", "onnxruntime call (T = 1)", "apply_hybrid_mask", "delay_mix (dry/wet)"} <= set(rows)
    assert all(r["us_per_call"] > 0 for k, r in rows.items() if not k.startswith("whole block -"))
    alone = rows["sum of the stages timed alone"]["us_per_call"]
    whole = rows["whole block (Denoiser stream)"]["us_per_call"]
    assert rows["whole block - sum (interference, Python glue)"]["us_per_call"] == pytest.approx(whole - alone)
    frames = [r["frames_per_call"] for r in report["onnx_frames"]]
    assert frames == [1, 2, 4, 8, 100] and report["onnx_frames"][0]["ratio_to_t1"] == pytest.approx(1.0)
    assert "| onnxruntime call (T = 1) |" in (tmp_path / "stream-profile.md").read_text()
    # the default model reads the noise floor: the tracker is a stage of its own, run before the network
    assert resolve_model("hance-base").extra.get("noise_floor")
    assert list(rows).index("band_energy_db") < list(rows).index("track_band_floor") < list(rows).index(
        "onnxruntime call (T = 1)")


def test_a_model_without_the_floor_input_has_no_floor_stage(tmp_path, monkeypatch):
    mod = _module(monkeypatch)
    assert mod.main(["--model", "wiener-baseline", "--calls", "5", "--rounds", "1", "--out-dir", str(tmp_path)]) == 0
    rows = [r["stage"] for r in json.loads((tmp_path / "stream-profile.json").read_text())["stages"]]
    assert "onnxruntime call (T = 1)" in rows and "track_band_floor" not in rows


def test_bad_arguments_are_usage_errors(tmp_path, monkeypatch):
    mod = _module(monkeypatch)
    for args in (["--rounds", "0"], ["--block", "256"]):
        with pytest.raises(SystemExit) as exc:
            mod.main(args + ["--out-dir", str(tmp_path)])
        assert exc.value.code == 2
