"""Training package: DSP twin parity, model budget/heads, ONNX export, resumable training.

Needs torch (the ``[train]`` extra); the whole module is skipped without it. Kept fast (< 60 s
on 2 shared cores): small signals, the ``fast`` model size for training runs.
"""

from __future__ import annotations

import json
import os
import signal
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from hance_plugin import Denoiser  # noqa: E402
from hance_plugin.config import StftConfig  # noqa: E402
from hance_plugin.kernels.masks import apply_hybrid_mask, band_energy_db  # noqa: E402
from hance_plugin.kernels.modified import modified_stft  # noqa: E402
from hance_plugin.stft import istft, stft  # noqa: E402
from hance_plugin.training.dsp_torch import TorchDsp, compress  # noqa: E402
from hance_plugin.training.export import check_streaming_parity, export_onnx  # noqa: E402
from hance_plugin.training.losses import EnhancementLoss, reference_loss  # noqa: E402
from hance_plugin.training.model import (  # noqa: E402
    MaskEstimatorNet,
    ModelConfig,
    build_model,
    count_params_and_macs,
)
from hance_plugin.training.train import (  # noqa: E402
    TrainConfig,
    Trainer,
    enhance,
    enhance_components,
    load_checkpoint,
    read_log,
    train,
    validate_checkpoint,
)

CFG = StftConfig()


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / (np.linalg.norm(b) + 1e-30))


def _signal(n: int = 9613, channels: int = 2, seed: int = 0) -> np.ndarray:
    x = (np.random.default_rng(seed).standard_normal((channels, n)) * 0.1).astype(np.float32)
    x[:, 2000:4500] = 0.0  # whole frames of digital silence: |X| = 0 -> compressed feature 0
    return x


def _perturbed(variant: str = "phase_aware", size: str = "base", seed: int = 0) -> MaskEstimatorNet:
    torch.manual_seed(seed)
    net = build_model(CFG, variant=variant, size=size)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return net.eval()


# --- DSP twin ----------------------------------------------------------------------------------
def test_stft_istft_parity():
    dsp = TorchDsp(CFG)
    x = _signal()
    ref = stft(x, CFG)
    got = dsp.stft(torch.from_numpy(x)).numpy()
    assert got.shape == ref.shape
    assert _rel(got, ref) < 1e-5
    y_ref = istft(ref, x.shape[1], CFG)
    y = dsp.istft(torch.from_numpy(ref), x.shape[1]).numpy()
    assert _rel(y, y_ref) < 1e-5
    np.testing.assert_allclose(y, x, atol=1e-5)


@pytest.mark.parametrize("frame_index0", [0, 1, 7])
def test_feature_parity(frame_index0):
    dsp = TorchDsp(CFG)
    spec = stft(_signal(), CFG)
    ref = np.zeros(spec.shape[:2] + (CFG.split_bin, 2), np.float32)
    modified_stft(spec, frame_index0, CFG.derotation_table(), CFG.compression_exponent, ref)
    got = dsp.spec_low(torch.from_numpy(spec), frame_index0).numpy()
    assert _rel(got, ref) < 1e-5
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())
    silent = np.all(spec[..., : CFG.split_bin] == 0, axis=-1)
    assert silent.any() and np.all(got[silent] == 0.0)
    bands_ref = np.zeros(spec.shape[:2] + (CFG.n_bands,), np.float32)
    band_energy_db(spec, CFG.band_edges.astype(np.int64), bands_ref)
    bands = dsp.band_db(torch.from_numpy(spec)).numpy()
    np.testing.assert_allclose(bands, bands_ref, rtol=1e-5, atol=1e-4)


def test_compression_gradient_is_finite_at_zero():
    re = torch.tensor([0.0, 1e-20, 0.5, -2.0], requires_grad=True)
    im = torch.tensor([0.0, 0.0, -0.25, 1.0], requires_grad=True)
    out = compress(re, im, 0.3)
    assert out[0].tolist() == [0.0, 0.0]  # exact forward value
    z = complex(0.5, -0.25)
    expected = z * abs(z) ** (0.3 - 1)
    assert out[2].tolist() == pytest.approx([expected.real, expected.imag], rel=1e-6)
    out.sum().backward()
    assert torch.isfinite(re.grad).all() and torch.isfinite(im.grad).all()


@pytest.mark.parametrize("limit_gain", [0.0, 0.25])
def test_mask_application_parity(limit_gain):
    dsp = TorchDsp(CFG)
    rng = np.random.default_rng(1)
    spec = stft(_signal(), CFG)
    mask = (rng.standard_normal(spec.shape[:2] + (CFG.split_bin, 2)) * 2).astype(np.float32)
    gains = rng.standard_normal(spec.shape[:2] + (CFG.n_high_gains,)).astype(np.float32)  # < 0 clipped
    ref = spec.copy()
    idx0, idx1, w = CFG.high_interpolation()
    apply_hybrid_mask(ref, mask, gains, idx0, idx1, w, np.float32(limit_gain))
    got = dsp.apply_mask(torch.from_numpy(spec), torch.from_numpy(mask), torch.from_numpy(gains), limit_gain)
    assert _rel(got.numpy(), ref) < 1e-5


# --- model -------------------------------------------------------------------------------------
def test_budget():
    results = {}
    for variant in ("phase_aware", "magnitude_twin"):
        for size in ("base", "fast"):
            r = count_params_and_macs(build_model(CFG, variant, size))
            assert r["parameters"] <= 1_000_000 and r["macs_per_second"] <= 150_000_000
            results[variant, size] = r
    assert results["phase_aware", "base"]["parameters"] > 500_000  # the budget is actually used
    too_big = MaskEstimatorNet(ModelConfig.for_stft(CFG, gru_layers=3))
    with pytest.raises(AssertionError, match="budget"):
        count_params_and_macs(too_big)


def test_heads_unbounded_and_gains_nonnegative():
    net = build_model(CFG, "phase_aware", "fast").eval()
    with torch.no_grad():
        net.mask_head.weight.zero_()
        net.mask_head.bias.copy_(torch.linspace(-50.0, 50.0, net.mask_head.bias.numel()))
        net.gain_head.weight.zero_()
        net.gain_head.bias.fill_(-30.0)
        b, t = 2, 4
        mask, gains, _ = net(torch.randn(b, t, CFG.split_bin, 2), torch.randn(b, t, CFG.n_bands), net.initial_state(b))
    expected = torch.linspace(-50.0, 50.0, 2 * CFG.split_bin).view(CFG.split_bin, 2)
    torch.testing.assert_close(mask[1, 3], expected)  # linear: no sigmoid/tanh squashing
    assert (gains >= 0).all() and gains.shape == (b, t, CFG.n_high_gains)
    twin = build_model(CFG, "magnitude_twin", "fast").eval()
    with torch.no_grad():
        mask, gains, _ = twin(torch.randn(1, 3, CFG.split_bin, 2), torch.randn(1, 3, CFG.n_bands), twin.initial_state(1))
    assert (mask[..., 1] == 0).all() and (mask[..., 0] >= 0).all() and (gains >= 0).all()


def test_untrained_model_is_identity():
    net = build_model(CFG).eval()
    with torch.no_grad():
        net.mask_head.weight.zero_()
        net.gain_head.weight.zero_()
        x = torch.from_numpy(_signal(4800, 1))
        y = enhance(net, TorchDsp(CFG), x)
    torch.testing.assert_close(y, x, atol=1e-5, rtol=0)


def test_torch_streaming_equals_offline():
    net = _perturbed(size="fast")
    spec, bands = torch.randn(2, 17, CFG.split_bin, 2), torch.randn(2, 17, CFG.n_bands) * 10
    with torch.no_grad():
        mask, gains, state = net(spec, bands, net.initial_state(2))
        st = net.initial_state(2)
        parts = []
        for lo, hi in [(0, 1), (1, 6), (6, 7), (7, 17)]:
            m, g, st = net(spec[:, lo:hi], bands[:, lo:hi], st)
            parts.append(m)
    torch.testing.assert_close(torch.cat(parts, 1), mask, atol=1e-5, rtol=0)
    torch.testing.assert_close(st["gru"], state["gru"], atol=1e-5, rtol=0)


# --- export ------------------------------------------------------------------------------------
@pytest.mark.parametrize("frames", [1, 7])
def test_export_form_of_the_causal_conv_equals_the_conv(frames):
    # the export writes the depthwise conv as shifted multiply-adds (no grouped ONNX Conv); the
    # two must be the same function of the conv's weights and its past frames
    net = _perturbed(size="fast")
    past = torch.randn(3, net.config.conv_frames - 1 + frames, net.config.hidden)
    with torch.no_grad():
        conv = net.tconv(past.transpose(1, 2)).transpose(1, 2)
        shifted = net._tconv_shifted(past)
    assert shifted.shape == conv.shape == (3, frames, net.config.hidden)
    torch.testing.assert_close(shifted, conv, atol=1e-6, rtol=0)


@pytest.mark.parametrize("variant", ["phase_aware", "magnitude_twin"])
def test_export_parity_and_denoiser(tmp_path, variant):
    net = _perturbed(variant)
    path = export_onnx(net, tmp_path, f"t-{variant}", steps=3, scores={"x": 1.0}, training_data="none")
    diffs = check_streaming_parity(net, path, n_frames=20)
    assert max(diffs.values()) <= 1e-4, diffs
    # onnxruntime's grouped Conv costs ~30 us per streaming call for 768 multiplications
    assert "Conv" not in {node.op_type for node in onnx.load(str(path)).graph.node}
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["latency_samples"] == 960 and card["stft"] == CFG.to_card_fields()
    assert card["parameters"] == count_params_and_macs(net)["parameters"] and card["scores"] == {"x": 1.0}
    den = Denoiser(model=str(path))  # contract validation
    x = _signal(14400, 1, seed=3)[0]
    y = den.process(x, 48000)
    with torch.no_grad():
        y_torch = enhance(net, TorchDsp(CFG), torch.from_numpy(x)[None])[0].numpy()
    # the product (numba + onnxruntime, streaming engine) equals the training pipeline
    np.testing.assert_allclose(y, y_torch, atol=1e-4)


# --- losses ------------------------------------------------------------------------------------
def test_loss_ignores_bins_above_bandwidth():
    loss_fn = EnhancementLoss(CFG)
    rng = np.random.default_rng(0)
    t = np.arange(9600) / 48000
    clean = torch.from_numpy((rng.standard_normal((1, 9600)) * 0.05).astype(np.float32))
    est = clean * 0.7
    tone = torch.from_numpy((0.1 * np.sin(2 * np.pi * 18000 * t) * np.hanning(t.size)).astype(np.float32))[None]
    bw = torch.tensor([9000.0])
    base, _ = loss_fn(est, clean, bw)
    with_tone, _ = loss_fn(est + tone, clean, bw)
    assert float(with_tone) == pytest.approx(float(base), rel=1e-3)
    full = torch.tensor([24000.0])
    assert float(loss_fn(est + tone, clean, full)[0]) > 1.2 * float(loss_fn(est, clean, full)[0])
    assert float(loss_fn(clean, clean, bw)[0]) < 1e-4


@pytest.mark.parametrize("complex_weight,mr_weight,over,residual",
                         [(0.3, 0.1, 0.0, 0.0), (0.8, 1.0, 0.5, 0.0), (0.0, 0.0, 2.0, 0.0), (0.3, 0.1, 1.0, 0.7)])
def test_closed_form_loss_gradients_match_autograd(complex_weight, mr_weight, over, residual):
    loss_fn = EnhancementLoss(CFG, complex_weight=complex_weight, mr_weight=mr_weight, mr_ffts=(480, 960),
                              over_suppression_weight=over, residual_noise_weight=residual)
    rng = np.random.default_rng(7)
    clean = (rng.standard_normal((4, 9600)) * 0.05).astype(np.float32)
    clean[3] = 0.0  # a noise-only target (silent reference)
    est = 0.6 * clean + (rng.standard_normal(clean.shape) * 0.01).astype(np.float32)
    est[1, :4000] = 0.0  # exact zeros: compression and magnitude floors in the estimate
    est[2, ::3] = 0.0
    est[0, 2000:7000] *= 1e-4  # bins under the magnitude floor sqrt(eps), but not zero
    bw = torch.tensor([24000.0, 8000.0, 24000.0, 12000.0])
    ref = torch.from_numpy(clean)
    noise = est - clean  # a residual with exact zeros (est[1, :4000]) and tiny values
    a = torch.from_numpy(est).requires_grad_()
    b = torch.from_numpy(est.copy()).requires_grad_()
    na = torch.from_numpy(noise).requires_grad_()
    nb = torch.from_numpy(noise.copy()).requires_grad_()
    fast, parts = loss_fn(a, ref, bw, na)
    slow, (lc, lm) = reference_loss(loss_fn, b, ref, bw, nb)
    fast.backward()
    slow.backward()
    np.testing.assert_allclose(float(fast.detach()), float(slow.detach()), rtol=1e-5)
    np.testing.assert_allclose([parts["complex"], parts["magnitude"]], [float(lc.detach()), float(lm.detach())], rtol=1e-5)
    scale = float(b.grad.abs().max())
    assert scale > 0
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5 * scale)
    assert (na.grad is None) == (residual == 0) == (nb.grad is None or not nb.grad.any())
    if residual:
        scale = float(nb.grad.abs().max())
        np.testing.assert_allclose(na.grad.numpy(), nb.grad.numpy(), rtol=1e-4, atol=1e-5 * scale)
    with torch.no_grad():  # validation path: no gradient is formed, same value
        assert float(loss_fn(torch.from_numpy(est), ref, bw, torch.from_numpy(noise))[0]) == pytest.approx(
            float(fast), rel=1e-6)


def test_over_suppression_term_charges_only_estimates_below_the_target():
    rng = np.random.default_rng(2)
    clean = torch.from_numpy((rng.standard_normal((2, 4800)) * 0.05).astype(np.float32))
    plain = EnhancementLoss(CFG, mr_weight=0.0)
    asym = EnhancementLoss(CFG, mr_weight=0.0, over_suppression_weight=1.0)
    _, louder = asym(1.5 * clean, clean)
    _, quieter = asym(0.5 * clean, clean)
    assert louder["over_suppression"] == 0.0 and quieter["over_suppression"] > 0.0
    assert "over_suppression" not in plain(0.5 * clean, clean)[1]
    extra = float(asym(0.5 * clean, clean)[0]) - float(plain(0.5 * clean, clean)[0])
    assert extra == pytest.approx(quieter["over_suppression"], rel=1e-5)
    assert float(asym(1.5 * clean, clean)[0]) == pytest.approx(float(plain(1.5 * clean, clean)[0]), rel=1e-6)
    with pytest.raises(ValueError):
        EnhancementLoss(CFG, over_suppression_weight=-1.0)


def test_residual_noise_term_charges_the_noise_that_speech_does_not_cover():
    rng = np.random.default_rng(3)
    clean = torch.from_numpy((rng.standard_normal((2, 4800)) * 0.05).astype(np.float32))
    noise = torch.from_numpy((rng.standard_normal((2, 4800)) * 0.02).astype(np.float32))
    silent = torch.zeros_like(clean)
    plain = EnhancementLoss(CFG, mr_weight=0.0)
    comp = EnhancementLoss(CFG, mr_weight=0.0, residual_noise_weight=2.0)
    est = clean + 0.5 * noise
    loss, parts = comp(est, clean, None, 0.5 * noise)
    assert "residual_noise" not in plain(est, clean)[1] and parts["residual_noise"] > 0
    assert float(loss) - float(plain(est, clean)[0]) == pytest.approx(2.0 * parts["residual_noise"], rel=1e-5)
    # nothing covers the noise (noise-only target): the term is |R|^(2c), so halving R scales it by 0.5^(2c)
    alone = comp(0.5 * noise, silent, None, 0.5 * noise)[1]["residual_noise"]
    quieter = comp(0.25 * noise, silent, None, 0.25 * noise)[1]["residual_noise"]
    assert quieter == pytest.approx(alone * 0.5 ** (2 * comp.compression), rel=1e-4)
    # the same residual under speech 14 dB louder costs far less than alone
    assert parts["residual_noise"] < 0.25 * alone
    assert comp(clean, clean, None, torch.zeros_like(noise))[1]["residual_noise"] == 0.0
    with pytest.raises(ValueError, match="residual_noise"):
        comp(est, clean)
    with pytest.raises(ValueError):
        EnhancementLoss(CFG, residual_noise_weight=-0.5)


def test_enhance_components_splits_the_output_into_speech_and_residual_noise():
    net = _perturbed(size="fast")
    dsp = TorchDsp(CFG)
    rng = np.random.default_rng(4)
    clean = torch.from_numpy((rng.standard_normal((2, 9600)) * 0.05).astype(np.float32))
    noise = torch.from_numpy((rng.standard_normal((2, 9600)) * 0.03).astype(np.float32))
    noisy = clean + noise
    with torch.no_grad():
        out, residual = enhance_components(net, dsp, noisy, noise)
        _, speech = enhance_components(net, dsp, noisy, clean)  # the same mask applied to the target
        assert enhance_components(net, dsp, noisy)[1] is None
        torch.testing.assert_close(out, enhance(net, dsp, noisy), atol=0, rtol=0)
    torch.testing.assert_close(speech + residual, out, atol=1e-5, rtol=0)
    assert float(residual.square().mean()) > 0.01 * float(noise.square().mean())  # the mask is not zero


# --- training ----------------------------------------------------------------------------------
class StubSource:
    """Stand-in for ``mixing.MixtureSource``: deterministic harmonic 'speech' + noise per index."""

    def __init__(self, n_items: int, seconds: float, seed: int, kill_at: int | None = None) -> None:
        self.n_items, self.n, self.seed, self.kill_at = n_items, int(seconds * 48000), seed, kill_at

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, i: int):
        if self.kill_at is not None and i == self.kill_at:
            self.kill_at = None
            os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler would
        rng = np.random.default_rng([self.seed, i])
        t = np.arange(self.n) / 48000
        f0 = rng.uniform(100, 250)
        clean = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 40) if f0 * k < 20000)
        clean = clean * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(2, 5) * t))
        clean = (0.1 * clean / np.std(clean)).astype(np.float32)
        snr = rng.uniform(0, 15)
        noise = rng.standard_normal(self.n).astype(np.float32) * np.std(clean) * 10 ** (-snr / 20)
        return SimpleNamespace(
            noisy=(clean + noise).astype(np.float32), clean=clean,
            bandwidth_hz=24000.0 if i % 2 == 0 else 8000.0, snr_db=snr, meta={"i": i},
        )


def _factory(seconds: float, kill_at: int | None = None):
    def make(cfg: TrainConfig):
        return StubSource(24, seconds, cfg.seed, kill_at), StubSource(3, seconds, cfg.seed + 1)

    return make


def test_training_with_the_residual_noise_term_logs_it(tmp_path):
    cfg = TrainConfig(out=str(tmp_path / "rn"), size="fast", steps=2, batch_size=2, segment_seconds=0.4,
                      warmup_steps=1, val_every=2, val_items=3, pesq_items=0, log_every=1, workers=0,
                      stats_items=4, threads=1, residual_noise_weight=0.5)
    assert train(cfg, _factory(0.4))["step"] == 2
    records = read_log(tmp_path / "rn")
    steps = [r for r in records if r["kind"] == "train"]
    assert steps and all(r["train_residual_noise"] > 0 for r in steps)
    vals = [r for r in records if r["kind"] == "val"]
    assert vals and np.isfinite(vals[-1]["val_loss"])
    assert load_checkpoint(tmp_path / "rn" / "last.pt")["train_config"]["residual_noise_weight"] == 0.5


def test_training_resumes_exactly(tmp_path):
    pytest.importorskip("matplotlib")
    from hance_plugin.training.__main__ import main
    from hance_plugin.training.train import plot_log

    common = dict(size="fast", steps=6, batch_size=2, segment_seconds=0.4, warmup_steps=2, val_every=3,
                  val_items=3, pesq_items=1, log_every=2, workers=0, stats_items=4, seed=0, threads=1)
    straight = train(TrainConfig(out=str(tmp_path / "a"), **common), _factory(0.4))
    assert straight["reason"] == "done" and straight["step"] == 6
    # stopped by SIGTERM while the 3rd batch is being mixed (data position 5), then resumed
    perm_positions = _first_positions(TrainConfig(**common), 24)
    interrupted = train(TrainConfig(out=str(tmp_path / "b"), **common), _factory(0.4, kill_at=perm_positions[5]))
    assert interrupted == {**interrupted, "reason": "SIGTERM", "step": 3}
    assert load_checkpoint(tmp_path / "b" / "last.pt")["data_position"] == 6
    resumed = train(TrainConfig(out=str(tmp_path / "b"), resume=True, **common), _factory(0.4))
    assert resumed["reason"] == "done" and resumed["step"] == 6
    a = load_checkpoint(tmp_path / "a" / "last.pt")
    b = load_checkpoint(tmp_path / "b" / "last.pt")
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    assert a["optimizer"]["state"][0]["exp_avg"].equal(b["optimizer"]["state"][0]["exp_avg"])
    # stop_at_step: the schedule still spans --steps
    half = train(TrainConfig(out=str(tmp_path / "c"), stop_at_step=4, **common), _factory(0.4))
    assert half["reason"] == "stop_at_step"
    records = read_log(tmp_path / "b")
    vals = [r for r in records if r["kind"] == "val"]
    assert [r["step"] for r in vals] == [3, 6] and all(np.isfinite(r["val_si_sdr"]) for r in vals)
    assert (tmp_path / "b" / "best.pt").is_file()
    assert plot_log(tmp_path / "b").is_file()
    # validating the saved checkpoint reproduces the val record logged at that step, writes nothing
    before = sorted(p.name for p in (tmp_path / "b").iterdir())
    again = validate_checkpoint(tmp_path / "b" / "last.pt", source_factory=_factory(0.4))
    assert again["step"] == 6
    for key in ("val_loss", "val_si_sdr", "val_si_sdr_noisy"):
        np.testing.assert_allclose(again[key], vals[-1][key], rtol=1e-6)
    more = validate_checkpoint(tmp_path / "b" / "last.pt", source_factory=_factory(0.4), pesq_items=3)
    assert more["val_si_sdr"] == again["val_si_sdr"] and more.get("val_pesq_items", 3) <= 3
    paired = validate_checkpoint(tmp_path / "b" / "last.pt", source_factory=_factory(0.4), per_item=True)
    items = paired["per_item"]
    assert len(items) == paired["val_si_sdr_items"] and len({r["index"] for r in items}) == len(items)
    np.testing.assert_allclose(np.mean([r["si_sdr"] for r in items]), again["val_si_sdr"], rtol=1e-9)
    np.testing.assert_allclose(np.mean([r["si_sdr_noisy"] for r in items]), again["val_si_sdr_noisy"], rtol=1e-9)
    json.dumps(paired)  # what `validate --per-item` prints
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == before
    # --holdout needs a run that held speech or noise out of training: a clear error, exit status 2
    with pytest.raises(ValueError, match="held no speech or noise out of training"):
        validate_checkpoint(tmp_path / "b" / "last.pt", holdout=True)
    assert main(["validate", str(tmp_path / "b" / "last.pt"), "--holdout"]) == 2
    assert main(["export", "--checkpoint", str(tmp_path / "a" / "best.pt"), "--name", "tiny",
                 "--out-dir", str(tmp_path / "models")]) == 0
    card = json.loads((tmp_path / "models" / "tiny.json").read_text())
    assert card["steps"] in (3, 6) and "val_si_sdr" in card["scores"]
    Denoiser(model=str(tmp_path / "models" / "tiny.onnx"))


def test_validation_scores_another_system_on_the_same_items(tmp_path):
    """``validate_checkpoint(enhance=...)``: a peer on exactly the items the model is scored on."""
    cfg = TrainConfig(out=str(tmp_path / "v"), size="fast", steps=2, batch_size=2, segment_seconds=0.4,
                      warmup_steps=1, val_every=0, workers=0, stats_items=4, threads=1, residual_noise_weight=0.5)
    train(cfg, _factory(0.4))
    ckpt = tmp_path / "v" / "last.pt"
    model = validate_checkpoint(ckpt, source_factory=_factory(0.4), per_item=True, pesq_items=0)
    seen = []

    def passthrough(x: np.ndarray) -> np.ndarray:
        seen.append(x.copy())
        return x

    peer = validate_checkpoint(ckpt, source_factory=_factory(0.4), per_item=True, pesq_items=0, enhance=passthrough)
    assert [r["index"] for r in peer["per_item"]] == [r["index"] for r in model["per_item"]]
    assert len(seen) == peer["val_items"] and all(x.dtype == np.float32 and x.ndim == 1 for x in seen)
    for r in peer["per_item"]:  # the input passed through scores as the input
        np.testing.assert_allclose(r["si_sdr"], r["si_sdr_noisy"], rtol=1e-6)
    assert any(abs(r["si_sdr"] - r["si_sdr_noisy"]) > 0.1 for r in model["per_item"])
    assert np.isfinite(peer["val_loss"])  # the residual-noise term is left out for a peer
    again = validate_checkpoint(ckpt, source_factory=_factory(0.4), per_item=True, pesq_items=0)
    assert again["val_si_sdr"] == model["val_si_sdr"]  # the model is untouched
    with pytest.raises(ValueError, match="samples"):
        validate_checkpoint(ckpt, source_factory=_factory(0.4), enhance=lambda x: x[:-1])
    trainer = Trainer(cfg, _factory(0.4), checkpoint=ckpt)
    assert trainer.model.training
    with pytest.raises(ValueError, match="samples"):
        trainer.validate(enhance=lambda x: x[:-1])
    assert trainer.model.training  # a failing peer leaves the model in training mode, as it found it


@pytest.mark.parametrize("command", ["train", "validate"])
def test_cli_rejects_bad_mix_overrides(command, capsys):
    from hance_plugin.training.__main__ import main

    flag = "--mix" if command == "train" else "--val-mix"
    argv = [command] + (["runs/none/last.pt"] if command == "validate" else []) + [flag, "p_voice=1"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "unknown mix setting 'p_voice'" in capsys.readouterr().err


def test_failure_inside_a_step_keeps_the_last_consistent_checkpoint(tmp_path):
    """An exception after the optimizer update but before the step is counted must not be saved
    as a checkpoint (weights one update ahead of the step count): resume stays exact."""
    from hance_plugin.training.train import Trainer

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  log_every=1, workers=0, stats_items=4, seed=0, threads=1, checkpoint_minutes=0.0)
    straight = train(TrainConfig(out=str(tmp_path / "a"), **common), _factory(0.4))
    assert straight["step"] == 4
    trainer = Trainer(TrainConfig(out=str(tmp_path / "b"), **common), _factory(0.4))
    original = trainer.step

    def failing_step(*args):
        result = original(*args)  # the update happens ...
        if trainer.progress.step == 2:
            raise RuntimeError("worker died")  # ... and the step is never counted
        return result

    trainer.step = failing_step
    with pytest.raises(RuntimeError, match="worker died"):
        trainer.run()
    assert load_checkpoint(tmp_path / "b" / "last.pt")["progress"]["step"] == 2  # the periodic one
    resumed = train(TrainConfig(out=str(tmp_path / "b"), resume=True, **common), _factory(0.4))
    assert resumed["step"] == 4
    a, b = load_checkpoint(tmp_path / "a" / "last.pt"), load_checkpoint(tmp_path / "b" / "last.pt")
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key


def test_data_workers_leave_stop_signals_to_the_main_process():
    from hance_plugin.training.train import _ignore_stop_signals

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _ignore_stop_signals(0)
        assert all(signal.getsignal(sig) == signal.SIG_IGN for sig in saved)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _first_positions(cfg: TrainConfig, length: int) -> list[int]:
    """Source indices of the first training positions (epoch 0 permutation)."""
    from hance_plugin.training.train import PositionDataset

    ds = PositionDataset(StubSource(length, 0.01, cfg.seed), cfg.seed, 480)
    return [ds.index(p) for p in range(length)]


def test_plot_log_draws_one_pesq_curve_per_item_set(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.axes

    from hance_plugin.training.train import plot_log

    recs = [{"kind": "train", "step": s, "train_loss": 1.0 / s} for s in (20, 40, 60)]
    for step, n in ((500, 8), (1000, 8), (1500, 26)):  # a run resumed with --pesq-items 32
        recs.append({"kind": "val", "step": step, "val_loss": 0.2, "val_si_sdr": 9.0, "val_si_sdr_noisy": 7.0,
                     "val_pesq_wb": 1.8, "val_pesq_wb_noisy": 1.7, "val_pesq_items": n})
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    labels = []
    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        labels.append(kwargs.get("label"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    out = plot_log(tmp_path, tmp_path / "c.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"enhanced (8 items)", "enhanced (26 items)", "noisy (8 items)", "noisy (26 items)"} <= set(labels)


# --- growing a checkpoint ----------------------------------------------------------------------
def test_mask_gate_grows_as_an_exact_identity_and_resumes(tmp_path):
    from hance_plugin.training.__main__ import main
    from hance_plugin.training.grow import grow_checkpoint
    from hance_plugin.training.train import model_from_checkpoint

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    train(TrainConfig(out=str(tmp_path / "a"), stop_at_step=2, **common), _factory(0.4))
    ckpt = load_checkpoint(tmp_path / "a" / "last.pt")
    assert main(["grow", str(tmp_path / "a" / "last.pt"), "--out", str(tmp_path / "g" / "last.pt"), "--mask-gate"]) == 0
    grown = load_checkpoint(tmp_path / "g" / "last.pt")
    assert grown["model_config"]["mask_gate"] and not ckpt["model_config"].get("mask_gate", False)
    # the grown network computes exactly what the original computes
    a, g = model_from_checkpoint(ckpt), model_from_checkpoint(grown)
    spec, bands = torch.randn(2, 9, CFG.split_bin, 2), torch.randn(2, 9, CFG.n_bands) * 10
    with torch.no_grad():
        ma, ga, sa = a(spec, bands, a.initial_state(2))
        mg, gg, sg = g(spec, bands, g.initial_state(2))
    assert torch.equal(ma, mg) and torch.equal(ga, gg) and torch.equal(sa["gru"], sg["gru"])
    # AdamW moments follow their parameters by name, the new head starts without state
    def moments(c, model):
        named = dict(model.named_parameters())
        order = [n for n in named if named[n].dim() > 1] + [n for n in named if named[n].dim() <= 1]
        return {order[i]: s["exp_avg"] for i, s in c["optimizer"]["state"].items()}
    old, new = moments(ckpt, a), moments(grown, g)
    assert set(new) == set(old) and all(torch.equal(old[n], new[n]) for n in old)
    assert grown["budget"]["parameters"] == ckpt["budget"]["parameters"] + CFG.split_bin * (g.config.hidden + 1)
    # training continues from the grown checkpoint (same step, data position) and moves the gate
    done = train(TrainConfig(out=str(tmp_path / "g"), resume=True, **common), _factory(0.4))
    assert done["step"] == 4
    after = load_checkpoint(tmp_path / "g" / "last.pt")
    assert after["model_config"]["mask_gate"] and after["model"]["gate_head.weight"].abs().sum() > 0
    # and exports under the contract (torch vs onnxruntime T = N vs T = 1)
    path = export_onnx(model_from_checkpoint(after), tmp_path / "m", "gated")
    assert max(check_streaming_parity(model_from_checkpoint(after), path).values()) <= 1e-4
    # growing twice, or the magnitude twin, is refused
    with pytest.raises(ValueError, match="already has a mask gate"):
        grow_checkpoint(grown, mask_gate=True)
    with pytest.raises(ValueError, match="nothing to grow"):
        grow_checkpoint(ckpt)
    twin = build_model(CFG, variant="magnitude_twin", size="fast")
    with pytest.raises(ValueError, match="phase_aware"):
        grow_checkpoint({**ckpt, "model_config": twin.config.to_dict(), "model": twin.state_dict()}, mask_gate=True)
    assert main(["grow", str(tmp_path / "g" / "last.pt"), "--out", str(tmp_path / "x.pt"), "--mask-gate"]) == 2


@pytest.mark.parametrize("variant", ["phase_aware", "magnitude_twin"])
def test_subband_refinement_grows_as_an_exact_identity_and_resumes(tmp_path, variant):
    from hance_plugin.training.__main__ import main
    from hance_plugin.training.grow import grow_checkpoint
    from hance_plugin.training.train import model_from_checkpoint

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1, variant=variant)
    train(TrainConfig(out=str(tmp_path / "a"), stop_at_step=2, **common), _factory(0.4))
    ckpt = load_checkpoint(tmp_path / "a" / "last.pt")
    out = tmp_path / "g" / "last.pt"
    assert main(["grow", str(tmp_path / "a" / "last.pt"), "--out", str(out), "--subband-hidden", "8"]) == 0
    grown = load_checkpoint(out)
    assert grown["model_config"]["subband_hidden"] == 8
    a, g = model_from_checkpoint(ckpt), model_from_checkpoint(grown)
    spec, bands = torch.randn(2, 9, CFG.split_bin, 2), torch.randn(2, 9, CFG.n_bands) * 10
    with torch.no_grad():
        ma, ga, _ = a(spec, bands, a.initial_state(2))
        mg, gg, _ = g(spec, bands, g.initial_state(2))
    assert torch.equal(ma, mg) and torch.equal(ga, gg)
    # the path is live: a non-zero output layer changes the low-band mask only
    with torch.no_grad():
        g.sub_out.weight.fill_(0.01)
        mg2, gg2, _ = g(spec, bands, g.initial_state(2))
    assert not torch.equal(ma, mg2) and torch.equal(ga, gg2)
    # growing is reproducible (fixed seed for the new weights)
    again = grow_checkpoint(ckpt, subband_hidden=8)
    assert all(torch.equal(again["model"][k], grown["model"][k]) for k in grown["model"])
    # budget counts the new path: 17 inputs x 8 + 8 biases, hidden x 8, per-bin bias, output layer
    n_out = 2 if variant == "phase_aware" else 1
    extra = 17 * 8 + 8 + g.config.hidden * 8 + CFG.split_bin * 8 + 8 * n_out + n_out
    assert grown["budget"]["parameters"] == ckpt["budget"]["parameters"] + extra
    extra_macs = 2 * CFG.split_bin + CFG.split_bin * (17 * 8 + 8 * n_out) + g.config.hidden * 8
    assert grown["budget"]["macs_per_second"] == ckpt["budget"]["macs_per_second"] + extra_macs * 100
    # training continues from it and moves the new path; the export keeps the contract
    done = train(TrainConfig(out=str(tmp_path / "g"), resume=True, **common), _factory(0.4))
    assert done["step"] == 4
    after = load_checkpoint(out)
    assert after["model"]["sub_out.weight"].abs().sum() > 0
    net = model_from_checkpoint(after)
    path = export_onnx(net, tmp_path / "m", "sub")
    assert max(check_streaming_parity(net, path).values()) <= 1e-4
    with pytest.raises(ValueError, match="already has a sub-band"):
        grow_checkpoint(grown, subband_hidden=8)


def test_subband_scale_multiplies_the_correction_and_keeps_the_identity():
    from hance_plugin.training.grow import grow_checkpoint
    from hance_plugin.training.train import model_from_checkpoint

    net = build_model(CFG, size="fast")
    ckpt = {"model_config": net.config.to_dict(), "model": net.state_dict(),
            "optimizer": {"state": {}, "param_groups": [{"params": []}, {"params": []}]}, "progress": {"step": 0}}
    one = model_from_checkpoint(grow_checkpoint(ckpt, subband_hidden=8))
    ten = model_from_checkpoint(grow_checkpoint(ckpt, subband_hidden=8, subband_scale=10.0))
    assert ten.config.subband_scale == 10.0 and one.config.subband_scale == 1.0
    spec, bands = torch.randn(1, 5, CFG.split_bin, 2), torch.randn(1, 5, CFG.n_bands) * 10
    with torch.no_grad():
        base, _, _ = net(spec, bands, net.initial_state(1))
        assert torch.equal(ten(spec, bands, ten.initial_state(1))[0], base)  # still an exact identity
        for m in (one, ten):
            m.sub_out.weight.fill_(0.01)
        d1 = one(spec, bands, one.initial_state(1))[0] - base
        d10 = ten(spec, bands, ten.initial_state(1))[0] - base
    assert d1.abs().max() > 0
    torch.testing.assert_close(d10, 10 * d1, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="subband_scale"):
        grow_checkpoint(ckpt, subband_hidden=8, subband_scale=0.0)
    with pytest.raises(ValueError, match="subband_scale applies"):  # not silently ignored
        grow_checkpoint(ckpt, mask_gate=True, subband_scale=10.0)


def test_deep_filter_grows_as_an_exact_identity_filters_past_frames_and_resumes(tmp_path):
    """``grow --df-order 3 --df-bins 8``: the grown network's output (mask and gains, and the enhanced
    signal) equals the original's; with non-zero taps, bin k of frame t is M0 X(t) + M1 X(t-1) +
    M2 X(t-2) below df_bins and the plain mask above; the budget counts the head; training resumes
    and moves the taps; export refuses it (the engine applies one tap)."""
    from hance_plugin.training.__main__ import main
    from hance_plugin.training.dsp_torch import TorchDsp
    from hance_plugin.training.grow import grow_checkpoint
    from hance_plugin.training.train import enhance, model_from_checkpoint

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    train(TrainConfig(out=str(tmp_path / "a"), stop_at_step=2, **common), _factory(0.4))
    ckpt = load_checkpoint(tmp_path / "a" / "last.pt")
    out = tmp_path / "g" / "last.pt"
    assert main(["grow", str(tmp_path / "a" / "last.pt"), "--out", str(out), "--df-order", "3",
                 "--df-bins", "8", "--df-scale", "10"]) == 0
    grown = load_checkpoint(out)
    assert (grown["model_config"]["df_order"], grown["model_config"]["df_bins"], grown["model_config"]["df_scale"]) == (3, 8, 10.0)
    a, g = model_from_checkpoint(ckpt), model_from_checkpoint(grown)
    dsp = TorchDsp(CFG)
    x = torch.from_numpy(_signal(4800, 2, seed=3))
    with torch.no_grad():
        torch.testing.assert_close(enhance(g, dsp, x), enhance(a, dsp, x), rtol=0, atol=0)
        spec = dsp.stft(x)
        spec_low, band_db = dsp.features(spec)
        g.df_head.bias.normal_(0.0, 0.1)
        mask, gains, _ = g(spec_low, band_db, g.initial_state(2))
        y = dsp.apply_mask(spec, mask, gains)
    assert mask.shape == (2, spec.shape[1], CFG.split_bin, 3, 2)
    m = torch.complex(mask[..., 0], mask[..., 1])
    t = 6
    for k in (0, 7):  # deep-filtered bins
        want = m[:, t, k, 0] * spec[:, t, k] + m[:, t, k, 1] * spec[:, t - 1, k] + m[:, t, k, 2] * spec[:, t - 2, k]
        torch.testing.assert_close(y[:, t, k], want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(y[:, 1, 0], m[:, 1, 0, 0] * spec[:, 1, 0] + m[:, 1, 0, 1] * spec[:, 0, 0])  # t-2 < 0: zero
    assert torch.equal(m[:, :, 8:, 1:], torch.zeros_like(m[:, :, 8:, 1:]))  # one tap above df_bins
    torch.testing.assert_close(y[:, t, 8], m[:, t, 8, 0] * spec[:, t, 8])
    # df_scale multiplies the taps: the same head at scale 1 gives a tenth of them, the same tap 0
    one = model_from_checkpoint(grow_checkpoint(ckpt, df_order=3, df_bins=8))
    with torch.no_grad():
        one.df_head.bias.copy_(g.df_head.bias)
        mask1, _, _ = one(spec_low, band_db, one.initial_state(2))
    torch.testing.assert_close(mask[..., 1:, :], 10 * mask1[..., 1:, :], rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(mask[..., 0, :], mask1[..., 0, :])
    # budget: the head (hidden -> 8 bins x 2 taps x re/im) and 4 real MACs per extra complex tap
    extra = g.config.hidden * 32 + 32
    assert grown["budget"]["parameters"] == ckpt["budget"]["parameters"] + extra
    assert grown["budget"]["macs_per_second"] == ckpt["budget"]["macs_per_second"] + (g.config.hidden * 32 + 4 * 16) * 100
    # training continues from it and moves the taps
    assert train(TrainConfig(out=str(tmp_path / "g"), resume=True, **common), _factory(0.4))["step"] == 4
    after = load_checkpoint(out)
    assert after["model"]["df_head.weight"].abs().sum() > 0
    with pytest.raises(ValueError, match="cannot be exported yet"):
        export_onnx(model_from_checkpoint(after), tmp_path / "m", "df")
    # refused: twice, without bins, bins without taps, out of range, the twin
    with pytest.raises(ValueError, match="already has a deep filter"):
        grow_checkpoint(grown, df_order=3, df_bins=8)
    with pytest.raises(ValueError, match="df_bins must be in"):
        grow_checkpoint(ckpt, df_order=3)
    with pytest.raises(ValueError, match="df_bins and df_scale apply"):
        grow_checkpoint(ckpt, mask_gate=True, df_bins=8)
    with pytest.raises(ValueError, match="df_order must be in"):
        grow_checkpoint(ckpt, df_order=9, df_bins=8)
    with pytest.raises(ValueError, match="phase_aware"):
        ModelConfig(variant="magnitude_twin", df_order=3, df_bins=8)
    assert main(["grow", str(tmp_path / "a" / "last.pt"), "--out", str(tmp_path / "x.pt"), "--df-bins", "8"]) == 2


def test_subband_refinement_trains_from_step_zero_and_resume_keeps_the_network(tmp_path):
    from hance_plugin.training.train import model_from_checkpoint

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    train(TrainConfig(out=str(tmp_path / "plain"), stop_at_step=2, **common), _factory(0.4))
    train(TrainConfig(out=str(tmp_path / "sub"), stop_at_step=2, subband_hidden=8, **common), _factory(0.4))
    plain, sub = load_checkpoint(tmp_path / "plain" / "last.pt"), load_checkpoint(tmp_path / "sub" / "last.pt")
    assert plain["model_config"]["subband_hidden"] == 0 and sub["model_config"]["subband_hidden"] == 8
    # with the same seed the full-band layers start from the same weights (the new path is built
    # after them), and the new path learned: its output layer starts at zero, not so after two steps
    torch.manual_seed(0)
    a = build_model(CFG, size="fast")
    torch.manual_seed(0)
    b = MaskEstimatorNet(ModelConfig.for_stft(CFG, size="fast", subband_hidden=8))
    assert set(a.state_dict()) < set(b.state_dict())
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    assert sub["model"]["sub_out.weight"].abs().sum() > 0
    assert sub["budget"]["parameters"] > plain["budget"]["parameters"]
    # resume continues the checkpoint's network; a different width on resume is refused
    done = train(TrainConfig(out=str(tmp_path / "sub"), resume=True, **common), _factory(0.4))
    assert done["step"] == 4 and load_checkpoint(tmp_path / "sub" / "last.pt")["model_config"]["subband_hidden"] == 8
    with pytest.raises(ValueError, match="subband-hidden 4"):
        train(TrainConfig(out=str(tmp_path / "sub"), resume=True, subband_hidden=4, **{**common, "steps": 6}),
              _factory(0.4))
    with pytest.raises(ValueError, match="subband_hidden must be >= 0"):
        TrainConfig(subband_hidden=-1)
    # the command line has the flag (an int), and the export keeps the contract
    import argparse

    from hance_plugin.training.__main__ import _add_train_args

    parser = argparse.ArgumentParser()
    _add_train_args(parser)
    assert parser.parse_args(["--subband-hidden", "48"]).subband_hidden == 48
    assert parser.parse_args([]).subband_hidden == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["--subband-hidden", "x"])
    net = model_from_checkpoint(load_checkpoint(tmp_path / "sub" / "last.pt"))
    path = export_onnx(net, tmp_path / "m", "sub0")
    assert max(check_streaming_parity(net, path).values()) <= 1e-4


def test_noise_floor_network_trains_exports_and_the_engine_matches_torch(tmp_path):
    """--noise-floor: the network reads band_db - the tracked floor; training, resume, the CLI flag,
    the export (parity, card section) and the engine's output all agree with the training path."""
    import argparse

    from hance_plugin.training.__main__ import _add_train_args
    from hance_plugin.training.train import model_from_checkpoint

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    train(TrainConfig(out=str(tmp_path / "floor"), stop_at_step=2, noise_floor=True, **common), _factory(0.4))
    ckpt = load_checkpoint(tmp_path / "floor" / "last.pt")
    assert ckpt["model_config"]["noise_floor"] is True
    assert ckpt["model"]["embed.weight"].shape[1] == 2 * CFG.split_bin + 2 * CFG.n_bands
    # the SNR normalisation was estimated from training mixtures (not left at the identity)
    assert not torch.equal(ckpt["model"]["snr_mean"], torch.zeros(CFG.n_bands))
    done = train(TrainConfig(out=str(tmp_path / "floor"), resume=True, noise_floor=True, **common), _factory(0.4))
    assert done["step"] == 4
    train(TrainConfig(out=str(tmp_path / "plain"), stop_at_step=1, **common), _factory(0.4))
    assert "snr_mean" not in load_checkpoint(tmp_path / "plain" / "last.pt")["model"]
    with pytest.raises(ValueError, match="does not read the noise floor"):
        train(TrainConfig(out=str(tmp_path / "plain"), resume=True, noise_floor=True, **common), _factory(0.4))
    parser = argparse.ArgumentParser()
    _add_train_args(parser)
    assert parser.parse_args(["--noise-floor"]).noise_floor is True and parser.parse_args([]).noise_floor is False
    net = model_from_checkpoint(load_checkpoint(tmp_path / "floor" / "last.pt"))
    with pytest.raises(ValueError, match="pass band_floor_db"):
        net(torch.zeros(1, 2, CFG.split_bin, 2), torch.zeros(1, 2, CFG.n_bands), net.initial_state(1))
    path = export_onnx(net, tmp_path / "m", "floor0")
    assert max(check_streaming_parity(net, path).values()) <= 1e-4
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["noise_floor"] == {"smoothing_s": 0.08, "rise_db_per_s": 5.0}
    assert card["architecture"]["noise_floor"] is True
    x = _signal(n=24000, channels=2)
    with torch.no_grad():
        ref = enhance(net, TorchDsp(CFG), torch.from_numpy(x)).numpy()
    d = Denoiser(model=str(path))
    for block in (480, 1001):
        np.testing.assert_allclose(d.process(x, 48000, buffer_size=block, reset=True), ref, atol=2e-5)


def test_init_seed_changes_only_the_initial_weights(tmp_path):
    common = dict(size="fast", steps=2, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    runs = {}
    for name, init in (("a", -1), ("b", -1), ("c", 7)):
        trainer = Trainer(TrainConfig(out=str(tmp_path / name), init_seed=init, **common), _factory(0.4))
        runs[name] = (trainer.model.state_dict(), torch.get_rng_state(), trainer.dataset[0])
    (wa, ra, da), (wb, rb, db), (wc, rc, dc) = runs["a"], runs["b"], runs["c"]
    assert all(torch.equal(v, wb[k]) for k, v in wa.items())  # the default is reproducible
    assert not torch.equal(wa["embed.weight"], wc["embed.weight"])  # another initialisation
    assert torch.equal(wa["band_mean"], wc["band_mean"])  # input statistics from the same data
    assert torch.equal(ra, rc) and all(np.array_equal(x, y) for x, y in zip(da[:2], dc[:2]))
    import argparse

    from hance_plugin.training.__main__ import _add_train_args

    parser = argparse.ArgumentParser()
    _add_train_args(parser)
    assert parser.parse_args(["--init-seed", "3"]).init_seed == 3 and parser.parse_args([]).init_seed == -1
    with pytest.raises(SystemExit):
        parser.parse_args(["--init-seed", "x"])


def test_a_fresh_deep_filter_run_starts_as_its_one_tap_twin(tmp_path):
    """--df-order/--df-bins on a fresh run: the same initial weights, randoms and data as the one-tap
    run, the filter's extra taps zero (so the two networks' outputs are equal at step 0)."""
    common = dict(size="fast", steps=2, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    runs = {}
    for name, df in (("one", {}), ("df", dict(df_order=3, df_bins=8))):
        trainer = Trainer(TrainConfig(out=str(tmp_path / name), **df, **common), _factory(0.4))
        runs[name] = (trainer.model, torch.get_rng_state(), trainer.dataset[0])
    (m1, r1, d1), (m3, r3, d3) = runs["one"], runs["df"]
    assert m3.config.df_order == 3 and m3.config.df_bins == 8 and m1.config.df_order == 1
    w1, w3 = m1.state_dict(), m3.state_dict()
    assert set(w3) - set(w1) == {"df_head.weight", "df_head.bias"}
    assert all(torch.equal(v, w3[k]) for k, v in w1.items())
    assert not w3["df_head.weight"].any() and not w3["df_head.bias"].any()
    assert torch.equal(r1, r3) and all(np.array_equal(x, y) for x, y in zip(d1[:2], d3[:2]))
    spec = torch.randn(1, 5, CFG.split_bin, 2)
    band = torch.randn(1, 5, CFG.n_bands)
    with torch.no_grad():
        a = m1(spec, band, m1.initial_state(1))[0]
        b = m3(spec, band, m3.initial_state(1))[0]
    assert b.shape == (1, 5, CFG.split_bin, 3, 2)
    torch.testing.assert_close(b[..., 0, :], a, rtol=0, atol=0)
    assert not b[..., 1:, :].any()
    train(TrainConfig(out=str(tmp_path / "df"), df_order=3, df_bins=8, stop_at_step=1, **common), _factory(0.4))
    with pytest.raises(ValueError, match="--df-order 2 --df-bins 8 != the checkpoint"):
        train(TrainConfig(out=str(tmp_path / "df"), resume=True, df_order=2, df_bins=8, **common), _factory(0.4))
    assert train(TrainConfig(out=str(tmp_path / "df"), resume=True, **common), _factory(0.4))["step"] == 2
    import argparse

    from hance_plugin.training.__main__ import _add_train_args

    parser = argparse.ArgumentParser()
    _add_train_args(parser)
    args = parser.parse_args(["--df-order", "3", "--df-bins", "64"])
    assert (args.df_order, args.df_bins) == (3, 64)
    assert (parser.parse_args([]).df_order, parser.parse_args([]).df_bins) == (1, 0)


def test_the_abs_twin_is_the_complex_heads_magnitude_path(tmp_path):
    """twin_mask="abs": the twin's mask is |Linear| (starts at 1 like the complex head's real
    part), exports with the same parity as every graph, and is refused where it does not apply."""
    with pytest.raises(ValueError, match="twin_mask must be one of"):
        ModelConfig.for_stft(CFG, variant="magnitude_twin", twin_mask="relu")
    with pytest.raises(ValueError, match="magnitude_twin variant's mask only"):
        ModelConfig.for_stft(CFG, variant="phase_aware", twin_mask="abs")
    torch.manual_seed(0)
    net = MaskEstimatorNet(ModelConfig.for_stft(CFG, variant="magnitude_twin", size="fast", twin_mask="abs")).eval()
    assert torch.all(net.mask_head.bias == 1.0)
    spec, band = torch.randn(1, 7, CFG.split_bin, 2), torch.randn(1, 7, CFG.n_bands)
    with torch.no_grad():
        mask = net(spec, band, net.initial_state(1))[0]
        net.mask_head.bias.fill_(-1.0)  # a negative output is a gain of 1 too, never a sign flip
        flipped = net(spec, band, net.initial_state(1))[0]
    assert not mask[..., 1].any() and torch.all(mask[..., 0] >= 0)
    np.testing.assert_allclose(mask[..., 0].numpy(), 1.0, atol=0.5)
    assert torch.all(flipped[..., 0] >= 0) and not torch.equal(flipped, mask)
    path = export_onnx(net, tmp_path / "m", "abs-twin")
    assert max(check_streaming_parity(net, path).values()) <= 1e-4
    arch = json.loads(path.with_suffix(".json").read_text())["architecture"]  # the card names the head
    assert arch["twin_mask"] == "abs" and arch["mask_activation"].startswith("|linear| magnitude, imag 0")
    common = dict(size="fast", steps=2, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1)
    train(TrainConfig(out=str(tmp_path / "abs"), variant="magnitude_twin", twin_mask="abs", stop_at_step=1, **common),
          _factory(0.4))
    assert load_checkpoint(tmp_path / "abs" / "last.pt")["model_config"]["twin_mask"] == "abs"
    train(TrainConfig(out=str(tmp_path / "soft"), variant="magnitude_twin", stop_at_step=1, **common), _factory(0.4))
    with pytest.raises(ValueError, match="--twin-mask abs != the checkpoint's network"):
        train(TrainConfig(out=str(tmp_path / "soft"), variant="magnitude_twin", twin_mask="abs", resume=True, **common),
              _factory(0.4))
    import argparse

    from hance_plugin.training.__main__ import _add_train_args

    parser = argparse.ArgumentParser()
    _add_train_args(parser)
    assert parser.parse_args(["--twin-mask", "abs"]).twin_mask == "abs" and parser.parse_args([]).twin_mask == "softplus"


def test_floor_guard_grows_lifts_masks_to_the_gated_floor_bound_and_exports(tmp_path):
    """``grow --floor-guard``: |M'| = |M| + gate * max(0, g - |M|) per bin, g the power-subtraction bound
    of the bin's band against the tracked floor (recomputed here in numpy), gate = sigmoid(scale * logit)
    per band; the rotation is kept; the gate starts at --guard-gate0; training moves it; streaming,
    the export and the engine agree with torch; bad settings are refused."""
    from hance_plugin.training.__main__ import main
    from hance_plugin.training.grow import grow_checkpoint, grow_checkpoint_file
    from hance_plugin.training.model import guard_band_edges
    from hance_plugin.training.train import model_from_checkpoint

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1, noise_floor=True)
    train(TrainConfig(out=str(tmp_path / "a"), stop_at_step=2, **common), _factory(0.4))
    ckpt = load_checkpoint(tmp_path / "a" / "last.pt")
    out = tmp_path / "g" / "last.pt"
    assert main(["grow", str(tmp_path / "a" / "last.pt"), "--out", str(out), "--floor-guard",
                 "--guard-margin-db", "10", "--guard-gate0", "0.25"]) == 0
    grown = load_checkpoint(out)
    mc = grown["model_config"]
    assert mc["floor_guard"] and mc["guard_margin_db"] == 10.0 and mc["guard_scale"] == 20.0
    edges = np.asarray(guard_band_edges(CFG))
    assert tuple(mc["guard_band_edges"]) == tuple(edges) and edges[-1] == CFG.split_bin
    n_low = len(edges) - 1
    a, g = model_from_checkpoint(ckpt), model_from_checkpoint(grown)
    h = g.config.hidden
    assert grown["budget"]["parameters"] == ckpt["budget"]["parameters"] + n_low * (h + 1)
    assert grown["budget"]["macs_per_second"] == ckpt["budget"]["macs_per_second"] + (
        h * n_low + 5 * n_low + 7 * CFG.split_bin) * 100
    rng = np.random.default_rng(1)
    spec = torch.randn(2, 9, CFG.split_bin, 2)
    bands = torch.from_numpy(rng.uniform(-80, -20, (2, 9, CFG.n_bands)).astype(np.float32))
    floor = bands - torch.from_numpy(rng.uniform(-5, 40, (2, 9, CFG.n_bands)).astype(np.float32))
    with torch.no_grad():
        ma, ga, _ = a(spec, bands, a.initial_state(2), floor)
        mg, gg, sg = g(spec, bands, g.initial_state(2), floor)
    assert torch.equal(ga, gg)  # the band gains above the split are untouched
    above = (bands - floor).numpy()[..., :n_low] - 10.0
    bound_band = np.sqrt(np.clip(1.0 - 10.0 ** (-above / 10.0), 0.0, None))
    bound = np.repeat(bound_band, np.diff(edges), axis=-1)  # per bin
    mag_a, mag_g = np.linalg.norm(ma.numpy(), axis=-1), np.linalg.norm(mg.numpy(), axis=-1)
    assert (bound > 0.5).mean() > 0.2 and (mag_a < bound).mean() > 0.2  # the case is exercised
    np.testing.assert_allclose(mag_g, mag_a + 0.25 * np.maximum(bound - mag_a, 0.0), rtol=1e-4, atol=1e-5)
    cos = (ma * mg).sum(-1).numpy() / (mag_a * mag_g + 1e-12)
    assert cos.min() > 1.0 - 1e-5  # the rotation is kept
    # a fully open gate is snr-guard's max(|M|, g); a closed one the network without the guard
    for logit, expected in ((10.0, np.maximum(mag_a, bound)), (-10.0, mag_a)):
        with torch.no_grad():
            g.guard_head.bias.fill_(logit)
            m, _, _ = g(spec, bands, g.initial_state(2), floor)
        np.testing.assert_allclose(np.linalg.norm(m.numpy(), axis=-1), expected, rtol=1e-4, atol=1e-5)
    g = model_from_checkpoint(grown)
    # frame by frame equals all frames at once
    st, frames = g.initial_state(2), []
    with torch.no_grad():
        for t in range(spec.shape[1]):
            m, _, st = g(spec[:, t : t + 1], bands[:, t : t + 1], st, floor[:, t : t + 1])
            frames.append(m)
    np.testing.assert_allclose(torch.cat(frames, 1).numpy(), mg.numpy(), atol=1e-5)
    # training continues from a grown checkpoint and moves the gate (a margin below the floor: in 0.4-s
    # segments the tracked floor has not fallen under the band energies, so a positive margin's bound is 0)
    grow_checkpoint_file(tmp_path / "a" / "last.pt", tmp_path / "t" / "last.pt", floor_guard=True, guard_margin_db=-30.0)
    done = train(TrainConfig(out=str(tmp_path / "t"), resume=True, **common), _factory(0.4))
    assert done["step"] == 4
    after = load_checkpoint(tmp_path / "t" / "last.pt")
    assert after["model_config"]["floor_guard"] and after["model"]["guard_head.weight"].abs().sum() > 0
    # the export carries it (torch vs onnxruntime T = N vs T = 1) and the engine runs it as torch does
    net = model_from_checkpoint(after)
    path = export_onnx(net, tmp_path / "m", "guarded")
    assert max(check_streaming_parity(net, path).values()) <= 1e-4
    assert json.loads(path.with_suffix(".json").read_text())["architecture"]["floor_guard"] is True
    x = _signal(n=24000, channels=1)
    with torch.no_grad():
        ref = enhance(net, TorchDsp(CFG), torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(Denoiser(model=str(path)).process(x, 48000, buffer_size=480, reset=True), ref, atol=2e-5)
    # refusals
    with pytest.raises(ValueError, match="already has a floor guard"):
        grow_checkpoint(grown, floor_guard=True)
    with pytest.raises(ValueError, match="guard_gate0"):
        grow_checkpoint(ckpt, floor_guard=True, guard_gate0=1.0)
    with pytest.raises(ValueError, match="grown in the same call"):
        grow_checkpoint(ckpt, mask_gate=True, guard_margin_db=20.0)
    plain = build_model(CFG, size="fast")
    with pytest.raises(ValueError, match="noise_floor"):
        grow_checkpoint({**ckpt, "model_config": plain.config.to_dict(), "model": plain.state_dict()}, floor_guard=True)
    with pytest.raises(ValueError, match="guard_band_edges must rise"):
        ModelConfig(noise_floor=True, floor_guard=True, guard_band_edges=(0, 50))
    with pytest.raises(ValueError, match="apply only with floor_guard"):
        ModelConfig(guard_margin_db=20.0)
    assert main(["grow", str(out), "--out", str(tmp_path / "x.pt"), "--floor-guard"]) == 2


def test_train_only_trains_the_named_parameters_and_freezes_the_rest(tmp_path):
    """``--train-only guard_head``: after training from a grown checkpoint every other tensor of the
    state dict is bit-identical, the gate's head moved; unknown or empty prefixes are refused."""
    from hance_plugin.training.grow import grow_checkpoint_file

    common = dict(size="fast", steps=4, batch_size=2, segment_seconds=0.4, warmup_steps=1, val_every=0,
                  val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1, noise_floor=True)
    train(TrainConfig(out=str(tmp_path / "a"), stop_at_step=2, **common), _factory(0.4))
    grown_path = grow_checkpoint_file(tmp_path / "a" / "last.pt", tmp_path / "t" / "last.pt", floor_guard=True,
                                      guard_margin_db=-30.0)
    grown = load_checkpoint(grown_path)
    done = train(TrainConfig(out=str(tmp_path / "t"), resume=True, train_only="guard_head", **common), _factory(0.4))
    assert done["step"] == 4
    after = load_checkpoint(tmp_path / "t" / "last.pt")
    moved = {k for k in grown["model"] if not torch.equal(grown["model"][k], after["model"][k])}
    assert moved == {"guard_head.weight", "guard_head.bias"}
    assert after["budget"] == grown["budget"]  # frozen parameters still count
    # the same steps without --train-only move the rest too (so the check above can fail)
    grow_checkpoint_file(tmp_path / "a" / "last.pt", tmp_path / "u" / "last.pt", floor_guard=True, guard_margin_db=-30.0)
    train(TrainConfig(out=str(tmp_path / "u"), resume=True, **common), _factory(0.4))
    free = load_checkpoint(tmp_path / "u" / "last.pt")["model"]
    assert not torch.equal(free["embed.weight"], grown["model"]["embed.weight"])
    with pytest.raises(ValueError, match="no parameter of this network starts with"):
        train(TrainConfig(out=str(tmp_path / "t"), resume=True, train_only="guard_head,nothing", **common), _factory(0.4))
    with pytest.raises(ValueError, match="comma-separated"):
        TrainConfig(out=str(tmp_path / "x"), train_only="guard_head,")
