"""The speech guard's gate: the network's own SNR estimate (kernels/mask_snr.py), the gated margins
(kernels/guard.py), the engine against a numpy recomputation, and the Denoiser option."""

from __future__ import annotations

import cmath
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx_models import constant_model

from hance_plugin import Denoiser
from hance_plugin.card import ModelCard
from hance_plugin.config import StftConfig
from hance_plugin.engine import StreamingEngine
from hance_plugin.estimator import OnnxMaskEstimator
from hance_plugin.kernels.floor import band_floor_db
from hance_plugin.kernels.guard import GATE_SLOPE, gated_margins, guard_bounds
from hance_plugin.kernels.mask_snr import MASK_SNR_NONE_DB, MASK_SNR_TAU_S, new_mask_snr_state, track_mask_snr
from hance_plugin.kernels.masks import band_energy_db
from hance_plugin.stft import istft, stft

CFG = StftConfig()
CUT_MASK = 0.05 * cmath.exp(0.5j)  # the cutting model: keeps almost nothing
CUT_GAIN = 0.02


def _masks(rng, c, t):
    mask = rng.normal(0.6, 0.5, (c, t, CFG.split_bin, 2)).astype(np.float32)
    gains = rng.uniform(-0.2, 1.3, (c, t, CFG.n_high_gains)).astype(np.float32)
    mask[0, 3, 5, 1] = np.nan  # non-finite values count as pass-through, negative gains as 0
    gains[0, 4, 2] = np.inf
    return mask, gains


def _numpy_mask_snr(spec, mask, gains, alpha):
    """snr_est by the module docstring's formula, from per-bin masks built in numpy."""
    i0, i1, w = CFG.high_interpolation()
    m = mask[..., 0].astype(np.float64) + 1j * mask[..., 1]
    m = np.where(np.isfinite(m), m, 1.0)
    g = (1.0 - w) * gains[..., i0].astype(np.float64) + w * gains[..., i1]
    g = np.where(np.isfinite(g), np.maximum(g, 0.0), 1.0)
    full = np.concatenate([m, g], axis=-1)
    p = np.abs(spec.astype(np.complex128)) ** 2
    kept = (p * np.abs(full) ** 2).sum(-1)
    removed = (p * np.abs(1.0 - full) ** 2).sum(-1)
    out = np.empty(kept.shape)
    for c in range(kept.shape[0]):
        y = r = 0.0
        for t in range(kept.shape[1]):
            if kept[c, t] + removed[c, t] > 0:
                y, r = alpha * y + kept[c, t], alpha * r + removed[c, t]
            out[c, t] = MASK_SNR_NONE_DB if y <= 0 else 10 * np.log10(y / r)
    return out


def test_mask_snr_equals_numpy_and_carries_its_state():
    rng = np.random.default_rng(3)
    c, t = 2, 40
    spec = (rng.standard_normal((c, t, CFG.n_bins)) + 1j * rng.standard_normal((c, t, CFG.n_bins))).astype(np.complex64)
    spec[1, :6] = 0.0  # digital silence first: nothing kept yet
    spec[1, 20:25] = 0.0  # and inside the stream: the sums hold
    mask, gains = _masks(rng, c, t)
    alpha = math.exp(-CFG.hop_samples / CFG.sample_rate_hz / MASK_SNR_TAU_S)
    whole = np.empty((c, t), np.float32)
    track_mask_snr(spec, mask, gains, *CFG.high_interpolation(), new_mask_snr_state(c), alpha, whole)
    np.testing.assert_allclose(whole, _numpy_mask_snr(spec, mask, gains, alpha), rtol=1e-5, atol=1e-4)
    assert np.all(whole[1, :6] == MASK_SNR_NONE_DB) and np.all(whole[1, 20:25] == whole[1, 19])
    state = new_mask_snr_state(c)  # in two blocks, the state carried: the same values
    parts = [np.empty((c, n), np.float32) for n in (17, t - 17)]
    for part, sl in zip(parts, (slice(0, 17), slice(17, t))):
        track_mask_snr(np.ascontiguousarray(spec[:, sl]), np.ascontiguousarray(mask[:, sl]),
                       np.ascontiguousarray(gains[:, sl]), *CFG.high_interpolation(), state, alpha, part)
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


@pytest.mark.parametrize("mask, gain, expected_db", [(1.0, 1.0, -MASK_SNR_NONE_DB), (0.0, 0.0, MASK_SNR_NONE_DB),
                                                     (0.5, 0.5, 0.0), (0.8, 0.8, 20 * math.log10(4.0))])
def test_mask_snr_of_constant_masks(mask, gain, expected_db):
    """A constant real mask m keeps m^2 and removes (1 - m)^2 of every bin, whatever the signal."""
    rng = np.random.default_rng(4)
    spec = (rng.standard_normal((1, 8, CFG.n_bins)) + 1j * rng.standard_normal((1, 8, CFG.n_bins))).astype(np.complex64)
    m = np.zeros((1, 8, CFG.split_bin, 2), np.float32)
    m[..., 0] = mask
    g = np.full((1, 8, CFG.n_high_gains), gain, np.float32)
    out = np.empty((1, 8), np.float32)
    track_mask_snr(spec, m, g, *CFG.high_interpolation(), new_mask_snr_state(1), 0.9, out)
    np.testing.assert_allclose(out, expected_db, atol=1e-4)


def test_gated_margins_and_bounds():
    est = np.array([[-10.0, 4.0, 5.0, 30.0]], np.float32)
    margins = np.empty_like(est)
    gated_margins(est, 35.0, 5.0, GATE_SLOPE, margins)
    np.testing.assert_array_equal(margins, [[35.0 + 4 * 15, 39.0, 35.0, 35.0]])
    height = np.array([[[0.0, 36.0, 60.0]] * 4], np.float32)
    bounds = height.copy()
    guard_bounds(bounds, margins, bounds)  # in place, as the engine calls it
    expected = np.sqrt(np.clip(1 - 10 ** (-(height - margins[..., None].astype(np.float64)) / 10), 0, None))
    np.testing.assert_allclose(bounds, expected, rtol=1e-6)
    assert bounds[0, 0, 2] == 0.0 and bounds[0, 3, 2] > 0.99  # shut 4 dB under the gate, open above it


@pytest.fixture(scope="module")
def cutting_model(tmp_path_factory):
    return constant_model(tmp_path_factory.mktemp("gate") / "cutting.onnx", mask=CUT_MASK, gain=CUT_GAIN, name="cutting")


@pytest.fixture(scope="module")
def half_model(tmp_path_factory):
    """Mask 0.5 everywhere: it keeps as much as it removes, so its snr_est is 0 dB throughout."""
    return constant_model(tmp_path_factory.mktemp("gate") / "half.onnx", mask=0.5, gain=0.5, name="half")


def _engine(path, channels=2) -> StreamingEngine:
    card = ModelCard.load(path)
    return StreamingEngine(card.stft, OnnxMaskEstimator(card), channels)


def _run(engine, x, sizes):
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


def _signal(n: int) -> np.ndarray:
    """A quiet floor with loud bursts whose low/high balance changes over time, so the cutting
    model's snr_est (-34 .. -25 dB) moves and a gate at -28 dB opens and shuts."""
    rng = np.random.default_rng(7)
    t = np.arange(n) / 48000
    x = 0.003 * rng.standard_normal((2, n))
    on = np.floor(t / 0.17) % 2 == 1
    x[0] += on * (0.2 * np.sin(2 * np.pi * 700 * t) + 0.05 * rng.standard_normal(n))
    x[0] += (t > 0.4) * 0.3 * np.sin(2 * np.pi * 9000 * t)
    x[1] += on[::-1] * 0.2 * np.sin(2 * np.pi * 9000 * t) + (t > 0.5) * 0.3 * np.sin(2 * np.pi * 400 * t)
    return x.astype(np.float32)


@pytest.mark.parametrize("sizes", [[1000], [480], [17, 4096, 1]])
def test_gated_guard_equals_numpy_recomputation(cutting_model, sizes):
    """Engine output == istft of the masks with every gain magnitude raised to the bound of its band at
    the frame's gated margin, snr_est recomputed in numpy from the constant masks."""
    margin_db, gate_db = 20.0, -28.0
    engine = _engine(cutting_model)
    engine.speech_guard_db, engine.speech_guard_gate_db = margin_db, gate_db
    x = _signal(36000)
    padded = np.concatenate([x, np.zeros((2, CFG.latency_samples), np.float32)], axis=1)
    y = _run(engine, padded, sizes)[:, CFG.latency_samples:]
    spec = stft(x, CFG)
    band_db = np.empty(spec.shape[:2] + (CFG.n_bands,), np.float32)
    band_energy_db(spec, CFG.band_edges.astype(np.int64), band_db)
    floor = band_floor_db(band_db, CFG.hop_samples / CFG.sample_rate_hz)
    c, t = spec.shape[:2]
    mask = np.zeros((c, t, CFG.split_bin, 2), np.float32)
    mask[..., 0], mask[..., 1] = CUT_MASK.real, CUT_MASK.imag
    alpha = math.exp(-CFG.hop_samples / CFG.sample_rate_hz / MASK_SNR_TAU_S)
    est = _numpy_mask_snr(spec, mask, np.full((c, t, CFG.n_high_gains), CUT_GAIN, np.float32), alpha)
    margins = margin_db + GATE_SLOPE * np.maximum(0.0, gate_db - est)
    assert margins.min() == margin_db and margins.max() > margin_db + 8  # the gate opens and shuts
    g_band = np.sqrt(np.clip(1.0 - 10.0 ** (-(band_db.astype(np.float64) - floor - margins[..., None]) / 10.0), 0.0, None))
    g_bin = g_band[..., np.repeat(np.arange(CFG.n_bands), np.diff(CFG.band_edges))]
    f = CFG.split_bin
    low = CUT_MASK * np.ones(spec.shape[:2] + (f,))
    low = np.where(np.abs(low) < g_bin[..., :f], np.exp(0.5j) * g_bin[..., :f], low)
    high = np.maximum(CUT_GAIN, g_bin[..., f:])
    expected = istft(np.concatenate([spec[..., :f] * low, spec[..., f:] * high], axis=-1).astype(np.complex64),
                     x.shape[1], CFG)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    engine.speech_guard_gate_db = None  # ungated: a different output
    assert np.abs(_run(engine, padded, sizes)[:, CFG.latency_samples:] - y).max() > 0.05


def test_gate_off_restarts_its_estimate(cutting_model):
    """The gate (or the whole guard) turned off mid-stream and on again estimates afresh from that frame
    on: the output equals a stream whose gate was first turned on there."""
    x = _signal(24000)
    hop = CFG.hop_samples
    parts = x[:, :20 * hop], x[:, 20 * hop:30 * hop], x[:, 30 * hop:]
    for switch in ("speech_guard_gate_db", "speech_guard_db"):
        toggled, once = _engine(cutting_model), _engine(cutting_model)
        for e in (toggled, once):
            e.speech_guard_db, e.speech_guard_gate_db = 20.0, -28.0
        out, ref = [], []
        for i, part in enumerate(parts):
            setattr(toggled, switch, None if i == 1 else (-28.0 if switch == "speech_guard_gate_db" else 20.0))
            if i == 0:
                once.speech_guard_gate_db = None
            elif i == 2:
                once.speech_guard_gate_db = -28.0
            for e, acc in ((toggled, out), (once, ref)):
                y = np.empty_like(part)
                e.process_block(np.ascontiguousarray(part), y)
                acc.append(y)
        if switch == "speech_guard_gate_db":  # the second part ran ungated in both streams
            np.testing.assert_array_equal(out[1][:, CFG.latency_samples:], ref[1][:, CFG.latency_samples:])
            np.testing.assert_array_equal(out[2], ref[2])
        else:  # the guard's floor restarted too: compare with a stream whose guard starts there
            fresh = _engine(cutting_model)
            fresh.process_block(np.ascontiguousarray(np.concatenate(parts[:2], axis=1)),
                                np.empty((2, 30 * hop), np.float32))
            fresh.speech_guard_db, fresh.speech_guard_gate_db = 20.0, -28.0
            y = np.empty_like(parts[2])
            fresh.process_block(np.ascontiguousarray(parts[2]), y)
            np.testing.assert_array_equal(out[2], y)
        assert np.abs(out[0] - ref[0]).max() > 0.01  # gated in one stream only


def _bursts(n: int) -> np.ndarray:
    rng = np.random.default_rng(8)
    t = np.arange(n) / 48000
    on = np.floor(t / 0.13) % 2 == 1
    x = 0.002 * rng.standard_normal((2, n)) + on * 0.3 * np.sin(2 * np.pi * 1000 * t)
    x[1] += (t > 0.3) * 0.2 * np.sin(2 * np.pi * 11000 * t)
    return x.astype(np.float32)


def test_gate_shuts_the_guard_for_a_network_that_removes_almost_everything(cutting_model):
    """The cutting model's snr_est is about -30 dB: at a 5-dB gate the margin is 35 + 4 * 35 dB, the
    bound zero, and the output equals the unguarded one; ungated, the guard acts."""
    x = _bursts(48000)
    off = Denoiser(cutting_model)(x, 48000)
    gated = Denoiser(cutting_model, speech_guard_db=35.0, speech_guard_gate_db=5.0)(x, 48000)
    ungated = Denoiser(cutting_model, speech_guard_db=35.0)(x, 48000)
    np.testing.assert_array_equal(gated, off)
    assert np.abs(ungated - off).max() > 0.05


def test_gate_raises_the_margin_by_its_slope(half_model):
    """The half model's snr_est is 0 dB, so a guard at 15 dB gated at 5 dB works at 15 + 4 * 5 = 35 dB."""
    x = _bursts(48000)
    gated = Denoiser(half_model, speech_guard_db=15.0, speech_guard_gate_db=5.0)(x, 48000)
    ungated_35 = Denoiser(half_model, speech_guard_db=35.0)(x, 48000)
    ungated_15 = Denoiser(half_model, speech_guard_db=15.0)(x, 48000)
    np.testing.assert_allclose(gated, ungated_35, atol=1e-5)
    assert np.abs(ungated_15 - ungated_35).max() > 0.01


def test_gate_alone_does_nothing(half_model):
    x = _bursts(24000)
    np.testing.assert_array_equal(Denoiser(half_model, speech_guard_gate_db=5.0)(x, 48000), Denoiser(half_model)(x, 48000))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=20000), min_size=1, max_size=8),
       rate=st.sampled_from([48000, 44100]))
def test_gated_guard_is_block_size_invariant(cutting_model, sizes, rate):
    x = _signal(30000)
    d = Denoiser(cutting_model, speech_guard_db=20.0, speech_guard_gate_db=-28.0)
    reference = d.process(x, rate, reset=False)
    assert np.abs(reference - Denoiser(cutting_model, speech_guard_db=20.0)(x, rate)).max() > 1e-2  # the gate acts
    d.reset()
    y = np.zeros_like(x)
    start, i = 0, 0
    while start < x.shape[1]:
        stop = min(x.shape[1], start + sizes[i % len(sizes)])
        y[:, start:stop] = d.process(x[:, start:stop], rate, reset=False)
        start, i = stop, i + 1
    np.testing.assert_array_equal(y, reference)


@pytest.mark.parametrize("value, error", [(-61.0, ValueError), (60.5, ValueError), (float("nan"), ValueError),
                                          ("5", TypeError), (True, TypeError)])
def test_gate_validation(half_model, value, error):
    with pytest.raises(error, match="speech_guard_gate_db"):
        Denoiser(half_model, speech_guard_gate_db=value)


def test_gate_property_repr_and_pickle(half_model):
    d = Denoiser(half_model, speech_guard_db=35.0)
    assert d.speech_guard_gate_db is None and "gate" not in repr(d)
    d.speech_guard_gate_db = np.float32(-5)
    assert d.speech_guard_gate_db == -5.0 and type(d.speech_guard_gate_db) is float
    assert "speech_guard_db=35 speech_guard_gate_db=-5 at 0x" in repr(d)
    assert pickle.loads(pickle.dumps(d)).speech_guard_gate_db == -5.0
    old = d.__getstate__()
    del old["_speech_guard_gate_db"]  # pickled before the gate existed: ungated, as it was
    restored = Denoiser.__new__(Denoiser)
    restored.__setstate__(old)
    assert restored.speech_guard_gate_db is None
