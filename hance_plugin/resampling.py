"""Run the 48 kHz engine at any sample rate with a constant, integer latency.

Models run at 48 kHz. For another rate ``sr`` the stream goes

    x (sr) -> soxr up (sr->48k) -> engine (48k) -> drop the engine's first N samples
           -> soxr down (48k->sr) -> FIFO -> y (sr), y[i] = processed x[i - L]

libsoxr's streaming output is time-aligned with its input (bit-identical to one-shot
``soxr.resample``, whatever the chunking) but holds back a varying number of samples. The engine's
own delay of N samples is removed in the 48 kHz domain, which is exact for any rate. What remains
is the resamplers' hold-back; the FIFO absorbs it by delaying the output by a constant L samples,
L >= the largest hold-back the chain can have. L is found once per (rate, quality) by driving
both resamplers one sample at a time (the worst case) and is then a fixed property of the stream,
so the output of every block partition is identical and ``reported_latency_samples`` is exact.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import soxr

from .engine import StreamingEngine

__all__ = ["ResampledEngine", "resampled_latency_samples"]

MODEL_RATE_HZ = 48000
_PROBE_SAMPLES = 6000


def _max_holdback(in_rate: float, out_rate: float, quality: str) -> float:
    """Largest (expected - produced) output count of a soxr stream fed one sample at a time."""
    stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=quality)
    one = np.zeros(1, dtype=np.float32)
    ratio = out_rate / in_rate
    produced = 0
    worst = 0.0
    n_in = max(_PROBE_SAMPLES, int(_PROBE_SAMPLES / ratio))
    for i in range(1, n_in + 1):
        produced += stream.resample_chunk(one).shape[0]
        worst = max(worst, i * ratio - produced)
    return worst


@lru_cache(maxsize=64)
def resampled_latency_samples(sample_rate_hz: float, engine_latency_48k: int, quality: str) -> int:
    """Constant latency in samples at ``sample_rate_hz`` of the resampled engine."""
    up = _max_holdback(sample_rate_hz, MODEL_RATE_HZ, quality)  # in 48 kHz samples
    down = _max_holdback(MODEL_RATE_HZ, sample_rate_hz, quality)  # in sr samples
    to_sr = sample_rate_hz / MODEL_RATE_HZ
    return int(math.ceil((up + engine_latency_48k) * to_sr + down)) + 2


class ResampledEngine:
    """A ``StreamingEngine`` at 48 kHz wrapped to run at ``sample_rate_hz`` with fixed latency."""

    def __init__(self, engine: StreamingEngine, sample_rate_hz: float, quality: str = "HQ") -> None:
        self.engine = engine
        self.sample_rate_hz = float(sample_rate_hz)
        self.quality = quality
        self.latency_samples = resampled_latency_samples(self.sample_rate_hz, engine.latency_samples, quality)
        c = engine.num_channels
        self._up = soxr.ResampleStream(self.sample_rate_hz, MODEL_RATE_HZ, c, dtype="float32", quality=quality)
        self._down = soxr.ResampleStream(MODEL_RATE_HZ, self.sample_rate_hz, c, dtype="float32", quality=quality)
        self.reset()

    def reset(self) -> None:
        self.engine.reset()
        self._up.clear()
        self._down.clear()
        self._skip_48k = self.engine.latency_samples
        c = self.engine.num_channels
        self._fifo = np.zeros((c, self.latency_samples + 4096), dtype=np.float32)
        self._fifo_len = self.latency_samples  # pre-filled with the latency's zeros

    def process_block(self, x: np.ndarray, out: np.ndarray) -> None:
        """``x`` (C, n) -> ``out`` (C, n), the processed input delayed by ``latency_samples``."""
        n = x.shape[1]
        up = self._up.resample_chunk(np.ascontiguousarray(x.T)).T  # (C, m)
        wet48 = np.empty(up.shape, dtype=np.float32)
        if up.shape[1]:
            self.engine.process_block(np.ascontiguousarray(up), wet48)
        skip = min(self._skip_48k, wet48.shape[1])
        self._skip_48k -= skip
        down = self._down.resample_chunk(np.ascontiguousarray(wet48[:, skip:].T)).T
        self._push(down)
        if self._fifo_len < n:
            raise RuntimeError(
                f"resampler hold-back exceeded the reported latency ({self.latency_samples} samples at "
                f"{self.sample_rate_hz} Hz); please report this as a bug"
            )
        out[:, :] = self._fifo[:, :n]
        remaining = self._fifo_len - n
        self._fifo[:, :remaining] = self._fifo[:, n : self._fifo_len]
        self._fifo_len = remaining

    def _push(self, block: np.ndarray) -> None:
        m = block.shape[1]
        need = self._fifo_len + m
        if need > self._fifo.shape[1]:
            grown = np.zeros((self._fifo.shape[0], max(need, 2 * self._fifo.shape[1])), dtype=np.float32)
            grown[:, : self._fifo_len] = self._fifo[:, : self._fifo_len]
            self._fifo = grown
        self._fifo[:, self._fifo_len : need] = block
        self._fifo_len = need
