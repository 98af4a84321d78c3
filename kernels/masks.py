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

Optional pause post-filter (``pause_weights`` + ``frame_beta``): the same post-filter, stronger in
frames where the network keeps little of the input, i.e. speech pauses. Per frame the kept energy
r = 10*log10(sum_k |g_k X_k|^2 / sum_k |X_k|^2) dB is computed from the mask magnitudes g_k (before
the limit and the post-filter). A frame is a pause to the degree w = clip((speech_db - r) / ramp_db,
0, 1): frames that keep more than ``speech_db`` (default -10 dB) are speech and untouched, frames
that keep less than ``speech_db - ramp_db`` (-20 dB) are full pauses. The weight may fall at once
(a speech onset is never post-filtered late) but rises at most ``rise_per_frame`` per frame (0.1 at
a 10-ms hop: 100 ms from speech to a full pause), so word tails and short gaps between syllables are
spared and the residual floor fades down instead of switching. The frame then gets post-filter
strength beta + pause_beta * w. It is a speech-presence-gated version of the residual-noise
suppression that noise-reduction tools add after the gain estimate (e.g. the "noise gate" stage of
podcast chains), driven by the network's own mask rather than by the signal level. Why: DNSMOS BAK
rates mostly the pauses, and the everywhere-on post-filter costs PESQ-WB in speech frames
(``benchmarks/results/post-filter.md``). Measured (``models/training/ablations/pause-post-filter/``):
at pause_beta 0.3 it buys the BAK of the everywhere post-filter at 0.15 for less PESQ-WB and SI-SDR,
but not for free (plain val PESQ-WB -0.14), and more on voices the network does not know, whose
speech frames it keeps less of: the mask is an imperfect speech-presence detector. Off by default.

Optional speech guard (``bound`` + ``bin_band``; ``kernels/guard.py``): after the post-filters and
before the attenuation limit, every gain magnitude is raised to at least its band's bound: below the
split the complex mask is scaled up to that magnitude with its rotation kept (a zero mask becomes
the bound, real), above it the interpolated gain is raised to it.

Band energy features: E_b = mean_{k in band b} |X(k)|^2 over every band of the whole spectrum,
reported as 10*log10(E_b + 1e-12) dB (unnormalised rfft scale).

Non-finite mask values (a broken model) are replaced by pass-through (1.0) and counted, so a bad
estimate can never turn into NaN output.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["apply_hybrid_mask", "band_energy_db", "pause_weights", "post_filter_factor"]


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
def apply_hybrid_mask(spec, mask_low, gains_high, hi_idx0, hi_idx1, hi_w, limit_gain, pf_beta=0.0, frame_beta=None,
                      bound=None, bin_band=None):
    """Apply masks in place to ``spec`` (C, T, K) complex64; return the count of non-finite values.

    mask_low   (C, T, F, 2) float32: complex mask (re, im) for bins 0 .. F-1 (unbounded)
    gains_high (C, T, G)    float32: gains >= 0 (negative values are clipped to 0)
    hi_idx0/hi_idx1/hi_w (K - F,): bin k = F + i gets
        g = (1 - hi_w[i]) * gains[hi_idx0[i]] + hi_w[i] * gains[hi_idx1[i]]
    limit_gain: lim = 10^(-attenuation_limit_db/20) in [0, 1]
    pf_beta:    post-filter strength (0 = off), applied to the gain magnitudes before the limit
    frame_beta: optional (C, T) float32 added to ``pf_beta`` per frame (the pause post-filter,
                ``pause_beta * pause_weights(...)``); None = none
    bound:      optional (C, T, B) float32 lower bound of every gain magnitude per band (the speech
                guard, ``kernels/guard.py``), applied after the post-filter; None = none
    bin_band:   (K,) int64 band of every bin (required with ``bound``)
    """
    n_channels, n_frames, n_bins = spec.shape
    n_low = mask_low.shape[2]
    a = limit_gain
    b = 1.0 - limit_gain
    bad = 0
    for c in range(n_channels):
        for t in range(n_frames):
            beta = pf_beta
            if frame_beta is not None:
                beta += frame_beta[c, t]
            for k in range(n_low):
                mr = mask_low[c, t, k, 0]
                mi = mask_low[c, t, k, 1]
                if not (math.isfinite(mr) and math.isfinite(mi)):
                    mr = 1.0
                    mi = 0.0
                    bad += 1
                if beta > 0.0:
                    f = post_filter_factor(math.sqrt(mr * mr + mi * mi), beta)
                    mr *= f
                    mi *= f
                if bound is not None:
                    g_min = bound[c, t, bin_band[k]]
                    m = math.sqrt(mr * mr + mi * mi)
                    if m < g_min:
                        if m > 1e-12:
                            s = g_min / m
                            mr *= s
                            mi *= s
                        else:
                            mr = g_min
                            mi = 0.0
                spec[c, t, k] = spec[c, t, k] * complex(a + b * mr, b * mi)
            for i in range(n_bins - n_low):
                w = hi_w[i]
                g = (1.0 - w) * gains_high[c, t, hi_idx0[i]] + w * gains_high[c, t, hi_idx1[i]]
                if not math.isfinite(g):
                    g = 1.0
                    bad += 1
                elif g < 0.0:
                    g = 0.0
                if beta > 0.0:
                    g *= post_filter_factor(g, beta)
                if bound is not None:
                    g_min = bound[c, t, bin_band[n_low + i]]
                    if g < g_min:
                        g = g_min
                spec[c, t, n_low + i] = spec[c, t, n_low + i] * (a + b * g)
    return bad


@njit(cache=True, nogil=True)
def pause_weights(spec, mask_low, gains_high, hi_idx0, hi_idx1, hi_w, state, speech_db, ramp_db, rise_per_frame,
                  scale, out):
    """Pause weights of the pause post-filter (module docstring) into ``out`` (C, T), times ``scale``.

    spec, mask_low, gains_high, hi_*: as ``apply_hybrid_mask`` (read only; call it before applying)
    state (C,) float64: each channel's weight after its previous frame (0 after a reset); updated
    speech_db, ramp_db: frames keeping more than speech_db are speech (w = 0), less than
        speech_db - ramp_db full pauses (w = 1); rise_per_frame: the most w may grow per frame
    scale: written is scale * w (e.g. the pause post-filter strength), so ``out`` is ``frame_beta``
    Non-finite mask values count as pass-through (1), as in ``apply_hybrid_mask``.
    """
    n_channels, n_frames, n_bins = spec.shape
    n_low = mask_low.shape[2]
    for c in range(n_channels):
        w_prev = state[c]
        for t in range(n_frames):
            e_in = 1e-20
            e_out = 1e-20
            for k in range(n_low):
                z = spec[c, t, k]
                p = z.real * z.real + z.imag * z.imag
                mr = mask_low[c, t, k, 0]
                mi = mask_low[c, t, k, 1]
                g2 = mr * mr + mi * mi
                if not math.isfinite(g2):
                    g2 = 1.0
                e_in += p
                e_out += g2 * p
            for i in range(n_bins - n_low):
                z = spec[c, t, n_low + i]
                p = z.real * z.real + z.imag * z.imag
                w = hi_w[i]
                g = (1.0 - w) * gains_high[c, t, hi_idx0[i]] + w * gains_high[c, t, hi_idx1[i]]
                if not math.isfinite(g):
                    g = 1.0
                elif g < 0.0:
                    g = 0.0
                e_in += p
                e_out += g * g * p
            kept_db = 10.0 * math.log10(e_out / e_in)
            target = (speech_db - kept_db) / ramp_db
            target = min(1.0, max(0.0, target))
            w_now = min(target, w_prev + rise_per_frame)
            out[c, t] = scale * w_now
            w_prev = w_now
        state[c] = w_prev
    return None


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
