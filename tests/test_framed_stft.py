"""``training.framed_stft``: the STFT's written-out adjoint equals what autograd computes.

Grids over FFT sizes (odd and even), hops and batch sizes; float64 finite differences
(``torch.autograd.gradcheck``) for the adjoint itself, and float32 comparisons with
``torch.stft`` / the plain-autograd framing as used in training. Needs torch.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hance_plugin.config import StftConfig  # noqa: E402
from hance_plugin.training.dsp_torch import TorchDsp  # noqa: E402
from hance_plugin.training.framed_stft import framed_rfft, mr_stft, overlap_add  # noqa: E402
from torch.nn import functional as F  # noqa: E402


@pytest.mark.parametrize("n_fft,hop", [(8, 2), (8, 3), (8, 8), (7, 2), (9, 4), (16, 4)])
@pytest.mark.parametrize("batch", [1, 3])
def test_adjoint_passes_gradcheck(n_fft, hop, batch):
    gen = torch.Generator().manual_seed(n_fft * 10 + hop)
    x = torch.randn(batch, 5 * n_fft + 1, dtype=torch.float64, generator=gen, requires_grad=True)
    window = torch.rand(n_fft, dtype=torch.float64, generator=gen) + 0.1
    assert torch.autograd.gradcheck(lambda s: framed_rfft(s, window, hop), (x,), eps=1e-6, atol=1e-8)


@pytest.mark.parametrize("n_fft", [480, 960, 1920])
@pytest.mark.parametrize("batch", [1, 4])
def test_mr_stft_equals_torch_stft_in_value_and_gradient(n_fft, batch):
    gen = torch.Generator().manual_seed(n_fft + batch)
    x = torch.randn(batch, 12000, generator=gen)
    x[:, 3000:6000] = 0.0  # silence inside the signal
    window = torch.hann_window(n_fft)
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    ref = torch.stft(a, n_fft, n_fft // 4, n_fft, window, return_complex=True)
    got = mr_stft(b, window)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.detach().numpy(), ref.detach().numpy(), rtol=0, atol=1e-5 * float(ref.detach().abs().max()))
    weights = torch.randn(ref.shape, dtype=torch.complex64, generator=gen)
    (ref * weights).real.sum().backward()
    (got * weights).real.sum().backward()
    scale = float(a.grad.abs().max())
    assert scale > 0
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=0, atol=2e-6 * scale)


@pytest.mark.parametrize("n_samples", [960, 4801, 9613])
def test_engine_stft_adjoint_equals_plain_autograd(n_samples):
    dsp = TorchDsp(StftConfig())  # the models' STFT (48 kHz, 960 / 480)
    gen = torch.Generator().manual_seed(n_samples)
    x = torch.randn(2, n_samples, generator=gen) * 0.1
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    plain, fast = dsp.stft(a, plain_autograd=True), dsp.stft(b)
    np.testing.assert_array_equal(fast.detach().numpy(), plain.detach().numpy())  # the same forward ops
    weights = torch.randn(plain.shape, dtype=torch.complex64, generator=gen)
    (plain.abs() * weights.real + (plain * weights).imag).sum().backward()  # a non-linear loss
    (fast.abs() * weights.real + (fast * weights).imag).sum().backward()
    scale = float(a.grad.abs().max())
    assert scale > 0
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=0, atol=2e-6 * scale)


def test_framed_rfft_rejects_bad_shapes_and_a_trainable_window():
    x = torch.zeros(2, 100, requires_grad=True)
    with pytest.raises(ValueError, match=r"\(B, n_samples\)"):
        framed_rfft(torch.zeros(100), torch.ones(8), 2)
    with pytest.raises(ValueError, match="1-D window"):
        framed_rfft(x, torch.ones(200), 2)
    with pytest.raises(ValueError, match="plain_autograd"):
        framed_rfft(x, torch.ones(8, requires_grad=True), 2)
    w = torch.ones(8, requires_grad=True)  # a trainable window works on the plain path
    framed_rfft(x, w, 2, plain_autograd=True).abs().sum().backward()
    assert w.grad is not None


@pytest.mark.parametrize("n_fft,hop", [(960, 480), (480, 120), (8, 3), (9, 9)])
@pytest.mark.parametrize("batch", [1, 3])
def test_overlap_add_equals_fold(n_fft, hop, batch):
    gen = torch.Generator().manual_seed(n_fft + hop)
    frames = torch.randn(batch, 11, n_fft, generator=gen)
    n_samples = 10 * hop + n_fft + 5  # five samples no frame covers
    covered = n_samples - 5
    ref = F.fold(frames.transpose(1, 2), output_size=(1, covered), kernel_size=(1, n_fft), stride=(1, hop))[:, 0, 0]
    ref = F.pad(ref, (0, 5))
    got = overlap_add(frames.clone().requires_grad_(), hop, n_samples)
    if n_fft == 2 * hop:  # two frames per sample: the same additions in the same order
        np.testing.assert_array_equal(got.detach().numpy(), ref.numpy())
    np.testing.assert_allclose(got.detach().numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    assert not got[:, -5:].any()
    with pytest.raises(ValueError, match="cover"):
        overlap_add(frames, hop, covered - 1)


def test_overlap_add_gradient_passes_gradcheck():
    frames = torch.randn(2, 6, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3), requires_grad=True)
    assert torch.autograd.gradcheck(lambda f: overlap_add(f, 2, 5 * 2 + 8 + 1), (frames,), eps=1e-6, atol=1e-8)
