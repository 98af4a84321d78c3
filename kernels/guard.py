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
recordings (noise at least 15 dB under the speech); what it buys and costs is measured in
``models/training/ablations/clean-guard/``.

The gate: the network's own running SNR estimate (``kernels/mask_snr.py``) tells a clean recording
from a noisy one where the floor cannot. With a gate at ``gate_db``, each frame's margin becomes

    margin_db + GATE_SLOPE * max(0, gate_db - snr_est)

so the bound fades out within a few dB under the gate (4 dB under it the margin is 16 dB higher) and
the network alone decides in noisy recordings (``models/training/ablations/guard-gate/rule.md``).
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["GATE_SLOPE", "gated_margins", "guard_bounds"]

GATE_SLOPE = 4.0  # dB of margin per dB of estimated SNR under the gate (guard-gate/rule.md)


@njit(cache=True, nogil=True)
def gated_margins(snr_est_db, margin_db, gate_db, slope, out):
    """``out`` (C, T) = margin_db + slope * max(0, gate_db - snr_est_db), ``snr_est_db`` (C, T)."""
    n_channels, n_frames = snr_est_db.shape
    for c in range(n_channels):
        for t in range(n_frames):
            out[c, t] = margin_db + slope * max(0.0, gate_db - snr_est_db[c, t])


@njit(cache=True, nogil=True)
def guard_bounds(height_db, margin_db, out):
    """``out`` (C, T, B) = sqrt(max(0, 1 - 10^(-(height_db - margin_db) / 10))): ``height_db`` (C, T, B)
    is each band's energy over its floor (X_b - N_b), ``margin_db`` (C, T) each frame's margin.
    ``out`` may be ``height_db`` itself."""
    n_channels, n_frames, n_bands = height_db.shape
    for c in range(n_channels):
        for t in range(n_frames):
            m = margin_db[c, t]
            for b in range(n_bands):
                x = 1.0 - 10.0 ** (-0.1 * (height_db[c, t, b] - m))
                out[c, t, b] = math.sqrt(x) if x > 0.0 else 0.0
