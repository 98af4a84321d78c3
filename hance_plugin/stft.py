"""Offline (whole-signal) STFT and inverse built on the streaming kernels.

``stft`` and ``istft`` use exactly the frames, windows and overlap-add of the streaming engine,
with the engine's latency removed, so ``istft(stft(x), n) == x`` (to float32 rounding) and
``istft(M * stft(x), n)`` equals what the engine produces with mask M, time-aligned. They are for
benchmarks (oracle masks), training code and tests; the plugin itself streams.

Frame t covers samples [(t+1)H - N, (t+1)H) of the input (zeros before 0 and after the end).
"""

from __future__ import annotations

import numpy as np

from .config import StftConfig
from .kernels.stft import count_frames, frame_block, overlap_add_block

__all__ = ["stft", "istft"]


def stft(x: np.ndarray, config: StftConfig | None = None) -> np.ndarray:
    """Complex64 STFT (C, T, K) of ``x`` (C, n) or (n,); T = (n + N) // H frames."""
    cfg = config or StftConfig()
    audio = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float32)
    n_ch, n = audio.shape
    padded = np.zeros((n_ch, n + cfg.window_samples), dtype=np.float32)
    padded[:, :n] = audio
    n_frames = count_frames(padded.shape[1], 0, cfg.hop_samples)
    frames = np.zeros((n_ch, n_frames, cfg.window_samples), dtype=np.float32)
    wa, _ = cfg.windows()
    ring = np.zeros((n_ch, cfg.window_samples), dtype=np.float32)
    frame_block(padded, ring, 0, 0, cfg.hop_samples, wa, frames)
    return np.fft.rfft(frames, axis=-1).astype(np.complex64)


def istft(spec: np.ndarray, n_samples: int, config: StftConfig | None = None) -> np.ndarray:
    """Inverse of ``stft``: float32 (C, n_samples) from ``spec`` (C, T, K), time-aligned."""
    cfg = config or StftConfig()
    spec = np.asarray(spec)
    if spec.ndim == 2:
        spec = spec[None]
    total = n_samples + cfg.window_samples
    n_frames = count_frames(total, 0, cfg.hop_samples)
    if spec.shape[1] != n_frames or spec.shape[2] != cfg.n_bins:
        raise ValueError(
            f"spec has shape {spec.shape}; for {n_samples} samples expected (C, {n_frames}, {cfg.n_bins})"
        )
    frames = np.fft.irfft(spec, n=cfg.window_samples, axis=-1).astype(np.float32)
    _, ws = cfg.windows()
    n_ch = spec.shape[0]
    acc = np.zeros((n_ch, cfg.window_samples), dtype=np.float32)
    ready = np.zeros((n_ch, cfg.hop_samples), dtype=np.float32)
    y = np.zeros((n_ch, total), dtype=np.float32)
    overlap_add_block(frames, 0, ws, acc, ready, y)
    return y[:, cfg.window_samples :]
