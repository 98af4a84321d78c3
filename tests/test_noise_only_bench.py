"""benchmarks/noise_only.py: how deep a model attenuates pure noise, below and above the split."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from onnx_models import constant_model

sf = pytest.importorskip("soundfile")
pytest.importorskip("soxr")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "noise_only.py"
SR = 48000


def _load():
    spec = importlib.util.spec_from_file_location("noise_only_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_constant_masks_attenuate_by_their_power_everywhere(tmp_path):
    mod = _load()
    data = tmp_path / "data"
    (data / "noise/val/hum").mkdir(parents=True)
    t = np.arange(3 * SR) / SR
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 30)) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    sf.write(data / "noise/val/hum/mains.flac", (0.1 * hum).astype(np.float32), SR)
    models = tmp_path / "models"
    models.mkdir()
    identity = constant_model(models / "identity.onnx", name="identity")
    # mask 0.5 below the split, gains 0.25 above it
    quarter = constant_model(models / "quarter.onnx", mask=0.5, gain=0.25, name="quarter")
    out = tmp_path / "out"
    assert mod.main(["--model", str(identity), "--model", str(quarter), "--data-dir", str(data), "--seconds", "2",
                     "--skip-seconds", "0.5", "--out-dir", str(out), "--name", "n"]) == 0
    report = json.loads((out / "n.json").read_text())
    rows = {(r["noise"], r["model"]): r for r in report["rows"]}
    assert set(rows) == {(n, m) for n in ("hum/mains.flac", "synthetic/white", "synthetic/brown")
                         for m in ("identity", "quarter")}
    half_db, quarter_db = 20 * math.log10(0.5), 20 * math.log10(0.25)
    for noise in ("hum/mains.flac", "synthetic/white", "synthetic/brown"):
        ident, q = rows[(noise, "identity")], rows[(noise, "quarter")]
        for key in ("atten_low_db", "atten_high_db", "cell_median_low_db", "cell_p10_low_db"):
            assert abs(ident[key]) < 0.01, (noise, key, ident[key])
        assert q["cell_median_low_db"] == pytest.approx(half_db, abs=0.05)
        assert q["cell_p10_low_db"] == pytest.approx(half_db, abs=0.3)
        # region energies: window leakage carries a little of one region's power into the other
        # (the hum has almost nothing above the split but leakage from its harmonics)
        assert q["atten_low_db"] == pytest.approx(half_db, abs=0.3)
    white = rows[("synthetic/white", "quarter")]
    assert white["atten_low_db"] == pytest.approx(half_db, abs=0.1)
    assert white["atten_high_db"] == pytest.approx(quarter_db, abs=0.1)
    assert "| synthetic/white | quarter | -6.0 |" in (out / "n.md").read_text()


def test_usage_errors(tmp_path, capsys):
    mod = _load()
    with pytest.raises(SystemExit):
        mod.main(["--model", "no-such-model"])
    assert "no-such-model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        mod.main(["--model", "wiener-baseline", "--seconds", "2", "--skip-seconds", "2"])
    assert "--skip-seconds" in capsys.readouterr().err
