"""The modified STFT: features shaped for convolutional mask estimators, exactly invertible.

Let X(k, t) = rfft(w_a * x_t)(k) be the STFT of frame t (N-point, unnormalised, numpy "backward"
convention), hop H, k = 0 .. N/2.

(a) Per-frame phase derotation. A stationary partial at bin centre k advances its phase by
    2*pi*k*H/N per frame, so its raw phase spins across frames and a convolution over time sees a
    rotating pattern. We remove the frame's linear phase term:

        X'(k, t) = X(k, t) * exp(-j * 2*pi * k * t * H / N)

    The factor only depends on (k * t * H) mod N, so it is periodic in t with period
    P = N / gcd(N, H) (P = 2 for N=960, H=480, where it is the sign (-1)^(k*t)); a (P, K) table is
    indexed with t mod P, which keeps it exact for arbitrarily long streams.

(b) Power-law compression of magnitudes (keeping the phase):

        Xc(k, t) = |X'(k, t)|^c * exp(j * angle(X'(k, t))) = X' * |X'|^(c - 1),   c ~ 0.3

    as in "Phase-aware speech enhancement with deep complex U-Net" and the compressed complex
    losses of Braun & Tashev (2021); it narrows the dynamic range the network must model.

Both steps are exactly invertible: X' = Xc * |Xc|^(1/c - 1) and X = X' * exp(+j 2 pi k t H / N).
Masks are applied to the original spectrum X (a complex mask M commutes with the derotation:
M*X' derotated back is M*X), so the features never need to be inverted inside the engine; the
inverse kernels exist for tests and for training code.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["derotation_table", "modified_stft", "inverse_modified_stft"]


def derotation_table(window_samples: int, hop_samples: int, n_bins: int) -> np.ndarray:
    """Return the (P, n_bins) complex64 table exp(-j 2 pi k (p H mod N) / N), P = N/gcd(N, H)."""
    period = window_samples // math.gcd(window_samples, hop_samples)
    p = np.arange(period)[:, None]
    k = np.arange(n_bins)[None, :]
    phase_turns = ((k * ((p * hop_samples) % window_samples)) % window_samples) / window_samples
    return np.exp(-2j * np.pi * phase_turns).astype(np.complex64)


@njit(cache=True, nogil=True)
def modified_stft(spec, frame_index0, table, compression, out):
    """Derotate and compress the first F bins of ``spec`` (C, T, K) into ``out`` (C, T, F, 2).

    ``frame_index0`` is the stream index of ``spec[:, 0]``; ``out[..., 0]`` is the real part.
    """
    n_channels, n_frames, _ = spec.shape
    n_feat = out.shape[2]
    period = table.shape[0]
    expo = compression - 1.0
    for c in range(n_channels):
        for t in range(n_frames):
            p = (frame_index0 + t) % period
            for k in range(n_feat):
                z = spec[c, t, k] * table[p, k]
                mag = abs(z)
                scale = mag**expo if mag > 0.0 else 0.0
                out[c, t, k, 0] = z.real * scale
                out[c, t, k, 1] = z.imag * scale


@njit(cache=True, nogil=True)
def inverse_modified_stft(feat, frame_index0, table, compression, out):
    """Invert ``modified_stft``: ``feat`` (C, T, F, 2) -> complex spectrum ``out`` (C, T, F)."""
    n_channels, n_frames, n_feat, _ = feat.shape
    period = table.shape[0]
    expo = 1.0 / compression - 1.0
    for c in range(n_channels):
        for t in range(n_frames):
            p = (frame_index0 + t) % period
            for k in range(n_feat):
                z = complex(feat[c, t, k, 0], feat[c, t, k, 1])
                mag = abs(z)
                scale = mag**expo if mag > 0.0 else 0.0
                out[c, t, k] = z * scale * table[p, k].conjugate()
