"""benchmarks/passthrough.py: how much of clean speech a model leaves intact."""

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

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "passthrough.py"
SR = 48000
HALF_DB = 20 * math.log10(0.5)  # -6.02 dB: level change of a gain of 0.5; its SDR is -HALF_DB


def _load():
    spec = importlib.util.spec_from_file_location("passthrough_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _voice(rng, f0: float, seconds: float, silence_s: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 80) if f0 * k < 20000)
    x = 0.2 * (0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)) * x / np.max(np.abs(x))
    pad = np.zeros(int(silence_s * SR))
    return np.concatenate([pad, x, pad]).astype(np.float32)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("pt") / "data"
    rng = np.random.default_rng(3)
    for talker, f0 in (("a", 110.0), ("b", 220.0)):
        folder = root / "speech/val/voices" / talker
        folder.mkdir(parents=True)
        for i, seconds in enumerate((0.8, 1.1, 0.9, 0.7)):  # 2.8 s + a rest under half of 2.5 s
            sf.write(folder / f"{talker}{i}.flac", _voice(rng, f0 * (1 + 0.05 * i), seconds), SR)
    (root / "speech/val/long").mkdir(parents=True)
    sf.write(root / "speech/val/long/read.flac", _voice(rng, 150.0, 3.0), SR)
    (root / "rir/train").mkdir(parents=True)
    for i, decay_s in enumerate((0.1, 0.3)):
        t = np.arange(int(0.6 * SR)) / SR
        rir = rng.standard_normal(t.size) * np.exp(-6.9 * t / decay_s)
        rir[0] = 40.0  # direct path above the tail, as in a room at talking distance
        sf.write(root / f"rir/train/room{i}.flac", (0.1 * rir).astype(np.float32), SR)
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pt-models")
    return (constant_model(folder / "identity.onnx", name="identity"),
            constant_model(folder / "half.onnx", mask=0.5, gain=0.5, name="half"))


def test_trim_silence_keeps_the_loud_part():
    mod = _load()
    x = _voice(np.random.default_rng(0), 200.0, 1.0, silence_s=0.3)
    trimmed = mod.trim_silence(x)
    assert abs(trimmed.shape[0] - SR) <= 2 * SR // 100  # 1 s of voice, to a 10 ms frame either side
    assert np.array_equal(mod.trim_silence(x[:100]), x[:100])  # shorter than a frame: unchanged


def test_running_items_join_trimmed_clips_to_the_length():
    mod = _load()
    rng = np.random.default_rng(1)
    clips = [(f"c{i}", _voice(rng, 150.0, 1.0)) for i in range(5)] + [("long", _voice(rng, 150.0, 3.0))]
    items = mod.running_items(clips, seconds=2.5)
    assert [names for names, _ in items] == [["c0", "c1", "c2"], ["long"], ["c3", "c4"]]
    assert all(x.shape[0] == int(2.5 * SR) for _, x in items[:2])
    assert items[2][1].shape[0] < int(2.5 * SR)  # the rest, over half the length: kept as it is
    # trimmed: the joined item holds no 0.3 s silences, only the 50 ms gaps
    frame = SR // 100
    energy = np.mean(items[0][1][: (items[0][1].shape[0] // frame) * frame].reshape(-1, frame) ** 2, axis=1)
    silent_runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], energy < 1e-10, [0]]))))[::2]
    assert silent_runs.max() <= 6
    assert mod.running_items(clips[:1], seconds=2.5) == []  # 1 s of 2.5: too short to keep


def test_metrics_of_a_half_gain():
    mod = _load()
    x = _voice(np.random.default_rng(2), 180.0, 1.0)
    m = mod.passthrough_metrics(x, 0.5 * x, bandwidth_hz=20000.0, split_hz=6000.0)
    for key in ("sdr_db", "sdr_low_db", "sdr_high_db"):
        assert m[key] == pytest.approx(-HALF_DB, abs=1e-4), key
    assert m["gain_db"] == pytest.approx(HALF_DB, abs=1e-4)
    assert mod.passthrough_metrics(x, 0.5 * x, bandwidth_hz=5000.0, split_hz=6000.0)["sdr_high_db"] is None
    assert mod.passthrough_metrics(x, x, bandwidth_hz=20000.0, split_hz=6000.0)["sdr_db"] is None  # no error at all


def test_identity_and_half_models_end_to_end(tmp_path, data_dir, models):
    mod = _load()
    identity, half = models
    out = tmp_path / "out"
    assert mod.main(["--model", str(identity), "--model", str(half), "--data-dir", str(data_dir), "--seconds", "2.5",
                     "--talker", r"voices/([ab])/", "--out-dir", str(out), "--name", "pt", "--no-progress"]) == 0
    report = json.loads((out / "pt.json").read_text())
    assert report["models"] == ["identity", "half"]
    forms = [item["form"] for item in report["items"]]
    assert forms.count("single") == 9 and forms.count("running") == 3  # 4 + 4 short clips + 1 long; a, b, long
    assert forms.count("reverberant") == 9
    assert {item["rir"] for item in report["items"] if item["form"] == "reverberant"} == {"room0.flac", "room1.flac"}
    for ident, halved in zip(report["per_item"]["identity"], report["per_item"]["half"]):
        assert ident["sdr_db"] is None or ident["sdr_db"] > 60
        assert abs(ident["gain_db"]) < 1e-3
        assert halved["sdr_db"] == pytest.approx(-HALF_DB, abs=0.05)
        assert halved["gain_db"] == pytest.approx(HALF_DB, abs=0.05)
    rows = {(r["form"], r["group"], r["model"]): r for r in report["rows"]}
    assert rows[("single", "all", "half")]["items"] == 9
    assert rows[("single", "voices/a", "half")]["items"] == 4 and rows[("running", "voices/b", "half")]["items"] == 1
    assert ("single", "long/a", "half") not in rows
    assert rows[("running", "all", "half")]["gain_db_delta"]["mean"] == pytest.approx(HALF_DB, abs=0.05)
    assert rows[("single", "all", "identity")].get("gain_db_delta") is None  # the reference has no Δ
    text = (out / "pt.md").read_text()
    assert "## single" in text and "## running" in text and "## reverberant" in text and "| voices/a | half | 4 |" in text


def test_reverberant_items_are_the_single_ones_through_a_room(tmp_path, data_dir, models):
    mod = _load()
    items = mod.collect_items(data_dir, "val", 2.5, -26.0, 200)
    single = [i for i in items if i["form"] == "single"]
    wet = [i for i in items if i["form"] == "reverberant"]
    assert [i["files"] for i in single] == [i["files"] for i in wet]
    from hance_plugin.training.signals import apply_rir

    rirs = dict(mod.load_rirs(data_dir, "train"))
    assert sorted(rirs) == ["room0.flac", "room1.flac"]
    for dry, rev in zip(single, wet):
        expected = apply_rir(dry["audio"], rirs[rev["rir"]])  # linear: the level scaling commutes with it

        def corr(a, b):
            return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))

        assert corr(expected, rev["audio"]) > 0.9999  # the single item through its room, rescaled
        assert corr(dry["audio"], rev["audio"]) < 0.99  # ... which the room changed
    assert not [i for i in mod.collect_items(data_dir, "val", 2.5, -26.0, 200, rir_split=None) if i["form"] == "reverberant"]


@pytest.mark.parametrize("extra, message", [
    (["--seconds", "0.1"], "--seconds"),
    (["--talker", "voices"], "capturing group"),
    (["--talker", "("], "--talker"),
    (["--split", "test"], "no speech for split 'test'"),
    (["--max-files", "0"], "--max-files"),
    (["--rir-split", "val"], "no room impulse responses for split 'val'"),
    (["--model", "no-such-model"], "no-such-model"),
])
def test_usage_errors(extra, message, data_dir, models, capsys):
    with pytest.raises(SystemExit) as info:
        _load().main(["--model", str(models[0]), "--data-dir", str(data_dir), "--no-progress", *extra])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_two_models_with_one_name_are_refused(data_dir, models, capsys):
    with pytest.raises(SystemExit):
        _load().main(["--model", str(models[0]), "--model", str(models[0]), "--data-dir", str(data_dir)])
    assert "same name" in capsys.readouterr().err


def test_silent_files_are_skipped(tmp_path):
    mod = _load()
    folder = tmp_path / "speech/val/set"
    folder.mkdir(parents=True)
    sf.write(folder / "quiet.flac", np.zeros(SR, dtype=np.float32), SR)
    sf.write(folder / "voice.flac", _voice(np.random.default_rng(4), 160.0, 1.0), SR)
    items = mod.collect_items(tmp_path, "val", 1.0, -26.0, 10, rir_split=None)
    assert [(i["form"], i["files"]) for i in items] == [("single", ["set/voice.flac"]), ("running", ["set/voice.flac"])]
    from hance_plugin.training.signals import active_level_db

    assert active_level_db(items[0]["audio"]) == pytest.approx(-26.0, abs=0.01)


def test_a_model_with_denoiser_options(tmp_path, data_dir, models, capsys):
    """``MODEL[key=value]`` runs the model with those Denoiser options, under that name: the half
    model with a 0 dB attenuation limit (bypass) passes everything."""
    mod = _load()
    _, half = models
    out = tmp_path / "out"
    assert mod.main(["--model", str(half), "--model", f"{half}[attenuation_limit_db=0]", "--data-dir", str(data_dir),
                     "--seconds", "2.5", "--rir-split", "none", "--out-dir", str(out), "--name", "pt", "--no-progress"]) == 0
    report = json.loads((out / "pt.json").read_text())
    assert report["models"] == ["half", "half[attenuation_limit_db=0]"]
    for halved, bypassed in zip(report["per_item"]["half"], report["per_item"]["half[attenuation_limit_db=0]"]):
        assert halved["gain_db"] == pytest.approx(HALF_DB, abs=0.05)
        assert abs(bypassed["gain_db"]) < 1e-3
    with pytest.raises(SystemExit):
        mod.main(["--model", f"{half}[mix=0.5]", "--data-dir", str(data_dir), "--no-progress"])
    assert "mix=0.5" in capsys.readouterr().err
