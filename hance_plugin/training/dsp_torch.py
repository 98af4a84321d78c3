"""Differentiable PyTorch twin of the engine's DSP (needs torch; training only).

Every function here reproduces, in float32 torch ops with autograd, what the product computes with
numpy and the Numba kernels, so that a model trained through it sees exactly the features the
engine will feed it and is scored on exactly the audio the engine will produce:

* ``stft``      == ``hance_plugin.stft.stft``: frame t covers samples [(t+1)H - N, (t+1)H) (zeros
  outside the signal, T = (n + N) // H frames), analysis window ``w_a``, unnormalised ``rfft``.
* ``spec_low``  == ``kernels.modified.modified_stft``: derotation X(k,t)·exp(-j2π k t H / N) with
  t counted from the first frame (``frame_index0``), then Xc = X'·|X'|^(c-1), 0 where |X'| = 0.
* ``band_db``   == ``kernels.masks.band_energy_db``: 10·log10(mean_{k in b} |X|² + 1e-12).
* ``band_floor_db`` == ``kernels.floor.track_band_floor`` from reset (it *is* that kernel, run on
  the detached band energies: the floor is an input feature of the noisy signal, no gradient).
* ``apply_mask``== ``kernels.masks.apply_hybrid_mask``: Y = (lim + (1-lim)·M)·X, M complex below the
  split, band gains linearly interpolated between band centres (clipped at 0) above it.
* ``istft``     == ``hance_plugin.stft.istft``: irfft, least-squares synthesis window (Griffin &
  Lim 1984), overlap-add, engine latency removed (time-aligned with the input).

Power-law compression |z|^(c-1) has an infinite derivative at z = 0. ``compress`` therefore keeps
the forward value exact (0 at z = 0, like the kernel) and takes its *gradient* from the
eps-regularised (|z|² + eps)^((c-1)/2): the epsilon only acts in the backward path.

Parity with the numpy/Numba versions (relative error ~1e-6) is tested in
``tests/test_training_model.py``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..config import StftConfig
from ..kernels.floor import band_floor_db as _band_floor_db
from .framed_stft import framed_rfft, overlap_add

__all__ = ["TorchDsp", "compress", "compressed_magnitude"]

DEFAULT_GRAD_EPS = 1e-8


def _exact_then_eps_grad(exact: torch.Tensor, regularised: torch.Tensor) -> torch.Tensor:
    """Value of ``exact``, gradient of ``regularised`` (straight-through style)."""
    return regularised + (exact - regularised).detach()


def _power_scale(power: torch.Tensor, exponent: float, eps: float) -> torch.Tensor:
    """power^exponent with 0 where power == 0 (forward exact); gradient of (power + eps)^exponent."""
    positive = power > 0
    exact = torch.where(positive, torch.where(positive, power, torch.ones_like(power)) ** exponent, 0.0)
    return _exact_then_eps_grad(exact.detach(), (power + eps) ** exponent)


def compress(re: torch.Tensor, im: torch.Tensor, c: float, eps: float = DEFAULT_GRAD_EPS) -> torch.Tensor:
    """Power-law compressed complex value z·|z|^(c-1) as a (..., 2) real tensor (re, im)."""
    scale = _power_scale(re * re + im * im, 0.5 * (c - 1.0), eps)
    return torch.stack((re * scale, im * scale), dim=-1)


def compressed_magnitude(z: torch.Tensor, c: float, eps: float = DEFAULT_GRAD_EPS) -> torch.Tensor:
    """|z|^c of a complex tensor, exact forward, eps-safe gradient at z = 0."""
    return _power_scale(z.real * z.real + z.imag * z.imag, 0.5 * c, eps)


class TorchDsp(nn.Module):
    """The engine's STFT, features, mask application and inverse STFT for one ``StftConfig``.

    All constants (windows, derotation table, band-averaging and high-gain interpolation matrices)
    are non-persistent buffers, so ``.to(device)`` moves them and checkpoints do not carry them.
    """

    def __init__(self, config: StftConfig | None = None) -> None:
        super().__init__()
        cfg = config or StftConfig()
        self.config = cfg
        self.n_fft = cfg.window_samples
        self.hop = cfg.hop_samples
        self.n_bins = cfg.n_bins
        self.split_bin = cfg.split_bin
        self.compression = float(cfg.compression_exponent)
        wa, ws = cfg.windows()
        table = cfg.derotation_table()  # (P, K) complex64
        edges = cfg.band_edges
        band = np.zeros((cfg.n_bins, cfg.n_bands), dtype=np.float32)
        for b in range(cfg.n_bands):
            band[edges[b] : edges[b + 1], b] = 1.0 / float(edges[b + 1] - edges[b])
        idx0, idx1, w = cfg.high_interpolation()
        interp = np.zeros((cfg.n_high_gains, cfg.n_bins - cfg.split_bin), dtype=np.float32)
        cols = np.arange(interp.shape[1])
        np.add.at(interp, (idx0, cols), 1.0 - w)
        np.add.at(interp, (idx1, cols), w)
        self.register_buffer("analysis_window", torch.from_numpy(wa), persistent=False)
        self.register_buffer("synthesis_window", torch.from_numpy(ws), persistent=False)
        self.register_buffer("derotation", torch.from_numpy(table), persistent=False)
        self.register_buffer("band_matrix", torch.from_numpy(band), persistent=False)
        self.register_buffer("high_interp", torch.from_numpy(interp), persistent=False)

    # --- analysis / synthesis ------------------------------------------------------------------
    def n_frames(self, n_samples: int) -> int:
        """T = (n + N) // H, as ``hance_plugin.stft.stft``."""
        return (n_samples + self.n_fft) // self.hop

    def stft(self, x: torch.Tensor, plain_autograd: bool = False) -> torch.Tensor:
        """Complex STFT (B, T, K) of ``x`` (B, n) or (n,), framed exactly like the engine.

        Its backward is the written-out adjoint of ``framed_stft`` (faster, the same gradient);
        ``plain_autograd`` differentiates the framing and ``rfft`` with autograd instead."""
        x = x if x.dim() > 1 else x[None]
        n = x.shape[-1]
        n_frames = self.n_frames(n)
        lead = self.n_fft - self.hop  # frame 0 starts at sample H - N
        total = (n_frames - 1) * self.hop + self.n_fft
        padded = F.pad(x, (lead, total - lead - n))
        return framed_rfft(padded, self.analysis_window, self.hop, plain_autograd)

    def istft(self, spec: torch.Tensor, n_samples: int) -> torch.Tensor:
        """Time-aligned signal (B, n_samples) from ``spec`` (B, T, K): synthesis window + OLA."""
        n_frames = self.n_frames(n_samples)
        if spec.shape[-2] != n_frames or spec.shape[-1] != self.n_bins:
            raise ValueError(
                f"spec has shape {tuple(spec.shape)}; for {n_samples} samples expected "
                f"(B, {n_frames}, {self.n_bins})"
            )
        frames = torch.fft.irfft(spec, n=self.n_fft, dim=-1) * self.synthesis_window  # (B, T, N)
        ola = overlap_add(frames, self.hop, (n_frames - 1) * self.hop + self.n_fft)
        lead = self.n_fft - self.hop
        return ola[:, lead : lead + n_samples]

    # --- features -------------------------------------------------------------------------------
    def spec_low(self, spec: torch.Tensor, frame_index0: int = 0, eps: float = DEFAULT_GRAD_EPS) -> torch.Tensor:
        """Derotated, compressed low band (B, T, F, 2), as ``modified_stft``."""
        n_frames = spec.shape[-2]
        period = self.derotation.shape[0]
        t = (torch.arange(n_frames, device=spec.device) + int(frame_index0)) % period
        z = spec[..., : self.split_bin] * self.derotation[t, : self.split_bin]
        return compress(z.real, z.imag, self.compression, eps)

    def band_db(self, spec: torch.Tensor) -> torch.Tensor:
        """Band energies in dB (B, T, n_bands), as ``band_energy_db``."""
        power = spec.real * spec.real + spec.imag * spec.imag
        return 10.0 * torch.log10(power @ self.band_matrix + 1e-12)

    def band_floor_db(self, band_db: torch.Tensor) -> torch.Tensor:
        """The engine's tracked noise floor (B, T, n_bands) of ``band_db`` from reset (no gradient)."""
        x = band_db.detach().to("cpu", torch.float32).numpy()
        floor = _band_floor_db(x.reshape((-1,) + x.shape[-2:]), self.hop / self.config.sample_rate_hz)
        return torch.from_numpy(floor.reshape(x.shape)).to(band_db.device)

    def features(self, spec: torch.Tensor, frame_index0: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """(spec_low, band_db): the model inputs for ``spec``."""
        return self.spec_low(spec, frame_index0), self.band_db(spec)

    # --- masks ---------------------------------------------------------------------------------
    def high_gains_per_bin(self, gains_high: torch.Tensor) -> torch.Tensor:
        """Interpolate (B, T, G) band gains to the K - F bins above the split, clipped at 0."""
        return torch.clamp_min(gains_high @ self.high_interp, 0.0)

    def apply_mask(
        self, spec: torch.Tensor, mask_low: torch.Tensor, gains_high: torch.Tensor, limit_gain: float = 0.0
    ) -> torch.Tensor:
        """Masked spectrum (B, T, K), as ``apply_hybrid_mask`` (without the non-finite guard).

        ``mask_low`` [B,T,F,N,2] (a model with ``df_order`` N > 1, training only so far: the engine
        applies one tap) is a deep filter: Y(k,t) = (a + b M_0(k,t)) X(k,t) + b sum_{i>=1} M_i(k,t)
        X(k,t-i), frames before the first taken as zero (the state after ``reset()``)."""
        a = float(limit_gain)
        b = 1.0 - a
        g = a + b * self.high_gains_per_bin(gains_high)
        x_low = spec[..., : self.split_bin]
        if mask_low.dim() == 5:
            low = x_low * torch.complex(a + b * mask_low[..., 0, 0], b * mask_low[..., 0, 1])
            for i in range(1, mask_low.shape[3]):
                past = torch.cat((torch.zeros_like(x_low[:, :i]), x_low[:, : x_low.shape[1] - i]), dim=1)
                low = low + past * torch.complex(b * mask_low[..., i, 0], b * mask_low[..., i, 1])
        else:
            low = x_low * torch.complex(a + b * mask_low[..., 0], b * mask_low[..., 1])
        high = spec[..., self.split_bin :] * g
        return torch.cat((low, high), dim=-1)

    @property
    def frames_per_second(self) -> float:
        return self.config.sample_rate_hz / self.hop

    def bin_frequencies(self) -> torch.Tensor:
        """Centre frequency (Hz) of every rfft bin."""
        return torch.arange(self.n_bins, dtype=torch.float32) * (self.config.sample_rate_hz / self.n_fft)

