"""``hance_plugin.Pedalboard``: a pedalboard-style effects chain that can also host Python plugins.

Why this exists
---------------
pedalboard cannot host Python plugins: a Python subclass of ``pedalboard.Plugin`` cannot be
instantiated, and overriding ``process`` on a subclass of a built-in plugin is silently ignored
inside a chain (https://github.com/spotify/pedalboard/issues/12; the fix in PR #88 was closed).
:class:`Pedalboard` is a list-like drop-in superset of ``pedalboard.Pedalboard``::

    from pedalboard import Compressor, HighpassFilter, load_plugin
    from hance_plugin import Denoiser, Pedalboard

    board = Pedalboard([HighpassFilter(80), Denoiser(), Compressor(),
                        load_plugin("/usr/lib/vst3/ZaMaximX2.vst3")])
    clean = board(noisy, 48000)

Elements are any ``pedalboard.Plugin`` (built-ins, VST3/AU, a nested ``pedalboard.Pedalboard``), a
:class:`~hance_plugin.protocol.PythonPlugin`, or a nested :class:`Pedalboard` (flattened).

How it processes
----------------
* **Segmentation.** Each run of consecutive native plugins is processed by ONE real
  ``pedalboard.Pedalboard`` (C++ speed, GIL released, pedalboard's own latency compensation);
  Python plugins run between those segments. Segments are rebuilt lazily after the list changes.
* **One-shot** (``reset=True``, the default): every stage is called with ``reset=True`` and the
  whole signal, so each stage returns time-aligned audio of the input's length; so does the chain.
  With no Python plugin present the output is exactly that of the same plain
  ``pedalboard.Pedalboard``.
* **Streaming** (``reset=False``): like ``pedalboard.Pedalboard.process(reset=False)``, each call
  returns time-aligned audio, possibly fewer samples than given while latency fills, and
  :meth:`Pedalboard.flush` returns the held-back tail. Concatenating every streamed output and the
  flush equals the one-shot output, for any chunking of the input. To get there:

  - *Constant native block size.* pedalboard re-prepares a plugin whenever a ``process`` call's
    block size (``min(buffer_size, len(input))``) grows, and for VST3 plugins that wipes their
    state. So each native segment is fed through a FIFO in blocks of exactly ``buffer_size``
    samples, one block per call. This holds back up to ``buffer_size - 1`` samples per native
    segment (on top of the plugins' own latency); :meth:`Pedalboard.flush` pads the last partial
    block with zeros, the same zeros pedalboard's one-shot mode renders after the input.
  - *Python plugins* are called with ``reset=False``; they return full-length output delayed by
    ``get_latency_samples(sample_rate)``, which this chain trims so the stream stays time-aligned,
    and :meth:`Pedalboard.flush` feeds them that many zeros to push out their tail.
  - A stream starts (first ``reset=False`` call after construction, :meth:`Pedalboard.reset`,
    :meth:`Pedalboard.flush` or a ``reset=True`` call) by resetting every plugin. Its sample rate,
    channel count, ``buffer_size`` and plugin list are fixed: changing one raises ``ValueError``
    until :meth:`Pedalboard.flush` or :meth:`Pedalboard.reset` ends the stream.

Dry/wet mixing
--------------
Do not put latent branches in ``pedalboard.Mix`` when streaming: it misaligns branches with
different latencies. Mix in Python instead: run each branch as its own :class:`Pedalboard` (one-shot
outputs are all time-aligned) and add the arrays.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, MutableSequence
from dataclasses import dataclass
from typing import Union

import numpy as np
import pedalboard

from hance_plugin._audio import Layout, check_sample_rate, from_channels_first, to_channels_first
from hance_plugin.protocol import PythonPlugin

__all__ = ["Pedalboard", "ChainPlugin"]

ChainPlugin = Union[pedalboard.Plugin, PythonPlugin, "Pedalboard"]
"""Anything a :class:`Pedalboard` accepts as an element."""

_MAX_FLUSH_SECONDS = 60.0  # a native segment that produces nothing for this long while flushing is broken


def _check_plugin(index: int, plugin: object) -> None:
    """Raise ``TypeError`` naming ``index`` unless ``plugin`` can be an element of a chain."""
    if isinstance(plugin, (pedalboard.Plugin, Pedalboard)) or isinstance(plugin, PythonPlugin):
        return
    raise TypeError(
        f"hance_plugin.Pedalboard element at index {index} must be a pedalboard.Plugin or a "
        f"hance_plugin.PythonPlugin (process, reset, get_latency_samples, "
        f"reported_latency_samples), got {type(plugin).__module__}.{type(plugin).__qualname__}: "
        f"{plugin!r}"
    )


def _check_buffer_size(buffer_size: object) -> int:
    if isinstance(buffer_size, bool) or not isinstance(buffer_size, numbers.Integral):
        raise TypeError(f"buffer_size must be an int number of samples, got {buffer_size!r}")
    if buffer_size < 1:
        raise ValueError(f"buffer_size must be at least 1 sample, got {buffer_size}")
    return int(buffer_size)


def _min_unambiguous_samples(num_channels: int) -> int:
    """Fewest samples for which ``(channels, samples)`` cannot be misread as ``(samples, channels)``.

    pedalboard (and ``hance_plugin._audio``) take the smaller dimension of a 2-D array as the
    channel axis, so a stereo block of 1 or 2 samples is ambiguous.
    """
    return num_channels + 1 if num_channels > 1 else 1


def _native_latency_samples(plugin: pedalboard.Plugin) -> int:
    """Latency a native plugin reports (0 for built-ins, which do not expose theirs)."""
    if isinstance(plugin, pedalboard.Mix):
        return max((_native_latency_samples(child) for child in plugin), default=0)
    if isinstance(plugin, pedalboard.PluginContainer):
        return sum(_native_latency_samples(child) for child in plugin)
    return int(getattr(plugin, "reported_latency_samples", 0))


def _run_native_oneshot(
    segment: pedalboard.Pedalboard, audio: np.ndarray, sample_rate_hz: float, buffer_size_samples: int
) -> np.ndarray:
    """One-shot ``segment`` over channels-first ``audio``, padding ambiguous tiny inputs with zeros."""
    num_channels, num_samples = audio.shape
    min_samples = _min_unambiguous_samples(num_channels)
    if num_samples < min_samples:
        audio = np.pad(audio, ((0, 0), (0, min_samples - num_samples)))
    out = segment.process(audio, sample_rate_hz, buffer_size=buffer_size_samples, reset=True)
    return np.ascontiguousarray(out[:, :num_samples], dtype=np.float32)


def _call_python(
    plugin: PythonPlugin,
    audio: np.ndarray,
    sample_rate_hz: float,
    buffer_size_samples: int,
    reset: bool,
) -> np.ndarray:
    """Call a Python plugin and check it kept the ``(channels, samples)`` shape, as it must."""
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    out = np.asarray(plugin.process(audio, sample_rate_hz, buffer_size=buffer_size_samples, reset=reset))
    if out.ndim == 1 and audio.shape[0] == 1:
        out = out[None, :]
    if out.shape != audio.shape:
        raise RuntimeError(
            f"{type(plugin).__qualname__}.process(reset={reset}) returned shape {out.shape} for input "
            f"shape {audio.shape}; a PythonPlugin must return as many (channels, samples) as given."
        )
    return np.ascontiguousarray(out, dtype=np.float32)


def _run_python_oneshot(
    plugin: PythonPlugin, audio: np.ndarray, sample_rate_hz: float, buffer_size_samples: int
) -> np.ndarray:
    num_channels, num_samples = audio.shape
    min_samples = _min_unambiguous_samples(num_channels)
    if num_samples < min_samples:
        padded = np.pad(audio, ((0, 0), (0, min_samples - num_samples)))
        return _call_python(plugin, padded, sample_rate_hz, buffer_size_samples, True)[:, :num_samples]
    return _call_python(plugin, audio, sample_rate_hz, buffer_size_samples, True)


class _NativeFeed:
    """Streams one native segment in blocks of exactly ``block_size_samples``, one block per call.

    The segment (a real ``pedalboard.Pedalboard``) trims its own latency, so it returns
    time-aligned audio, fewer samples than given while the latency fills.
    """

    def __init__(
        self,
        segment: pedalboard.Pedalboard,
        sample_rate_hz: float,
        num_channels: int,
        block_size_samples: int,
    ) -> None:
        self.segment = segment
        self.sample_rate_hz = sample_rate_hz
        self.block_size_samples = block_size_samples
        self.fifo = np.zeros((num_channels, 0), np.float32)
        self.received_samples = 0
        self.emitted_samples = 0

    def _run_block(self, block: np.ndarray) -> np.ndarray:
        out = self.segment.process(
            block, self.sample_rate_hz, buffer_size=self.block_size_samples, reset=False
        )
        self.emitted_samples += out.shape[1]
        return out

    def push(self, audio: np.ndarray) -> np.ndarray:
        self.received_samples += audio.shape[1]
        fifo = np.concatenate([self.fifo, audio], axis=1) if self.fifo.shape[1] else audio
        size = self.block_size_samples
        num_blocks = fifo.shape[1] // size
        outs = [self._run_block(fifo[:, k * size : (k + 1) * size]) for k in range(num_blocks)]
        self.fifo = np.ascontiguousarray(fifo[:, num_blocks * size :])
        return np.concatenate(outs, axis=1) if outs else self.fifo[:, :0]

    def flush(self) -> np.ndarray:
        wanted_samples = self.received_samples - self.emitted_samples
        if wanted_samples <= 0:
            return self.fifo[:, :0]
        num_channels, held_samples = self.fifo.shape
        size = self.block_size_samples
        block = np.zeros((num_channels, size), np.float32)
        block[:, :held_samples] = self.fifo
        self.fifo = self.fifo[:, :0]
        outs = [self._run_block(block)]
        zeros = np.zeros((num_channels, size), np.float32)
        max_blocks = wanted_samples // size + 2 + math.ceil(_MAX_FLUSH_SECONDS * self.sample_rate_hz / size)
        for _ in range(max_blocks):
            if self.emitted_samples >= self.received_samples:
                break
            outs.append(self._run_block(zeros))
        else:
            raise RuntimeError(
                f"native segment {self.segment!r} did not return its latency tail after "
                f"{_MAX_FLUSH_SECONDS:g} s of silence; does a plugin report a wrong latency?"
            )
        return np.concatenate(outs, axis=1)[:, :wanted_samples]


class _PythonFeed:
    """Streams one Python plugin and trims its latency so its output is time-aligned.

    Chunks too short to be read unambiguously as ``(channels, samples)`` are held until more arrive.
    """

    def __init__(
        self, plugin: PythonPlugin, sample_rate_hz: float, num_channels: int, buffer_size_samples: int
    ) -> None:
        self.plugin = plugin
        self.sample_rate_hz = sample_rate_hz
        self.buffer_size_samples = buffer_size_samples
        latency = plugin.get_latency_samples(sample_rate_hz)
        if isinstance(latency, bool) or not isinstance(latency, numbers.Integral) or latency < 0:
            raise ValueError(
                f"{type(plugin).__qualname__}.get_latency_samples({sample_rate_hz:g}) must return a "
                f"non-negative int, got {latency!r}"
            )
        self.skip_samples = int(latency)  # start-up output still to drop
        self.min_chunk_samples = _min_unambiguous_samples(num_channels)
        self.pending = np.zeros((num_channels, 0), np.float32)
        self.received_samples = 0
        self.emitted_samples = 0

    def _run(self, chunk: np.ndarray) -> np.ndarray:
        out = _call_python(self.plugin, chunk, self.sample_rate_hz, self.buffer_size_samples, False)
        skip = min(self.skip_samples, out.shape[1])
        self.skip_samples -= skip
        out = out[:, skip:]
        self.emitted_samples += out.shape[1]
        return out

    def push(self, audio: np.ndarray) -> np.ndarray:
        self.received_samples += audio.shape[1]
        pending = np.concatenate([self.pending, audio], axis=1) if self.pending.shape[1] else audio
        if pending.shape[1] < self.min_chunk_samples:
            self.pending = pending
            return pending[:, :0]
        self.pending = pending[:, :0]
        return self._run(pending)

    def flush(self) -> np.ndarray:
        wanted_samples = self.received_samples - self.emitted_samples
        if wanted_samples <= 0:
            return self.pending[:, :0]
        num_channels, held_samples = self.pending.shape
        num_zeros = max(
            self.skip_samples + wanted_samples - held_samples, self.min_chunk_samples - held_samples, 0
        )
        chunk = np.concatenate([self.pending, np.zeros((num_channels, num_zeros), np.float32)], axis=1)
        self.pending = self.pending[:, :0]
        return self._run(chunk)[:, :wanted_samples]


_Feed = Union[_NativeFeed, _PythonFeed]
_Stage = Union[pedalboard.Pedalboard, PythonPlugin]  # a native segment or a Python plugin


@dataclass
class _Stream:
    """State of one ``reset=False`` stream."""

    sample_rate_hz: float
    num_channels: int
    buffer_size_samples: int
    stages_key: tuple[int, ...]
    feeds: list[_Feed]
    layout: Layout
    received_samples: int = 0
    emitted_samples: int = 0


class Pedalboard(MutableSequence):
    """A list of native ``pedalboard.Plugin``\\ s and Python plugins, processed in order.

    A drop-in superset of ``pedalboard.Pedalboard``: construct it from a list, mutate it like a list,
    call :meth:`process` (or the object itself) with pedalboard's array conventions. See the module
    docstring for how native segments, latency and streaming work.
    """

    def __init__(self, plugins: Iterable[ChainPlugin] | None = None) -> None:
        items = [] if plugins is None else list(plugins)
        for index, plugin in enumerate(items):
            _check_plugin(index, plugin)
        self._plugins: list[ChainPlugin] = items
        self._stages_cache: tuple[tuple[int, ...], tuple[_Stage, ...]] | None = None
        self._stream: _Stream | None = None
        self._last_num_channels: int | None = None  # resolves ambiguous chunks, as pedalboard does

    # ----------------------------------------------------------------------------- list protocol
    def __len__(self) -> int:
        return len(self._plugins)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return Pedalboard(self._plugins[index])
        return self._plugins[index]

    def __setitem__(self, index, value) -> None:  # type: ignore[override]
        if isinstance(index, slice):
            values = list(value)
            positions = range(len(self._plugins))[index]
            extended = index.step not in (None, 1)  # list itself rejects a length mismatch here
            for k, plugin in enumerate(values):
                position = positions[k] if extended and k < len(positions) else positions.start + k
                _check_plugin(position, plugin)
            self._plugins[index] = values
            return
        position = operator.index(index)
        _check_plugin(position + len(self._plugins) if position < 0 else position, value)
        self._plugins[position] = value

    def __delitem__(self, index) -> None:  # type: ignore[override]
        del self._plugins[index]

    def insert(self, index: int, value: ChainPlugin) -> None:
        """Insert ``value`` before ``index`` (clamped like ``list.insert``)."""
        position = operator.index(index)
        if position < 0:
            position += len(self._plugins)
        position = min(max(position, 0), len(self._plugins))
        _check_plugin(position, value)
        self._plugins.insert(position, value)

    def __repr__(self) -> str:
        count = len(self._plugins)
        return f"<hance_plugin.Pedalboard with {count} plugin{'' if count == 1 else 's'}: {self._plugins!r}>"

    # ------------------------------------------------------------------------------- segments
    def _flat_plugins(self, _seen: frozenset[int] = frozenset()) -> list[pedalboard.Plugin | PythonPlugin]:
        """Elements in order, nested hance Pedalboards expanded."""
        if id(self) in _seen:
            raise ValueError("hance_plugin.Pedalboard contains itself")
        seen = _seen | {id(self)}
        flat: list[pedalboard.Plugin | PythonPlugin] = []
        for plugin in self._plugins:
            if isinstance(plugin, Pedalboard):
                flat.extend(plugin._flat_plugins(seen))
            else:
                flat.append(plugin)
        return flat

    def _stages(self) -> tuple[tuple[int, ...], tuple[_Stage, ...]]:
        """The processing stages (key, stages), rebuilt only when the (flattened) list changed."""
        flat = self._flat_plugins()
        key = tuple(id(plugin) for plugin in flat)
        if self._stages_cache is not None and self._stages_cache[0] == key:
            return self._stages_cache
        if len(set(key)) != len(key):
            duplicate = next(p for p in flat if key.count(id(p)) > 1)
            raise ValueError(
                f"The same plugin instance appears more than once in the chain ({duplicate!r}); "
                "its state would be shared. Use a separate instance for each position."
            )
        stages: list[_Stage] = []
        run: list[pedalboard.Plugin] = []
        for plugin in flat:
            if isinstance(plugin, pedalboard.Plugin):
                run.append(plugin)
                continue
            if run:
                stages.append(pedalboard.Pedalboard(run))
                run = []
            stages.append(plugin)
        if run:
            stages.append(pedalboard.Pedalboard(run))
        self._stages_cache = (key, tuple(stages))
        return self._stages_cache

    # ------------------------------------------------------------------------------- latency
    def get_latency_samples(self, sample_rate: float) -> int:
        """Total latency in samples at ``sample_rate`` Hz that this chain compensates.

        The sum of each Python plugin's ``get_latency_samples(sample_rate)`` and each native
        plugin's ``reported_latency_samples`` (pedalboard's built-ins do not report theirs and count
        as 0, though pedalboard still compensates them). In streaming mode the chain holds back up
        to ``buffer_size - 1`` further samples per native segment.
        """
        sample_rate_hz = check_sample_rate(sample_rate)
        total = 0
        for plugin in self._flat_plugins():
            if isinstance(plugin, pedalboard.Plugin):
                total += _native_latency_samples(plugin)
            else:
                total += int(plugin.get_latency_samples(sample_rate_hz))
        return total

    @property
    def reported_latency_samples(self) -> int:
        """Like :meth:`get_latency_samples`, with each plugin's latency at its last-used rate."""
        total = 0
        for plugin in self._flat_plugins():
            if isinstance(plugin, pedalboard.Plugin):
                total += _native_latency_samples(plugin)
            else:
                total += int(plugin.reported_latency_samples)
        return total

    @property
    def pending_samples(self) -> int:
        """Samples given to the current stream but not yet returned (what :meth:`flush` returns)."""
        if self._stream is None:
            return 0
        return self._stream.received_samples - self._stream.emitted_samples

    # ------------------------------------------------------------------------------- processing
    def reset(self) -> None:
        """Reset every plugin and end any stream (its pending samples are discarded)."""
        self._stream = None
        for plugin in self._flat_plugins():
            plugin.reset()

    def process(
        self,
        input_array: np.ndarray,
        sample_rate: float,
        buffer_size: int = 8192,
        reset: bool = True,
    ) -> np.ndarray:
        """Run ``input_array`` through every plugin in order; returns float32 in the input's layout.

        ``input_array``: ``(samples,)``, ``(channels, samples)`` or ``(samples, channels)``, float32 or
        float64. ``sample_rate`` in Hz. ``buffer_size``: block size in samples for native plugins.

        ``reset=True`` (one-shot): resets first; returns the input's length, time-aligned (all
        plugin latencies compensated). ``reset=False`` (streaming): returns time-aligned audio,
        possibly fewer samples than given; call :meth:`flush` at the end for the rest.
        """
        sample_rate_hz = check_sample_rate(sample_rate)
        buffer_size_samples = _check_buffer_size(buffer_size)
        if reset:
            self._stream = None
            audio, layout = to_channels_first(input_array)
            self._last_num_channels = audio.shape[0]
            if audio.shape[1] == 0:
                return from_channels_first(audio, layout)
            _, stages = self._stages()
            for stage in stages:
                if isinstance(stage, pedalboard.Plugin):
                    audio = _run_native_oneshot(stage, audio, sample_rate_hz, buffer_size_samples)
                else:
                    audio = _run_python_oneshot(stage, audio, sample_rate_hz, buffer_size_samples)
            return from_channels_first(audio, layout)
        return self._process_streaming(input_array, sample_rate_hz, buffer_size_samples)

    __call__ = process

    def _process_streaming(
        self, input_array: np.ndarray, sample_rate_hz: float, buffer_size_samples: int
    ) -> np.ndarray:
        stream = self._stream
        audio, layout = to_channels_first(
            input_array, stream_channels=self._last_num_channels if stream is None else stream.num_channels
        )
        num_channels, num_samples = audio.shape
        self._last_num_channels = num_channels
        if stream is not None:
            self._check_stream(stream, sample_rate_hz, num_channels, buffer_size_samples)
        if num_samples == 0:
            return from_channels_first(audio, layout)
        if stream is None:
            stream = self._start_stream(sample_rate_hz, num_channels, buffer_size_samples, layout)
        stream.layout = layout
        out = audio
        for feed in stream.feeds:
            if out.shape[1] == 0:
                break
            out = feed.push(out)
        stream.received_samples += num_samples
        stream.emitted_samples += out.shape[1]
        return from_channels_first(out, layout)

    def _start_stream(
        self, sample_rate_hz: float, num_channels: int, buffer_size_samples: int, layout: Layout
    ) -> _Stream:
        key, stages = self._stages()
        has_native = any(isinstance(stage, pedalboard.Plugin) for stage in stages)
        if has_native and buffer_size_samples < _min_unambiguous_samples(num_channels):
            raise ValueError(
                f"buffer_size={buffer_size_samples} is too small for streaming {num_channels}-channel "
                f"audio through native plugins; use at least {_min_unambiguous_samples(num_channels)} "
                "samples (pedalboard cannot tell channels from samples in shorter blocks)."
            )
        self.reset()
        feeds: list[_Feed] = [
            _NativeFeed(stage, sample_rate_hz, num_channels, buffer_size_samples)
            if isinstance(stage, pedalboard.Plugin)
            else _PythonFeed(stage, sample_rate_hz, num_channels, buffer_size_samples)
            for stage in stages
        ]
        self._stream = _Stream(sample_rate_hz, num_channels, buffer_size_samples, key, feeds, layout)
        return self._stream

    def _check_stream(
        self, stream: _Stream, sample_rate_hz: float, num_channels: int, buffer_size_samples: int
    ) -> None:
        ending = "; call flush() or reset() to end the stream first."
        if sample_rate_hz != stream.sample_rate_hz:
            raise ValueError(
                f"sample_rate changed from {stream.sample_rate_hz:g} Hz to {sample_rate_hz:g} Hz while "
                f"streaming (reset=False){ending}"
            )
        if num_channels != stream.num_channels:
            raise ValueError(
                f"channel count changed from {stream.num_channels} to {num_channels} while streaming "
                f"(reset=False){ending}"
            )
        if buffer_size_samples != stream.buffer_size_samples:
            raise ValueError(
                f"buffer_size changed from {stream.buffer_size_samples} to {buffer_size_samples} "
                f"samples while streaming (reset=False){ending}"
            )
        if self._stages()[0] != stream.stages_key:
            raise ValueError(f"the plugin list was modified while streaming (reset=False){ending}")

    def flush(self, sample_rate: float) -> np.ndarray:
        """End the current stream and return its held-back tail, time-aligned, in the last layout.

        Streamed outputs followed by this tail equal the one-shot (``reset=True``) output of the
        whole stream. Without a stream, returns an empty mono array. ``sample_rate`` in Hz must be
        the stream's.
        """
        sample_rate_hz = check_sample_rate(sample_rate)
        stream = self._stream
        if stream is None:
            return np.zeros(0, np.float32)
        if sample_rate_hz != stream.sample_rate_hz:
            raise ValueError(
                f"flush(sample_rate={sample_rate_hz:g}) does not match the stream's "
                f"{stream.sample_rate_hz:g} Hz"
            )
        tail = np.zeros((stream.num_channels, 0), np.float32)
        for feed in stream.feeds:
            out = feed.push(tail) if tail.shape[1] else tail
            tail = np.concatenate([out, feed.flush()], axis=1)
        self._stream = None
        return from_channels_first(np.ascontiguousarray(tail), stream.layout)
