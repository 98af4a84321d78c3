"""STFT analysis for training with its adjoint written out (needs torch; training only).

Every training step runs four or five STFTs whose input needs a gradient: the estimate on the
engine's STFT (compressed loss), the residual noise on it (when its term is on) and the estimate at
the three multi-resolution sizes. With plain autograd, ``torch.stft`` or ``unfold`` + ``rfft``,
their backward is the largest part of the loss's backward: PyTorch differentiates the one-sided
``rfft`` by zero-filling the gradient to a full spectrum and running a complex-to-complex FFT, and
the framing's backward (``AsStridedBackward`` / ``UnfoldBackward``) scatters into a copy of the
whole signal.

The STFT is linear, so its backward is its adjoint, which can be written out (see e.g. Smith,
"Spectral Audio Signal Processing", on the DFT as a change of basis). For frames
x_t[n] = w[n] x[tH + n], n < N, and one-sided spectra X_t[k] = sum_n x_t[n] e^{-j 2 pi k n / N},
k = 0..N/2, take PyTorch's gradient convention for a real function L of a complex tensor,
G = dL/dRe X + j dL/dIm X. Then

    dL/dx_t[n] = Re sum_k G_t[k] e^{+j 2 pi k n / N} = N · irfft(Z_t)[n],

with Z_t[k] = G_t[k] / 2 for the bins that have a mirror image (0 < k < N/2) and Z_t[k] = G_t[k]
at DC and Nyquist (``irfft`` counts the interior bins twice and ignores the imaginary parts of the
other two, which is exactly the real part taken above). Then

    dL/dx[m] = sum over the frames t that cover m of w[m - tH] · dL/dx_t[m - tH],

an overlap-add. That is one half-size inverse FFT and one overlap-add per STFT, instead of a full
complex FFT and a scatter. ``benchmarks/training_speed.py`` times it against the plain-autograd
STFT in the same run. ``tests/test_framed_stft.py`` checks the gradients in float64 against finite
differences, and value and gradient against ``torch.stft`` and the plain-autograd framing.

``overlap_add`` is that overlap-add on its own; ``TorchDsp.istft`` synthesises with it too.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["framed_rfft", "mr_stft", "overlap_add"]


class _FramedRfft(torch.autograd.Function):
    """rfft(window · frames of ``padded``), with the adjoint above as its backward."""

    @staticmethod
    def forward(ctx, padded: torch.Tensor, window: torch.Tensor, hop: int) -> torch.Tensor:
        n_fft = window.shape[-1]
        ctx.save_for_backward(window)
        ctx.hop, ctx.n_samples = hop, padded.shape[-1]
        return torch.fft.rfft(padded.unfold(-1, n_fft, hop) * window, dim=-1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (window,) = ctx.saved_tensors
        n_fft, hop = window.shape[-1], ctx.hop
        z = grad.clone()
        z[..., 1 : (n_fft + 1) // 2] *= 0.5  # bins with a mirror image; DC (and Nyquist for even N) stay
        frames = torch.fft.irfft(z, n=n_fft, dim=-1) * (window * n_fft)  # (B, T, N)
        return overlap_add(frames, hop, ctx.n_samples), None, None


def overlap_add(frames: torch.Tensor, hop: int, n_samples: int) -> torch.Tensor:
    """(B, n_samples): frame t of ``frames`` (B, T, N) added at sample t·hop (differentiable).

    When the hop divides N (every STFT here), the frames are cut into N / hop hop-long pieces and
    added with N / hop slice additions, in frame order; ``F.fold`` (im2col's adjoint) is several
    times slower for this 1-D case and, at the engine's N / hop = 2, gives the same bits. Other
    hops use ``F.fold``. Samples after the last frame are 0."""
    batch, n_frames, n_fft = frames.shape
    covered = (n_frames - 1) * hop + n_fft
    if covered > n_samples:
        raise ValueError(f"{n_frames} frames of {n_fft} at hop {hop} cover {covered} samples, more than {n_samples}")
    if n_fft % hop:
        out = F.fold(frames.transpose(1, 2), output_size=(1, covered), kernel_size=(1, n_fft), stride=(1, hop))[:, 0, 0]
    else:
        ratio = n_fft // hop
        pieces = frames.reshape(batch, n_frames, ratio, hop)
        out = frames.new_zeros(batch, n_frames + ratio - 1, hop)
        for i in range(ratio):
            out[:, i : i + n_frames] += pieces[:, :, i]
        out = out.reshape(batch, -1)
    return F.pad(out, (0, n_samples - covered))  # samples after the last frame


def framed_rfft(padded: torch.Tensor, window: torch.Tensor, hop: int, plain_autograd: bool = False) -> torch.Tensor:
    """One-sided spectra (B, T, N // 2 + 1) of the frames ``padded[:, tH : tH + N] · window``.

    Args:
        padded: (B, n_samples) real signal, already padded as the caller's STFT frames it.
        window: (N,) analysis window, a constant (it gets no gradient on the explicit path).
        hop: H, samples between frame starts.
        plain_autograd: differentiate ``unfold`` + ``rfft`` with autograd instead of the written-out
            adjoint (the same values; kept as the reference the tests and the benchmark compare with).
    """
    if padded.dim() != 2:
        raise ValueError(f"padded must be (B, n_samples), got shape {tuple(padded.shape)}")
    if window.dim() != 1 or padded.shape[-1] < window.shape[0]:
        raise ValueError(f"need a 1-D window no longer than the signal, got {tuple(window.shape)} for {padded.shape[-1]} samples")
    if plain_autograd or not padded.requires_grad:
        return torch.fft.rfft(padded.unfold(-1, window.shape[0], hop) * window, dim=-1)
    if window.requires_grad:
        raise ValueError("the explicit adjoint gives no gradient to the window; pass plain_autograd=True")
    return _FramedRfft.apply(padded, window, int(hop))


def mr_stft(x: torch.Tensor, window: torch.Tensor, plain_autograd: bool = False) -> torch.Tensor:
    """``torch.stft(x, N, N // 4, window=window, center=True, return_complex=True)`` (B, K, T)
    (reflect padding of N // 2 at both ends, as torch.stft's default), through ``framed_rfft``."""
    n_fft = window.shape[0]
    padded = F.pad(x[:, None], (n_fft // 2, n_fft // 2), mode="reflect")[:, 0]
    return framed_rfft(padded, window, n_fft // 4, plain_autograd).transpose(1, 2)
