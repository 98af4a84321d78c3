"""benchmarks/talker_stats.py: per-talker recording, voice and mask-ceiling statistics."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("librosa")  # the [bench] extra (pYIN)
sf = pytest.importorskip("soundfile")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "talker_stats.py"
SR = 48000


@pytest.fixture(scope="module")
def talker_stats():
    spec = importlib.util.spec_from_file_location("talker_stats_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _voice(rng: np.random.Generator, f0: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 40) if f0 * k < 16000)
    gate = np.clip(np.sin(2 * np.pi * 1.5 * t), 0, None) ** 0.5  # syllables and pauses
    return (0.2 * x * gate / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shared")
    rng = np.random.default_rng(3)
    speech = root / "speech" / "val" / "voices"
    speech.mkdir(parents=True)
    for talker, f0 in (("A1", 100.0), ("B2", 220.0)):
        for i in range(2):
            sf.write(speech / f"{talker}_w{i}.flac", _voice(rng, f0, 2.0), SR)
    (root / "noise" / "val").mkdir(parents=True)
    sf.write(root / "noise" / "val" / "hiss.flac", 0.05 * rng.standard_normal(4 * SR).astype(np.float32), SR)
    return root


def test_per_talker_table(tmp_path, data, talker_stats):
    out = tmp_path / "out"
    args = ["--data-dir", str(data), "--subset", "voices", "--files", "2", "--mixtures", "2", "--out-dir", str(out)]
    assert talker_stats.main(args) == 0
    report = json.loads((out / "talker-stats.json").read_text())
    assert set(report["talkers"]) == {"A1", "B2"}
    for talker, f0 in (("A1", 100.0), ("B2", 220.0)):
        row = report["talkers"][talker]
        assert row["files"] == 2 and row["voiced_frames"] > 0
        assert row["f0_median_hz"] == pytest.approx(f0, rel=0.05)
        assert row["harmonic_spacing_bins"] == pytest.approx(row["f0_median_hz"] / 50.0)
        assert row["mixtures"] >= 1
        assert row["si_sdr_irm"] > row["si_sdr_noisy"] + 3.0  # the oracle mask removes hiss
    assert "| A1 | 2 |" in (out / "talker-stats.md").read_text()


def test_refuses_test_split_and_bad_regex(data, talker_stats):
    with pytest.raises(SystemExit):
        talker_stats.main(["--data-dir", str(data), "--split", "test"])
    with pytest.raises(SystemExit):
        talker_stats.main(["--data-dir", str(data), "--subset", "voices", "--talker-regex", "Z9_"])
