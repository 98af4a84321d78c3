"""The real Denoiser inside hance_plugin.Pedalboard, next to real VST3 plugins (zam-plugins)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest

from hance_plugin import Denoiser, Pedalboard

MAXIMIZER = Path("/usr/lib/vst3/ZaMaximX2.vst3")  # reports 480 samples latency
COMPRESSOR = Path("/usr/lib/vst3/ZamCompX2.vst3")

pytestmark = pytest.mark.skipif(not MAXIMIZER.exists(), reason="zam-plugins not installed (apt-get install zam-plugins)")


@pytest.fixture(scope="module")
def vst3():
    maxim = pedalboard.load_plugin(str(MAXIMIZER))
    comp = pedalboard.load_plugin(str(COMPRESSOR))
    assert maxim.reported_latency_samples == 480
    return maxim, comp


def _speechlike(channels: int, seconds: float, rate: int, noise: bool = True) -> np.ndarray:
    rng = np.random.default_rng(11)
    t = np.arange(int(seconds * rate)) / rate
    voiced = sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 12)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    x = 0.2 * voiced + (0.03 * rng.standard_normal((channels, t.shape[0])) if noise else 0.0)
    return np.broadcast_to(x, (channels, t.shape[0])).astype(np.float32)


def _stream(board, x, rate, sizes, buffer_size):
    board.reset()
    parts, start, i = [], 0, 0
    while start < x.shape[1]:
        stop = min(x.shape[1], start + sizes[i % len(sizes)])
        parts.append(board.process(x[:, start:stop], rate, buffer_size=buffer_size, reset=False))
        start, i = stop, i + 1
    parts.append(board.flush(rate))
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("sizes", [[1024], [4096], [17, 3000, 1, 9000, 480]], ids=["const1024", "const4096", "varying"])
def test_vst3_denoiser_chain_streaming_plus_flush_equals_one_shot(vst3, rate, sizes):
    maxim, comp = vst3
    board = Pedalboard([pedalboard.HighpassFilter(80), Denoiser(attenuation_limit_db=20), comp, pedalboard.Gain(3), maxim])
    x = _speechlike(2, 1.5, rate)
    one_shot = board(x, rate, buffer_size=1024)
    assert one_shot.shape == x.shape and np.all(np.isfinite(one_shot))
    streamed = _stream(board, x, rate, sizes, buffer_size=1024)
    np.testing.assert_allclose(streamed, one_shot, atol=1e-6)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_bypassed_denoiser_chain_matches_plain_pedalboard(vst3, rate):
    """With the denoiser bypassed (0 dB attenuation limit) the chain equals plain pedalboard."""
    maxim, comp = vst3
    natives = [pedalboard.HighpassFilter(80), comp, maxim]
    # broadband noise would differ above ~20 kHz after the 44.1 kHz soxr round trip
    x = _speechlike(2, 1.0, rate, noise=rate == 48000)
    maxim.reset()
    comp.reset()
    plain = pedalboard.Pedalboard(natives)(x, rate, buffer_size=2048)
    hosted = Pedalboard([natives[0], Denoiser(attenuation_limit_db=0.0), comp, maxim])(x, rate, buffer_size=2048)
    # bypassed: exact identity at 48 kHz, a transparent in-band soxr round trip at 44.1 kHz
    tol = 1e-5
    np.testing.assert_allclose(hosted[:, 4000:-4000], plain[:, 4000:-4000], atol=tol)


def test_chain_latency_sums_denoiser_and_vst3(vst3):
    maxim, _ = vst3
    board = Pedalboard([Denoiser(), maxim])
    assert board.get_latency_samples(48000) == 960 + 480
    x = np.zeros((2, 24000), np.float32)
    x[:, 5000] = 0.5
    y = Pedalboard([Denoiser(attenuation_limit_db=0.0), maxim])(x, 48000)
    assert int(np.argmax(np.abs(y[0]))) == 5000
