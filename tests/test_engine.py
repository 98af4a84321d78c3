"""The streaming engine: reconstruction, block-size invariance, latency, state plumbing."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SUPPORTED_STFTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx_models import constant_model

from hance_plugin.card import ModelCard
from hance_plugin.config import StftConfig
from hance_plugin.engine import StreamingEngine
from hance_plugin.estimator import OnnxMaskEstimator
from hance_plugin.kernels.masks import apply_hybrid_mask
from hance_plugin.stft import istft, stft


def _engine(path, channels=1, **kw) -> StreamingEngine:
    card = ModelCard.load(path)
    return StreamingEngine(card.stft, OnnxMaskEstimator(card), channels, **kw)


def _run_partitioned(engine, x, sizes):
    engine.reset()
    y = np.zeros_like(x)
    start = 0
    i = 0
    while start < x.shape[1]:
        stop = min(x.shape[1], start + sizes[i % len(sizes)])
        block = np.empty((x.shape[0], stop - start), dtype=np.float32)
        engine.process_block(np.ascontiguousarray(x[:, start:stop]), block)
        y[:, start:stop] = block
        start = stop
        i += 1
    return y


@pytest.mark.parametrize("n, hop, window", SUPPORTED_STFTS)
@pytest.mark.parametrize("channels", [1, 2])
def test_identity_model_reconstructs_within_1e5(tmp_path, n, hop, window, channels):
    cfg = StftConfig(window_samples=n, hop_samples=hop, window=window)
    engine = _engine(constant_model(tmp_path / "id.onnx", cfg), channels)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (channels, 20000)).astype(np.float32)
    y = _run_partitioned(engine, x, [4096])
    latency = engine.latency_samples
    assert latency == n
    np.testing.assert_allclose(y[:, latency:], x[:, :-latency], rtol=0, atol=1e-5 * np.abs(x).max())
    np.testing.assert_allclose(y[:, :latency], 0.0, atol=1e-5 * np.abs(x).max())  # silence before


def test_engine_equals_offline_masking(rotating_model):
    """Streaming engine output == istft(mask * stft(x)) delayed by the latency."""
    engine = _engine(rotating_model, 2)
    cfg = engine.config
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 24000)).astype(np.float32) * 0.1
    padded = np.concatenate([x, np.zeros((2, cfg.latency_samples), np.float32)], axis=1)
    y = _run_partitioned(engine, padded, [1000])[:, cfg.latency_samples :]
    spec = stft(x, cfg)
    mask = np.zeros((2, spec.shape[1], cfg.split_bin, 2), np.float32)
    mask[..., 0], mask[..., 1] = 1.2 * np.cos(0.5), 1.2 * np.sin(0.5)
    gains = np.full((2, spec.shape[1], cfg.n_high_gains), 0.25, np.float32)
    apply_hybrid_mask(spec, mask, gains, *cfg.high_interpolation(), np.float32(0.0))
    np.testing.assert_allclose(y, istft(spec, x.shape[1], cfg), atol=1e-5)


@pytest.fixture(scope="module")
def stateful_engine(stateful_model_path):
    return _engine(stateful_model_path, 2)


@pytest.fixture(scope="module")
def partition_signal():
    rng = np.random.default_rng(2)
    n = 48000 + 321
    t = np.arange(n) / 48000
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (t % 0.25 < 0.12) + 0.05 * rng.standard_normal(n)
    return np.stack([x, 0.5 * x[::-1]]).astype(np.float32)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=48000), min_size=1, max_size=12))
def test_block_size_invariance(stateful_engine, partition_signal, sizes):
    """Random partitions (1 sample .. 1 s) give bit-identical output."""
    reference = _run_partitioned(stateful_engine, partition_signal, [partition_signal.shape[1]])
    y = _run_partitioned(stateful_engine, partition_signal, sizes)
    np.testing.assert_array_equal(y, reference)


def test_one_sample_blocks_equal_whole_block(stateful_engine, partition_signal):
    x = partition_signal[:, :6000]
    np.testing.assert_array_equal(
        _run_partitioned(stateful_engine, x, [1]), _run_partitioned(stateful_engine, x, [x.shape[1]])
    )


def test_huge_block_is_split_without_changing_output(stateful_model_path, partition_signal):
    small = _engine(stateful_model_path, 2, max_frames_per_call=7)
    big = _engine(stateful_model_path, 2)
    x = partition_signal
    np.testing.assert_array_equal(_run_partitioned(small, x, [x.shape[1]]), _run_partitioned(big, x, [x.shape[1]]))


class _CountingEstimator:
    """Wraps an estimator and records the frame count of each call."""

    def __init__(self, inner):
        self.inner = inner
        self.feature_inputs = inner.feature_inputs
        self.calls: list[int] = []

    def reset(self, batch):
        self.inner.reset(batch)

    def run(self, spec_low, band_db):
        self.calls.append(spec_low.shape[1])
        return self.inner.run(spec_low, band_db)


def test_all_complete_frames_of_a_block_go_in_one_call(stateful_model_path):
    card = ModelCard.load(stateful_model_path)
    est = _CountingEstimator(OnnxMaskEstimator(card))
    engine = StreamingEngine(card.stft, est, 1)
    x = np.zeros((1, 48000), np.float32)
    engine.process_block(x, np.empty_like(x))
    assert est.calls == [100]
    est.calls.clear()
    engine.reset()
    for _ in range(3):
        engine.process_block(x[:, :480], np.empty((1, 480), np.float32))
    assert est.calls == [1, 1, 1]
    est.calls.clear()
    engine.process_block(x[:, :100], np.empty((1, 100), np.float32))
    assert est.calls == []  # no complete frame, no model call


def test_reset_clears_state(stateful_engine, partition_signal):
    a = _run_partitioned(stateful_engine, partition_signal, [5000])
    noise = np.random.default_rng(9).standard_normal(partition_signal.shape).astype(np.float32)
    stateful_engine.process_block(noise, np.empty_like(noise))
    b = _run_partitioned(stateful_engine, partition_signal, [5000])  # resets first
    np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def cutting_model(tmp_path_factory):
    """A model that keeps almost nothing: mask 0.05·e^{j·0.5} below the split, gain 0.02 above."""
    import cmath

    return constant_model(tmp_path_factory.mktemp("guard") / "cutting.onnx", mask=0.05 * cmath.exp(0.5j), gain=0.02,
                          name="cutting")


def _guard_signal(n: int, channels: int = 2) -> np.ndarray:
    """A steady quiet noise floor with loud noise bursts and tones on top (bands far above the floor
    and bands near it), different per channel."""
    rng = np.random.default_rng(7)
    t = np.arange(n) / 48000
    x = 0.003 * rng.standard_normal((channels, n))
    on = (np.floor(t / 0.17) % 2 == 1)
    x[0] += on * (0.2 * np.sin(2 * np.pi * 700 * t) + 0.05 * rng.standard_normal(n))
    x[-1] += on[::-1] * 0.2 * np.sin(2 * np.pi * 9000 * t)
    return x.astype(np.float32)


@pytest.mark.parametrize("margin_db", [0.0, 20.0])
@pytest.mark.parametrize("sizes", [[1000], [480], [17, 4096, 1]])
def test_speech_guard_equals_numpy_recomputation(cutting_model, margin_db, sizes):
    """Engine output with the guard == istft of the masks with every gain magnitude raised to
    sqrt(max(0, 1 - 10^(-(X - N - margin)/10))) of its band, X the input's band energy and N its
    tracked floor; the complex mask's rotation is kept and the high band's interpolated gains raised."""
    from hance_plugin.kernels.floor import band_floor_db
    from hance_plugin.kernels.masks import band_energy_db

    engine = _engine(cutting_model, 2)
    engine.speech_guard_db = margin_db
    cfg = engine.config
    x = _guard_signal(36000)
    padded = np.concatenate([x, np.zeros((2, cfg.latency_samples), np.float32)], axis=1)
    y = _run_partitioned(engine, padded, sizes)[:, cfg.latency_samples :]
    spec = stft(x, cfg)
    band_db = np.empty(spec.shape[:2] + (cfg.n_bands,), np.float32)
    band_energy_db(spec, cfg.band_edges.astype(np.int64), band_db)
    floor = band_floor_db(band_db, cfg.hop_samples / cfg.sample_rate_hz)
    g_band = np.sqrt(np.clip(1.0 - 10.0 ** (-(band_db.astype(np.float64) - floor - margin_db) / 10.0), 0.0, None))
    g_bin = g_band[..., np.repeat(np.arange(cfg.n_bands), np.diff(cfg.band_edges))]  # (C, T, K)
    f = cfg.split_bin
    mask = 0.05 * np.exp(0.5j) * np.ones(spec.shape[:2] + (f,))
    mask = np.where(np.abs(mask) < g_bin[..., :f], np.exp(0.5j) * g_bin[..., :f], mask)
    i0, i1, w = cfg.high_interpolation()
    high = np.maximum(np.full(spec.shape[:2] + (cfg.n_bins - f,), 0.02), g_bin[..., f:])  # constant gains: no interpolation error
    expected = istft(np.concatenate([spec[..., :f] * mask, spec[..., f:] * high], axis=-1).astype(np.complex64),
                     x.shape[1], cfg)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    lifted = (g_bin > 0.05).mean()
    assert 0.02 < lifted < 0.9  # the guard lifts some bins and leaves others to the model
    engine.speech_guard_db = None
    unguarded = _run_partitioned(engine, padded, sizes)[:, cfg.latency_samples :]
    assert np.abs(unguarded - y).max() > 0.05


@pytest.mark.parametrize("silent_first_channel", [False, True])
def test_speech_guard_off_restarts_its_floor(cutting_model, silent_first_channel):
    """Turned off and on again mid-stream, the guard tracks its floor afresh from that frame on:
    the output equals a stream that ran the guard-off part and then turned it on for the first time
    (also when one channel is digital silence throughout, so its tracker never starts)."""
    x = _guard_signal(24000)
    if silent_first_channel:
        x[0] = 0.0
    hop = 480
    first, second, third = x[:, : 20 * hop], x[:, 20 * hop : 30 * hop], x[:, 30 * hop :]
    toggled = _engine(cutting_model, 2)
    once = _engine(cutting_model, 2)
    out = [np.empty_like(part) for part in (first, second, third)]
    ref = [np.empty_like(part) for part in (first, second, third)]
    toggled.speech_guard_db = 20.0
    toggled.process_block(np.ascontiguousarray(first), out[0])
    toggled.speech_guard_db = None
    toggled.process_block(np.ascontiguousarray(second), out[1])
    toggled.speech_guard_db = 20.0
    toggled.process_block(np.ascontiguousarray(third), out[2])
    once.process_block(np.ascontiguousarray(first), ref[0])
    once.process_block(np.ascontiguousarray(second), ref[1])
    once.speech_guard_db = 20.0
    once.process_block(np.ascontiguousarray(third), ref[2])
    assert np.abs(out[0] - ref[0]).max() > 0.01  # the first part was guarded in one stream only
    if silent_first_channel:
        assert not np.any(out[0][0]) and not np.any(out[2][0])
    latency = toggled.latency_samples  # the first window of the second part still holds guarded frames
    np.testing.assert_array_equal(out[1][:, latency:], ref[1][:, latency:])
    np.testing.assert_array_equal(out[2], ref[2])
