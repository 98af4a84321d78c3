"""Input/output array conventions shared by every hance-plugin effect.

hance-plugin mirrors pedalboard where users meet it (``Plugin.process`` in pedalboard 0.9):

* accepted shapes: ``(samples,)``, ``(channels, samples)`` or ``(samples, channels)``; for 2-D input
  the smaller dimension is the channel axis (ties are read as channels-first);
* accepted dtypes: float32 and float64; integer (or any other) dtypes raise the same ``TypeError``
  pedalboard raises; the output is always float32 in the caller's layout;
* beyond pedalboard, non-finite samples (NaN/Inf) raise ``ValueError`` instead of propagating, and
  the sample rate must be a positive finite number.

Internally everything is processed channels-first, C-contiguous float32: ``(channels, samples)``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["Layout", "to_channels_first", "from_channels_first", "check_sample_rate"]

_DTYPE_ERROR = "Pedalboard only supports 32-bit and 64-bit floating point audio for processing."


@dataclass(frozen=True)
class Layout:
    """How the caller's array was laid out, so the output can be returned the same way."""

    ndim: int
    channels_last: bool


def check_sample_rate(sample_rate: object) -> float:
    """Return ``sample_rate`` as float, raising a clear error if it is not a positive finite number."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real):
        raise TypeError(
            f"sample_rate must be a number in Hz (e.g. 48000), got {type(sample_rate).__name__}: "
            f"{sample_rate!r}"
        )
    value = float(sample_rate)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"sample_rate must be a positive finite number of Hz, got {sample_rate!r}")
    return value


def to_channels_first(
    input_array: object, *, check_finite: bool = True, stream_channels: int | None = None
) -> tuple[np.ndarray, Layout]:
    """Validate ``input_array`` and return it as C-contiguous float32 ``(channels, samples)``.

    ``stream_channels``: the channel count of a stream being continued. Short blocks are ambiguous
    under the smaller-dimension rule (one stereo sample, ``(2, 1)``, reads as two mono samples), so
    when exactly one dimension equals the stream's channel count, that dimension is the channels.

    Raises ``TypeError`` for non-arrays and non-float dtypes (pedalboard's message), ``ValueError``
    for arrays with more than two dimensions or containing NaN/Inf.
    """
    if not isinstance(input_array, np.ndarray):
        raise TypeError(
            f"input_array must be a numpy.ndarray of float32 or float64 samples, got "
            f"{type(input_array).__name__}"
        )
    if input_array.dtype.kind != "f" or input_array.dtype.itemsize not in (4, 8):
        raise TypeError(_DTYPE_ERROR)  # either byte order: big-endian float32 from a file is fine
    if input_array.ndim == 1:
        layout = Layout(ndim=1, channels_last=False)
        audio = input_array[None, :]
    elif input_array.ndim == 2:
        rows, cols = input_array.shape
        # the smaller dimension is the channel axis; an empty axis is the sample axis
        channels_last = rows == 0 or (cols != 0 and rows > cols)
        if stream_channels is not None and (rows == stream_channels) != (cols == stream_channels):
            channels_last = cols == stream_channels
        layout = Layout(ndim=2, channels_last=channels_last)
        audio = input_array.T if channels_last else input_array
    else:
        raise ValueError(
            f"Number of input dimensions must be 1 or 2 (got {input_array.ndim}); expected "
            "(samples,), (channels, samples) or (samples, channels)."
        )
    if audio.shape[0] == 0:
        raise ValueError("input_array has zero channels; expected at least one channel of audio.")
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if check_finite and audio.size and not np.isfinite(audio).all():
        bad = int(np.count_nonzero(~np.isfinite(audio)))
        first = np.argwhere(~np.isfinite(audio))[0]
        raise ValueError(
            f"input_array contains {bad} non-finite sample(s) (NaN or Inf), the first at channel "
            f"{int(first[0])}, sample {int(first[1])}; clean or clip the audio before processing."
        )
    return audio, layout


def from_channels_first(audio: np.ndarray, layout: Layout) -> np.ndarray:
    """Return channels-first float32 ``audio`` in the caller's original layout."""
    if layout.ndim == 1:
        return audio[0]
    if layout.channels_last:
        return np.ascontiguousarray(audio.T)
    return audio
