"""Delay line with dry/wet mixing: out = mix * wet + (1 - mix) * dry[n - L].

The wet path of the denoiser is delayed by its latency L, so the dry signal must be delayed by the
same L before mixing, or the mix comb-filters. A ring buffer of L samples per channel holds the
dry history; ``mix == 1`` still advances the ring so the mix can change between blocks without a
discontinuity in alignment.
"""

from __future__ import annotations

from numba import njit

__all__ = ["delay_mix"]


@njit(cache=True, nogil=True)
def delay_mix(dry, ring, ring_pos, wet, mix, out):
    """Mix ``wet`` (C, n) with ``dry`` (C, n) delayed by ``ring.shape[1]``; return new ring_pos.

    ``out`` may be the same array as ``wet``.
    """
    n_channels, n = dry.shape
    delay = ring.shape[1]
    new_pos = ring_pos
    for c in range(n_channels):
        pos = ring_pos
        for i in range(n):
            if delay > 0:
                delayed = ring[c, pos]
                ring[c, pos] = dry[c, i]
                pos += 1
                if pos == delay:
                    pos = 0
            else:
                delayed = dry[c, i]
            out[c, i] = mix * wet[c, i] + (1.0 - mix) * delayed
        new_pos = pos
    return new_pos
