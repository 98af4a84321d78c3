"""Training losses on the reconstructed waveform (needs torch).

The loss never looks at masks: the estimate is the engine's output signal (features -> model ->
mask application -> inverse STFT, see ``dsp_torch``), re-analysed and compared with the clean
target. This scores what the user hears, including the effect of STFT (in)consistency.

Terms:

1. Compressed spectral loss (Braun & Tashev, "A consolidated view of loss functions for
   supervised deep learning-based speech enhancement", TSP 2021), on the engine's STFT
   (960/480 vorbis) with compression c = 0.3:

       L_cs = alpha * mean |S^c e^{j phi_S} - Y^c e^{j phi_Y}|^2 + (1 - alpha) * mean (|S|^c - |Y|^c)^2

   with alpha = 0.3 (complex) / 0.7 (magnitude), their recommended weighting.

2. Multi-resolution STFT magnitude loss (Yamamoto et al., "Parallel WaveGAN", ICASSP 2020):
   for each FFT size (default 480, 960, 1920; hop = size / 4, Hann window) spectral convergence
   ||S| - |Y||_F / ||S||_F (Frobenius norms over the whole batch, as in their implementation, so
   silent noise-only targets do not divide by zero) plus mean |log|S| - log|Y|| (magnitudes
   floored at sqrt(eps)), averaged over resolutions.

   total = L_cs + mr_weight * L_mr     (mr_weight = 0.1 by default: on shared-data mixtures at
                                        initialisation L_cs ~ 0.2 and L_mr ~ 2.5, so both count)

Band-limited targets: every example carries ``bandwidth_hz`` (the highest frequency at which the
clean speech has content, e.g. 8 kHz for a 16 kHz recording). Bins above it are *excluded from
every term* (masked out of the means and norms). Such a recording's empty upper band is a property
of the recording, not of speech: training the model to reproduce it would teach it to remove
high frequencies from fullband speech. The price: for those examples, noise above the bandwidth is
not penalised either; fullband examples teach the upper band.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import StftConfig
from .dsp_torch import TorchDsp, compress, compressed_magnitude

__all__ = ["EnhancementLoss", "bandwidth_mask"]


def bandwidth_mask(freqs_hz: torch.Tensor, bandwidth_hz: torch.Tensor | None, batch: int) -> torch.Tensor:
    """(B, 1, K) float mask: 1 for bins at or below each example's bandwidth."""
    if bandwidth_hz is None:
        return torch.ones((batch, 1, freqs_hz.shape[0]), device=freqs_hz.device)
    bw = torch.as_tensor(bandwidth_hz, dtype=torch.float32, device=freqs_hz.device).reshape(-1, 1, 1)
    return (freqs_hz[None, None, :] <= bw).float().expand(batch, 1, -1)


class EnhancementLoss(nn.Module):
    """Compressed complex/magnitude loss + multi-resolution STFT loss, bandwidth-aware.

    Args:
        stft: the model's STFT settings (the compressed loss uses exactly the engine's STFT).
        compression: c of |X|^c (0.3).
        complex_weight: alpha; the magnitude term gets 1 - alpha.
        mr_ffts: FFT sizes of the multi-resolution term (hop = size // 4); empty disables it.
        mr_weight: weight of the multi-resolution term.
        eps: gradient epsilon of the compression and floor of the MR magnitudes.
    """

    def __init__(
        self,
        stft: StftConfig | None = None,
        compression: float = 0.3,
        complex_weight: float = 0.3,
        mr_ffts: tuple[int, ...] = (480, 960, 1920),
        mr_weight: float = 0.1,
        eps: float = 1e-8,
    ) -> None:
        super().__init__()
        self.dsp = TorchDsp(stft or StftConfig())
        self.compression = compression
        self.complex_weight = complex_weight
        self.mr_ffts = tuple(int(n) for n in mr_ffts)
        self.mr_weight = mr_weight
        self.eps = eps
        self.sample_rate = self.dsp.config.sample_rate_hz
        for n_fft in self.mr_ffts:
            self.register_buffer(f"hann_{n_fft}", torch.hann_window(n_fft), persistent=False)

    def _compressed(self, est: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.compression
        se, sr = self.dsp.stft(est), self.dsp.stft(ref)
        me, mr = compressed_magnitude(se, c, self.eps), compressed_magnitude(sr, c, self.eps)
        ce = compress(se.real, se.imag, c, self.eps)  # |S|^c e^{j phi}, (B, T, K, 2)
        cr = compress(sr.real, sr.imag, c, self.eps)
        diff_c = (ce - cr).pow(2).sum(-1)
        diff_m = (me - mr).pow(2)
        count = (mask.sum(dim=(1, 2)) * se.shape[1]).clamp_min(1.0)
        lc = (diff_c * mask).sum(dim=(1, 2)) / count
        lm = (diff_m * mask).sum(dim=(1, 2)) / count
        return lc.mean(), lm.mean()

    def _multi_resolution(self, est: torch.Tensor, ref: torch.Tensor, bandwidth_hz) -> torch.Tensor:
        total = est.new_zeros(())
        for n_fft in self.mr_ffts:
            window = getattr(self, f"hann_{n_fft}")
            kw = dict(n_fft=n_fft, hop_length=n_fft // 4, win_length=n_fft, window=window, return_complex=True)
            se = torch.stft(est, **kw).transpose(1, 2)  # (B, T, K)
            sr = torch.stft(ref, **kw).transpose(1, 2)
            ae = torch.sqrt((se.real.pow(2) + se.imag.pow(2)).clamp_min(self.eps))
            ar = torch.sqrt((sr.real.pow(2) + sr.imag.pow(2)).clamp_min(self.eps))
            freqs = torch.arange(n_fft // 2 + 1, device=est.device, dtype=torch.float32) * (self.sample_rate / n_fft)
            mask = bandwidth_mask(freqs, bandwidth_hz, est.shape[0])
            # spectral convergence over the whole batch, as in Yamamoto et al.'s implementation:
            # per-example ratios explode for silent (noise-only) targets
            sc = torch.sqrt(((ar - ae).pow(2) * mask).sum() + self.eps) / torch.sqrt((ar.pow(2) * mask).sum() + self.eps)
            count = (mask.sum(dim=(1, 2)) * se.shape[1]).clamp_min(1.0)
            log_mag = ((torch.log(ar) - torch.log(ae)).abs() * mask).sum(dim=(1, 2)) / count
            total = total + sc + log_mag.mean()
        return total / max(1, len(self.mr_ffts))

    def forward(
        self, estimate: torch.Tensor, target: torch.Tensor, bandwidth_hz: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """(loss, parts) for ``estimate``/``target`` (B, n) waveforms at 48 kHz."""
        mask = bandwidth_mask(self.dsp.bin_frequencies().to(estimate.device), bandwidth_hz, estimate.shape[0])
        lc, lm = self._compressed(estimate, target, mask)
        cs = self.complex_weight * lc + (1.0 - self.complex_weight) * lm
        parts = {"complex": float(lc.detach()), "magnitude": float(lm.detach())}
        loss = cs
        if self.mr_ffts and self.mr_weight:
            mr = self._multi_resolution(estimate, target, bandwidth_hz)
            parts["multires"] = float(mr.detach())
            loss = loss + self.mr_weight * mr
        return loss, parts
