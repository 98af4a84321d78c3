"""Kernels against straightforward numpy references."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SUPPORTED_STFTS

from hance_plugin.config import StftConfig, erb_band_edges
from hance_plugin.kernels.delay import delay_mix
from hance_plugin.kernels.masks import apply_hybrid_mask, band_energy_db, pause_weights, post_filter_factor
from hance_plugin.kernels.modified import derotation_table, inverse_modified_stft, modified_stft
from hance_plugin.kernels.windows import analysis_window, synthesis_window
from hance_plugin.stft import istft, stft


@pytest.mark.parametrize("n, hop, window", SUPPORTED_STFTS)
def test_window_pair_reconstructs(n, hop, window):
    wa = analysis_window(window, n)
    ws = synthesis_window(wa, hop)
    total = np.zeros(n + 8 * hop)
    for start in range(0, total.shape[0] - n + 1, hop):
        total[start : start + n] += wa * ws
    np.testing.assert_allclose(total[n : n + 4 * hop], 1.0, atol=1e-12)


def test_princen_bradley_windows_need_no_synthesis_correction():
    for name in ("vorbis", "sqrt_hann"):
        wa = analysis_window(name, 960)
        np.testing.assert_allclose(synthesis_window(wa, 480), wa, atol=1e-12)


@pytest.mark.parametrize("n, hop, window", SUPPORTED_STFTS)
@pytest.mark.parametrize("channels", [1, 2])
def test_stft_round_trip_float32(n, hop, window, channels):
    cfg = StftConfig(window_samples=n, hop_samples=hop, window=window)
    rng = np.random.default_rng(n + hop)
    x = rng.uniform(-1, 1, (channels, 12345)).astype(np.float32)
    y = istft(stft(x, cfg), x.shape[1], cfg)
    np.testing.assert_allclose(y, x, rtol=0, atol=1e-5 * np.abs(x).max())


def test_stft_matches_numpy_reference():
    cfg = StftConfig()
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4800).astype(np.float32)
    spec = stft(x, cfg)[0]
    wa, _ = cfg.windows()
    padded = np.concatenate([np.zeros(cfg.window_samples - cfg.hop_samples), x, np.zeros(cfg.window_samples)])
    t = 3  # frame t covers [(t+1)H - N, (t+1)H) of x
    frame = padded[t * cfg.hop_samples : t * cfg.hop_samples + cfg.window_samples]
    np.testing.assert_allclose(spec[t], np.fft.rfft(wa * frame), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n, hop", [(960, 480), (960, 240), (1024, 480), (960, 320)])
def test_derotation_table_matches_formula(n, hop):
    table = derotation_table(n, hop, n // 2 + 1)
    k = np.arange(n // 2 + 1)
    for t in (0, 1, 5, 12345):
        expected = np.exp(-2j * np.pi * k * t * hop / n)
        np.testing.assert_allclose(table[t % table.shape[0]], expected, atol=2e-6)


def test_derotation_makes_stationary_partial_phase_constant():
    cfg = StftConfig()
    k0 = 37  # bin-centred sinusoid
    n = np.arange(48000)
    x = np.cos(2 * np.pi * k0 * n / cfg.window_samples + 0.3).astype(np.float32)
    spec = stft(x, cfg)
    feat = np.zeros((1, spec.shape[1], cfg.split_bin, 2), dtype=np.float32)
    modified_stft(spec, 0, cfg.derotation_table(), np.float32(1.0), feat)
    raw_phase = np.angle(spec[0, 5:-5, k0])
    derotated_phase = np.angle(feat[0, 5:-5, k0, 0] + 1j * feat[0, 5:-5, k0, 1])
    assert np.ptp(np.unwrap(derotated_phase)) < 1e-3
    assert np.ptp(np.unwrap(raw_phase)) > 1.0  # the raw phase spins (k0 odd: pi per frame)


@pytest.mark.parametrize("compression", [0.3, 0.5, 1.0])
@pytest.mark.parametrize("n, hop", [(960, 480), (960, 240), (960, 320)])
def test_modified_stft_is_exactly_invertible(compression, n, hop):
    cfg = StftConfig(window_samples=n, hop_samples=hop)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 9600)).astype(np.float32) * 0.1
    x[:, 2000:2100] = 0.0
    spec = stft(x, cfg)
    k = cfg.n_bins
    feat = np.zeros(spec.shape + (2,), dtype=np.float32)
    t0 = 123457  # arbitrary stream position
    modified_stft(spec, t0, cfg.derotation_table(), np.float32(compression), feat)
    # compressed magnitude is |X|^c
    np.testing.assert_allclose(np.hypot(feat[..., 0], feat[..., 1]), np.abs(spec) ** compression, rtol=1e-4, atol=1e-6)
    back = np.zeros_like(spec)
    inverse_modified_stft(feat, t0, cfg.derotation_table(), np.float32(compression), back)
    np.testing.assert_allclose(back, spec, rtol=1e-4, atol=1e-4 * np.abs(spec).max())
    y = istft(back, x.shape[1], cfg)
    np.testing.assert_allclose(y, x, atol=1e-5 * np.abs(x).max() * 10)
    assert back.shape[2] == k


def _valin_pf(g, beta):
    """DeepFilterNet's ``mask_pf`` written out: (1 + b) g / (1 + b (g / (g sin(pi g / 2)))^2), on g in (0, 1]."""
    g_sin = g * np.sin(np.pi * g / 2)
    return (1 + beta) * g / (1 + beta * (g / np.maximum(g_sin, 1e-12)) ** 2)


def _reference_hybrid(spec, mask_low, gains, cfg, limit, beta=0.0):
    f = cfg.split_bin
    idx0, idx1, w = cfg.high_interpolation()
    g = (1 - w) * gains[..., idx0] + w * gains[..., idx1]
    g = np.maximum(g, 0)
    out = spec.copy()
    m = mask_low[..., 0] + 1j * mask_low[..., 1]
    if beta > 0:  # on magnitudes clipped to 1: above 1 unchanged; complex masks keep their phase
        mag = np.abs(m)
        clipped = np.clip(mag, 1e-6, 1.0)
        m = np.where(mag < 1.0, m * _valin_pf(clipped, beta) / clipped, m)
        clipped = np.clip(g, 1e-6, 1.0)
        g = np.where(g < 1.0, _valin_pf(clipped, beta), g)
    out[..., :f] *= limit + (1 - limit) * m
    out[..., f:] *= limit + (1 - limit) * g
    return out


@pytest.mark.parametrize("high_gains", ["bands", "bins"])
@pytest.mark.parametrize("limit", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("beta", [0.0, 0.02, 0.3])
def test_apply_hybrid_mask_matches_reference(high_gains, limit, beta):
    cfg = StftConfig(high_gains=high_gains)
    rng = np.random.default_rng(3)
    shape = (2, 5, cfg.n_bins)
    spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    mask_low = rng.normal(0, 2, (2, 5, cfg.split_bin, 2)).astype(np.float32)  # |M| > 1 allowed
    gains = rng.normal(0.5, 0.7, (2, 5, cfg.n_high_gains)).astype(np.float32)  # some negative
    expected = _reference_hybrid(spec, mask_low, gains, cfg, limit, beta)
    out = spec.copy()
    bad = apply_hybrid_mask(out, mask_low, gains, *cfg.high_interpolation(), np.float32(limit), np.float32(beta))
    assert bad == 0
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("beta", [0.02, 0.3])
def test_post_filter_shape(beta):
    g = np.linspace(0.0, 1.5, 301)
    f = np.array([post_filter_factor(v, beta) for v in g])
    out = g * f
    assert np.all(f <= 1.0 + 1e-12)  # never boosts
    assert np.all(f[g >= 1.0] == 1.0)  # unity and boosting gains are left alone
    assert out[0] == 0.0 and np.all(np.diff(out) >= -1e-12)  # monotone: keeps the order of gains
    assert np.all(np.diff(f[g < 1.0]) >= -1e-12)  # low gains are cut the most
    inner = (g > 0.0) & (g < 1.0)
    np.testing.assert_allclose(out[inner], _valin_pf(g[inner], beta), rtol=1e-9)
    assert post_filter_factor(0.5, 0.0) == 1.0  # beta 0 is off
    if beta == 0.02:  # the strength quoted in kernels/masks.py: about -5 dB at g = 0.1
        assert 20 * np.log10(post_filter_factor(0.1, beta)) == pytest.approx(-5.0, abs=0.1)


def _reference_pause_weights(spec, mask_low, gains, cfg, speech_db, ramp_db, rise, state):
    """The pause post-filter's weights written out with numpy, frame by frame (kernels/masks.py)."""
    idx0, idx1, w = cfg.high_interpolation()
    g_high = np.maximum((1 - w) * gains[..., idx0] + w * gains[..., idx1], 0)
    g2 = np.concatenate([mask_low[..., 0].astype(np.float64) ** 2 + mask_low[..., 1].astype(np.float64) ** 2,
                         g_high.astype(np.float64) ** 2], axis=-1)
    p = np.abs(spec.astype(np.complex128)) ** 2
    kept_db = 10 * np.log10(((g2 * p).sum(-1) + 1e-20) / (p.sum(-1) + 1e-20))
    target = np.clip((speech_db - kept_db) / ramp_db, 0, 1)
    out = np.zeros_like(target)
    for c in range(target.shape[0]):
        prev = state[c]
        for t in range(target.shape[1]):
            prev = out[c, t] = min(target[c, t], prev + rise)
    return out


def test_pause_weights_match_reference_and_carry_state():
    cfg = StftConfig()
    rng = np.random.default_rng(5)
    n_frames = 40
    spec = (rng.standard_normal((2, n_frames, cfg.n_bins)) + 1j * rng.standard_normal((2, n_frames, cfg.n_bins))).astype(np.complex64)
    # kept energy from +6 dB (boosting) to -40 dB per frame: speech, ramps and pauses
    level = rng.uniform(-2.0, 0.3, (2, n_frames, 1))
    level[:, :12] = rng.uniform(-2.0, -1.05, (2, 12, 1))  # a long pause first, so that a weight reaches 1
    mask_low = np.zeros((2, n_frames, cfg.split_bin, 2), dtype=np.float32)
    mask_low[..., 0] = 10.0 ** level
    gains = np.broadcast_to(10.0 ** level, (2, n_frames, cfg.n_high_gains)).astype(np.float32)
    args = (*cfg.high_interpolation(),)
    state = np.array([0.0, 0.7])
    expected = _reference_pause_weights(spec, mask_low, gains, cfg, -10.0, 10.0, 0.1, state.copy())
    out = np.zeros((2, n_frames), dtype=np.float32)
    pause_weights(spec, mask_low, gains, *args, state, -10.0, 10.0, 0.1, 1.0, out)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert 0.0 in out and 1.0 in out and np.any((out > 0) & (out < 1))  # the draw spans speech to pause
    np.testing.assert_allclose(state, expected[:, -1])  # the state is the last frame's weight
    # split into two calls with the state carried: the same weights
    state2 = np.array([0.0, 0.7])
    a = np.zeros((2, 17), dtype=np.float32)
    b = np.zeros((2, n_frames - 17), dtype=np.float32)
    pause_weights(spec[:, :17].copy(), mask_low[:, :17].copy(), gains[:, :17].copy(), *args, state2, -10.0, 10.0, 0.1, 1.0, a)
    pause_weights(spec[:, 17:].copy(), mask_low[:, 17:].copy(), gains[:, 17:].copy(), *args, state2, -10.0, 10.0, 0.1, 1.0, b)
    np.testing.assert_allclose(np.concatenate([a, b], axis=1), out, atol=1e-7)
    scaled = np.zeros_like(out)
    pause_weights(spec, mask_low, gains, *args, np.array([0.0, 0.7]), -10.0, 10.0, 0.1, 0.5, scaled)
    np.testing.assert_allclose(scaled, 0.5 * out, atol=1e-7)


def test_pause_weights_fall_at_once_and_rise_slowly():
    cfg = StftConfig()
    spec = np.ones((1, 30, cfg.n_bins), dtype=np.complex64)
    level = np.where(np.arange(30) < 20, 0.001, 1.0).astype(np.float32)  # 20 pause frames, then speech
    mask_low = np.zeros((1, 30, cfg.split_bin, 2), dtype=np.float32)
    mask_low[0, :, :, 0] = level[:, None]
    gains = np.repeat(level[None, :, None], cfg.n_high_gains, axis=2).astype(np.float32)
    out = np.zeros((1, 30), dtype=np.float32)
    pause_weights(spec, mask_low, gains, *cfg.high_interpolation(), np.zeros(1), -10.0, 10.0, 0.1, 1.0, out)
    np.testing.assert_allclose(out[0, :10], 0.1 * np.arange(1, 11), atol=1e-6)  # 10 frames to a full pause
    assert np.all(out[0, 10:20] == 1.0) and np.all(out[0, 20:] == 0.0)  # speech: off in its first frame


@pytest.mark.parametrize("beta", [0.0, 0.02])
def test_frame_beta_adds_to_the_post_filter_per_frame(beta):
    cfg = StftConfig()
    rng = np.random.default_rng(6)
    shape = (2, 4, cfg.n_bins)
    spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    mask_low = rng.normal(0, 0.6, (2, 4, cfg.split_bin, 2)).astype(np.float32)
    gains = rng.uniform(0, 1.2, (2, 4, cfg.n_high_gains)).astype(np.float32)
    frame_beta = np.array([[0.0, 0.3, 1.0, 0.0], [0.5, 0.0, 0.0, 0.2]], dtype=np.float32)
    out = spec.copy()
    apply_hybrid_mask(out, mask_low, gains, *cfg.high_interpolation(), np.float32(0.1), np.float32(beta), frame_beta)
    for c in range(2):
        for t in range(4):
            one = _reference_hybrid(spec[c : c + 1, t : t + 1], mask_low[c : c + 1, t : t + 1], gains[c : c + 1, t : t + 1],
                                    cfg, 0.1, beta + float(frame_beta[c, t]))
            np.testing.assert_allclose(out[c : c + 1, t : t + 1], one, rtol=1e-5, atol=1e-5)


def test_band_gains_interpolate_between_band_centres():
    cfg = StftConfig()
    idx0, idx1, w = cfg.high_interpolation()
    gains = np.arange(cfg.n_high_gains, dtype=np.float64)
    per_bin = (1 - w) * gains[idx0] + w * gains[idx1]
    assert np.all(np.diff(per_bin) >= -1e-9)  # monotone ramp for a monotone band gain
    edges = cfg.band_edges[cfg.band_edges >= cfg.split_bin]
    centre = int(round(0.5 * (edges[2] + edges[3] - 1))) - cfg.split_bin
    assert per_bin[centre] == pytest.approx(2.0, abs=0.1)


def test_nonfinite_masks_become_pass_through():
    cfg = StftConfig()
    spec = np.ones((1, 2, cfg.n_bins), dtype=np.complex64)
    mask_low = np.zeros((1, 2, cfg.split_bin, 2), dtype=np.float32)
    mask_low[0, 0, 3, 0] = np.nan
    gains = np.zeros((1, 2, cfg.n_high_gains), dtype=np.float32)
    gains[0, 1, 0] = np.inf
    bad = apply_hybrid_mask(spec, mask_low, gains, *cfg.high_interpolation(), np.float32(0.0))
    assert bad >= 2
    assert np.all(np.isfinite(spec))
    assert spec[0, 0, 3] == 1.0 and spec[0, 0, 4] == 0.0


def test_band_energy_db_matches_numpy():
    cfg = StftConfig()
    rng = np.random.default_rng(4)
    spec = (rng.standard_normal((1, 3, cfg.n_bins)) * 10).astype(np.complex64)
    out = np.zeros((1, 3, cfg.n_bands), dtype=np.float32)
    band_energy_db(spec, cfg.band_edges.astype(np.int64), out)
    e = cfg.band_edges
    ref = [10 * np.log10(np.mean(np.abs(spec[0, :, e[b] : e[b + 1]]) ** 2, axis=-1) + 1e-12) for b in range(cfg.n_bands)]
    np.testing.assert_allclose(out[0], np.stack(ref, -1), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("n_bands", [16, 24, 32, 48])
def test_erb_band_edges_cover_spectrum_with_split_edge(n_bands):
    edges = erb_band_edges(960, 48000, n_bands, split_bin=120)
    assert edges[0] == 0 and edges[-1] == 481 and 120 in edges
    assert np.all(np.diff(edges) >= 2)
    widths = np.diff(edges)
    assert widths[-1] > widths[0]  # ERB bands widen with frequency


def test_erb_band_edges_reject_impossible_layout():
    with pytest.raises(ValueError, match="cannot fit"):
        erb_band_edges(960, 48000, 200, split_bin=120)


@pytest.mark.parametrize("delay", [0, 1, 960])
def test_delay_mix(delay):
    rng = np.random.default_rng(5)
    dry = rng.standard_normal((2, 3000)).astype(np.float32)
    wet = rng.standard_normal((2, 3000)).astype(np.float32)
    ring = np.zeros((2, delay), dtype=np.float32)
    out = np.empty_like(dry)
    pos = 0
    for a, b in [(0, 7), (7, 1500), (1500, 3000)]:  # blockwise
        blk = np.empty((2, b - a), dtype=np.float32)
        pos = delay_mix(np.ascontiguousarray(dry[:, a:b]), ring, pos, np.ascontiguousarray(wet[:, a:b]), np.float32(0.25), blk)
        out[:, a:b] = blk
    delayed = np.concatenate([np.zeros((2, delay), np.float32), dry], axis=1)[:, :3000]
    np.testing.assert_allclose(out, 0.25 * wet + 0.75 * delayed, rtol=1e-6, atol=1e-6)
