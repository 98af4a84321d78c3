"""Hybrid mask application and band-energy features.

Below the split frequency (default 6 kHz) the estimator's mask is complex and unbounded:
Y(k) = M(k) * X(k), so it can scale beyond 1 and rotate phase (Williamson et al., "Complex ratio
masking for monaural speech separation", IEEE/ACM TASLP 2016). Above the split only real,
non-negative gains are applied, given per band and linearly interpolated between band centres
(per-bin gains are the special case of one bin per band). The attenuation limit folds into the mask
as in DeepFilterNet: Y = (lim + (1 - lim) * M) * X with lim = 10^(-attenuation_limit_db / 20),
so a limit of 0 dB is the identity and the output stays phase-consistent.

Optional post-filter (``pf_beta`` > 0; 0 = off): the perceptual post-filter of Valin et al.,
"A perceptually-motivated approach for low-complexity, real-time enhancement of fullband speech"
(PercepNet, Interspeech 2020), as DeepFilterNet applies it to its gains at inference (``mask_pf``):

    g' = (1 + beta) * g / (1 + beta * (g / (g * sin(pi * g / 2)))^2)
       = g * (1 + beta) / (1 + beta / sin^2(pi * g / 2))

It leaves g = 1 unchanged and pushes small gains further down (about -5 dB at g = 0.1 for beta =
0.02, g' ~ g^3 as g -> 0): residual noise in bins the network already judged noisy is attenuated
more, speech-dominated bins are left alone. Here g is the gain magnitude clipped to [0, 1]: the
complex mask keeps its phase and is scaled by g'/g, and magnitudes above 1 (the network boosting a
bin) are left as they are. The post-filter is applied before the attenuation limit, as in
DeepFilterNet, so the limit still bounds the total attenuation.

Band energy features: E_b = mean_{k in band b} |X(k)|^2 over every band of the whole spectrum,
reported as 10*log10(E_b + 1e-12) dB (unnormalised rfft scale).

Non-finite mask values (a broken model) are replaced by pass-through (1.0) and counted, so a bad
estimate can never turn into NaN output.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["apply_hybrid_mask", "band_energy_db", "post_filter_factor"]


@njit(cache=True, nogil=True)
def post_filter_factor(g, beta):
    """Valin's post-filter as a factor on a gain magnitude ``g`` >= 0: g'/g (1 for g >= 1 or beta <= 0)."""
    if beta <= 0.0 or g >= 1.0:
        return 1.0
    s = math.sin(0.5 * math.pi * g)
    s2 = s * s
    if s2 < 1e-30:
        return 0.0
    return (1.0 + beta) / (1.0 + beta / s2)


@njit(cache=True, nogil=True)
def apply_hybrid_mask(spec, mask_low, gains_high, hi_idx0, hi_idx1, hi_w, limit_gain, pf_beta=0.0):
    """Apply masks in place to ``spec`` (C, T, K) complex64; return the count of non-finite values.

    mask_low   (C, T, F, 2) float32: complex mask (re, im) for bins 0 .. F-1 (unbounded)
    gains_high (C, T, G)    float32: gains >= 0 (negative values are clipped to 0)
    hi_idx0/hi_idx1/hi_w (K - F,): bin k = F + i gets
        g = (1 - hi_w[i]) * gains[hi_idx0[i]] + hi_w[i] * gains[hi_idx1[i]]
    limit_gain: lim = 10^(-attenuation_limit_db/20) in [0, 1]
    pf_beta:    post-filter strength (0 = off), applied to the gain magnitudes before the limit
    """
    n_channels, n_frames, n_bins = spec.shape
    n_low = mask_low.shape[2]
    a = limit_gain
    b = 1.0 - limit_gain
    bad = 0
    for c in range(n_channels):
        for t in range(n_frames):
            for k in range(n_low):
                mr = mask_low[c, t, k, 0]
                mi = mask_low[c, t, k, 1]
                if not (math.isfinite(mr) and math.isfinite(mi)):
                    mr = 1.0
                    mi = 0.0
                    bad += 1
                if pf_beta > 0.0:
                    f = post_filter_factor(math.sqrt(mr * mr + mi * mi), pf_beta)
                    mr *= f
                    mi *= f
                spec[c, t, k] = spec[c, t, k] * complex(a + b * mr, b * mi)
            for i in range(n_bins - n_low):
                w = hi_w[i]
                g = (1.0 - w) * gains_high[c, t, hi_idx0[i]] + w * gains_high[c, t, hi_idx1[i]]
                if not math.isfinite(g):
                    g = 1.0
                    bad += 1
                elif g < 0.0:
                    g = 0.0
                if pf_beta > 0.0:
                    g *= post_filter_factor(g, pf_beta)
                spec[c, t, n_low + i] = spec[c, t, n_low + i] * (a + b * g)
    return bad


@njit(cache=True, nogil=True)
def band_energy_db(spec, band_edges, out):
    """Mean power per band in dB: ``out`` (C, T, B) from ``spec`` (C, T, K), edges (B + 1,) bins."""
    n_channels, n_frames, _ = spec.shape
    n_bands = band_edges.shape[0] - 1
    for c in range(n_channels):
        for t in range(n_frames):
            for b in range(n_bands):
                lo = band_edges[b]
                hi = band_edges[b + 1]
                acc = 0.0
                for k in range(lo, hi):
                    z = spec[c, t, k]
                    acc += z.real * z.real + z.imag * z.imag
                out[c, t, b] = 10.0 * math.log10(acc / (hi - lo) + 1e-12)
