"""Speech guard: a lower bound on every bin's gain from how far its band stands above the noise floor.

A mask estimator trained on few talkers takes parts of an unfamiliar voice for noise and removes
them, most visibly in clean recordings where there is little noise to remove
(``models/training/ablations/snr-guard/``). A band whose energy stands far above its tracked noise
floor cannot be mostly noise, whatever the voice. Power spectral subtraction (Boll, IEEE TASSP 1979)
gives the gain that removes a noise of power N from a band of power X, sqrt(1 - N / X); with
Berouti, Schwartz and Makhoul's over-subtraction (ICASSP 1979) the noise is counted ``margin_db``
higher, so the bound

    g_b = sqrt(max(0, 1 - 10^(-(X_b - N_b - margin_db) / 10)))

is 0 up to ``margin_db`` above the floor and rises to 1 well above it. The engine raises every gain
magnitude of band b to at least g_b (``apply_hybrid_mask``'s ``bound``): the network still decides
everywhere the band is near the floor, and cannot remove a band that towers over it. X_b is the
input's own band energy in dB (``band_energy_db``) and N_b its floor (``kernels/floor.py``, minimum
tracking), so the bound needs no training and knows nothing of the talker.

The floor is a minimum tracker: under loud or non-stationary noise it lies well below the noise and
noise bands stand above it, so the guard lets noise through at low input SNR. It is meant for clean
recordings (noise at least 15 dB under the speech) and is off by default; what it buys and costs is
measured in ``models/training/ablations/clean-guard/``.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["guard_bounds"]


@njit(cache=True, nogil=True)
def guard_bounds(band_db, floor_db, margin_db, out):
    """``out`` (C, T, B) = sqrt(max(0, 1 - 10^(-(band_db - floor_db - margin_db) / 10))), all (C, T, B)."""
    n_channels, n_frames, n_bands = band_db.shape
    for c in range(n_channels):
        for t in range(n_frames):
            for b in range(n_bands):
                x = 1.0 - 10.0 ** (-0.1 * (band_db[c, t, b] - floor_db[c, t, b] - margin_db))
                out[c, t, b] = math.sqrt(x) if x > 0.0 else 0.0
