"""The bundled classical model ``wiener-baseline`` (models/build_wiener_baseline.py).

It must follow the mask-estimator contract (loads by name, streaming == offline), compute the
documented algorithm (graph == numpy reference), actually remove stationary noise through the
engine, and be rebuilt identically by its builder.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from hance_plugin.card import resolve_model
from hance_plugin.engine import StreamingEngine
from hance_plugin.estimator import OnnxMaskEstimator
from hance_plugin.models import build_wiener_baseline as builder

FS = 48000


@pytest.fixture(scope="module")
def card():
    return resolve_model("wiener-baseline")


@pytest.fixture(scope="module")
def estimator(card):
    return OnnxMaskEstimator(card)


def _features(rng, batch: int, frames: int, cfg):
    """Band energies with level steps (speech-like bursts over a floor) and a silent stretch."""
    band_db = rng.normal(-10.0, 5.0, (batch, frames, cfg.n_bands)).astype(np.float32)
    band_db[:, frames // 4 : frames // 3] += 35.0
    band_db[:, frames // 2 : frames // 2 + 20] = -120.0  # digital silence (1e-12 floor)
    spec_low = rng.standard_normal((batch, frames, cfg.split_bin, 2)).astype(np.float32)
    return spec_low, band_db


def test_wiener_baseline_card_and_contract(card, estimator):
    cfg = card.stft
    assert card.name == builder.NAME
    assert card.latency_samples == cfg.window_samples
    assert card.extra["training_data"].startswith("none")
    assert estimator.feature_inputs == ("band_db",)
    assert set(estimator.state_names) == set(builder.STATES)
    estimator.reset(2)
    spec_low, band_db = _features(np.random.default_rng(0), 2, 50, cfg)
    mask_low, gains_high = estimator.run(spec_low, band_db)
    assert mask_low.shape == (2, 50, cfg.split_bin, 2) and mask_low.dtype == np.float32
    assert gains_high.shape == (2, 50, cfg.n_high_gains) == (2, 50, 9)
    g_min = 10 ** (builder.WienerParams().gain_floor_db / 20)
    for g in (mask_low[..., 0], gains_high):
        assert np.all(np.isfinite(g)) and g.min() >= g_min * (1 - 1e-6) and g.max() <= 1.0
    np.testing.assert_array_equal(mask_low[..., 1], 0.0)


def test_streaming_equals_one_call(card, estimator):
    """T = N in one call == N calls of T = 1 with the state carried (and per channel)."""
    spec_low, band_db = _features(np.random.default_rng(1), 2, 400, card.stft)
    estimator.reset(2)
    mask_all, gains_all = estimator.run(spec_low, band_db)
    estimator.reset(2)
    steps = [estimator.run(spec_low[:, t : t + 1], band_db[:, t : t + 1]) for t in range(band_db.shape[1])]
    np.testing.assert_allclose(np.concatenate([s[0] for s in steps], axis=1), mask_all, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.concatenate([s[1] for s in steps], axis=1), gains_all, rtol=0, atol=1e-5)
    # uneven chunks too, and channel 1 alone equals channel 1 of the batch
    estimator.reset(2)
    chunks, start = [], 0
    for size in (1, 7, 150, 2, 240):
        chunks.append(estimator.run(spec_low[:, start : start + size], band_db[:, start : start + size]))
        start += size
    np.testing.assert_allclose(np.concatenate([c[1] for c in chunks], axis=1), gains_all, rtol=0, atol=1e-5)
    estimator.reset(1)
    _, gains_one = estimator.run(spec_low[1:], band_db[1:])
    np.testing.assert_allclose(gains_one, gains_all[1:], rtol=0, atol=1e-5)


def test_graph_matches_numpy_reference(card, estimator):
    cfg = card.stft
    spec_low, band_db = _features(np.random.default_rng(2), 2, 600, cfg)
    estimator.reset(2)
    mask_low, gains_high = estimator.run(spec_low, band_db)
    bias = np.asarray(card.extra["method"]["bias_db"])
    gains, _, _ = builder.reference_gains(band_db.astype(np.float64), cfg, builder.WienerParams(), bias)
    n_low = cfg.n_bands - cfg.n_high_bands
    w_low = builder.interpolation_matrix(cfg.band_edges[: n_low + 1].astype(np.int64), 0, cfg.split_bin)
    np.testing.assert_allclose(gains_high, gains[:, :, n_low:], rtol=0, atol=1e-4)
    np.testing.assert_allclose(mask_low[..., 0], gains[:, :, :n_low] @ w_low, rtol=0, atol=1e-4)
    # the interpolation matrix mirrors the engine's interpolation of high-band gains
    idx0, idx1, w = cfg.high_interpolation()
    w_high = builder.interpolation_matrix(cfg.band_edges[n_low:].astype(np.int64), cfg.split_bin, cfg.n_bins)
    g = np.random.default_rng(3).uniform(size=cfg.n_high_bands)
    np.testing.assert_allclose(g @ w_high, (1 - w) * g[idx0] + w * g[idx1], atol=1e-6)


# --- it denoises ---------------------------------------------------------------------------------
START_S, ON_S, PERIOD_S, MARGIN_S, WARMUP_S = 1.0, 0.5, 1.0, 0.06, 2.0


def _speech_like(n: int, f0: float = 140.0) -> np.ndarray:
    """Harmonic complex (1/k amplitudes up to 4 kHz, 3 Hz vibrato) in 0.5 s bursts every second."""
    t = np.arange(n) / FS
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.04 * np.sin(2 * np.pi * 3 * t))) / FS
    tone = sum(np.sin(k * phase + k) / k for k in range(1, int(4000 / f0) + 1))
    tt = (t - START_S) % PERIOD_S
    ramp = np.clip(np.minimum(tt, ON_S - tt) / 0.02, 0.0, 1.0) * ((t >= START_S) & (tt < ON_S))
    return tone * np.sin(0.5 * np.pi * ramp) ** 2


def _noise(rng, n: int, colour: str) -> np.ndarray:
    white = rng.standard_normal(n)
    if colour == "white":
        return white
    f = np.fft.rfftfreq(n, 1 / FS)  # pink (-3 dB/octave) above 50 Hz, flat below
    return np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.maximum(f, 50.0)), n)


@pytest.mark.parametrize("colour, snr_db", [("white", 0.0), ("pink", 5.0)])
def test_engine_removes_stationary_noise(card, colour, snr_db):
    rng = np.random.default_rng(4)
    n = 10 * FS
    speech = _speech_like(n)
    t = np.arange(n) / FS
    tt = (t - START_S) % PERIOD_S
    active = (t >= START_S) & (tt < ON_S)
    noise = _noise(rng, n, colour)
    noise *= np.sqrt(np.mean(speech[active] ** 2) / np.mean(noise**2) / 10 ** (snr_db / 10))
    speech, noise = 0.1 * speech, 0.1 * noise
    x = (speech + noise).astype(np.float32)

    engine = StreamingEngine(card.stft, OnnxMaskEstimator(card), num_channels=1)
    latency = engine.latency_samples
    assert latency == card.stft.window_samples
    padded = np.concatenate([x, np.zeros(latency, np.float32)])[None]
    out = np.empty_like(padded)
    engine.process_block(padded, out)
    # (near) silence before the latency: only the first frame's masking spreads a little back
    np.testing.assert_allclose(out[0, :latency], 0.0, atol=1e-4 * np.abs(x).max())
    # the output is the input delayed by exactly `latency`: cross-correlation peaks there
    lags = np.arange(0, 2 * latency + 1)
    corr = [np.dot(out[0, lag : lag + 4 * FS], x[: 4 * FS]) for lag in lags]
    assert lags[int(np.argmax(corr))] == latency
    y = out[0, latency:]

    measured = t >= WARMUP_S  # after the noise tracker's start-up (one ~1.5 s minimum window)
    in_speech = measured & (tt > MARGIN_S) & (tt < ON_S - MARGIN_S)
    in_gaps = measured & (tt > ON_S + MARGIN_S) & (tt < PERIOD_S - MARGIN_S)
    noise_att_db = 10 * np.log10(np.mean(y[in_gaps] ** 2) / np.mean(x[in_gaps] ** 2))
    speech_level_db = 10 * np.log10(np.mean(y[in_speech] ** 2) / np.mean(speech[in_speech] ** 2))
    err_in = np.mean((x[measured] - speech[measured]) ** 2)
    err_out = np.mean((y[measured] - speech[measured]) ** 2)
    snr_gain_db = 10 * np.log10(err_in / err_out)
    print(
        f"{colour} noise at {snr_db:g} dB SNR: noise-only segments {noise_att_db:.1f} dB, "
        f"speech segments {speech_level_db:+.2f} dB vs clean, error energy -{snr_gain_db:.1f} dB"
    )
    assert noise_att_db <= -10.0
    assert abs(speech_level_db) <= 3.0
    assert snr_gain_db >= 3.0


# --- deterministic build -------------------------------------------------------------------------
def _constants(graph: onnx.GraphProto) -> list[np.ndarray]:
    out = []
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                out.append(onnx.numpy_helper.to_array(attr.t))
            elif attr.type == onnx.AttributeProto.GRAPH:
                out += _constants(attr.g)
    return out


def _ops(graph: onnx.GraphProto) -> list[str]:
    ops = []
    for node in graph.node:
        ops.append(node.op_type + ":" + ",".join(node.input) + "->" + ",".join(node.output))
        ops += [op for a in node.attribute if a.type == onnx.AttributeProto.GRAPH for op in _ops(a.g)]
    return ops


def test_rebuild_is_identical(card, tmp_path):
    path = builder.build(tmp_path)
    rebuilt, shipped = path.read_bytes(), card.onnx_path.read_bytes()
    if rebuilt != shipped:  # e.g. another numpy FFT build: then only rounding may differ
        new, old = onnx.load_from_string(rebuilt), onnx.load_from_string(shipped)
        assert _ops(new.graph) == _ops(old.graph)
        for a, b in zip(_constants(new.graph), _constants(old.graph), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=0.011)  # bias rounded to 0.01 dB
    import json

    new_card = json.loads(path.with_suffix(".json").read_text())
    old_card = json.loads(card.onnx_path.with_suffix(".json").read_text())
    for key in ("name", "stft", "latency_samples", "parameters", "macs_per_second", "training_data"):
        assert new_card[key] == old_card[key], key
