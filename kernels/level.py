"""Input level normalisation of the estimator's features (the audio path is not touched).

Why: the networks learn level-dependent behaviour from their training mixtures (active speech level
uniform in -40..-10 dBFS). Fed clean val speech, the step-15000 ``hance-base`` passes it at 17.7 dB
SDR when it is at -26 dBFS but at 9.5 dB (and 4.1 dB quieter) at -45 dBFS: quiet speech is taken
for noise. Moving quiet input up before the model gains +0.03 PESQ-WB on the 3 s val mixtures, but in
long-form speech the meter falls in the pauses, and the model, which also takes loud noise for
speech, lets more noise through there (``benchmarks/level_normalization.py``;
``models/training/HISTORY.md``): so the Denoiser has it off by default. The models since step
16500 were trained with one level distribution for all inputs over -55..-5 dBFS and pass clean
speech at -45 dBFS at 18.1 dB (step 16500) and 20.1 dB (the shipped step 18000) without it; for
them it buys +0.4 / +0.1 dB there (``models/training/HISTORY.md``, ``level-normalization-16500.md``,
``-18000.md``). Because masks are applied to the *original* spectrum, the scaling only has to reach
the features: with a gain g (dB) per frame,

    band_db'  = band_db + g                      (band energies in dB)
    spec_low' = spec_low * 10^(c * g / 20)        (|X|^c-compressed spectrum, c = compression)

which is exactly what the features of the input scaled by 10^(g/20) would be (up to the 1e-12
floor of ``band_energy_db``), and the output needs no inverse gain.

The gain comes from a causal level tracker that runs per frame (so the result is the same for every
partition of the input into blocks). Each frame's level is its mean square in dBFS from the
windowed spectrum by Parseval,

    e_t = 10 log10( (|X_0|^2 + 2 sum_{0<k<N/2} |X_k|^2 + |X_{N/2}|^2) / (N * sum_n w_n^2) )

(a full-scale sine reads -3 dBFS). The tracker starts at the target (gain 0 dB) and follows the
upper envelope of the frame levels, quickly upwards and more slowly downwards (a peak meter's
attack and release, one-pole in dB):

    L_t = L_{t-1} + (1 - a) (e_t - L_{t-1}),  a = exp(-hop / (tau * fs)),  tau = attack if e_t > L_{t-1} else release

Frames below ``floor_dbfs`` (digital silence) leave it alone. The gain is ``target_dbfs - L_t``
clipped to [-max_cut_db, +max_boost_db]. Starting at the target matters: started at the first
frame's level (often noise before the first word) it boosts that noise and the model's first
second, and cost 0.2-0.5 dB SI-SDR on 3 s val mixtures where starting at 0 dB gained 0.17 dB
(ad hoc runs while choosing the settings, scripts not kept; the kept measurement is the benchmark).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["parseval_weights", "track_level", "normalize_features"]


def parseval_weights(window: np.ndarray, n_bins: int) -> np.ndarray:
    """(K,) float32 weights w_k with sum_k w_k |X_k|^2 = mean square of the frame (Parseval, see above)."""
    n = window.shape[0]
    w = np.full(n_bins, 2.0, dtype=np.float64)
    w[0] = 1.0
    if n % 2 == 0:
        w[n_bins - 1] = 1.0
    return (w / (n * float(np.sum(np.asarray(window, dtype=np.float64) ** 2)))).astype(np.float32)


@njit(cache=True, nogil=True)
def track_level(spec, weights, level_db, a_attack, a_release, floor_dbfs, target_dbfs, max_cut_db, max_boost_db, gain_db):
    """Update the per-channel level ``level_db`` (C,) frame by frame from ``spec`` (C, T, K) and
    write the feature gain of each frame to ``gain_db`` (C, T). A NaN in ``level_db`` (a fresh
    stream) starts that channel at ``target_dbfs``."""
    n_channels, n_frames, n_bins = spec.shape
    for c in range(n_channels):
        level = level_db[c]
        if math.isnan(level):
            level = target_dbfs
        for t in range(n_frames):
            acc = 0.0
            for k in range(n_bins):
                z = spec[c, t, k]
                acc += weights[k] * (z.real * z.real + z.imag * z.imag)
            e = 10.0 * math.log10(acc + 1e-30)
            if e >= floor_dbfs:
                if e > level:
                    level += (1.0 - a_attack) * (e - level)
                else:
                    level += (1.0 - a_release) * (e - level)
            g = target_dbfs - level
            if g > max_boost_db:
                g = max_boost_db
            elif g < -max_cut_db:
                g = -max_cut_db
            gain_db[c, t] = g
        level_db[c] = level


@njit(cache=True, nogil=True)
def normalize_features(spec_low, band_db, gain_db, compression):
    """Apply the per-frame gain ``gain_db`` (C, T) in place to ``spec_low`` (C, T, F, 2, compressed
    with exponent ``compression``) and ``band_db`` (C, T, B)."""
    n_channels, n_frames, n_feat, _ = spec_low.shape
    n_bands = band_db.shape[2]
    for c in range(n_channels):
        for t in range(n_frames):
            g = gain_db[c, t]
            if g == 0.0:
                continue
            s = 10.0 ** (compression * g / 20.0)
            for k in range(n_feat):
                spec_low[c, t, k, 0] *= s
                spec_low[c, t, k, 1] *= s
            for b in range(n_bands):
                band_db[c, t, b] += g
