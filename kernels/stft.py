"""Streaming STFT framing and overlap-add synthesis (sample-exact, any block size).

State per engine (shared by all channels, since channels advance together):

* ``ring``  (C, N)  float32: the last N input samples of each channel, a ring buffer whose write
  index ``ring_pos`` points at the oldest sample;
* ``hop_pos``: how many samples of the current hop have been received (0 <= hop_pos < H);
* ``acc``   (C, N)  float32: overlap-add accumulator, ``acc[:, j]`` is output time ``t0 + j``;
* ``ready`` (C, H)  float32: the H completed output samples being emitted during the current hop.

A frame completes each time ``hop_pos`` reaches H. Frame t covers input samples
[(t+1)H - N, (t+1)H) and is analysed as ``w_a * ring`` (oldest sample first). Its synthesis
``w_s * irfft(Y_t)`` is added into ``acc``; the first H samples of ``acc`` are then complete and
become ``ready``. Output sample p therefore equals the reconstruction of input sample p - N: the
latency is exactly N samples whatever the block size, and the output of any partition of the
input into blocks is identical (the kernels see the same frames in the same order).

Frames of a block are processed in two passes so that all T frames of a block go through the FFT
and the mask estimator together: ``frame_block`` writes the T windowed frames, the engine
transforms/masks them in one batch, ``overlap_add_block`` emits the block's output. Both passes
start from the same ``hop_pos``; the caller advances it to ``(hop_pos + n) % H`` afterwards.
"""

from __future__ import annotations

from numba import njit

__all__ = ["count_frames", "frame_block", "overlap_add_block"]


@njit(cache=True, nogil=True)
def count_frames(n_samples: int, hop_pos: int, hop_samples: int) -> int:
    """Number of frames that complete while ``n_samples`` samples are fed starting at ``hop_pos``."""
    return (hop_pos + n_samples) // hop_samples


@njit(cache=True, nogil=True)
def frame_block(x, ring, ring_pos, hop_pos, hop_samples, window, frames):
    """Push block ``x`` (C, n) into ``ring`` (C, N); write each completed windowed frame.

    ``frames`` is (C, T, N) with ``T == count_frames(n, hop_pos, hop_samples)``.
    Returns the new ``ring_pos``.
    """
    n_channels, n = x.shape
    n_win = ring.shape[1]
    new_pos = ring_pos
    for c in range(n_channels):
        pos = ring_pos
        filled = hop_pos
        t = 0
        for i in range(n):
            ring[c, pos] = x[c, i]
            pos += 1
            if pos == n_win:
                pos = 0
            filled += 1
            if filled == hop_samples:
                # ring[pos] is now the oldest sample of the frame
                first = n_win - pos
                for j in range(first):
                    frames[c, t, j] = window[j] * ring[c, pos + j]
                for j in range(first, n_win):
                    frames[c, t, j] = window[j] * ring[c, j - first]
                t += 1
                filled = 0
        new_pos = pos
    return new_pos


@njit(cache=True, nogil=True)
def overlap_add_block(frames, hop_pos, synth_window, acc, ready, y):
    """Emit block ``y`` (C, n), overlap-adding the block's T synthesised ``frames`` (C, T, N).

    ``frames`` holds ``irfft(Y_t)`` (not yet windowed); ``synth_window`` (N,) is applied here.
    ``acc`` (C, N) and ``ready`` (C, H) carry the overlap-add state between blocks.
    """
    n_channels, n = y.shape
    n_win = acc.shape[1]
    hop = ready.shape[1]
    for c in range(n_channels):
        pos = hop_pos
        t = 0
        for i in range(n):
            y[c, i] = ready[c, pos]
            pos += 1
            if pos == hop:
                pos = 0
                for j in range(n_win):
                    acc[c, j] += synth_window[j] * frames[c, t, j]
                for j in range(hop):
                    ready[c, j] = acc[c, j]
                for j in range(n_win - hop):
                    acc[c, j] = acc[c, j + hop]
                for j in range(n_win - hop, n_win):
                    acc[c, j] = 0.0
                t += 1
