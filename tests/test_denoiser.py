"""The Denoiser plugin: pedalboard contract, latency at every rate, bad input, parameters."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hance_plugin import Denoiser

RATES = [16000, 44100, 48000, 96000]


def _impulse(channels: int, n: int, at: int) -> np.ndarray:
    x = np.zeros((channels, n), np.float32)
    x[:, at] = 0.5
    return x


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("channels", [1, 2])
def test_impulse_latency_streaming_and_one_shot(identity_model, sample_rate, channels):
    d = Denoiser(identity_model)
    latency = d.get_latency_samples(sample_rate)
    n = latency + sample_rate // 4
    at = 1234
    x = _impulse(channels, n, at)
    one_shot = d.process(x, sample_rate)
    assert one_shot.shape == x.shape
    d.reset()
    streamed = np.concatenate([d.process(x[:, i : i + 1000], sample_rate, reset=False) for i in range(0, n, 1000)], axis=1)
    assert d.reported_latency_samples == latency
    for ch in range(channels):
        assert int(np.argmax(np.abs(one_shot[ch]))) == at
        assert int(np.argmax(np.abs(streamed[ch]))) == at + latency
    # the stream is exactly the one-shot output delayed by the reported latency
    np.testing.assert_allclose(streamed[:, latency:], one_shot[:, : n - latency], atol=1e-6)
    np.testing.assert_allclose(streamed[:, :latency], 0.0, atol=1e-6)


def test_latency_at_48k_is_one_window(identity_model):
    d = Denoiser(identity_model)
    assert d.get_latency_samples(48000) == d.card.stft.window_samples == 960
    assert d.reported_latency_samples == 960


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_identity_model_preserves_signal(identity_model, sample_rate):
    rng = np.random.default_rng(0)
    t = np.arange(sample_rate) / sample_rate
    x = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 3000 * t)]).astype(np.float32) * 0.5
    if sample_rate == 48000:  # no resampling: exact reconstruction, any content
        x += 0.01 * rng.standard_normal(x.shape).astype(np.float32)
        np.testing.assert_allclose(Denoiser(identity_model)(x, sample_rate), x, atol=1e-5)
    else:  # the resampling round trip is transparent in band (away from the abrupt edges)
        y = Denoiser(identity_model)(x, sample_rate)
        np.testing.assert_allclose(y[:, 2000:-2000], x[:, 2000:-2000], atol=2e-3)


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_mix_zero_returns_input_exactly(rotating_model, sample_rate):
    x = np.random.default_rng(1).uniform(-1, 1, (2, 20000)).astype(np.float32)
    d = Denoiser(rotating_model, mix=0.0)
    np.testing.assert_allclose(d(x, sample_rate), x, atol=1e-7)
    d.reset()
    latency = d.get_latency_samples(sample_rate)
    y = d.process(x, sample_rate, reset=False)
    np.testing.assert_allclose(y[:, latency:], x[:, :-latency], atol=1e-7)


def test_attenuation_limit_bounds_suppression(rotating_model):
    """The rotating model applies gain 0.25 (-12 dB) above 6 kHz; a 6 dB limit caps it."""
    sr = 48000
    t = np.arange(sr) / sr
    x = (0.5 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32)[None]
    rms = lambda a: np.sqrt(np.mean(a[:, 2000:-2000] ** 2))  # noqa: E731
    full = Denoiser(rotating_model)(x, sr)
    limited = Denoiser(rotating_model, attenuation_limit_db=6.0)(x, sr)
    bypass = Denoiser(rotating_model, attenuation_limit_db=0.0)(x, sr)
    assert 20 * np.log10(rms(full) / rms(x)) == pytest.approx(-12.04, abs=0.1)
    lim = 10 ** (-6 / 20)
    assert 20 * np.log10(rms(limited) / rms(x)) == pytest.approx(20 * np.log10(lim + (1 - lim) * 0.25), abs=0.1)
    np.testing.assert_allclose(bypass, x, atol=1e-5)


@pytest.mark.parametrize("beta", [0.02, 0.3])
def test_post_filter_deepens_low_gains_only(rotating_model, beta):
    """Gain 0.25 above 6 kHz goes down by Valin's post-filter (then the limit applies); the complex
    mask below (magnitude 1.2, phase 0.5 rad) is left exactly as it is."""
    sr = 48000
    t = np.arange(sr) / sr
    rms = lambda a: np.sqrt(np.mean(a[:, 4000:-4000] ** 2))  # noqa: E731
    pf = (1 + beta) * 0.25 / (1 + beta / np.sin(np.pi * 0.25 / 2) ** 2)
    high = (0.5 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32)[None]
    y = Denoiser(rotating_model, post_filter_beta=beta)(high, sr)
    assert 20 * np.log10(rms(y) / rms(high)) == pytest.approx(20 * np.log10(pf), abs=0.1)
    lim = 10 ** (-6 / 20)
    y = Denoiser(rotating_model, post_filter_beta=beta, attenuation_limit_db=6.0)(high, sr)
    assert 20 * np.log10(rms(y) / rms(high)) == pytest.approx(20 * np.log10(lim + (1 - lim) * pf), abs=0.1)
    low = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[None]
    seg = slice(4000, -4000)  # the sine's onset and end spread into the high band, which the filter does change
    np.testing.assert_allclose(Denoiser(rotating_model, post_filter_beta=beta)(low, sr)[:, seg],
                               Denoiser(rotating_model)(low, sr)[:, seg], atol=1e-6)


def test_pause_post_filter_acts_in_pauses_only(rotating_model):
    """The rotating model keeps a 12 kHz tone at gain 0.25 (-12 dB kept): a pause to the degree
    (-10 - -12) / 10 = 0.2, so it gets the post-filter at beta 0.2 * pause_post_filter_beta. A 1 kHz
    tone is kept at +1.6 dB (mask 1.2): speech, left exactly as without the pause post-filter."""
    sr = 48000
    t = np.arange(sr) / sr
    rms = lambda a: np.sqrt(np.mean(a[:, 4000:-4000] ** 2))  # noqa: E731
    high = (0.5 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32)[None]
    beta = 0.2 * 1.0
    pf = (1 + beta) * 0.25 / (1 + beta / np.sin(np.pi * 0.25 / 2) ** 2)
    y = Denoiser(rotating_model, pause_post_filter_beta=1.0)(high, sr)
    assert 20 * np.log10(rms(y) / rms(high)) == pytest.approx(20 * np.log10(pf), abs=0.1)
    # with the everywhere post-filter too, the strengths add
    beta = 0.05 + 0.2 * 0.5
    pf = (1 + beta) * 0.25 / (1 + beta / np.sin(np.pi * 0.25 / 2) ** 2)
    y = Denoiser(rotating_model, post_filter_beta=0.05, pause_post_filter_beta=0.5)(high, sr)
    assert 20 * np.log10(rms(y) / rms(high)) == pytest.approx(20 * np.log10(pf), abs=0.1)
    low = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[None]
    seg = slice(4000, -4000)
    np.testing.assert_array_equal(Denoiser(rotating_model, pause_post_filter_beta=1.0)(low, sr)[:, seg],
                                  Denoiser(rotating_model)(low, sr)[:, seg])


def _in_blocks(d: Denoiser, x: np.ndarray, rate: int, sizes: list[int]) -> np.ndarray:
    """``x`` through ``d`` as one stream (reset=False) in blocks of ``sizes`` samples, cycled."""
    parts, start, i = [], 0, 0
    while start < x.shape[1]:
        stop = min(x.shape[1], start + sizes[i % len(sizes)])
        parts.append(d.process(x[:, start:stop], rate, reset=False))
        start, i = stop, i + 1
    return np.concatenate(parts, axis=1)


def _tone_bursts(n: int) -> np.ndarray:
    """1 kHz bursts ("speech", kept) alternating with a quiet 12 kHz tone ("pauses", cut), 2 channels."""
    t = np.arange(n) / 48000
    on = (np.floor(t / 0.13) % 2 == 0).astype(np.float32)
    x = on * 0.3 * np.sin(2 * np.pi * 1000 * t) + (1 - on) * 0.05 * np.sin(2 * np.pi * 12000 * t)
    return np.stack([x, x[::-1]]).astype(np.float32)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=20000), min_size=1, max_size=8))
def test_pause_post_filter_is_block_size_invariant(rotating_model, sizes):
    x = _tone_bursts(40000)
    d = Denoiser(rotating_model, pause_post_filter_beta=1.0)
    reference = d.process(x, 48000, reset=False)
    assert np.abs(reference - Denoiser(rotating_model)(x, 48000)).max() > 1e-3  # the pauses are filtered
    d.reset()
    np.testing.assert_array_equal(_in_blocks(d, x, 48000, sizes), reference)


def test_complex_mask_is_unbounded_and_rotates_phase(rotating_model):
    sr = 48000
    t = np.arange(sr) / sr
    x = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[None]
    y = Denoiser(rotating_model)(x, sr)
    seg = slice(4000, -4000)
    assert np.sqrt(np.mean(y[:, seg] ** 2)) / np.sqrt(np.mean(x[:, seg] ** 2)) == pytest.approx(1.2, rel=1e-3)
    analytic = np.fft.rfft(x[0, seg]), np.fft.rfft(y[0, seg])
    k = int(np.argmax(np.abs(analytic[0])))
    assert np.angle(analytic[1][k] / analytic[0][k]) == pytest.approx(0.5, abs=1e-2)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=44100), min_size=1, max_size=8))
def test_streaming_is_block_size_invariant_at_44k(stateful_model_path, sizes):
    rng = np.random.default_rng(3)
    x = (0.1 * rng.standard_normal((2, 30000))).astype(np.float32)
    d = Denoiser(stateful_model_path)
    reference = d.process(x, 44100, reset=False)
    d.reset()
    np.testing.assert_array_equal(_in_blocks(d, x, 44100, sizes), reference)


@pytest.mark.parametrize("buffer_size", [1, 480, 4096, 8192, 10**7])
def test_buffer_size_never_changes_output(stateful_model_path, buffer_size):
    x = (0.1 * np.random.default_rng(4).standard_normal((2, 20000))).astype(np.float32)
    d = Denoiser(stateful_model_path)
    np.testing.assert_array_equal(d(x, 48000, buffer_size=buffer_size), d(x, 48000))


@pytest.mark.parametrize(
    "shape, expected",
    [((1000,), (1000,)), ((2, 1000), (2, 1000)), ((1000, 2), (1000, 2)), ((1, 1000), (1, 1000)), ((0,), (0,)), ((2, 0), (2, 0)), ((1,), (1,))],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layouts_and_dtypes_like_pedalboard(identity_model, shape, expected, dtype):
    x = np.random.default_rng(5).uniform(-0.5, 0.5, shape).astype(dtype)
    y = Denoiser(identity_model)(x, 48000)
    assert y.shape == expected and y.dtype == np.float32
    if x.size:
        assert np.all(np.isfinite(y))
        np.testing.assert_allclose(y, x.astype(np.float32), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.uint8, np.complex64, bool])
def test_integer_audio_raises_pedalboards_type_error(identity_model, dtype):
    with pytest.raises(TypeError, match="only supports 32-bit and 64-bit floating point"):
        Denoiser(identity_model)(np.zeros((2, 100), dtype=dtype), 48000)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_raises_clear_error(identity_model, bad):
    x = np.zeros((2, 1000), np.float32)
    x[1, 10] = bad
    with pytest.raises(ValueError, match="non-finite sample.*channel 1, sample 10"):
        Denoiser(identity_model)(x, 48000)


@pytest.mark.parametrize(
    "array, error",
    [(np.zeros((2, 3, 100), np.float32), ValueError), ([0.0, 0.1], TypeError), (np.zeros((0, 0), np.float32), ValueError)],
)
def test_bad_arrays(identity_model, array, error):
    with pytest.raises(error):
        Denoiser(identity_model)(array, 48000)


@pytest.mark.parametrize(
    "rate, error", [("48000", TypeError), (None, TypeError), (True, TypeError), (0, ValueError), (-44100, ValueError), (float("nan"), ValueError), (float("inf"), ValueError)]
)
def test_bad_sample_rates(identity_model, rate, error):
    with pytest.raises(error, match="sample_rate"):
        Denoiser(identity_model)(np.zeros(100, np.float32), rate)


def test_numpy_scalar_rates_are_accepted(identity_model):
    x = np.zeros((1, 100), np.float32)
    assert Denoiser(identity_model)(x, np.int64(48000)).shape == x.shape
    assert Denoiser(identity_model)(x, np.float32(44100.0)).shape == x.shape


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"attenuation_limit_db": -1}, ValueError, "attenuation_limit_db"),
        ({"attenuation_limit_db": 101}, ValueError, "attenuation_limit_db"),
        ({"attenuation_limit_db": float("nan")}, ValueError, "attenuation_limit_db"),
        ({"attenuation_limit_db": "12"}, TypeError, "attenuation_limit_db"),
        ({"mix": 1.5}, ValueError, "mix"),
        ({"post_filter_beta": -0.01}, ValueError, "post_filter_beta"),
        ({"post_filter_beta": 1.5}, ValueError, "post_filter_beta"),
        ({"post_filter_beta": float("inf")}, ValueError, "post_filter_beta"),
        ({"post_filter_beta": True}, TypeError, "post_filter_beta"),
        ({"pause_post_filter_beta": -0.01}, ValueError, "pause_post_filter_beta"),
        ({"pause_post_filter_beta": 1.5}, ValueError, "pause_post_filter_beta"),
        ({"pause_post_filter_beta": float("nan")}, ValueError, "pause_post_filter_beta"),
        ({"speech_guard_db": -1.0}, ValueError, "speech_guard_db"),
        ({"speech_guard_db": 101}, ValueError, "speech_guard_db"),
        ({"speech_guard_db": float("nan")}, ValueError, "speech_guard_db"),
        ({"speech_guard_db": "20"}, TypeError, "speech_guard_db"),
        ({"speech_guard_db": True}, TypeError, "speech_guard_db"),
        ({"num_threads": 0}, ValueError, "num_threads"),
        ({"resampler_quality": "best"}, ValueError, "resampler_quality"),
        ({"model": "no-such-model"}, ValueError, "unknown model"),
    ],
)
def test_parameter_validation(identity_model, kwargs, error, match):
    kwargs = {"model": identity_model, **kwargs}
    with pytest.raises(error, match=match):
        Denoiser(**kwargs)


def test_missing_model_file_and_card(tmp_path, identity_model):
    with pytest.raises(FileNotFoundError, match="model file not found"):
        Denoiser(tmp_path / "nope.onnx")
    lone = tmp_path / "lone.onnx"
    lone.write_bytes(identity_model.read_bytes())
    with pytest.raises(FileNotFoundError, match="model card not found"):
        Denoiser(lone)


def test_bad_buffer_size_and_reset(identity_model):
    d = Denoiser(identity_model)
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="buffer_size"):
            d(np.zeros(10, np.float32), 48000, buffer_size=bad)
    with pytest.raises(TypeError, match="reset"):
        d(np.zeros(10, np.float32), 48000, reset="yes")


def test_stream_cannot_change_rate_or_channels_without_reset(identity_model):
    d = Denoiser(identity_model)
    d.process(np.zeros((2, 100), np.float32), 48000, reset=False)
    with pytest.raises(ValueError, match="cannot continue a stream"):
        d.process(np.zeros((2, 100), np.float32), 44100, reset=False)
    with pytest.raises(ValueError, match="cannot continue a stream"):
        d.process(np.zeros((1, 100), np.float32), 48000, reset=False)
    assert d.process(np.zeros((1, 100), np.float32), 44100, reset=True).shape == (1, 100)


@pytest.mark.parametrize("rate, channels", [(44100, 1), (48000, 1), (16000, 2)])
def test_reset_ends_the_stream_so_the_next_may_differ(identity_model, rate, channels):
    """After reset() a reset=False call starts a new stream at any rate and channel count, and
    streams exactly what a fresh Denoiser streams (a batch loop reusing one chain needs this)."""
    x = np.random.default_rng(3).uniform(-0.5, 0.5, (channels, 3000)).astype(np.float32)
    d = Denoiser(identity_model)
    d.process(np.random.default_rng(4).uniform(-0.5, 0.5, (2, 5000)).astype(np.float32), 48000, reset=False)
    d.reset()
    got = np.concatenate([d.process(x[:, i : i + 700], rate, reset=False) for i in range(0, 3000, 700)], axis=1)
    fresh = Denoiser(identity_model)
    want = np.concatenate([fresh.process(x[:, i : i + 700], rate, reset=False) for i in range(0, 3000, 700)], axis=1)
    np.testing.assert_allclose(got, want, atol=0)
    assert d.reported_latency_samples == fresh.reported_latency_samples


def test_pickled_streaming_denoiser_starts_a_new_stream(identity_model):
    d = Denoiser(identity_model)
    d.process(np.zeros((2, 100), np.float32), 48000, reset=False)
    clone = pickle.loads(pickle.dumps(d))
    assert clone.process(np.zeros((1, 100), np.float32), 44100, reset=False).shape == (1, 100)


def test_big_endian_float32_is_audio(identity_model):
    x = np.random.default_rng(6).uniform(-0.5, 0.5, (2, 2000)).astype(np.float32)
    want = Denoiser(identity_model)(x, 48000)
    got = Denoiser(identity_model)(x.astype(">f4"), 48000)
    assert got.dtype == np.float32 and got.dtype.isnative
    np.testing.assert_allclose(got, want, atol=0)


@pytest.mark.parametrize("rate, hint", [(48, "did you mean 48000 Hz"), (44.1, "did you mean 44100 Hz"), (1, ""), (7999, ""), (1e6, "")])
def test_sample_rates_outside_the_resamplable_range(identity_model, rate, hint):
    d = Denoiser(identity_model)
    with pytest.raises(ValueError, match="between 8000 and 768000 Hz") as info:
        d(np.zeros(100, np.float32), rate)
    assert hint in str(info.value)
    with pytest.raises(ValueError, match="between 8000 and 768000 Hz"):
        d.get_latency_samples(rate)
    assert d(np.zeros(100, np.float32), 8000).shape == (100,)


def test_numpy_integer_num_threads(identity_model):
    assert Denoiser(identity_model, num_threads=np.int64(2)).num_threads == 2


def test_repr_and_properties(identity_model):
    d = Denoiser(identity_model, attenuation_limit_db=18, mix=0.8, post_filter_beta=0.02)
    assert repr(d).startswith(
        '<hance_plugin.Denoiser model="identity" attenuation_limit_db=18 mix=0.8 post_filter_beta=0.02 '
        'pause_post_filter_beta=0 level_normalization=False at 0x')
    d.mix = 0.5
    d.attenuation_limit_db = 30
    d.post_filter_beta = 0.1
    d.pause_post_filter_beta = 0.4
    assert (d.mix, d.attenuation_limit_db, d.post_filter_beta, d.pause_post_filter_beta) == (0.5, 30.0, 0.1, 0.4)
    with pytest.raises(ValueError):
        d.mix = -0.1
    with pytest.raises(ValueError):
        d.post_filter_beta = 2.0
    assert d.speech_guard_db is None and "speech_guard_db" not in repr(d)  # off by default
    d.speech_guard_db = np.float32(25)
    assert d.speech_guard_db == 25.0 and type(d.speech_guard_db) is float and "speech_guard_db=25 at 0x" in repr(d)
    d.speech_guard_db = None
    assert d.speech_guard_db is None


def test_pickle_round_trip_mid_stream(stateful_model_path):
    d = Denoiser(stateful_model_path, attenuation_limit_db=20, post_filter_beta=0.05, pause_post_filter_beta=0.3)
    x = (0.1 * np.random.default_rng(6).standard_normal((1, 9600))).astype(np.float32)
    d.process(x, 48000, reset=False)
    clone = pickle.loads(pickle.dumps(d))
    assert clone.attenuation_limit_db == 20 and clone.model == d.model and clone.post_filter_beta == 0.05
    assert clone.pause_post_filter_beta == 0.3
    assert clone.speech_guard_db is None
    old = d.__getstate__()
    del old["_speech_guard_db"]  # a Denoiser pickled before the speech guard existed
    restored = Denoiser.__new__(Denoiser)
    restored.__setstate__(old)
    assert restored.speech_guard_db is None
    np.testing.assert_array_equal(clone(x, 48000), d(x, 48000))


def test_cannot_be_hosted_by_native_pedalboard(identity_model):
    import pedalboard

    with pytest.raises(TypeError):
        pedalboard.Pedalboard([Denoiser(identity_model)])


def test_product_never_imports_torch(identity_model):
    code = (
        "import sys, numpy as np; from hance_plugin import Denoiser; "
        f"Denoiser(r'{identity_model}')(np.zeros((1, 4800), np.float32), 44100); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _guard_bursts(n: int) -> np.ndarray:
    """Quiet steady noise with loud 1 kHz bursts on top, 2 channels (bands far above the floor)."""
    rng = np.random.default_rng(8)
    t = np.arange(n) / 48000
    on = (np.floor(t / 0.13) % 2 == 1)
    x = 0.002 * rng.standard_normal((2, n)) + on * 0.3 * np.sin(2 * np.pi * 1000 * t)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def cutting_model(tmp_path_factory):
    """Keeps almost nothing: mask 0.05·e^{j·0.5} below the split, gain 0.02 above."""
    import cmath

    from onnx_models import constant_model

    return constant_model(tmp_path_factory.mktemp("guard") / "cutting.onnx", mask=0.05 * cmath.exp(0.5j), gain=0.02,
                          name="cutting")


def test_speech_guard_keeps_what_towers_over_the_floor(cutting_model):
    """A model that cuts everything by 26 dB: with the guard, the loud bursts (40 dB over the floor)
    come through nearly whole, the steady noise between them stays cut; off, all is cut."""
    x = _guard_bursts(48000)
    seg = slice(9600, -4800)
    burst = (np.floor(np.arange(48000) / 48000 / 0.13) % 2 == 1)[seg]
    rms = lambda a, sel: float(np.sqrt(np.mean(a[:, seg][:, sel] ** 2)))  # noqa: E731
    off = Denoiser(cutting_model)(x, 48000)
    on = Denoiser(cutting_model, speech_guard_db=20.0)(x, 48000)
    assert 20 * np.log10(rms(off, burst) / rms(x, burst)) < -20
    assert 20 * np.log10(rms(on, burst) / rms(x, burst)) > -1.5
    pause = np.convolve(burst, np.ones(4800), "same") == 0  # 50 ms clear of any burst
    assert 20 * np.log10(rms(on, pause) / rms(x, pause)) < -20
    # a limit still bounds the attenuation, and the mix is the same dry/wet mix
    lim = Denoiser(cutting_model, speech_guard_db=20.0, attenuation_limit_db=6.0)(x, 48000)
    assert 20 * np.log10(rms(lim, pause) / rms(x, pause)) == pytest.approx(-6.0, abs=0.5)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=20000), min_size=1, max_size=8),
       rate=st.sampled_from([48000, 44100]))
def test_speech_guard_is_block_size_invariant(cutting_model, sizes, rate):
    x = _guard_bursts(30000)
    d = Denoiser(cutting_model, speech_guard_db=15.0)
    reference = d.process(x, rate, reset=False)
    assert np.abs(reference - Denoiser(cutting_model)(x, rate)).max() > 1e-2  # the guard acts
    d.reset()
    np.testing.assert_array_equal(_in_blocks(d, x, rate, sizes), reference)
