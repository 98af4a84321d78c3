"""Analysis/synthesis window pairs for perfect-reconstruction STFT processing.

Analysis window ``w_a`` (length N, periodic) and synthesis window ``w_s`` reconstruct exactly by
weighted overlap-add when, for every sample n,

    sum_t w_a(n - t*H) * w_s(n - t*H) = 1            (H = hop in samples)

We choose ``w_s(n) = w_a(n) / D(n)`` with ``D(n) = sum_m w_a(n + m*H)**2`` (periodic in n with
period H; the "least-squares" synthesis window of Griffin & Lim, IEEE TASSP 1984), which satisfies
the condition for any hop H <= N. For the Vorbis and sqrt-Hann windows at H = N/2 the
Princen-Bradley condition w_a(n)^2 + w_a(n + N/2)^2 = 1 holds, so D == 1 and w_s == w_a.

    vorbis:    w(n) = sin(pi/2 * sin^2(pi * (n + 0.5) / N))     (Vorbis I spec, section 4.3.1)
    sqrt_hann: w(n) = sin(pi * n / N)                           (square root of the periodic Hann)
"""

from __future__ import annotations

import numpy as np

__all__ = ["WINDOWS", "analysis_window", "synthesis_window"]


def _vorbis(n_samples: int) -> np.ndarray:
    k = np.arange(n_samples, dtype=np.float64)
    return np.sin(0.5 * np.pi * np.sin(np.pi * (k + 0.5) / n_samples) ** 2)


def _sqrt_hann(n_samples: int) -> np.ndarray:
    k = np.arange(n_samples, dtype=np.float64)
    return np.sin(np.pi * k / n_samples)


WINDOWS = {"vorbis": _vorbis, "sqrt_hann": _sqrt_hann}


def analysis_window(name: str, window_samples: int) -> np.ndarray:
    """Return the float64 analysis window ``name`` of length ``window_samples``."""
    if name not in WINDOWS:
        raise ValueError(f"unknown window {name!r}; expected one of {sorted(WINDOWS)}")
    if window_samples < 2 or window_samples % 2:
        raise ValueError(f"window_samples must be an even number >= 2, got {window_samples}")
    return WINDOWS[name](window_samples)


def synthesis_window(analysis: np.ndarray, hop_samples: int) -> np.ndarray:
    """Return the least-squares synthesis window for ``analysis`` at ``hop_samples`` (float64)."""
    n = analysis.shape[0]
    if not 1 <= hop_samples <= n:
        raise ValueError(f"hop_samples must be in [1, {n}], got {hop_samples}")
    squared = analysis**2
    denom = np.zeros(hop_samples)
    for start in range(0, n, hop_samples):
        chunk = squared[start : start + hop_samples]
        denom[: chunk.shape[0]] += chunk
    if np.min(denom) <= 1e-8:
        raise ValueError(
            f"window/hop pair cannot reconstruct: overlap sum falls to {np.min(denom):.2e}"
        )
    return analysis / np.resize(denom, n)
