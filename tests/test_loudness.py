"""Loudness stage: streaming BS.1770-4 meter (vs pyloudnorm), true peak, limiter ceiling guarantee."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
import soxr

from hance_plugin import Pedalboard
from hance_plugin.fileio import file_info, process_file
from hance_plugin.loudness import (
    LoudnessMeter,
    LoudnessNormalizer,
    LoudnessSettings,
    TruePeakLimiter,
    measure,
    normalize_array,
    plan_gain,
)


def _speechlike(rate: int, seconds: float, channels: int, seed: int = 0, level: float = 0.2) -> np.ndarray:
    """Noise bursts with a syllable-rate envelope (crest factor like speech), float32 (C, n)."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    envelope = np.abs(np.sin(2 * np.pi * 2.7 * t + rng.uniform(0, 3))) ** 3 * (np.sin(2 * np.pi * 0.31 * t) > -0.6)
    x = rng.normal(0.0, level, (channels, n)) * envelope
    return x.astype(np.float32)


def _independent_true_peak_db(x: np.ndarray, rate: int) -> float:
    """True peak by one-shot 4x VHQ soxr oversampling (independent of the streaming code)."""
    up = soxr.resample(np.ascontiguousarray(x.T, dtype=np.float64), rate, 4 * rate, "VHQ")
    return 20 * math.log10(max(np.abs(up).max(), np.abs(x).max()))


def _chunks(x: np.ndarray, rng: np.random.Generator, max_chunk: int = 20000):
    pos = 0
    while pos < x.shape[1]:
        size = int(rng.integers(1, max_chunk))
        yield x[:, pos : pos + size]
        pos += size


@pytest.mark.parametrize(
    "rate, channels, seconds",
    [(48000, 1, 6.37), (44100, 2, 4.05), (22050, 2, 2.3), (16000, 1, 0.93), (11025, 5, 3.0)],
)
def test_streaming_meter_matches_pyloudnorm_for_any_chunking(rate, channels, seconds):
    x = _speechlike(rate, seconds, channels, seed=rate)
    reference = pyloudnorm.Meter(rate).integrated_loudness(x.T.astype(np.float64))
    meter = LoudnessMeter(rate, channels)
    for chunk in _chunks(x, np.random.default_rng(1)):
        meter.add(chunk)
    stats = meter.result()
    assert stats.integrated_lufs == pytest.approx(reference, abs=1e-9)
    assert stats.num_frames == x.shape[1]
    assert stats.sample_peak_dbfs == pytest.approx(20 * math.log10(np.abs(x).max()), abs=1e-6)


def test_meter_silence_and_too_short_are_minus_infinity():
    assert measure(np.zeros((2, 48000 * 2), np.float32), 48000).integrated_lufs == -math.inf
    assert measure(np.full((1, 4800), 0.5, np.float32), 48000).integrated_lufs == -math.inf  # < 400 ms
    # a signal below the -70 LUFS absolute gate
    quiet = _speechlike(48000, 2.0, 1, level=1e-5)
    assert measure(quiet, 48000).integrated_lufs == -math.inf


def test_true_peak_finds_inter_sample_peaks():
    rate = 48000
    t = np.arange(rate) / rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.05)  # no onset overshoot
    x = (fade * np.sin(2 * np.pi * rate / 4 * t + np.pi / 4)).astype(np.float32)[None]  # samples at +-0.707
    stats = measure(x, rate)
    assert stats.sample_peak_dbfs == pytest.approx(-3.01, abs=0.01)
    assert stats.true_peak_dbtp == pytest.approx(0.0, abs=0.05)  # the waveform reaches 1.0 between samples


@pytest.mark.parametrize("signal", ["speech", "fs4_sine", "clipped_noise", "square"])
@pytest.mark.parametrize("target", [-16.0, -9.0])
def test_normalized_true_peak_never_exceeds_ceiling(signal, target):
    rate = 44100
    n = rate * 4
    t = np.arange(n) / rate
    rng = np.random.default_rng(3)
    x = {
        "speech": _speechlike(rate, 4.0, 2, seed=5, level=0.3),
        "fs4_sine": np.sin(2 * np.pi * rate / 4 * t + np.pi / 4)[None] * 0.9,
        "clipped_noise": np.clip(rng.normal(0, 0.7, (1, n)), -1, 1),
        "square": np.sign(np.sin(2 * np.pi * 997 * t))[None] * 0.9,
    }[signal].astype(np.float32)
    settings = LoudnessSettings(integrated_lufs=target, true_peak_dbtp=-1.0)
    y, report = normalize_array(x, rate, settings)
    assert y.shape == x.shape
    assert report.output.true_peak_dbtp <= -1.0
    assert _independent_true_peak_db(y, rate) <= -1.0 + 0.01  # an independent (VHQ, one-shot) check
    if target == -16.0 or signal in ("fs4_sine", "square"):  # -9 LUFS of peaky audio cannot fit under -1 dBTP
        assert report.output.integrated_lufs == pytest.approx(target, abs=0.5)


def test_limiter_output_does_not_depend_on_chunking():
    rate = 48000
    x = _speechlike(rate, 3.0, 2, seed=9, level=0.6)
    outputs = []
    for seed in (None, 1, 2):
        limiter = TruePeakLimiter(rate, 2, ceiling_db=-1.0, gain_db=6.0)
        parts = []
        chunks = [x] if seed is None else _chunks(x, np.random.default_rng(seed), 5000)
        for chunk in chunks:
            parts.append(limiter.push(chunk))
        parts.append(limiter.flush())
        outputs.append(np.concatenate(parts, axis=1))
    assert outputs[0].shape == x.shape
    assert all(np.array_equal(outputs[0], other) for other in outputs[1:])


def test_plan_gain():
    settings = LoudnessSettings(integrated_lufs=-16.0, true_peak_dbtp=-1.0, max_gain_db=10.0)
    assert plan_gain(-20.0, settings) == pytest.approx(4.0)
    assert plan_gain(-40.0, settings) == pytest.approx(10.0)  # capped
    assert plan_gain(-10.0, settings) == pytest.approx(-6.0)
    assert plan_gain(-math.inf, settings) == 0.0  # never amplify silence


def test_normalizer_in_a_chain_one_shot_and_streaming():
    rate = 48000
    x = _speechlike(rate, 3.0, 1, seed=2, level=0.05)
    stage = LoudnessNormalizer(integrated_lufs=-18.0, true_peak_dbtp=-1.5)
    board = Pedalboard([stage])
    y = board(x, rate)
    assert y.shape == x.shape
    assert measure(y, rate).integrated_lufs == pytest.approx(-18.0, abs=0.2)
    assert measure(y, rate).true_peak_dbtp <= -1.5
    # streaming needs the programme's gain first
    fresh = Pedalboard([LoudnessNormalizer(integrated_lufs=-18.0, true_peak_dbtp=-1.5)])
    with pytest.raises(ValueError, match="gain_db"):
        fresh.process(x[:, :4800], rate, reset=False)
    fresh = Pedalboard([LoudnessNormalizer(integrated_lufs=-18.0, true_peak_dbtp=-1.5, gain_db=stage.last_report.gain_db)])
    streamed = [fresh.process(x[:, i : i + 3000], rate, reset=False) for i in range(0, x.shape[1], 3000)]
    out = np.concatenate([*streamed, fresh.flush(rate)], axis=1)
    assert out.shape == x.shape
    # same gain and limiter as the first one-shot pass: identical up to float rounding
    np.testing.assert_allclose(out, y, atol=2e-6)


def test_two_pass_file_normalization(tmp_path):
    rate = 44100
    x = _speechlike(rate, 6.0, 2, seed=11, level=0.02)  # quiet: needs ~+20 dB
    source = tmp_path / "quiet.wav"
    sf.write(source, x.T, rate, subtype="PCM_16")
    board = Pedalboard([LoudnessNormalizer(integrated_lufs=-16.0, true_peak_dbtp=-1.0)])
    result = process_file(board, source, tmp_path / "loud.flac", chunk_seconds=0.37)
    info = file_info(tmp_path / "loud.flac")
    assert info["num_frames"] == x.shape[1] and info["sample_rate"] == rate and info["num_channels"] == 2
    assert info["integrated_lufs"] == pytest.approx(-16.0, abs=0.2)
    assert info["true_peak_dbtp"] <= -1.0  # after 16-bit quantization and dither, read back from the file
    assert result["loudness"]["gain_db"] > 15
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temporary files removed
