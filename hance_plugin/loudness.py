"""Loudness stage: streaming ITU-R BS.1770-4 loudness and true peak, gain and a true-peak limiter.

Measuring (constant memory, any chunking)
-----------------------------------------
* :class:`LoudnessMeter` measures the integrated loudness (LUFS) exactly as ``pyloudnorm``'s
  BS.1770-4 meter does (same K-weighting filters, 400 ms blocks with 75 % overlap, absolute gate
  -70 LUFS, relative gate -10 LU), but in chunks: the K-weighting filters keep their state between
  chunks and only the channel-weighted energy of each 100 ms quarter-block is stored (8 bytes per
  100 ms, 0.6 MB for two hours), so memory does not grow with the channel count or the chunk size.
  It also tracks the sample peak and the **true peak**: the signal is oversampled 4x (2x from 96
  kHz, 1x from 192 kHz; BS.1770-4 Annex 2) with libsoxr and the largest absolute value is kept.
* :func:`measure` is the one-shot form for arrays.

Normalizing (two passes)
------------------------
The integrated loudness is a property of the *whole* programme, so a file is normalized in two
passes (``hance_plugin.fileio``): pass 1 measures, then :func:`plan_gain` turns the measurement
into a gain and :class:`TruePeakLimiter` applies gain and limiting in one streaming pass 2.
:func:`normalize_passes` runs pass 2, re-measures its output and repeats it when needed:

* if the output's true peak is above the ceiling (the gain modulation of the limiter itself can
  create a tiny inter-sample overshoot) pass 2 is redone with a larger safety margin, and as a last
  resort with a static trim; the returned audio's true peak, measured as above, is never above the
  ceiling;
* if limiting lowered the loudness by more than 0.1 LU, the gain is raised by the deficit (at most
  twice, within ``max_gain_db``).

The limiter (:class:`TruePeakLimiter`) looks ahead ``lookahead_ms``: its detector is the same 4x
soxr oversampling as the meter, every base sample gets the largest oversampled value of the two
sample intervals around it, the required gain ``min(1, ceiling / peak)`` goes through a sliding
minimum over the look-ahead window and a moving average of the same length (a smooth attack that
reaches the required gain exactly at the peak), then an exponential release. The gain never
exceeds the required gain at any detected peak.

:class:`LoudnessNormalizer` wraps all of this as a Python plugin for :class:`hance_plugin.Pedalboard`
chains (the last stage of a preset with a ``[loudness]`` section).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import soxr
from numba import njit
from scipy.ndimage import minimum_filter1d
from scipy.signal import sosfilt

from ._audio import check_sample_rate, from_channels_first, to_channels_first

__all__ = [
    "LoudnessMeter",
    "LoudnessStats",
    "LoudnessNormalizer",
    "TruePeakLimiter",
    "measure",
    "plan_gain",
    "normalize_passes",
    "oversampling_factor",
    "ABSOLUTE_GATE_LUFS",
]

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
BLOCK_SECONDS = 0.4
QUARTER = 0.25  # 75 % overlap: blocks start every quarter block (100 ms)
TRUE_PEAK_QUALITY = "HQ"
DEFAULT_MARGIN_DB = 0.1  # limiter aims this far below the ceiling on the first pass
LOUDNESS_RETRY_LU = 0.1  # re-run pass 2 with more gain when limiting cost more than this
MAX_LOUDNESS_RETRIES = 2
MAX_PEAK_RETRIES = 2  # then a static trim guarantees the ceiling
_FIXED_ONE = float(2**32)


def oversampling_factor(sample_rate_hz: float) -> int:
    """True-peak oversampling: 4x below 96 kHz, 2x below 192 kHz, else 1x (BS.1770-4 Annex 2)."""
    if sample_rate_hz < 96000:
        return 4
    if sample_rate_hz < 192000:
        return 2
    return 1


def channel_weights(num_channels: int) -> np.ndarray:
    """BS.1770-4 channel weights: 1.0 for L, R, C; 1.41 for the surrounds (pyloudnorm's order).

    6 channels are read as 5.1 (L R C LFE Ls Rs) with the LFE excluded; more channels weigh 1.0.
    """
    if num_channels <= 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41][:num_channels])
    if num_channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    return np.ones(num_channels)


@lru_cache(maxsize=32)
def _k_weighting_sos(sample_rate_hz: float) -> np.ndarray:
    """pyloudnorm's K-weighting (high shelf, then high pass) as second-order sections."""
    import pyloudnorm

    filters = pyloudnorm.Meter(sample_rate_hz)._filters  # the very filters pyloudnorm applies
    sections = [np.concatenate([f.b, f.a]) for f in filters.values()]
    return np.array(sections, dtype=np.float64)


def _to_db(linear: float) -> float:
    return 20.0 * math.log10(linear) if linear > 0.0 else -math.inf


@dataclass(frozen=True)
class LoudnessStats:
    """What :class:`LoudnessMeter` measured. Levels in dB; ``-inf`` for silence or too short."""

    integrated_lufs: float
    sample_peak_dbfs: float
    true_peak_dbtp: float
    num_frames: int
    sample_rate_hz: float
    num_channels: int

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.sample_rate_hz

    def as_dict(self) -> dict:
        out = asdict(self)
        out["duration_s"] = self.duration_s
        for key, value in out.items():  # JSON has no infinities
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


class _TruePeakDetector:
    """Streams audio through the 4x (2x, 1x) soxr oversampler; yields per-sample |max| over channels."""

    def __init__(self, sample_rate_hz: float, num_channels: int) -> None:
        self.factor = oversampling_factor(sample_rate_hz)
        self._stream = (
            soxr.ResampleStream(
                sample_rate_hz, sample_rate_hz * self.factor, num_channels, dtype="float32",
                quality=TRUE_PEAK_QUALITY,
            )
            if self.factor > 1
            else None
        )

    def push(self, audio: np.ndarray, last: bool = False) -> np.ndarray:
        """``audio`` (C, n) float32 -> absolute oversampled values, max over channels, time-aligned."""
        if self._stream is None:
            return np.abs(audio).max(axis=0) if audio.shape[1] else np.zeros(0, np.float32)
        out = self._stream.resample_chunk(np.ascontiguousarray(audio.T), last=last)
        if out.ndim == 1:
            out = out[:, None]
        return np.abs(out).max(axis=1) if out.shape[0] else np.zeros(0, np.float32)


class LoudnessMeter:
    """Streaming BS.1770-4 integrated loudness, sample peak and true peak of ``(C, n)`` chunks.

    >>> meter = LoudnessMeter(48000, 2)
    >>> for chunk in chunks: meter.add(chunk)      # doctest: +SKIP
    >>> meter.result().integrated_lufs             # doctest: +SKIP
    """

    def __init__(self, sample_rate: float, num_channels: int, true_peak: bool = True) -> None:
        self.sample_rate_hz = check_sample_rate(sample_rate)
        self.num_channels = int(num_channels)
        self._sos = _k_weighting_sos(self.sample_rate_hz)
        self._zi = np.zeros((self._sos.shape[0], self.num_channels, 2))  # filters start at rest
        self._weights = channel_weights(self.num_channels)[:, None]
        self._quarters = array("d")  # weighted energy of every completed 100 ms quarter block
        self._acc = 0.0  # energy of the quarter block in progress
        self._num_frames = 0
        self._next_boundary = self._boundary(1)
        self._sample_peak = 0.0
        self._true_peak = 0.0
        self._detector = _TruePeakDetector(self.sample_rate_hz, self.num_channels) if true_peak else None
        self._finished: LoudnessStats | None = None

    def _boundary(self, k: int) -> int:
        # pyloudnorm's block bounds: int(T_g * (j * step) * rate); quarter k starts here
        return int(BLOCK_SECONDS * (k * QUARTER) * self.sample_rate_hz)

    def add(self, audio: np.ndarray) -> None:
        """Add a ``(C, n)`` chunk (float32 or float64)."""
        if self._finished is not None:
            raise RuntimeError("LoudnessMeter.add() after result(); start a new meter")
        audio = np.asarray(audio)
        if audio.ndim == 1:
            audio = audio[None, :]
        if audio.shape[0] != self.num_channels:
            raise ValueError(f"expected {self.num_channels} channel(s), got array of shape {audio.shape}")
        n = audio.shape[1]
        if n == 0:
            return
        peak = float(np.abs(audio).max())
        self._sample_peak = max(self._sample_peak, peak)
        if self._detector is not None:
            os_abs = self._detector.push(np.asarray(audio, dtype=np.float32))
            if os_abs.size:
                self._true_peak = max(self._true_peak, float(os_abs.max()))
        filtered, self._zi = sosfilt(self._sos, audio.astype(np.float64), axis=-1, zi=self._zi)
        energy = (np.square(filtered) * self._weights).sum(axis=0)
        cumulative = np.concatenate([[0.0], np.cumsum(energy)])
        start = self._num_frames
        end = start + n
        used = 0  # samples of this chunk already assigned to a quarter block
        while self._next_boundary <= end:
            cut = self._next_boundary - start
            self._quarters.append(self._acc + cumulative[cut] - cumulative[used])
            self._acc = 0.0
            used = cut
            self._next_boundary = self._boundary(len(self._quarters) + 1)
        self._acc += cumulative[n] - cumulative[used]
        self._num_frames = end

    def integrated_lufs(self) -> float:
        """Integrated gated loudness so far (``-inf`` if silent or shorter than one 400 ms block)."""
        rate = self.sample_rate_hz
        duration = self._num_frames / rate
        if duration < BLOCK_SECONDS:
            return -math.inf
        num_blocks = int(np.round((duration - BLOCK_SECONDS) / (BLOCK_SECONDS * QUARTER))) + 1
        quarters = np.zeros(num_blocks + 3)
        done = np.frombuffer(self._quarters, dtype=np.float64)[: num_blocks + 3]
        quarters[: done.size] = done
        if done.size < quarters.size:
            quarters[done.size] = self._acc  # the partial quarter block at the end
        blocks = quarters[0:num_blocks] + quarters[1 : num_blocks + 1] + quarters[2 : num_blocks + 2]
        blocks = (blocks + quarters[3 : num_blocks + 3]) / (BLOCK_SECONDS * rate)
        with np.errstate(divide="ignore"):
            block_lufs = -0.691 + 10.0 * np.log10(blocks)
        gated = blocks[block_lufs >= ABSOLUTE_GATE_LUFS]
        if gated.size == 0:
            return -math.inf
        relative_gate = -0.691 + 10.0 * math.log10(gated.mean()) + RELATIVE_GATE_LU
        gated = blocks[(block_lufs > relative_gate) & (block_lufs > ABSOLUTE_GATE_LUFS)]
        if gated.size == 0:
            return -math.inf
        return -0.691 + 10.0 * math.log10(gated.mean())

    def result(self) -> LoudnessStats:
        """Finish (flushes the oversampler) and return the measurement; no more ``add`` after this."""
        if self._finished is None:
            if self._detector is not None and self._num_frames:
                tail = self._detector.push(np.zeros((self.num_channels, 0), np.float32), last=True)
                if tail.size:
                    self._true_peak = max(self._true_peak, float(tail.max()))
            true_peak = max(self._true_peak, self._sample_peak) if self._detector is not None else math.nan
            self._finished = LoudnessStats(
                integrated_lufs=self.integrated_lufs(),
                sample_peak_dbfs=_to_db(self._sample_peak),
                true_peak_dbtp=_to_db(true_peak) if self._detector is not None else math.nan,
                num_frames=self._num_frames,
                sample_rate_hz=self.sample_rate_hz,
                num_channels=self.num_channels,
            )
        return self._finished


def measure(audio: np.ndarray, sample_rate: float, chunk_samples: int = 1 << 16) -> LoudnessStats:
    """One-shot :class:`LoudnessMeter` over an array in pedalboard's layouts."""
    x, _ = to_channels_first(audio)
    meter = LoudnessMeter(sample_rate, x.shape[0])
    for start in range(0, x.shape[1], chunk_samples):
        meter.add(x[:, start : start + chunk_samples])
    return meter.result()


# ----------------------------------------------------------------------------------- limiter
@njit(cache=True, nogil=True)
def _release(attack: np.ndarray, gain: float, coefficient: float, out: np.ndarray) -> float:
    """g[t] = min(a[t], g[t-1] + k (a[t] - g[t-1])): instant down (a is already smooth), slow up."""
    for i in range(attack.shape[0]):
        target = attack[i]
        smoothed = gain + coefficient * (target - gain)
        gain = target if target < smoothed else smoothed
        out[i] = gain
    return gain


@lru_cache(maxsize=32)
def _max_holdback_oversampled(sample_rate_hz: float, factor: int) -> int:
    """Most oversampled samples the soxr detector holds back (fed one sample at a time, worst case)."""
    if factor == 1:
        return 0
    stream = soxr.ResampleStream(sample_rate_hz, sample_rate_hz * factor, 1, dtype="float32", quality=TRUE_PEAK_QUALITY)
    one = np.zeros(1, np.float32)
    produced = worst = 0
    for i in range(1, 4001):
        produced += stream.resample_chunk(one).shape[0]
        worst = max(worst, i * factor - produced)
    return int(worst)


class TruePeakLimiter:
    """Streaming gain + look-ahead true-peak limiter (see the module docstring).

    :meth:`push` takes ``(C, n)`` float32 and returns the time-aligned output that is ready
    (fewer samples while the look-ahead fills); :meth:`flush` returns the rest. The concatenation
    has the input's length and does not depend on the chunking. ``ceiling_db`` is the level the
    detector aims at (the caller subtracts its safety margin).
    """

    def __init__(
        self,
        sample_rate: float,
        num_channels: int,
        ceiling_db: float = -1.0,
        gain_db: float = 0.0,
        lookahead_ms: float = 5.0,
        release_ms: float = 100.0,
    ) -> None:
        self.sample_rate_hz = check_sample_rate(sample_rate)
        self.num_channels = int(num_channels)
        self.ceiling = 10.0 ** (ceiling_db / 20.0)
        self.gain = 10.0 ** (gain_db / 20.0)
        half = max(1, int(round(lookahead_ms * 1e-3 * self.sample_rate_hz / 2.0)))
        self.window = 2 * half + 1  # odd, so the centred minimum filter has an exact offset
        self.release_coefficient = 1.0 - math.exp(-1.0 / max(1e-9, release_ms * 1e-3 * self.sample_rate_hz))
        self._detector = _TruePeakDetector(self.sample_rate_hz, self.num_channels)
        self.factor = self._detector.factor
        self.latency_samples = self.window - 1 + -(-_max_holdback_oversampled(self.sample_rate_hz, self.factor) // self.factor) + 2
        self._x = np.zeros((self.num_channels, 0), np.float32)  # pending input from _out_pos
        self._abs_x = np.zeros(0, np.float64)  # max |x| over channels, same span as _x
        self._in_pos = 0
        self._out_pos = 0
        self._os = np.zeros(0, np.float32)  # oversampled |max| not yet grouped
        self._inter_end = 0  # inter-sample peaks known for intervals [0, _inter_end)
        self._last_inter = 0.0
        self._r = np.ones(self.window - 1, np.float64)  # required gains from _out_pos - (W - 1)
        self._g = 1.0
        self._flushed = False

    def _add_required(self, inter: np.ndarray) -> None:
        """Turn new inter-sample peaks for intervals [_inter_end, +len) into required gains."""
        if inter.size == 0:
            return
        start = self._inter_end
        prev = np.concatenate([[self._last_inter], inter[:-1]])
        offset = start - self._out_pos
        sample_peak = np.zeros(inter.size)
        known = max(0, min(inter.size, self._abs_x.size - offset))
        sample_peak[:known] = self._abs_x[offset : offset + known]
        env = np.maximum(np.maximum(inter, prev), sample_peak)
        with np.errstate(divide="ignore"):
            required = np.where(env > self.ceiling, self.ceiling / np.maximum(env, 1e-30), 1.0)
        self._r = np.concatenate([self._r, required])
        self._last_inter = float(inter[-1])
        self._inter_end += inter.size

    def _group(self, os_abs: np.ndarray, final: bool) -> None:
        os_abs = np.concatenate([self._os, os_abs]) if self._os.size else os_abs
        f = self.factor
        whole = os_abs.size // f
        inter = os_abs[: whole * f].reshape(whole, f).max(axis=1).astype(np.float64) if whole else np.zeros(0)
        self._os = os_abs[whole * f :]
        if final:
            extra = [float(self._os.max())] if self._os.size else []
            self._os = np.zeros(0, np.float32)
            inter = np.concatenate([inter, extra])
            inter = inter[: max(0, self._in_pos - self._inter_end)]
            missing = self._in_pos - self._inter_end - inter.size
            inter = np.concatenate([inter, np.zeros(max(0, missing))])
        self._add_required(inter)

    def _emit(self, end: int) -> np.ndarray:
        count = end - self._out_pos
        if count <= 0:
            return np.zeros((self.num_channels, 0), np.float32)
        w = self.window
        half = (w - 1) // 2
        r = self._r[: count + 2 * (w - 1)]
        minimum = minimum_filter1d(r, size=w, mode="nearest")[half : r.size - half]  # min r[i:i+w]
        # mean of w minima; in integer fixed point (rounded down) so the sums are exact and the
        # output is bit-identical for every chunking (a float cumsum would depend on where it starts)
        fixed = np.floor(minimum * _FIXED_ONE).astype(np.int64)
        cumulative = np.concatenate([[0], np.cumsum(fixed)])
        attack = (cumulative[w : w + count] - cumulative[:count]).astype(np.float64) / (w * _FIXED_ONE)
        np.minimum(attack, 1.0, out=attack)
        gain = np.empty(count)
        self._g = _release(attack, self._g, self.release_coefficient, gain)
        out = (self._x[:, :count] * gain.astype(np.float32)).astype(np.float32)
        self._x = self._x[:, count:]
        self._abs_x = self._abs_x[count:]
        self._r = self._r[count:]
        self._out_pos = end
        return out

    def push(self, audio: np.ndarray) -> np.ndarray:
        if self._flushed:
            raise RuntimeError("TruePeakLimiter.push() after flush(); start a new limiter")
        x = np.asarray(audio, dtype=np.float32)
        if self.gain != 1.0:
            x = x * np.float32(self.gain)
        if x.shape[1] == 0:
            return x
        self._x = np.concatenate([self._x, x], axis=1) if self._x.shape[1] else np.ascontiguousarray(x)
        self._abs_x = np.concatenate([self._abs_x, np.abs(x).max(axis=0).astype(np.float64)])
        self._in_pos += x.shape[1]
        self._group(self._detector.push(x), final=False)
        ready = min(self._in_pos, self._inter_end - (self.window - 1))
        return self._emit(ready)

    def flush(self) -> np.ndarray:
        """Return everything still held back; the limiter is finished afterwards."""
        if self._flushed:
            return np.zeros((self.num_channels, 0), np.float32)
        self._flushed = True
        if self._in_pos == 0:
            return np.zeros((self.num_channels, 0), np.float32)
        self._group(self._detector.push(np.zeros((self.num_channels, 0), np.float32), last=True), final=True)
        self._r = np.concatenate([self._r, np.ones(self.window - 1)])  # silence after the end
        return self._emit(self._in_pos)


# --------------------------------------------------------------------------- normalization
@dataclass(frozen=True)
class LoudnessSettings:
    """The ``[loudness]`` section of a preset."""

    integrated_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    lookahead_ms: float = 5.0
    release_ms: float = 100.0
    max_gain_db: float | None = None


def plan_gain(measured_lufs: float, settings: LoudnessSettings) -> float:
    """Gain in dB that brings ``measured_lufs`` to the target (0 for silence; capped by max_gain_db)."""
    if not math.isfinite(measured_lufs):
        return 0.0
    gain = settings.integrated_lufs - measured_lufs
    if settings.max_gain_db is not None:
        gain = min(gain, settings.max_gain_db)
    return gain


@dataclass
class NormalizeReport:
    """What :func:`normalize_passes` did and measured on its final output."""

    input_lufs: float
    gain_db: float
    trim_db: float
    margin_db: float
    passes: int
    output: LoudnessStats

    def as_dict(self) -> dict:
        def clean(v):
            return v if not isinstance(v, float) or math.isfinite(v) else None

        return {
            "input_lufs": clean(self.input_lufs),
            "gain_db": self.gain_db,
            "trim_db": self.trim_db,
            "limiter_margin_db": self.margin_db,
            "passes": self.passes,
            "output_lufs": clean(self.output.integrated_lufs),
            "output_true_peak_dbtp": clean(self.output.true_peak_dbtp),
            "output_sample_peak_dbfs": clean(self.output.sample_peak_dbfs),
        }


def limiter_pass(
    chunks: Iterable[np.ndarray],
    sink: Callable[[np.ndarray], None],
    sample_rate: float,
    num_channels: int,
    settings: LoudnessSettings,
    gain_db: float,
    margin_db: float,
    trim_db: float = 0.0,
) -> LoudnessStats:
    """Gain + limit ``chunks`` ((C, n) float32) into ``sink``; returns the output's measurement."""
    limiter = TruePeakLimiter(
        sample_rate, num_channels, settings.true_peak_dbtp - margin_db, gain_db,
        settings.lookahead_ms, settings.release_ms,
    )
    meter = LoudnessMeter(sample_rate, num_channels)
    trim = np.float32(10.0 ** (trim_db / 20.0))

    def emit(block: np.ndarray) -> None:
        if block.shape[1]:
            if trim_db:
                block = block * trim
            meter.add(block)
            sink(block)

    for chunk in chunks:
        emit(limiter.push(chunk))
    emit(limiter.flush())
    return meter.result()


def normalize_passes(
    open_chunks: Callable[[], Iterator[np.ndarray]],
    open_sink: Callable[[], Callable[[np.ndarray], None]],
    discard_sink: Callable[[], None],
    input_stats: LoudnessStats,
    settings: LoudnessSettings,
) -> NormalizeReport:
    """Run pass 2 (gain + limiter) until the ceiling holds and the loudness is on target.

    ``open_chunks()`` yields the pass-1 audio again for each attempt; ``open_sink()`` starts a fresh
    output and returns its write function; ``discard_sink()`` throws away a rejected attempt's output.
    """
    rate, channels = input_stats.sample_rate_hz, input_stats.num_channels
    gain = plan_gain(input_stats.integrated_lufs, settings)
    margin, trim = DEFAULT_MARGIN_DB, 0.0
    loudness_retries = peak_retries = 0
    passes = 0
    while True:
        passes += 1
        sink = open_sink()
        out = limiter_pass(open_chunks(), sink, rate, channels, settings, gain, margin, trim)
        over = out.true_peak_dbtp - settings.true_peak_dbtp
        if math.isfinite(over) and over > 0.0:
            discard_sink()
            if peak_retries < MAX_PEAK_RETRIES:
                peak_retries += 1
                margin += over + 0.05
            else:  # a static trim scales the true peak exactly
                trim -= over + 0.01
            continue
        deficit = settings.integrated_lufs - out.integrated_lufs
        can_raise = settings.max_gain_db is None or gain < settings.max_gain_db
        if (
            math.isfinite(deficit)
            and deficit > LOUDNESS_RETRY_LU
            and loudness_retries < MAX_LOUDNESS_RETRIES
            and math.isfinite(input_stats.integrated_lufs)
            and can_raise
        ):
            discard_sink()
            loudness_retries += 1
            gain += deficit
            if settings.max_gain_db is not None:
                gain = min(gain, settings.max_gain_db)
            continue
        return NormalizeReport(input_stats.integrated_lufs, gain, trim, margin, passes, out)


def normalize_array(
    audio: np.ndarray, sample_rate: float, settings: LoudnessSettings, chunk_samples: int = 1 << 16
) -> tuple[np.ndarray, NormalizeReport]:
    """Normalize a channels-first float32 array in memory (two passes); returns (audio, report)."""
    stats = measure(audio, sample_rate, chunk_samples)
    result: list[np.ndarray] = []

    def chunks() -> Iterator[np.ndarray]:
        for start in range(0, audio.shape[1], chunk_samples):
            yield audio[:, start : start + chunk_samples]

    def open_sink():
        result.clear()
        return result.append

    report = normalize_passes(chunks, open_sink, result.clear, stats, settings)
    out = np.concatenate(result, axis=1) if result else audio[:, :0].copy()
    return out, report


class LoudnessNormalizer:
    """Loudness normalization + true-peak limiting as a :class:`hance_plugin.Pedalboard` stage.

    Args:
        integrated_lufs: target integrated loudness (ITU-R BS.1770-4), e.g. -16 (podcasts) or -23
            (EBU R 128).
        true_peak_dbtp: true-peak ceiling (4x oversampled), e.g. -1.
        lookahead_ms, release_ms: limiter timing.
        max_gain_db: never raise the level by more than this (``None``: no cap).
        gain_db: the gain for streaming (``reset=False``); ``None`` until a first pass measured it.

    ``process(..., reset=True)`` measures the whole input, then applies gain and the limiter (two
    passes in memory). A stream (``reset=False``) cannot know the loudness of audio that has not
    arrived yet, so it needs ``gain_db`` set first (``hance_plugin.fileio`` does this with its
    measuring pass); it then returns the input's length delayed by ``get_latency_samples``.
    """

    def __init__(
        self,
        integrated_lufs: float = -16.0,
        true_peak_dbtp: float = -1.0,
        lookahead_ms: float = 5.0,
        release_ms: float = 100.0,
        max_gain_db: float | None = None,
        gain_db: float | None = None,
    ) -> None:
        self.settings = LoudnessSettings(
            float(integrated_lufs), float(true_peak_dbtp), float(lookahead_ms), float(release_ms),
            None if max_gain_db is None else float(max_gain_db),
        )
        self.gain_db = gain_db
        self.last_report: NormalizeReport | None = None
        self._limiter: TruePeakLimiter | None = None
        self._fifo: np.ndarray | None = None
        self._last_rate_hz = 48000.0

    # settings as attributes, for repr and presets
    integrated_lufs = property(lambda self: self.settings.integrated_lufs)
    true_peak_dbtp = property(lambda self: self.settings.true_peak_dbtp)
    lookahead_ms = property(lambda self: self.settings.lookahead_ms)
    release_ms = property(lambda self: self.settings.release_ms)
    max_gain_db = property(lambda self: self.settings.max_gain_db)

    def __repr__(self) -> str:
        return (
            f"<hance_plugin.LoudnessNormalizer integrated_lufs={self.integrated_lufs:g} "
            f"true_peak_dbtp={self.true_peak_dbtp:g} at {hex(id(self))}>"
        )

    def get_latency_samples(self, sample_rate: float) -> int:
        rate = check_sample_rate(sample_rate)
        half = max(1, int(round(self.lookahead_ms * 1e-3 * rate / 2.0)))
        factor = oversampling_factor(rate)
        return 2 * half + -(-_max_holdback_oversampled(rate, factor) // factor) + 2

    @property
    def reported_latency_samples(self) -> int:
        return self.get_latency_samples(self._last_rate_hz)

    def reset(self) -> None:
        self._limiter = None
        self._fifo = None

    def process(self, input_array: np.ndarray, sample_rate: float, buffer_size: int = 8192, reset: bool = True) -> np.ndarray:
        rate = check_sample_rate(sample_rate)
        self._last_rate_hz = rate
        audio, layout = to_channels_first(input_array)
        if reset:
            self.reset()
            out, self.last_report = normalize_array(audio, rate, self.settings)
            return from_channels_first(out, layout)
        if self.gain_db is None:
            raise ValueError(
                "LoudnessNormalizer cannot stream (reset=False) before the programme's loudness is known: "
                "set gain_db (e.g. from a measuring pass, see hance_plugin.fileio.process_file) or process "
                "the whole signal at once with reset=True."
            )
        if self._limiter is None or self._limiter.sample_rate_hz != rate or self._limiter.num_channels != audio.shape[0]:
            self._limiter = TruePeakLimiter(
                rate, audio.shape[0], self.true_peak_dbtp - DEFAULT_MARGIN_DB, self.gain_db,
                self.lookahead_ms, self.release_ms,
            )
            self._fifo = np.zeros((audio.shape[0], self.get_latency_samples(rate)), np.float32)
        out = self._limiter.push(audio)
        fifo = np.concatenate([self._fifo, out], axis=1)
        n = audio.shape[1]
        if fifo.shape[1] < n:  # pragma: no cover - the latency bounds the hold-back
            raise RuntimeError("LoudnessNormalizer: limiter held back more than its latency")
        self._fifo = fifo[:, n:]
        return from_channels_first(np.ascontiguousarray(fifo[:, :n]), layout)
