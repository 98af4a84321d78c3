"""Quiet lead-ins: find one at the start of a recording, so that file processing can start the
noise-floor trackers after it.

Why. The engine's noise-floor tracker (``kernels/floor.py``: continuous minimum tracking, Doblinger
1995; Martin 2001) falls at once to the quietest level it sees and rises at most 5 dB/s. A lead-in
that is quiet but not digital silence (16-bit dither, a muted microphone's hum, a fade-in) pulls the
floor far under the noise of the recording that follows, and for seconds that noise stands above
"the floor" like speech: over 8-s val mixtures one second of dither before a mixture cost
``hance-base`` about 4 dB SI-SDR, a -80 dBFS hum about 10 dB (``benchmarks/digital_silence.py``;
README "Quiet lead-ins"). A causal tracker cannot tell such a lead-in from a clean recording's own
quiet pre-roll until long after: six rounds of tracker rules and a network trained on lead-ins
recovered part of it (``models/training/ablations/digital-silence/``, ``quiet-lead/``). A file can
be looked at ahead, and there the two differ plainly: a clean recording returns to its pre-roll's
level in its pauses, the recording after a quiet lead-in never does.

Rule (:func:`find_quiet_lead_in`; :class:`LeadInScanner` for a stream of blocks). Frame levels
``L`` in dBFS: mean power over channels, frames of two 10-ms hops, at least ``-140``. A
*candidate* is a frame louder than every frame before it by ``RISE_DB``; the lead-in before it counts when it lasts ``MIN_LEAD_S`` or more, the candidate lies
within the first ``MAX_LEAD_S``, and the 10th percentile of ``L`` over the ``AFTER_S`` that follow
(the recording's own floor: its pauses) stands ``FLOOR_GAP_DB`` or more above the loudest frame of
the lead-in. The last such candidate ends the lead-in (a lead-in of zeros, then dither, then the
recording ends at the recording). Nothing is found in recordings that start with their own sound.

Use. :attr:`hance_plugin.Denoiser.noise_floor_start_samples` makes a Denoiser's floor trackers
start afresh once a stream reaches that sample, so that their first frame lies wholly after it
(the audio path itself is not touched: no click, no other state reset).
:func:`hance_plugin.fileio.process_file` (and so ``hance-plugin process`` and ``batch``) looks at
the first ``SCAN_SECONDS`` (33 s) of every input and does this by default. Judged on val before it
became the default: ``models/training/ablations/lead-in-restart/rule.md``.

Example:
    >>> import numpy as np
    >>> from hance_plugin.lead_in import find_quiet_lead_in
    >>> rng = np.random.default_rng(0)
    >>> dither = rng.normal(0, 1e-5, 48000)            # 1 s at about -100 dBFS
    >>> noisy = rng.normal(0, 3e-3, 4 * 48000)         # then 4 s of noise at about -50 dBFS
    >>> lead = find_quiet_lead_in(np.concatenate([dither, noisy]).astype(np.float32), 48000)
    >>> round(lead.end_samples / 48000, 2), round(lead.lead_dbfs), round(lead.after_floor_dbfs)
    (1.0, -100, -51)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["QuietLeadIn", "LeadInScanner", "find_quiet_lead_in", "RISE_DB", "FLOOR_GAP_DB", "AFTER_S", "MAX_LEAD_S", "MIN_LEAD_S",
           "SCAN_SECONDS"]

HOP_S = 0.01
LEVEL_FLOOR_DBFS = -140.0  # digital silence reads this
RISE_DB = 15.0  # a frame this much louder than everything before it may end a lead-in ...
FLOOR_GAP_DB = 12.0  # ... when the floor of what follows stands this far above the lead-in's loudest frame
AFTER_S = 3.0  # the stretch after the candidate whose 10th-percentile level is that floor
MIN_AFTER_S = 1.0  # a candidate with less than this after it (a short file) is not judged
MIN_LEAD_S = 0.1
MAX_LEAD_S = 30.0
SCAN_SECONDS = MAX_LEAD_S + AFTER_S + 2 * HOP_S  # how much of a recording the rule reads


@dataclass(frozen=True)
class QuietLeadIn:
    """A quiet lead-in: input samples ``[0, end_samples)`` at ``sample_rate_hz``."""

    end_samples: int
    sample_rate_hz: float
    lead_dbfs: float  # the lead-in's loudest 20-ms frame, dBFS (mean power over channels)
    after_floor_dbfs: float  # the 10th-percentile frame level of the AFTER_S that follow it

    @property
    def end_s(self) -> float:
        return self.end_samples / self.sample_rate_hz

    def as_dict(self) -> dict:
        return dict(asdict(self), end_s=self.end_s)


def _hop_samples(sample_rate_hz: float) -> int:
    """Samples per 10-ms hop (a frame is two hops)."""
    return max(1, int(round(HOP_S * sample_rate_hz)))


def _levels_from_hop_power(hop_power: np.ndarray, hop: int) -> np.ndarray:
    """Frame levels (dBFS, floored) from the summed power of consecutive hops."""
    if hop_power.size < 2:
        return np.zeros(0)
    mean = (hop_power[:-1] + hop_power[1:]) / (2 * hop)
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(np.maximum(mean, 0.0))
    return np.maximum(levels, LEVEL_FLOOR_DBFS)


def frame_levels_dbfs(audio: np.ndarray, sample_rate_hz: float) -> tuple[np.ndarray, int]:
    """(levels (T,), hop in samples): dBFS of each frame of two 10-ms hops of ``audio`` (C, n), hop by
    hop, the mean power over channels, floored at ``LEVEL_FLOOR_DBFS``."""
    hop = _hop_samples(sample_rate_hz)
    power = np.mean(np.square(audio, dtype=np.float64), axis=0)
    n_hops = power.size // hop
    hop_power = power[: n_hops * hop].reshape(n_hops, hop).sum(axis=1)
    return _levels_from_hop_power(hop_power, hop), hop


def _rule(levels: np.ndarray, hop: int, n_samples: int, sample_rate_hz: float) -> QuietLeadIn | None:
    """The module's rule on frame levels (frame t starts at sample t * hop, lasts two hops)."""
    if levels.size < 2:
        return None
    before = np.maximum.accumulate(levels)  # before[t - 1]: the loudest frame before t
    after_frames = int(round(AFTER_S / HOP_S))
    min_after = int(round(MIN_AFTER_S / HOP_S))
    first = max(1, int(round(MIN_LEAD_S / HOP_S)))
    last = min(levels.size - 1, int(round(MAX_LEAD_S / HOP_S)))
    found = None
    for t in np.flatnonzero(levels[first : last + 1] > before[first - 1 : last] + RISE_DB) + first:
        after = levels[t : t + after_frames]
        if after.size < min_after:
            break
        floor = float(np.percentile(after, 10))
        if floor >= before[t - 1] + FLOOR_GAP_DB:
            # frame t - 1, ending at (t + 1) hops, was still quiet: the recording starts after it
            end = min(n_samples, (int(t) + 1) * hop)
            found = QuietLeadIn(end, float(sample_rate_hz), float(before[t - 1]), floor)
    return found


def _check_rate(sample_rate_hz: float) -> float:
    if not (isinstance(sample_rate_hz, (int, float, np.integer, np.floating)) and not isinstance(sample_rate_hz, bool)
            and math.isfinite(sample_rate_hz) and sample_rate_hz > 0):
        raise ValueError(f"sample_rate_hz must be a positive number, got {sample_rate_hz!r}")
    return float(sample_rate_hz)


def find_quiet_lead_in(audio: np.ndarray, sample_rate_hz: float) -> QuietLeadIn | None:
    """The quiet lead-in at the start of ``audio`` ((channels, samples) or (samples,), float, at
    ``sample_rate_hz``), or None. Reads at most the first ``SCAN_SECONDS``; see the module's rule."""
    rate = _check_rate(sample_rate_hz)
    x = np.asarray(audio)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"audio must be a float array of shape (channels, samples) or (samples,), got {x.dtype} {x.shape}")
    x = x[:, : int(math.ceil(SCAN_SECONDS * rate))]
    if not np.all(np.isfinite(x)):
        raise ValueError("audio holds NaN or infinite samples")
    levels, hop = frame_levels_dbfs(x, rate)
    return _rule(levels, hop, x.shape[1], rate)


class LeadInScanner:
    """:func:`find_quiet_lead_in` over a stream of blocks in constant memory (only the per-hop
    power of the first ``SCAN_SECONDS`` is kept): ``push`` blocks (channels, samples) until ``done``,
    then ``result()``. Non-finite samples count as silence. What file processing uses.

    Example:
        >>> import numpy as np
        >>> scanner = LeadInScanner(48000)
        >>> scanner.push(np.zeros((2, 4800), np.float32))
        >>> scanner.done, scanner.result()
        (False, None)
    """

    def __init__(self, sample_rate_hz: float) -> None:
        self.sample_rate_hz = _check_rate(sample_rate_hz)
        self._hop = _hop_samples(self.sample_rate_hz)
        self._need = int(math.ceil(SCAN_SECONDS * self.sample_rate_hz))
        self._seen = 0
        self._carry = np.zeros(0)
        self._hop_power: list[np.ndarray] = []

    @property
    def done(self) -> bool:
        """Whether the scanned opening has been read (later blocks are ignored)."""
        return self._seen >= self._need

    def push(self, block: np.ndarray) -> None:
        block = np.asarray(block)
        if block.ndim == 1:
            block = block[None, :]
        take = min(block.shape[1], self._need - self._seen)
        if take <= 0:
            return
        part = np.nan_to_num(block[:, :take].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        power = np.concatenate([self._carry, np.mean(np.square(part), axis=0)])
        n_hops = power.size // self._hop
        self._hop_power.append(power[: n_hops * self._hop].reshape(n_hops, self._hop).sum(axis=1))
        self._carry = power[n_hops * self._hop :]
        self._seen += take

    def result(self) -> QuietLeadIn | None:
        hop_power = np.concatenate(self._hop_power) if self._hop_power else np.zeros(0)
        return _rule(_levels_from_hop_power(hop_power, self._hop), self._hop, self._seen, self.sample_rate_hz)
