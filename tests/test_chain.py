"""Tests for hance_plugin.Pedalboard, the chain that hosts Python plugins next to native ones.

The Python plugins here are tiny exact implementations of the PythonPlugin protocol (an integer
delay line, a gain, a stateful one-pole lowpass with optional latency); they test the plumbing.
"""

from __future__ import annotations

import os

import numpy as np
import pedalboard
import pytest
from scipy.signal import lfilter

from hance_plugin import Pedalboard
from hance_plugin.protocol import PythonPlugin

MAXIMIZER_PATH = "/usr/lib/vst3/ZaMaximX2.vst3"  # reports 480 samples latency
COMPRESSOR_PATH = "/usr/lib/vst3/ZamCompX2.vst3"
MAXIMIZER_LATENCY_SAMPLES = 480

SAMPLE_RATES = [44100, 48000]
CHANNELS = [1, 2]
BUFFER_SIZES = [1000, 8192]


# ------------------------------------------------------------------------------- Python plugins
class _TestPlugin:
    """Protocol plumbing shared by the test plugins: a causal zero-latency ``_render`` followed by
    an integer delay of ``delay_ms`` (rounded to samples at the current rate), which ``reset=True``
    compensates and ``reset=False`` does not. Also asserts the host's guarantees on every call."""

    def __init__(self, delay_ms: float = 0.0) -> None:
        self.delay_ms = delay_ms
        self.sample_rate_hz = 48000.0
        self.calls: list[tuple[tuple[int, int], bool]] = []
        self._delay_line: np.ndarray | None = None

    def get_latency_samples(self, sample_rate: float) -> int:
        return int(round(self.delay_ms * sample_rate / 1000.0))

    @property
    def reported_latency_samples(self) -> int:
        return self.get_latency_samples(self.sample_rate_hz)

    def reset(self) -> None:
        self._delay_line = None
        self._clear()

    def process(self, input_array, sample_rate, buffer_size=8192, reset=True):
        x = input_array
        assert isinstance(x, np.ndarray) and x.dtype == np.float32 and x.ndim == 2
        assert x.flags.c_contiguous
        channels, samples = x.shape
        assert samples > 0 and (channels == 1 or samples > channels), x.shape  # never ambiguous
        self.calls.append((x.shape, reset))
        self.sample_rate_hz = float(sample_rate)
        if reset:
            self.reset()
            return self._render(x)
        y = self._render(x)
        if self._delay_line is None:
            self._delay_line = np.zeros((channels, self.get_latency_samples(sample_rate)), np.float32)
        line = np.concatenate([self._delay_line, y], axis=1)
        self._delay_line = line[:, samples:]
        return np.ascontiguousarray(line[:, :samples])

    def _clear(self) -> None:
        pass

    def _render(self, x: np.ndarray) -> np.ndarray:
        return x.copy()


class PyDelay(_TestPlugin):
    """A pure integer delay line: identity in one-shot mode, delay_ms late when streaming."""

    def __repr__(self) -> str:
        return f"PyDelay({self.delay_ms} ms)"


class PyGain(_TestPlugin):
    def __init__(self, gain: float, delay_ms: float = 0.0) -> None:
        super().__init__(delay_ms)
        self.gain = gain

    def _render(self, x: np.ndarray) -> np.ndarray:
        return (x * np.float32(self.gain)).astype(np.float32)


class PyOnePole(_TestPlugin):
    """Stateful one-pole lowpass y[n] = (1-a) x[n] + a y[n-1], optionally latent."""

    def __init__(self, cutoff_hz: float, delay_ms: float = 0.0) -> None:
        super().__init__(delay_ms)
        self.cutoff_hz = cutoff_hz
        self._zi: np.ndarray | None = None

    def _clear(self) -> None:
        self._zi = None

    def _render(self, x: np.ndarray) -> np.ndarray:
        a = float(np.exp(-2.0 * np.pi * self.cutoff_hz / self.sample_rate_hz))
        if self._zi is None:
            self._zi = np.zeros((x.shape[0], 1))
        y, self._zi = lfilter([1.0 - a], [1.0, -a], x.astype(np.float64), axis=1, zi=self._zi)
        return y.astype(np.float32)


# ------------------------------------------------------------------------------- fixtures/helpers
@pytest.fixture(scope="module")
def vst3_or_none():
    """The zam-plugins VST3s, loaded once per module (loading is slow-ish), or None if absent."""
    if not (os.path.exists(MAXIMIZER_PATH) and os.path.exists(COMPRESSOR_PATH)):
        return None
    plugins = {"maximizer": pedalboard.load_plugin(MAXIMIZER_PATH), "compressor": pedalboard.load_plugin(COMPRESSOR_PATH)}
    for plugin in plugins.values():
        plugin.reset()
    return plugins


@pytest.fixture
def vst3(vst3_or_none):
    if vst3_or_none is None:
        pytest.skip("zam-plugins VST3s (ZaMaximX2, ZamCompX2) are not installed")
    return vst3_or_none


def noise(channels: int, samples: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((channels, samples)) * 0.3).astype(dtype)


def chunk_sizes(kind: str, total: int, buffer_size: int, seed: int = 1) -> list[int]:
    """Partition ``total`` samples into chunks: constant (1000 or buffer_size) or varying sizes."""
    if kind == "const-1000":
        sizes = [1000] * (total // 1000 + 1)
    elif kind == "const-buffer":
        sizes = [buffer_size] * (total // buffer_size + 1)
    else:  # varying, including empty and 1-sample chunks
        rng = np.random.default_rng(seed)
        sizes = [0, 1, 3]
        while sum(sizes) < total:
            sizes.append(int(rng.integers(1, int(2.5 * buffer_size))))
            if rng.random() < 0.2:
                sizes.append(int(rng.integers(0, 3)))
    out, used = [], 0
    for size in sizes:
        size = min(size, total - used)
        out.append(size)
        used += size
    assert used == total
    return out


def _fit(sizes, total: int) -> list[int]:
    """Trim/extend a list of chunk sizes so they sum to ``total``."""
    out, used = [], 0
    for size in sizes:
        size = min(int(size), total - used)
        out.append(size)
        used += size
    if used < total:
        out.append(total - used)
    return out


def stream(board: Pedalboard, x: np.ndarray, sample_rate: float, buffer_size: int, sizes: list[int]):
    """Stream channels-first ``x`` in ``sizes`` chunks; return (concatenated output, flush tail)."""
    outs, start = [], 0
    for size in sizes:
        out = board.process(x[:, start : start + size], sample_rate, buffer_size=buffer_size, reset=False)
        start += size
        outs.append(out)
        # pedalboard semantics: never more output than input so far, all of it time-aligned
        assert sum(o.shape[1] for o in outs) <= start
    pending = board.pending_samples
    tail = board.flush(sample_rate)
    assert tail.shape[1] == pending
    assert board.pending_samples == 0
    return np.concatenate(outs, axis=1), tail


# chain factories: (name, stereo_only, build(vst3) -> list of plugins)
CHAINS = {
    "python-only": (False, lambda v: [PyDelay(5.0), PyOnePole(2000.0), PyGain(0.5)]),
    "native+python": (
        False,
        lambda v: [
            pedalboard.HighpassFilter(80),
            PyDelay(5.0),
            pedalboard.Compressor(threshold_db=-20, ratio=4),
            PyOnePole(1000.0, delay_ms=3.0),
            pedalboard.Gain(-3),
        ],
    ),
    "latent-native+nested": (
        False,
        lambda v: [
            pedalboard.BrickwallLimiter(),  # 5 ms lookahead, compensated by pedalboard
            PyDelay(7.5),
            pedalboard.Pedalboard([pedalboard.Reverb(room_size=0.3), pedalboard.Compressor(-25, 3)]),
            Pedalboard([PyGain(0.8, delay_ms=1.0), pedalboard.Chorus()]),
        ],
    ),
    "vst3+python": (
        True,
        lambda v: [
            pedalboard.HighpassFilter(80),
            v["maximizer"],
            PyDelay(5.0),
            v["compressor"],
            PyOnePole(3000.0, delay_ms=2.0),
            pedalboard.Compressor(threshold_db=-18),
        ],
    ),
    "vst3-native-only": (
        True,
        lambda v: [pedalboard.HighpassFilter(80), v["maximizer"], pedalboard.Compressor(-20, 4), v["compressor"]],
    ),
}


def _stream_params():
    params = []
    for name, (stereo_only, _) in CHAINS.items():
        for channels in CHANNELS:
            if stereo_only and channels == 1:
                continue  # the zam VST3s are stereo-only
            params.append(pytest.param(name, channels, id=f"{name}-{channels}ch"))
    return params


def build_chain(name: str, vst3_plugins) -> list:
    if name.startswith("vst3") and vst3_plugins is None:
        pytest.skip("zam-plugins VST3s (ZaMaximX2, ZamCompX2) are not installed")
    return CHAINS[name][1](vst3_plugins)


# ------------------------------------------------------------------------------- 1. native-only == pedalboard
NATIVE_CHAINS = {
    "filters+dynamics": lambda v: [pedalboard.HighpassFilter(80), pedalboard.Compressor(-20, 4), pedalboard.Gain(3)],
    "latent-builtin": lambda v: [pedalboard.BrickwallLimiter(), pedalboard.Reverb()],
    "nested-pedalboard": lambda v: [
        pedalboard.Pedalboard([pedalboard.HighpassFilter(120), pedalboard.Compressor(-30, 6)]),
        pedalboard.Chorus(),
    ],
    "vst3": lambda v: [v["maximizer"], v["compressor"]],
    "vst3+builtins": lambda v: [
        pedalboard.HighpassFilter(80),
        v["maximizer"],
        pedalboard.Compressor(-20, 4),
        v["compressor"],
        pedalboard.Reverb(room_size=0.2),
    ],
}


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("num_samples", [100, 8192, 20011])
@pytest.mark.parametrize("buffer_size", [512, 8192])
@pytest.mark.parametrize("name", list(NATIVE_CHAINS))
def test_native_only_chain_matches_plain_pedalboard(name, buffer_size, num_samples, sample_rate, vst3_or_none):
    if name.startswith("vst3") and vst3_or_none is None:
        pytest.skip("zam-plugins VST3s (ZaMaximX2, ZamCompX2) are not installed")
    plugins = NATIVE_CHAINS[name](vst3_or_none)
    x = noise(2, num_samples)
    expected = pedalboard.Pedalboard(plugins).process(x, sample_rate, buffer_size=buffer_size)
    actual = Pedalboard(plugins).process(x, sample_rate, buffer_size=buffer_size)
    assert actual.shape == x.shape and actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=0)


# ------------------------------------------------------------------------------- 2. streaming == one-shot
@pytest.mark.parametrize("chunking", ["const-1000", "const-buffer", "varying"])
@pytest.mark.parametrize("buffer_size", BUFFER_SIZES)
@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("name,channels", _stream_params())
def test_streaming_plus_flush_equals_one_shot(name, channels, sample_rate, buffer_size, chunking, vst3_or_none):
    board = Pedalboard(build_chain(name, vst3_or_none))
    x = noise(channels, int(0.4 * sample_rate) + 7, seed=channels)
    one_shot = board.process(x, sample_rate, buffer_size=buffer_size)
    assert one_shot.shape == x.shape
    streamed, tail = stream(board, x, sample_rate, buffer_size, chunk_sizes(chunking, x.shape[1], buffer_size))
    np.testing.assert_allclose(np.concatenate([streamed, tail], axis=1), one_shot, atol=1e-6, rtol=0)
    # and a second stream on the same chain starts from fresh state
    streamed, tail = stream(board, x, sample_rate, buffer_size, chunk_sizes("const-1000", x.shape[1], buffer_size))
    np.testing.assert_allclose(np.concatenate([streamed, tail], axis=1), one_shot, atol=1e-6, rtol=0)


@pytest.mark.parametrize("channels", CHANNELS)
def test_streaming_tiny_chunks(channels):
    """1..4-sample chunks: Python plugins still only see unambiguous (channels, samples) blocks."""
    python_plugins = [PyDelay(1.0), PyOnePole(500.0, delay_ms=0.5)]
    board = Pedalboard([pedalboard.Compressor(-20, 4), python_plugins[0], pedalboard.Gain(2), python_plugins[1]])
    x = noise(channels, 1500)
    one_shot = board(x, 16000, buffer_size=64)
    sizes = list(np.random.default_rng(3).integers(1, 5, size=1500))
    streamed, tail = stream(board, x, 16000, 64, _fit(sizes, 1500))
    np.testing.assert_allclose(np.concatenate([streamed, tail], axis=1), one_shot, atol=1e-6, rtol=0)
    for plugin in python_plugins:
        assert all(not reset for _, reset in plugin.calls[-3:])  # streaming calls use reset=False


def test_streaming_matches_one_shot_with_channels_last_float64_input():
    board = Pedalboard([pedalboard.HighpassFilter(100), PyOnePole(800.0, delay_ms=2.0)])
    x = noise(2, 9000, dtype=np.float64).T  # (samples, channels)
    one_shot = board(x, 48000, buffer_size=2048)
    assert one_shot.shape == x.shape and one_shot.dtype == np.float32
    outs = [board(x[i : i + 1500], 48000, buffer_size=2048, reset=False) for i in range(0, 9000, 1500)]
    outs.append(board.flush(48000))
    assert all(o.ndim == 2 and o.shape[1] == 2 for o in outs)  # channels-last in, channels-last out
    np.testing.assert_allclose(np.concatenate(outs, axis=0), one_shot, atol=1e-6, rtol=0)


def test_streaming_one_stereo_sample_chunks_keep_channel_layout():
    board = Pedalboard([PyGain(2.0, delay_ms=0.1)])
    x = noise(2, 40)
    # a (2, 1) block is ambiguous on its own; the stream's (or previous call's) channel count decides
    outs = [board(x[:, :5], 48000, reset=False)]
    outs += [board(x[:, i : i + 1], 48000, reset=False) for i in range(5, 40)]
    outs.append(board.flush(48000))
    np.testing.assert_allclose(np.concatenate(outs, axis=1), 2 * x, atol=1e-6, rtol=0)


# ------------------------------------------------------------------------------- 3. latency
@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_impulse_comes_out_at_the_same_index(sample_rate, vst3):
    delay = PyDelay(5.0)
    board = Pedalboard([delay, vst3["maximizer"]])
    x = np.zeros((2, 6000), np.float32)
    x[:, 1000] = 0.5
    y = board(x, sample_rate)
    np.testing.assert_array_equal(np.argmax(np.abs(y), axis=1), [1000, 1000])
    np.testing.assert_allclose(y, pedalboard.Pedalboard([vst3["maximizer"]])(x, sample_rate), atol=1e-6, rtol=0)
    assert board.get_latency_samples(sample_rate) == round(0.005 * sample_rate) + MAXIMIZER_LATENCY_SAMPLES
    assert board.reported_latency_samples == round(0.005 * sample_rate) + MAXIMIZER_LATENCY_SAMPLES

    streamed, tail = stream(board, x, sample_rate, 8192, [700] * 8 + [400])
    y_stream = np.concatenate([streamed, tail], axis=1)
    np.testing.assert_array_equal(np.argmax(np.abs(y_stream), axis=1), [1000, 1000])
    np.testing.assert_allclose(y_stream, y, atol=1e-6, rtol=0)


def test_latency_is_summed_per_rate():
    board = Pedalboard([PyDelay(5.0), pedalboard.Gain(1), Pedalboard([PyDelay(1.0)])])
    assert board.get_latency_samples(48000) == 240 + 48
    assert board.get_latency_samples(44100) == 220 + 44
    assert Pedalboard().get_latency_samples(48000) == 0


# ------------------------------------------------------------------------------- segmentation
def test_consecutive_native_plugins_form_one_segment_rebuilt_lazily():
    gain, comp, py, hp = pedalboard.Gain(1), pedalboard.Compressor(), PyGain(1.0), pedalboard.HighpassFilter()
    board = Pedalboard([gain, comp, py, hp])
    _, stages = board._stages()
    assert [type(s) for s in stages] == [pedalboard.Pedalboard, PyGain, pedalboard.Pedalboard]
    assert list(stages[0]) == [gain, comp] and list(stages[2]) == [hp]
    assert board._stages()[1] is stages  # unchanged list: cached
    board.remove(py)
    _, stages = board._stages()
    assert len(stages) == 1 and list(stages[0]) == [gain, comp, hp]


def test_nested_hance_pedalboard_is_flattened():
    inner = Pedalboard([pedalboard.Gain(6), PyGain(0.5, delay_ms=1.0)])
    board = Pedalboard([pedalboard.HighpassFilter(50), inner, pedalboard.Gain(-6)])
    flat = Pedalboard([board[0], inner[0], inner[1], board[2]])
    x = noise(1, 5000)
    np.testing.assert_allclose(board(x, 48000), flat(x, 48000), atol=1e-6, rtol=0)
    inner.append(PyGain(2.0))  # a change inside the nested chain is picked up
    np.testing.assert_allclose(board(x, 48000), 2 * flat(x, 48000), atol=1e-6, rtol=0)
    inner.append(board)
    with pytest.raises(ValueError, match="contains itself"):
        board(x, 48000)


# ------------------------------------------------------------------------------- 4. validation, list API
def test_python_plugin_cannot_go_into_plain_pedalboard():
    assert isinstance(PyGain(1.0), PythonPlugin)
    with pytest.raises(TypeError):
        pedalboard.Pedalboard([PyGain(1.0)])
    with pytest.raises(TypeError):
        pedalboard.Pedalboard([pedalboard.Gain(), PyDelay(1.0)])


@pytest.mark.parametrize("bad", [3, "reverb", None, np.zeros(3), pedalboard.Gain])
def test_invalid_elements_raise_type_error_naming_index_and_type(bad):
    with pytest.raises(TypeError, match=rf"index 1 .*{type(bad).__name__}"):
        Pedalboard([pedalboard.Gain(), bad])
    board = Pedalboard([pedalboard.Gain()])
    with pytest.raises(TypeError, match="index 1"):
        board.append(bad)
    with pytest.raises(TypeError, match="index 0"):
        board.insert(0, bad)
    with pytest.raises(TypeError, match="index 0"):
        board[-1] = bad
    with pytest.raises(TypeError, match="index 2"):
        board[1:] = [PyGain(1.0), bad]
    with pytest.raises(TypeError, match="index 1"):
        board.extend([bad])
    assert len(board) == 1  # failed mutations leave the list untouched


def test_list_operations_and_repr():
    gain, comp, py = pedalboard.Gain(2), pedalboard.Compressor(), PyGain(0.5)
    board = Pedalboard([gain])
    assert repr(board).startswith("<hance_plugin.Pedalboard with 1 plugin: [<pedalboard.Gain")
    board.append(py)
    board.insert(0, comp)
    assert list(board) == [comp, gain, py] and len(board) == 3
    assert board[0] is comp and board[-1] is py and board.index(gain) == 1 and py in board
    assert isinstance(board[1:], Pedalboard) and list(board[1:]) == [gain, py]
    board[1] = pedalboard.Gain(0)
    assert board[1] is not gain
    del board[1]
    assert list(board) == [comp, py]
    board.remove(comp)
    assert list(board) == [py]
    assert repr(board) == f"<hance_plugin.Pedalboard with 1 plugin: [{py!r}]>"
    assert board.pop() is py
    assert repr(board) == "<hance_plugin.Pedalboard with 0 plugins: []>"
    assert repr(Pedalboard([gain, comp])).startswith("<hance_plugin.Pedalboard with 2 plugins: [")


def test_process_and_call_are_identical():
    board = Pedalboard([pedalboard.HighpassFilter(100), PyOnePole(1000.0, delay_ms=1.0)])
    x = noise(2, 3000)
    np.testing.assert_array_equal(board(x, 44100, 512), board.process(x, 44100, buffer_size=512, reset=True))
    board.reset()
    streamed = board(x, 44100, 512, False)
    board.reset()
    np.testing.assert_array_equal(streamed, board.process(x, 44100, 512, reset=False))


@pytest.mark.parametrize("reset", [True, False])
@pytest.mark.parametrize("shape", [(3000,), (1, 3000), (2, 3000), (3000, 2)])
def test_empty_chain_is_identity(shape, reset):
    x = np.random.default_rng(0).standard_normal(shape)  # float64 in, float32 out
    y = Pedalboard().process(x, 48000, reset=reset)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, x.astype(np.float32))


@pytest.mark.parametrize("reset", [True, False])
@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 2), (1, 0)])
def test_empty_input_returns_empty(shape, reset):
    board = Pedalboard([pedalboard.Compressor(), PyDelay(2.0)])
    y = board.process(np.zeros(shape, np.float32), 48000, reset=reset)
    assert y.shape == shape and y.dtype == np.float32
    assert board.pending_samples == 0


@pytest.mark.parametrize("channels,samples", [(1, 1), (2, 1), (2, 2), (4, 3)])
def test_short_one_shot_input(channels, samples):
    board = Pedalboard([pedalboard.Gain(6), PyGain(0.5, delay_ms=1.0)])
    x = noise(channels, samples)
    y = board(x if channels > 1 else x[0], 48000)
    np.testing.assert_allclose(y.reshape(channels, samples), x * 10 ** (6 / 20) * 0.5, rtol=1e-5, atol=1e-7)


def test_stream_parameter_changes_raise():
    board = Pedalboard([pedalboard.Compressor(), PyDelay(1.0)])
    x = noise(2, 4000)
    board(x, 48000, reset=False)
    with pytest.raises(ValueError, match="sample_rate changed"):
        board(x, 44100, reset=False)
    with pytest.raises(ValueError, match="channel count changed"):
        board(x[:1], 48000, reset=False)
    with pytest.raises(ValueError, match="buffer_size changed"):
        board(x, 48000, buffer_size=1024, reset=False)
    with pytest.raises(ValueError, match="does not match"):
        board.flush(44100)
    board.append(pedalboard.Gain())
    with pytest.raises(ValueError, match="modified while streaming"):
        board(x, 48000, reset=False)
    assert board.flush(48000).shape == (2, 4000)  # the stream keeps its own plugins until flushed
    board(x[:1], 44100, reset=False)  # a new stream may use new settings
    board.reset()
    board(x, 48000, buffer_size=1024, reset=False)
    board(x, 48000)  # reset=True ends a stream too
    assert board.pending_samples == 0
    board(x[:1], 44100, reset=False)


def test_invalid_arguments():
    board = Pedalboard([pedalboard.Gain()])
    with pytest.raises(TypeError, match="32-bit and 64-bit floating point"):
        board(np.zeros(100, np.int16), 48000)
    with pytest.raises(ValueError, match="sample_rate"):
        board(np.zeros(100, np.float32), 0)
    with pytest.raises(ValueError, match="buffer_size"):
        board(np.zeros(100, np.float32), 48000, buffer_size=0)
    with pytest.raises(ValueError, match="buffer_size=2 is too small"):
        board(np.zeros((2, 100), np.float32), 48000, buffer_size=2, reset=False)
    with pytest.raises(ValueError, match="more than once"):
        gain = pedalboard.Gain()
        Pedalboard([gain, PyGain(1.0), gain])(np.zeros(100, np.float32), 48000)
    assert board.flush(48000).shape == (0,)  # nothing streamed: nothing to flush


def test_python_plugin_returning_wrong_length_raises():
    class Truncating(PyGain):
        def process(self, input_array, sample_rate, buffer_size=8192, reset=True):
            return super().process(input_array, sample_rate, buffer_size, reset)[:, :-1]

    with pytest.raises(RuntimeError, match="Truncating.process"):
        Pedalboard([Truncating(1.0)])(noise(1, 100), 48000)
