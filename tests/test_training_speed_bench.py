"""benchmarks/training_speed.py: times every part of a training step, ratios against the reference."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "training_speed.py"


def test_report_has_every_configuration(tmp_path):
    spec = importlib.util.spec_from_file_location("training_speed_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    args = ["--threads", "1", "--batch", "2", "--seconds", "0.3", "--repeats", "2", "--out-dir", str(tmp_path)]
    assert mod.main(args) == 0
    report = json.loads((tmp_path / "training-speed.json").read_text())
    rows = report["rows"]
    assert set(rows) == {
        "network fwd+bwd", "loss fwd+bwd (autograd reference)", "loss fwd+bwd (closed form)",
        "loss fwd+bwd (closed form, autograd STFTs)", mod.BASELINE, "training step (closed form)",
        mod.PLAIN_STFT_STEP, mod.RESIDUAL,
    }
    assert rows[mod.BASELINE]["speedup_vs_baseline"] == pytest.approx(1.0)
    for row in rows.values():
        assert len(row["runs_s"]) == 2 and all(t > 0 for t in row["runs_s"]) and row["best_s"] <= row["median_s"]
    assert "| training step (closed form) |" in (tmp_path / "training-speed.md").read_text()
    with pytest.raises(SystemExit):
        mod.main(["--repeats", "0"])
