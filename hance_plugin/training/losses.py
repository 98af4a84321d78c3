"""Training losses on the reconstructed waveform (needs torch).

The loss never looks at masks: the estimate is the engine's output signal (features -> model ->
mask application -> inverse STFT, see ``dsp_torch``), re-analysed and compared with the clean
target. This scores what the user hears, including the effect of STFT (in)consistency.

Terms:

1. Compressed spectral loss (Braun & Tashev, "A consolidated view of loss functions for
   supervised deep learning-based speech enhancement", TSP 2021), on the engine's STFT
   (960/480 vorbis) with compression c = 0.3:

       L_cs = alpha * mean |S^c e^{j phi_S} - Y^c e^{j phi_Y}|^2 + (1 - alpha) * mean (|S|^c - |Y|^c)^2

   (S: the target's STFT, Y: the estimate's) with alpha = 0.3 (complex) / 0.7 (magnitude), their
   recommended weighting.

2. Multi-resolution STFT magnitude loss (Yamamoto et al., "Parallel WaveGAN", ICASSP 2020):
   for each FFT size (default 480, 960, 1920; hop = size / 4, Hann window) spectral convergence
   ||S| - |Y||_F / ||S||_F (Frobenius norms over the whole batch, as in their implementation, so
   silent noise-only targets do not divide by zero) plus mean |log|S| - log|Y|| (magnitudes
   floored at sqrt(eps)), averaged over resolutions.

   total = L_cs + mr_weight * L_mr     (mr_weight = 0.1 by default: on shared-data mixtures at
                                        initialisation L_cs ~ 0.2 and L_mr ~ 2.5, so both count)

3. Optional over-suppression penalty (``over_suppression_weight`` gamma, default 0 = off): the
   asymmetric loss of Eskimez et al., "Personalized speech enhancement: new models and
   comprehensive evaluation", ICASSP 2022, on the compressed magnitudes,

       L_os = mean min(|Y|^c - |S|^c, 0)^2      (only estimates *below* the target count)

   added as gamma * L_os. MSE-type losses shrink the estimate wherever the network is unsure,
   and with a complex target the phase uncertainty shrinks the magnitude too: speech removed
   with the noise (``benchmarks/band_gains.py`` measures it). This term charges that side more.

4. Optional residual-noise term (``residual_noise_weight`` delta, default 0 = off), after the
   components loss of Xu, Elshamy, Zhao & Fingscheidt, "Components loss for neural networks in
   mask-based speech enhancement", EURASIP JASMP 2021 (and the speech-distortion / noise weighting
   of Xia et al., ICASSP 2020). Mask application and the inverse STFT are linear, so the output is
   exactly Y = M(S) + R: the filtered target plus the *residual noise* R = M(N), the noise
   (noisy - target) through the same mask (``train.enhance_components``). The term charges the
   compressed-magnitude error that the residual noise causes in the output,

       L_rn = mean (|Y|^c - |Y - R|^c)^2        (on the engine's STFT, bandwidth-masked)

   added as delta * L_rn. Where nothing masks the noise (speech pauses, noise-only bins,
   Y - R ~ 0) it is |R|^(2c), so those bins weigh (1 + delta) times what terms 1-2 give them;
   under louder speech it is almost 0. The plain compressed power mean |R|^(2c) was not used: with
   c = 0.3 it is so much larger than the speech error it trades against that its optimum cuts
   speech at 20 dB SNR by about 4 dB (delta = 1, gain g minimising 1.7 (g^0.3 - 1)^2 + 0.1^0.6 g^0.6).
   The aim is less audible residual noise (what DNSMOS BAK scores) without more speech removal.

Band-limited targets: every example carries ``bandwidth_hz`` (the highest frequency at which the
clean speech has content, e.g. 8 kHz for a 16 kHz recording). Bins above it are *excluded from
every term* (masked out of the means and norms). Such a recording's empty upper band is a property
of the recording, not of speech: training the model to reproduce it would teach it to remove
high frequencies from fullband speech. The price: for those examples, noise above the bandwidth is
not penalised either; fullband examples teach the upper band.

Implementation: the terms compute their value *and* their gradient with respect to the estimate's
spectrum in one pass without autograd (closed-form derivatives of the formulas above; derivatives
of |z|^x taken from the eps-regularised (|z|^2 + eps)^(x/2), as in ``dsp_torch.compress``), and
hand that gradient to autograd at the STFT (``_ClosedFormGradient``). The STFTs' own backward is
their written-out adjoint (``framed_stft``: one half-size inverse FFT and an overlap-add), so
autograd only differentiates the network. Same values and gradients as the plain-autograd
``reference_loss`` (tested; it uses ``torch.stft`` and autograd throughout), with less time and
memory per step (``benchmarks/training_speed.py``).
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import StftConfig
from .dsp_torch import TorchDsp, compress, compressed_magnitude
from .framed_stft import mr_stft

__all__ = ["EnhancementLoss", "bandwidth_mask", "reference_loss"]


class _ClosedFormGradient(torch.autograd.Function):
    """A scalar loss of a spectrum whose gradient was computed together with the value.

    Writing out d(loss)/d(spectrum) in the forward pass replaces the autograd graph of every
    elementwise operation of the loss (about twenty tensors the size of a spectrogram, each kept
    for the backward pass) with one tensor, which makes the loss terms cheaper than the network.
    The gradient follows PyTorch's convention for a real function of a complex tensor,
    dL/d(re) + j dL/d(im); ``tests/test_training_model.py`` checks both values and gradients
    against plain autograd implementations of the same formulas.
    """

    @staticmethod
    def forward(ctx, spec: torch.Tensor, value: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(grad)
        return value.clone()

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (grad,) = ctx.saved_tensors
        return grad * grad_output, None, None


def _with_gradient(spec: torch.Tensor, value: torch.Tensor, grad: torch.Tensor | None) -> torch.Tensor:
    return value if grad is None else _ClosedFormGradient.apply(spec, value, grad)


def _power_of(z: torch.Tensor) -> torch.Tensor:
    """|z|^2 of a complex tensor (re^2 + im^2, without the square root of ``abs``)."""
    return z.real.square() + z.imag.square()


def _power(power: torch.Tensor, exponent: float) -> torch.Tensor:
    """power^exponent, 0 where power == 0 (the forward value of ``dsp_torch._power_scale``)."""
    return torch.where(power > 0, power.pow(exponent), 0.0)  # no autograd here: inf at 0 is discarded


def _mean_weight(mask: torch.Tensor, frames: int) -> torch.Tensor:
    """Per-bin weights that turn a masked sum over (bins, frames) into each example's mean
    (1 / the number of counted bins; examples with none get 0)."""
    return mask / (mask.sum(dim=(1, 2), keepdim=True) * frames).clamp_min(1.0)


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
        over_suppression_weight: gamma of the over-suppression term (0 = off).
        residual_noise_weight: delta of the residual-noise term (0 = off); ``forward`` then needs
            ``residual_noise``.
        eps: gradient epsilon of the compression and floor of the MR magnitudes.

    Attribute ``plain_autograd_stft`` (False): differentiate the STFTs with autograd instead of
    their written-out adjoint (``framed_stft``); the same values and gradients, slower. Only
    ``benchmarks/training_speed.py`` sets it, to time what the adjoint buys.
    """

    def __init__(
        self,
        stft: StftConfig | None = None,
        compression: float = 0.3,
        complex_weight: float = 0.3,
        mr_ffts: tuple[int, ...] = (480, 960, 1920),
        mr_weight: float = 0.1,
        over_suppression_weight: float = 0.0,
        residual_noise_weight: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        super().__init__()
        self.dsp = TorchDsp(stft or StftConfig())
        self.compression = compression
        self.complex_weight = complex_weight
        self.mr_ffts = tuple(int(n) for n in mr_ffts)
        self.mr_weight = mr_weight
        self.over_suppression_weight = float(over_suppression_weight)
        if self.over_suppression_weight < 0:
            raise ValueError(f"over_suppression_weight must be >= 0, got {over_suppression_weight}")
        self.residual_noise_weight = float(residual_noise_weight)
        if not self.residual_noise_weight >= 0:
            raise ValueError(f"residual_noise_weight must be >= 0, got {residual_noise_weight}")
        self.eps = eps
        self.plain_autograd_stft = False
        self.sample_rate = self.dsp.config.sample_rate_hz
        for n_fft in self.mr_ffts:
            self.register_buffer(f"hann_{n_fft}", torch.hann_window(n_fft), persistent=False)

    def _compressed(
        self, se: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(L_c, L_m, L_os, alpha·L_c + (1 - alpha)·L_m + gamma·L_os) for ``se``, the estimate's
        spectrum on the engine's STFT; the last carries the gradient."""
        c, eps, alpha, gamma = self.compression, self.eps, self.complex_weight, self.over_suppression_weight
        with torch.no_grad():
            sr = self.dsp.stft(ref)
            p_e, p_r = _power_of(se), _power_of(sr)
            s_e = _power(p_e, 0.5 * (c - 1.0))  # |z|^(c-1), 0 at z = 0
            delta = se * s_e - sr * _power(p_r, 0.5 * (c - 1.0))  # compressed complex difference
            m_diff = _power(p_e, 0.5 * c) - _power(p_r, 0.5 * c)  # compressed magnitude difference
            weight = _mean_weight(mask, se.shape[1])
            lc = (_power_of(delta) * weight).sum(dim=(1, 2)).mean()
            lm = (m_diff.square() * weight).sum(dim=(1, 2)).mean()
            under = m_diff.clamp(max=0.0)  # estimate below the target
            los = (under.square() * weight).sum(dim=(1, 2)).mean()
            value = alpha * lc + (1.0 - alpha) * lm + gamma * los
            grad = None
            if se.requires_grad:
                # d/d(re) + j d/d(im) of the weighted sum; derivatives of |z|^x from (|z|^2 + eps)^(x/2)
                w = weight / se.shape[0]
                dot = delta.real * se.real + delta.imag * se.imag  # Re(delta conj(se))
                common = (2.0 * alpha * (c - 1.0)) * (p_e + eps).pow(0.5 * (c - 1.0) - 1.0) * dot
                common += (2.0 * c) * (p_e + eps).pow(0.5 * c - 1.0) * ((1.0 - alpha) * m_diff + gamma * under)
                grad = (delta * ((2.0 * alpha) * s_e * w)).add_(se * (common * w))
        return lc, lm, los, _with_gradient(se, value, grad)

    def _residual_noise(
        self, se: torch.Tensor, residual: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(L_rn, delta·L_rn) for ``se``, the estimate's spectrum on the engine's STFT (shared with
        the compressed term); the second carries the gradients with respect to both the estimate
        and its residual noise."""
        c, eps, delta = self.compression, self.eps, self.residual_noise_weight
        sn = self.dsp.stft(residual, self.plain_autograd_stft)
        with torch.no_grad():
            speech = se - sn  # the filtered target M(S)
            p_e, p_s = _power_of(se), _power_of(speech)
            diff = _power(p_e, 0.5 * c) - _power(p_s, 0.5 * c)
            weight = _mean_weight(mask, se.shape[1])
            lrn = (diff.square() * weight).sum(dim=(1, 2)).mean()
            value = delta * lrn
            if not (se.requires_grad or sn.requires_grad):
                return lrn, value
            # d|z|^c from (|z|^2 + eps)^(c/2) as in the magnitude term; Y - R depends on both
            common = (2.0 * c * delta) * diff * (weight / se.shape[0])
            g_speech = speech * (common * (p_s + eps).pow(0.5 * c - 1.0))  # d/d(Y - R) is -this
            g_est = se * (common * (p_e + eps).pow(0.5 * c - 1.0)) - g_speech
        return lrn, _with_gradient(se, value, g_est) + _with_gradient(sn, torch.zeros_like(value), g_speech)

    def _multi_resolution(self, est: torch.Tensor, ref: torch.Tensor, bandwidth_hz) -> torch.Tensor:
        total = est.new_zeros(())
        for n_fft in self.mr_ffts:
            window = getattr(self, f"hann_{n_fft}")
            se = mr_stft(est, window, self.plain_autograd_stft)  # (B, K, T): only elementwise ops and full sums follow
            with torch.no_grad():
                p_e = _power_of(se)
                ae = p_e.clamp_min(self.eps).sqrt()  # magnitudes floored at sqrt(eps)
                ar = _power_of(mr_stft(ref, window)).clamp_min(self.eps).sqrt()
                freqs = torch.arange(n_fft // 2 + 1, device=est.device, dtype=torch.float32) * (self.sample_rate / n_fft)
                mask = bandwidth_mask(freqs, bandwidth_hz, est.shape[0]).transpose(1, 2)  # (B, K, 1)
                # spectral convergence over the whole batch, as in Yamamoto et al.'s implementation:
                # per-example ratios explode for silent (noise-only) targets
                diff = ar - ae
                num = torch.sqrt((diff.square() * mask).sum() + self.eps)
                den = torch.sqrt((ar.square() * mask).sum() + self.eps)
                weight = _mean_weight(mask, se.shape[2])
                log_diff = torch.log(ar) - torch.log(ae)
                value = num / den + (log_diff.abs() * weight).sum(dim=(1, 2)).mean()
                grad = None
                if se.requires_grad:
                    # d/d|e| of both terms, then d|e|/d(re, im) = (re, im) / |e| (0 under the floor)
                    g_mag = diff * mask / (-num * den) - torch.sign(log_diff) * weight / (se.shape[0] * ae)
                    grad = se * torch.where(p_e >= self.eps, g_mag / ae, 0.0)
            total = total + _with_gradient(se, value, grad)
        return total / max(1, len(self.mr_ffts))

    def forward(
        self,
        estimate: torch.Tensor,
        target: torch.Tensor,
        bandwidth_hz: torch.Tensor | None = None,
        residual_noise: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """(loss, parts) for ``estimate``/``target`` (B, n) waveforms at 48 kHz; ``residual_noise``
        (B, n): the noise component of ``estimate`` (needed when ``residual_noise_weight`` > 0)."""
        if self.residual_noise_weight and residual_noise is None:
            raise ValueError("residual_noise_weight > 0 needs the estimate's residual_noise (train.enhance_components)")
        mask = bandwidth_mask(self.dsp.bin_frequencies().to(estimate.device), bandwidth_hz, estimate.shape[0])
        se = self.dsp.stft(estimate, self.plain_autograd_stft)  # one STFT for the compressed and residual-noise terms
        lc, lm, los, cs = self._compressed(se, target, mask)
        parts = {"complex": float(lc.detach()), "magnitude": float(lm.detach())}
        if self.over_suppression_weight:
            parts["over_suppression"] = float(los.detach())
        loss = cs
        if self.residual_noise_weight:
            lrn, rn = self._residual_noise(se, residual_noise, mask)
            parts["residual_noise"] = float(lrn.detach())
            loss = loss + rn
        if self.mr_ffts and self.mr_weight:
            mr = self._multi_resolution(estimate, target, bandwidth_hz)
            parts["multires"] = float(mr.detach())
            loss = loss + self.mr_weight * mr
        return loss, parts


def reference_loss(
    loss_fn: EnhancementLoss,
    est: torch.Tensor,
    ref: torch.Tensor,
    bandwidth_hz: torch.Tensor | None = None,
    residual_noise: torch.Tensor | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """``(loss, (L_c, L_m))`` of ``loss_fn``'s settings, written with plain autograd, term by term as
    in the module docstring: the reference the closed-form gradients of ``EnhancementLoss`` are
    tested against (``tests/test_training_model.py``) and timed against
    (``benchmarks/training_speed.py``). Slower; not used in training."""
    c, eps = loss_fn.compression, loss_fn.eps
    mask = bandwidth_mask(loss_fn.dsp.bin_frequencies().to(est.device), bandwidth_hz, est.shape[0])
    se, sr = loss_fn.dsp.stft(est, plain_autograd=True), loss_fn.dsp.stft(ref, plain_autograd=True)
    count = (mask.sum(dim=(1, 2)) * se.shape[1]).clamp_min(1.0)
    ce, cr = compress(se.real, se.imag, c, eps), compress(sr.real, sr.imag, c, eps)
    lc = (((ce - cr).pow(2).sum(-1) * mask).sum(dim=(1, 2)) / count).mean()
    me, mr = compressed_magnitude(se, c, eps), compressed_magnitude(sr, c, eps)
    lm = (((me - mr).pow(2) * mask).sum(dim=(1, 2)) / count).mean()
    los = (((me - mr).clamp(max=0.0).pow(2) * mask).sum(dim=(1, 2)) / count).mean()
    total = loss_fn.complex_weight * lc + (1 - loss_fn.complex_weight) * lm + loss_fn.over_suppression_weight * los
    if loss_fn.residual_noise_weight:
        speech = se - loss_fn.dsp.stft(residual_noise, plain_autograd=True)
        rn = (me - compressed_magnitude(speech, c, eps)).pow(2)
        total = total + loss_fn.residual_noise_weight * ((rn * mask).sum(dim=(1, 2)) / count).mean()
    mr_total = est.new_zeros(())
    for n_fft in loss_fn.mr_ffts:
        window = torch.hann_window(n_fft, device=est.device)
        kw = dict(n_fft=n_fft, hop_length=n_fft // 4, win_length=n_fft, window=window, return_complex=True)
        xe, xr = torch.stft(est, **kw).transpose(1, 2), torch.stft(ref, **kw).transpose(1, 2)
        ae = torch.sqrt((xe.real.pow(2) + xe.imag.pow(2)).clamp_min(eps))
        ar = torch.sqrt((xr.real.pow(2) + xr.imag.pow(2)).clamp_min(eps))
        freqs = torch.arange(n_fft // 2 + 1, device=est.device, dtype=torch.float32) * (loss_fn.sample_rate / n_fft)
        m = bandwidth_mask(freqs, bandwidth_hz, est.shape[0])
        sc = torch.sqrt(((ar - ae).pow(2) * m).sum() + eps) / torch.sqrt((ar.pow(2) * m).sum() + eps)
        n = (m.sum(dim=(1, 2)) * xe.shape[1]).clamp_min(1.0)
        mr_total = mr_total + sc + (((torch.log(ar) - torch.log(ae)).abs() * m).sum(dim=(1, 2)) / n).mean()
    return total + loss_fn.mr_weight * mr_total / max(1, len(loss_fn.mr_ffts)), (lc, lm)
