"""The protocol a pure-Python effect implements to run inside :class:`hance_plugin.Pedalboard`.

pedalboard cannot host Python plugins: a Python subclass of ``pedalboard.Plugin`` cannot be
instantiated, and method overrides on subclasses of its built-in plugins are silently ignored inside
a chain (https://github.com/spotify/pedalboard/issues/12). :class:`hance_plugin.Pedalboard` therefore
accepts, next to every ``pedalboard.Plugin``, any object that is *not* a ``pedalboard.Plugin`` and
structurally satisfies :class:`PythonPlugin` (``isinstance(obj, PythonPlugin)`` works; it only
checks that the four members exist).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["PythonPlugin"]


@runtime_checkable
class PythonPlugin(Protocol):
    """A Python audio effect with pedalboard's ``process`` conventions.

    Contract (what :class:`hance_plugin.Pedalboard` relies on):

    * ``process(input_array, sample_rate, buffer_size=8192, reset=True)`` takes channels-first
      float32 audio ``(channels, samples)`` and returns float32 ``(channels, samples)``.

      - ``reset=True``: resets state first and returns the *same* number of samples as given,
        time-aligned with the input (the plugin compensates its own latency, e.g. by flushing
        zeros through itself).
      - ``reset=False``: streaming. Returns the *same* number of samples as given, delayed by
        exactly ``get_latency_samples(sample_rate)`` samples (the first that many output samples of
        a stream are the plugin's start-up output, normally silence). The concatenated output is
        identical for every partition of the input into blocks, and equals the ``reset=True``
        output of the same audio followed by zeros, shifted by the latency.

    * ``reset()`` clears all internal state (delay lines, filters, overlap-add buffers).
    * ``get_latency_samples(sample_rate)`` is the integer latency at that rate; it may differ per
      rate but must not change during a stream.
    * ``reported_latency_samples`` is the latency at the most recently used rate.

    Host guarantees (so plugins can reuse pedalboard's shape heuristic, where the smaller dimension
    of a 2-D array is the channel axis): :class:`hance_plugin.Pedalboard` always passes a
    C-contiguous float32 ``(channels, samples)`` array, never an empty one, and never one with
    ``samples <= channels`` when ``channels > 1``; it passes the same ``sample_rate``,
    ``buffer_size`` and channel count for every call of a stream, and calls ``reset()`` before a
    stream starts.
    """

    def process(
        self,
        input_array: np.ndarray,
        sample_rate: float,
        buffer_size: int = 8192,
        reset: bool = True,
    ) -> np.ndarray:
        """Process ``(channels, samples)`` float32 audio; see the class docstring for the contract."""
        ...

    def reset(self) -> None:
        """Clear all internal state."""
        ...

    def get_latency_samples(self, sample_rate: float) -> int:
        """Latency in samples when processing at ``sample_rate`` Hz."""
        ...

    @property
    def reported_latency_samples(self) -> int:
        """Latency in samples at the most recently used sample rate."""
        ...
