"""The tracked noise floor (kernels/floor.py) and its path through the estimator and the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx_models import floor_probe_model
from test_engine import _run_partitioned

from hance_plugin import Denoiser
from hance_plugin.card import ModelCard
from hance_plugin.config import StftConfig
from hance_plugin.engine import StreamingEngine
from hance_plugin.estimator import OnnxMaskEstimator
from hance_plugin.kernels.floor import (
    FLOOR_RISE_DB_PER_S,
    FLOOR_SILENCE_DB,
    FLOOR_SMOOTHING_S,
    FLOOR_STEADY_GAP_DB,
    FLOOR_STEADY_S,
    FLOOR_STEADY_SPAN_DB,
    band_floor_db,
    floor_coefficients,
    new_floor_state,
    track_band_floor,
)
from hance_plugin.kernels.masks import apply_hybrid_mask, band_energy_db
from hance_plugin.stft import istft, stft

HOP_S = 0.01


def _reference(band_db: np.ndarray, hop_s: float) -> np.ndarray:
    """The recurrence of the module docstring, written out in plain Python (float64)."""
    alpha, rise, steady_frames = floor_coefficients(hop_s)
    c, t, b = band_db.shape
    out = np.empty((c, t, b))
    silent = (band_db < FLOOR_SILENCE_DB).all(axis=2)  # (C, T): digital silence in every band
    for ci in range(c):
        for bi in range(b):
            p_s = n = None
            run = []  # the current steady run's smoothed levels
            for ti in range(t):
                if silent[ci, ti]:  # held, not tracked
                    out[ci, ti, bi] = band_db[ci, ti, bi] if n is None else n
                    continue
                p = 10.0 ** (band_db[ci, ti, bi] / 10.0)
                p_s = p if p_s is None else alpha * p_s + (1 - alpha) * p
                s = 10.0 * math.log10(p_s)
                n = s if n is None else min(s, n + rise)
                if s - n > FLOOR_STEADY_GAP_DB:  # a steady run: within the span, far above the floor
                    run = run + [s] if run and max(run + [s]) - min(run + [s]) <= FLOOR_STEADY_SPAN_DB else [s]
                    if len(run) >= steady_frames:
                        n, run = min(run), []
                else:
                    run = []
                out[ci, ti, bi] = n
    return out


def _bands(seed: int = 0, channels: int = 2, frames: int = 400, bands: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((channels, frames, bands)) * 4.0 - 50.0
    x[:, 100:180] += 30.0  # a loud burst (speech over the floor)
    x[:, 250:] -= 12.0  # the noise drops
    return x.astype(np.float32)


def test_floor_equals_the_written_out_recurrence():
    x = _bands()
    np.testing.assert_allclose(band_floor_db(x, HOP_S), _reference(x, HOP_S), rtol=0, atol=1e-4)
    x[:, :30] = -120.0  # digital silence first (exact zeros read -120 dB), and a gap of it later
    x[0, 200:260] = -120.0
    x[1, 300:310, 2] = FLOOR_SILENCE_DB - 0.01  # one empty band in frames with content: tracked as any band
    x[1, 320:330] = FLOOR_SILENCE_DB - 0.01  # every band below the threshold: digital silence
    np.testing.assert_allclose(band_floor_db(x, HOP_S), _reference(x, HOP_S), rtol=0, atol=1e-4)


def test_empty_bands_of_low_passed_input_are_tracked_as_before():
    """A band that is empty (-120 dB) in most frames while others carry content is not digital
    silence: it follows the plain recurrence, as before the silence rule existed."""
    x = _bands(frames=300)
    x[:, :, -2:] = -120.0
    x[:, ::7, -2:] = -105.0  # a resampler's residue now and then
    plain = _reference(x, HOP_S)  # no frame is silent in every band, so the rule never applies
    np.testing.assert_allclose(band_floor_db(x, HOP_S), plain, rtol=0, atol=1e-4)
    assert plain[:, 50:, -1].max() < -110.0  # the empty band's floor sits near its own emptiness


def test_a_steady_level_far_above_the_floor_becomes_the_floor():
    """After a quiet lead-in (-90 dB) steady noise at -30 dB (±1 dB) stands 60 dB above the floor:
    after one second of it the floor jumps to its minimum, not 12 s at 5 dB/s. Speech-like input,
    swinging by 30 dB every 200 ms, never makes a steady run: the floor rises only at 5 dB/s."""
    rng = np.random.default_rng(4)
    steady_frames = int(round(FLOOR_STEADY_S / HOP_S))
    x = np.concatenate([np.full((1, 100, 2), -90.0), -30.0 + rng.uniform(-1, 1, (1, 300, 2))], axis=1).astype(np.float32)
    floor = band_floor_db(x, HOP_S)
    np.testing.assert_allclose(floor, _reference(x, HOP_S), atol=1e-4)
    settle = 100 + 10  # the smoothing's rise time before the level is steady
    assert floor[0, settle + steady_frames - 20, 0] < -70.0  # still low just before the run completes
    assert floor[0, settle + steady_frames + 20 :].min() > -33.0  # at the noise after it
    swing = np.where((np.arange(400) // 20) % 2 == 0, -15.0, -45.0)[None, :, None].repeat(2, axis=2)  # 200-ms syllables
    swing = np.concatenate([np.full((1, 100, 2), -90.0), swing[:, :300]], axis=1).astype(np.float32)
    slow = band_floor_db(swing, HOP_S)
    np.testing.assert_allclose(slow, _reference(swing, HOP_S), atol=1e-4)
    assert np.diff(slow[0, 100:], axis=0).max() <= FLOOR_RISE_DB_PER_S * HOP_S + 1e-4


def test_digital_silence_does_not_move_the_floor():
    """Zeros before a stream (every band silent) report their own level and leave the tracker
    unstarted; a gap of zeros inside it holds the floor, so what follows is tracked as if the gap
    were cut out."""
    x = _bands(frames=300)
    silence = np.full((2, 40, x.shape[2]), -120.0, np.float32)
    lead = band_floor_db(np.concatenate([silence, x], axis=1), HOP_S)
    np.testing.assert_array_equal(lead[:, :40], silence)
    np.testing.assert_array_equal(lead[:, 40:], band_floor_db(x, HOP_S))
    gapped = band_floor_db(np.concatenate([x[:, :150], silence, x[:, 150:]], axis=1), HOP_S)
    whole = band_floor_db(x, HOP_S)
    np.testing.assert_array_equal(gapped[:, :150], whole[:, :150])
    np.testing.assert_array_equal(gapped[:, 150:190], np.repeat(whole[:, 149:150], 40, axis=1))
    np.testing.assert_array_equal(gapped[:, 190:], whole[:, 150:])
    # the level just above the threshold is tracked: only digital silence is skipped
    quiet = np.full((1, 200, 1), FLOOR_SILENCE_DB + 0.5, np.float32)
    np.testing.assert_allclose(band_floor_db(np.concatenate([x[:1, :50, :1], quiet], axis=1), HOP_S)[0, -1, 0],
                               FLOOR_SILENCE_DB + 0.5, atol=0.05)


def test_floor_falls_at_once_and_rises_at_most_the_rise_rate():
    x = _bands()
    floor = band_floor_db(x, HOP_S).astype(np.float64)
    rise = FLOOR_RISE_DB_PER_S * HOP_S
    steps = np.diff(floor, axis=1)
    assert steps.max() <= rise + 1e-4
    # through the burst it creeps up by the rise rate only, far below the burst itself
    assert floor[:, 179].max() < floor[:, 99].max() + 80 * rise + 1e-3
    assert floor[:, 179].max() < x[:, 100:180].min() + 10
    # after the drop the floor is back near the new noise level within a second
    settled = floor[:, 350:].mean()
    assert abs(settled - x[:, 350:].mean()) < 6.0
    # never above the smoothed level it tracks: a constant input is its own floor
    const = np.full((1, 50, 3), -30.0, np.float32)
    np.testing.assert_allclose(band_floor_db(const, HOP_S), -30.0, atol=1e-4)


def _tracked_in_pieces(x: np.ndarray, edges: list[int]) -> np.ndarray:
    """The floor of ``x`` (C, T, B) tracked block by block, blocks ``x[:, edges[i]:edges[i + 1]]``."""
    state = new_floor_state(x.shape[0], x.shape[2])
    out = np.empty_like(x)
    for a, b in zip(edges[:-1], edges[1:]):
        track_band_floor(x[:, a:b], *state, *floor_coefficients(HOP_S), out[:, a:b])
    return out


@pytest.mark.parametrize("sizes", [[1], [7], [64], [1, 2, 3, 97], [400]])
@pytest.mark.parametrize("channels", [1, 2])
def test_floor_is_identical_for_every_partition(sizes, channels):
    x = _bands(channels=channels)
    edges = [0]
    while edges[-1] < x.shape[1]:
        edges.append(min(x.shape[1], edges[-1] + sizes[(len(edges) - 1) % len(sizes)]))
    np.testing.assert_array_equal(_tracked_in_pieces(x, edges), band_floor_db(x, HOP_S))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=6), seed=st.integers(0, 2**16))
def test_floor_block_invariance_property(cuts, seed):
    x = _bands(seed=seed, frames=300)
    np.testing.assert_array_equal(_tracked_in_pieces(x, [0, *sorted(cuts), 300]), band_floor_db(x, HOP_S))


def test_floor_coefficients_refuse_bad_settings():
    alpha, rise, steady_frames = floor_coefficients(0.01)
    assert alpha == pytest.approx(math.exp(-0.01 / FLOOR_SMOOTHING_S)) and rise == pytest.approx(0.05)
    assert steady_frames == pytest.approx(FLOOR_STEADY_S / 0.01)
    for bad in [(0.0, 0.08, 5.0), (0.01, 0.0, 5.0), (0.01, 0.08, -1.0), (0.01, float("nan"), 5.0)]:
        with pytest.raises(ValueError):
            floor_coefficients(*bad)


# --- through the estimator and the engine --------------------------------------------------------
def _offline(x: np.ndarray, cfg: StftConfig) -> np.ndarray:
    """What the floor-probe model should do to ``x`` (C, n), computed without the engine."""
    spec = stft(x, cfg)
    bands = np.zeros(spec.shape[:2] + (cfg.n_bands,), np.float32)
    band_energy_db(spec, cfg.band_edges.astype(np.int64), bands)
    floor = band_floor_db(bands, cfg.hop_samples / cfg.sample_rate_hz)
    g = cfg.n_high_gains
    gains = np.exp(-0.05 * (bands - floor)[..., -g:]).astype(np.float32)
    mask = np.zeros(spec.shape[:2] + (cfg.split_bin, 2), np.float32)
    mask[..., 0] = 1.0
    apply_hybrid_mask(spec, mask, gains, *cfg.high_interpolation(), np.float32(0.0))
    return istft(spec, x.shape[1], cfg)


@pytest.mark.parametrize("block", [1, 480, 1000, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_engine_feeds_the_tracked_floor(tmp_path, block, channels):
    card = ModelCard.load(floor_probe_model(tmp_path / "probe.onnx"))
    est = OnnxMaskEstimator(card)
    assert est.feature_inputs == ("spec_low", "band_db", "band_floor_db")
    assert est.noise_floor_settings == {"smoothing_s": FLOOR_SMOOTHING_S, "rise_db_per_s": FLOOR_RISE_DB_PER_S}
    engine = StreamingEngine(card.stft, est, channels)
    cfg = card.stft
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((channels, 30000)) * 0.05).astype(np.float32)
    x[:, 9000:15000] *= 8.0  # a loud stretch: the gains above the split fall, then recover
    padded = np.concatenate([x, np.zeros((channels, cfg.latency_samples), np.float32)], axis=1)
    for _ in range(2):  # _run_partitioned resets first: the second pass checks that reset() restarts the floor
        y = _run_partitioned(engine, padded, [block])
        np.testing.assert_allclose(y[:, cfg.latency_samples :], _offline(x, cfg), atol=2e-5)


def test_denoiser_runs_a_floor_model_and_a_missing_card_section_is_an_error(tmp_path):
    path = floor_probe_model(tmp_path / "probe.onnx")
    d = Denoiser(model=str(path))
    x = (np.random.default_rng(0).standard_normal((2, 24000)) * 0.1).astype(np.float32)
    np.testing.assert_allclose(d.process(x, 48000, buffer_size=333, reset=True), d.process(x, 48000, reset=True),
                               atol=1e-6)
    for section, match in [({}, "needs a 'noise_floor' section"),
                           ({"smoothing_s": 0.08}, "needs numbers"),
                           ({"smoothing_s": -1.0, "rise_db_per_s": 5.0}, "smoothing_s > 0")]:
        bad = floor_probe_model(tmp_path / "bad.onnx", card_floor=section)
        with pytest.raises(ValueError, match=match):
            OnnxMaskEstimator(ModelCard.load(bad))
    est = OnnxMaskEstimator(ModelCard.load(path))
    est.reset(1)
    cfg = StftConfig()
    with pytest.raises(ValueError, match="pass band_floor_db"):
        est.run(np.zeros((1, 1, cfg.split_bin, 2), np.float32), np.zeros((1, 1, cfg.n_bands), np.float32))
