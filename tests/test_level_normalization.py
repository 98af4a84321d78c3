"""Input level normalisation of the features (kernels/level.py, the engine and the Denoiser)."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx_models import constant_model, stateful_model, write_card

from hance_plugin import Denoiser
from hance_plugin.card import ModelCard
from hance_plugin.config import StftConfig
from hance_plugin.engine import LEVEL_MAX_BOOST_DB, StreamingEngine
from hance_plugin.estimator import OnnxMaskEstimator
from hance_plugin.kernels.level import normalize_features, parseval_weights, track_level
from hance_plugin.kernels.masks import band_energy_db
from hance_plugin.kernels.modified import modified_stft
from hance_plugin.stft import stft

SR = 48000


def _with_target(path, target_dbfs):
    """Rewrite the card beside ``path`` with ``analysis_level_dbfs``; returns ``path``."""
    card = json.loads(path.with_suffix(".json").read_text())
    card["analysis_level_dbfs"] = target_dbfs
    path.with_suffix(".json").write_text(json.dumps(card))
    return path


@pytest.fixture(scope="module")
def leveled_stateful(tmp_path_factory):
    return _with_target(stateful_model(tmp_path_factory.mktemp("lvl") / "stateful.onnx"), -22.0)


def _frame_levels_db(x, cfg):
    spec = stft(x[None, :], cfg)
    w = parseval_weights(cfg.windows()[0], cfg.n_bins)
    return 10 * np.log10(np.sum(w * np.abs(spec[0]) ** 2, axis=-1) + 1e-30), spec


@pytest.mark.parametrize("amplitude, expected_dbfs", [(1.0, -3.01), (0.01, -43.01)])
def test_frame_level_of_a_sine_is_its_mean_square_in_dbfs(amplitude, expected_dbfs):
    cfg = StftConfig()
    t = np.arange(SR) / SR
    levels, _ = _frame_levels_db((amplitude * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), cfg)
    np.testing.assert_allclose(levels[5:-5], expected_dbfs, atol=0.02)


def test_frame_level_of_white_noise_is_its_rms():
    cfg = StftConfig()
    x = np.random.default_rng(0).normal(0, 0.05, SR * 2).astype(np.float32)
    levels, _ = _frame_levels_db(x, cfg)
    assert abs(np.median(levels[5:-5]) - 20 * math.log10(0.05)) < 0.3


def _reference_tracker(e, level, a_att, a_rel, floor, target, max_cut, max_boost):
    level = target if math.isnan(level) else level
    gains = []
    for v in e:
        if v >= floor:
            a = a_att if v > level else a_rel
            level += (1 - a) * (v - level)
        gains.append(min(max(target - level, -max_cut), max_boost))
    return np.array(gains), level


@pytest.mark.parametrize("max_cut", [0.0, 20.0])
def test_track_level_matches_the_reference_and_carries_its_state(max_cut):
    cfg = StftConfig()
    rng = np.random.default_rng(3)
    # speech-like: bursts at -30 dBFS, pauses, and a stretch of digital silence
    x = rng.standard_normal(SR * 3).astype(np.float32) * 0.03 * (np.arange(SR * 3) % 9600 < 5000)
    x[SR: SR + 20000] = 0.0
    e, spec = _frame_levels_db(x, cfg)
    w = parseval_weights(cfg.windows()[0], cfg.n_bins)
    a_att, a_rel = math.exp(-0.01 / 0.5), math.exp(-0.01 / 1.5)
    args = (a_att, a_rel, -80.0, -22.0, max_cut, 30.0)
    expected, end_level = _reference_tracker(e, math.nan, *args)
    level = np.array([np.nan])
    gains = np.zeros((1, spec.shape[1]), np.float32)
    half = spec.shape[1] // 2  # two calls: the level carries over
    track_level(np.ascontiguousarray(spec[None, 0, :half]), w, level, *args, gains[:, :half])
    track_level(np.ascontiguousarray(spec[None, 0, half:]), w, level, *args, gains[:, half:])
    np.testing.assert_allclose(gains[0], expected, atol=1e-4)
    assert level[0] == pytest.approx(end_level, abs=1e-4)  # the reference reads float32 frame levels
    assert gains.min() >= -max_cut - 1e-6 and gains.max() <= 30.0 + 1e-6
    assert gains[0, 0] == pytest.approx(0.0, abs=0.5)  # starts at the target: no boost yet
    assert gains[0, -1] > 5.0  # a -30 dBFS talker ends up boosted toward -22 dBFS


def test_silence_leaves_the_level_alone():
    cfg = StftConfig()
    spec = np.zeros((1, 50, cfg.n_bins), np.complex64)
    w = parseval_weights(cfg.windows()[0], cfg.n_bins)
    level = np.array([np.nan])
    gains = np.ones((1, 50), np.float32)
    track_level(spec, w, level, 0.9, 0.99, -80.0, -22.0, 0.0, 30.0, gains)
    assert level[0] == -22.0
    np.testing.assert_array_equal(gains, 0.0)


@pytest.mark.parametrize("gain_db", [-12.0, 6.0, 25.0])
def test_normalized_features_equal_the_features_of_the_scaled_input(gain_db):
    cfg = StftConfig()
    x = np.random.default_rng(4).normal(0, 0.01, (1, SR // 2)).astype(np.float32)

    def features(signal):
        spec = stft(signal, cfg)
        low = np.zeros((1, spec.shape[1], cfg.split_bin, 2), np.float32)
        bands = np.zeros((1, spec.shape[1], cfg.n_bands), np.float32)
        modified_stft(spec, 0, cfg.derotation_table(), cfg.compression_exponent, low)
        band_energy_db(spec, cfg.band_edges.astype(np.int64), bands)
        return low, bands

    low, bands = features(x)
    normalize_features(low, bands, np.full((1, low.shape[1]), gain_db, np.float32), np.float32(cfg.compression_exponent))
    low_ref, bands_ref = features((x * 10 ** (gain_db / 20)).astype(np.float32))
    np.testing.assert_allclose(low, low_ref, rtol=1e-4, atol=1e-6)
    live = bands_ref > -100  # not the 1e-12 floor of band_energy_db (the zero-padded edge frames)
    assert live.mean() > 0.9
    np.testing.assert_allclose(bands[live], bands_ref[live], atol=1e-3)


def _run_partitioned(engine, x, sizes):
    engine.reset()
    y = np.zeros_like(x)
    start, i = 0, 0
    while start < x.shape[1]:
        stop = min(x.shape[1], start + sizes[i % len(sizes)])
        block = np.empty((x.shape[0], stop - start), dtype=np.float32)
        engine.process_block(np.ascontiguousarray(x[:, start:stop]), block)
        y[:, start:stop] = block
        start, i = stop, i + 1
    return y


@pytest.fixture(scope="module")
def quiet_bursts():
    rng = np.random.default_rng(5)
    n = 2 * SR + 123
    x = 0.003 * rng.standard_normal(n) * (np.arange(n) % 12000 < 7000)
    return np.stack([x, 0.3 * x[::-1]]).astype(np.float32)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=30000), min_size=1, max_size=8))
def test_block_size_invariance_with_normalization(leveled_stateful, quiet_bursts, sizes):
    card = ModelCard.load(leveled_stateful)
    engine = StreamingEngine(card.stft, OnnxMaskEstimator(card), 2)
    engine.level_target_dbfs = card.analysis_level_dbfs
    reference = _run_partitioned(engine, quiet_bursts, [quiet_bursts.shape[1]])
    np.testing.assert_array_equal(_run_partitioned(engine, quiet_bursts, sizes), reference)


class _Recorder:
    """Wraps an estimator and keeps the band energies it was given."""

    def __init__(self, inner):
        self.inner, self.feature_inputs, self.band_db = inner, inner.feature_inputs, []

    def reset(self, batch):
        self.inner.reset(batch)
        self.band_db.clear()

    def run(self, spec_low, band_db):
        self.band_db.append(band_db.copy())
        return self.inner.run(spec_low, band_db)


def _seen_band_db(path, x, target):
    card = ModelCard.load(path)
    rec = _Recorder(OnnxMaskEstimator(card))
    engine = StreamingEngine(card.stft, rec, 1)
    engine.level_target_dbfs = target
    engine.process_block(x, np.empty_like(x))
    return np.concatenate(rec.band_db, axis=1)[0]


def test_quiet_input_is_seen_at_the_target_level_and_loud_input_untouched(leveled_stateful):
    x = np.random.default_rng(6).normal(0, 1, (1, 8 * SR)).astype(np.float32)
    quiet = (x * 10 ** (-50 / 20)).astype(np.float32)  # -50 dBFS noise
    loud = (x * 10 ** (-12 / 20)).astype(np.float32)
    off = _seen_band_db(leveled_stateful, quiet, None)
    on = _seen_band_db(leveled_stateful, quiet, -22.0)
    # after the meter settled (release 1.5 s): moved up by about 28 dB
    np.testing.assert_allclose((on - off)[-50:], 28.0, atol=0.5)
    np.testing.assert_allclose(on[0], off[0], atol=0.5)  # the first frame: hardly any boost yet
    np.testing.assert_array_equal(_seen_band_db(leveled_stateful, loud, -22.0), _seen_band_db(leveled_stateful, loud, None))


def test_boost_is_bounded(tmp_path):
    x = np.random.default_rng(7).normal(0, 1, (1, 6 * SR)).astype(np.float32) * np.float32(10 ** (-75 / 20))
    path = _with_target(constant_model(tmp_path / "c.onnx"), -22.0)
    diff = _seen_band_db(path, x, -22.0) - _seen_band_db(path, x, None)
    assert diff.max() == pytest.approx(LEVEL_MAX_BOOST_DB, abs=1e-3)


def test_audio_path_is_not_scaled(tmp_path):
    """With an identity model the output is the delayed input, normalisation on or off."""
    path = _with_target(constant_model(tmp_path / "id.onnx"), -22.0)
    x = np.random.default_rng(8).normal(0, 0.001, (1, SR)).astype(np.float32)
    np.testing.assert_allclose(Denoiser(path, level_normalization=True)(x, SR), x, atol=1e-6)
    np.testing.assert_allclose(Denoiser(path)(x, SR), x, atol=1e-6)


def test_denoiser_switch_and_card_target(leveled_stateful, tmp_path):
    x = np.random.default_rng(9).normal(0, 0.002, (1, 2 * SR)).astype(np.float32)
    on, off = Denoiser(leveled_stateful, level_normalization=True), Denoiser(leveled_stateful)
    assert on.level_normalization and not off.level_normalization
    assert on.card.analysis_level_dbfs == -22.0
    assert not np.array_equal(on(x, SR), off(x, SR))
    np.testing.assert_array_equal(on(x, SR), on(x, SR))  # deterministic
    on.level_normalization = False
    np.testing.assert_array_equal(on(x, SR), off(x, SR))
    plain = stateful_model(tmp_path / "plain.onnx")  # no analysis_level_dbfs: nothing to normalise to
    assert Denoiser(plain).card.analysis_level_dbfs is None
    np.testing.assert_array_equal(Denoiser(plain, level_normalization=True)(x, SR), Denoiser(plain)(x, SR))


@pytest.mark.parametrize("value", [1, "yes", None, 0.0])
def test_denoiser_rejects_non_bool(identity_model, value):
    with pytest.raises(TypeError, match="level_normalization"):
        Denoiser(identity_model, level_normalization=value)


def test_old_pickles_keep_their_output(leveled_stateful):
    d = Denoiser(leveled_stateful, level_normalization=True)
    state = d.__getstate__()
    del state["_level_normalization"]
    old = Denoiser.__new__(Denoiser)
    old.__setstate__(state)
    assert old.level_normalization is False
    assert pickle.loads(pickle.dumps(d)).level_normalization is True


@pytest.mark.parametrize("bad", [5.0, -61.0, "loud", True])
def test_card_rejects_bad_target(tmp_path, bad):
    path = constant_model(tmp_path / "c.onnx")
    write_card(path, StftConfig(), "c", analysis_level_dbfs=bad)
    with pytest.raises(ValueError, match="analysis_level_dbfs"):
        ModelCard.load(path)


def test_shipped_models_carry_a_target():
    for name in ("hance-base", "hance-twin"):
        assert Denoiser(name).card.analysis_level_dbfs == -22.0
