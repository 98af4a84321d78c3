"""STFT and band layout of a model: everything the kernels need, derived from the model card.

Bands follow the ERB-rate scale of Glasberg & Moore (1990), ERB_rate(f) = 21.4 log10(1 + 0.00437 f),
with the split frequency forced to be a band edge, so that the bands above it are exactly the
bands whose gains the model predicts. Bands below the split are counted in proportion to the
ERB-rate span they cover, and every band is at least ``min_band_bins`` wide (low bands would
otherwise be narrower than one bin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .kernels.modified import derotation_table
from .kernels.windows import WINDOWS, analysis_window, synthesis_window

__all__ = ["StftConfig", "erb_band_edges"]


def _erb_rate(freq_hz: np.ndarray | float) -> np.ndarray | float:
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(freq_hz, dtype=np.float64))


def _erb_rate_inverse(erb: np.ndarray) -> np.ndarray:
    return (10.0 ** (erb / 21.4) - 1.0) / 0.00437


def _spaced_edges(lo_bin: int, hi_bin: int, n_bands: int, bin_hz: float, min_width: int) -> list[int]:
    if n_bands * min_width > hi_bin - lo_bin:
        raise ValueError(
            f"cannot fit {n_bands} bands of >= {min_width} bins into bins [{lo_bin}, {hi_bin})"
        )
    erb = np.linspace(_erb_rate(lo_bin * bin_hz), _erb_rate(hi_bin * bin_hz), n_bands + 1)
    target = np.round(_erb_rate_inverse(erb) / bin_hz).astype(int)
    edges = [lo_bin]
    for i in range(1, n_bands):
        edges.append(max(int(target[i]), edges[-1] + min_width))
    edges.append(hi_bin)
    for i in range(n_bands - 1, 0, -1):  # pull back anything pushed past the end
        edges[i] = min(edges[i], edges[i + 1] - min_width)
    return edges


def erb_band_edges(
    window_samples: int, sample_rate_hz: float, n_bands: int, split_bin: int, min_band_bins: int = 2
) -> np.ndarray:
    """Return ``n_bands + 1`` int32 band edges (bins) covering [0, N/2 + 1) with ``split_bin`` an edge."""
    n_bins = window_samples // 2 + 1
    bin_hz = sample_rate_hz / window_samples
    if not 0 < split_bin < n_bins:
        raise ValueError(f"split bin {split_bin} must lie inside (0, {n_bins})")
    span_low = _erb_rate(split_bin * bin_hz)
    span_all = _erb_rate(n_bins * bin_hz)
    n_low = min(max(1, int(round(n_bands * span_low / span_all))), n_bands - 1)
    low = _spaced_edges(0, split_bin, n_low, bin_hz, min_band_bins)
    high = _spaced_edges(split_bin, n_bins, n_bands - n_low, bin_hz, min_band_bins)
    return np.asarray(low[:-1] + high, dtype=np.int32)


@dataclass(frozen=True)
class StftConfig:
    """STFT, split and band settings shared by the kernels, the engine and the model card.

    Attributes:
        sample_rate_hz: processing rate (models run at 48 kHz).
        window_samples: N, FFT size and window length (960 = 20 ms at 48 kHz).
        hop_samples: H (480 = 10 ms).
        window: "vorbis" or "sqrt_hann".
        compression_exponent: c of the power-law feature compression |X|^c.
        split_hz: complex mask below, real gains above.
        n_bands: ERB bands over the whole spectrum (band energy features; high-band gains).
        high_gains: "bands" (one gain per band above the split) or "bins" (one per bin).
        band_edges_bins: explicit band edges; computed with ``erb_band_edges`` when omitted.
    """

    sample_rate_hz: int = 48000
    window_samples: int = 960
    hop_samples: int = 480
    window: str = "vorbis"
    compression_exponent: float = 0.3
    split_hz: float = 6000.0
    n_bands: int = 32
    high_gains: str = "bands"
    band_edges_bins: tuple[int, ...] | None = None
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {sorted(WINDOWS)}, got {self.window!r}")
        if self.window_samples < 16 or self.window_samples % 2:
            raise ValueError(f"window_samples must be an even number >= 16, got {self.window_samples}")
        if not 1 <= self.hop_samples <= self.window_samples:
            raise ValueError(
                f"hop_samples must be in [1, window_samples={self.window_samples}], got {self.hop_samples}"
            )
        if not 0.0 < self.compression_exponent <= 1.0:
            raise ValueError(f"compression_exponent must be in (0, 1], got {self.compression_exponent}")
        if not 0.0 < self.split_hz < self.sample_rate_hz / 2:
            raise ValueError(f"split_hz must be in (0, {self.sample_rate_hz / 2}), got {self.split_hz}")
        if self.high_gains not in ("bands", "bins"):
            raise ValueError(f"high_gains must be 'bands' or 'bins', got {self.high_gains!r}")
        edges = (
            np.asarray(self.band_edges_bins, dtype=np.int32)
            if self.band_edges_bins is not None
            else erb_band_edges(self.window_samples, self.sample_rate_hz, self.n_bands, self.split_bin)
        )
        if (
            edges.ndim != 1
            or edges.shape[0] != self.n_bands + 1
            or edges[0] != 0
            or edges[-1] != self.n_bins
            or np.any(np.diff(edges) <= 0)
            or self.split_bin not in edges
        ):
            raise ValueError(
                f"band_edges_bins must be {self.n_bands + 1} increasing bins from 0 to {self.n_bins} "
                f"that include the split bin {self.split_bin}"
            )
        self._derived["band_edges"] = edges

    # --- derived quantities -------------------------------------------------------------------
    @property
    def n_bins(self) -> int:
        """K = N/2 + 1 rfft bins."""
        return self.window_samples // 2 + 1

    @property
    def split_bin(self) -> int:
        """First bin at or above ``split_hz``; bins below it get the complex mask."""
        return int(math.ceil(self.split_hz * self.window_samples / self.sample_rate_hz - 1e-9))

    @property
    def band_edges(self) -> np.ndarray:
        """(n_bands + 1,) int32 band edges in bins."""
        return self._derived["band_edges"]

    @property
    def n_high_bands(self) -> int:
        return int(np.count_nonzero(self.band_edges[:-1] >= self.split_bin))

    @property
    def n_high_gains(self) -> int:
        """G, the size of the estimator's ``gains_high`` output."""
        return self.n_high_bands if self.high_gains == "bands" else self.n_bins - self.split_bin

    @property
    def latency_samples(self) -> int:
        """Algorithmic latency of the streaming STFT: one window (input hop buffering + overlap)."""
        return self.window_samples

    def windows(self) -> tuple[np.ndarray, np.ndarray]:
        """(analysis, synthesis) float32 windows."""
        wa = analysis_window(self.window, self.window_samples)
        ws = synthesis_window(wa, self.hop_samples)
        return wa.astype(np.float32), ws.astype(np.float32)

    def derotation_table(self) -> np.ndarray:
        return derotation_table(self.window_samples, self.hop_samples, self.n_bins)

    def high_interpolation(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(idx0, idx1, weight) mapping high-band gains to bins split_bin .. K-1.

        Band gains are placed at band centres and linearly interpolated, held flat beyond the
        first and last centre; with ``high_gains == "bins"`` it is the identity mapping.
        """
        n_hi_bins = self.n_bins - self.split_bin
        if self.high_gains == "bins":
            idx = np.arange(n_hi_bins, dtype=np.int32)
            return idx, idx.copy(), np.zeros(n_hi_bins, dtype=np.float32)
        edges = self.band_edges[self.band_edges >= self.split_bin]
        centres = 0.5 * (edges[:-1] + edges[1:] - 1)
        bins = np.arange(self.split_bin, self.n_bins, dtype=np.float64)
        pos = np.interp(bins, centres, np.arange(centres.shape[0], dtype=np.float64))
        idx0 = np.floor(pos).astype(np.int32)
        idx1 = np.minimum(idx0 + 1, centres.shape[0] - 1).astype(np.int32)
        return idx0, idx1, (pos - idx0).astype(np.float32)

    def to_card_fields(self) -> dict:
        """The card's "stft" section."""
        return {
            "sample_rate_hz": self.sample_rate_hz,
            "window_samples": self.window_samples,
            "hop_samples": self.hop_samples,
            "window": self.window,
            "compression_exponent": self.compression_exponent,
            "split_hz": self.split_hz,
            "n_bands": self.n_bands,
            "high_gains": self.high_gains,
            "band_edges_bins": [int(e) for e in self.band_edges],
        }

    @classmethod
    def from_card_fields(cls, fields: dict) -> "StftConfig":
        known = {k: fields[k] for k in cls.__dataclass_fields__ if k in fields and not k.startswith("_")}
        unknown = set(fields) - set(known)
        if unknown:
            raise ValueError(f"unknown stft field(s) in model card: {sorted(unknown)}")
        if known.get("band_edges_bins") is not None:
            known["band_edges_bins"] = tuple(int(e) for e in known["band_edges_bins"])
        return cls(**known)
