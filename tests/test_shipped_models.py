"""Every model shipped in ``models/`` (and the ``DEFAULT`` alias) keeps the contract.

For each bundled ``<name>.onnx`` + card: the card describes the engine's STFT, the graph passes
contract validation, onnxruntime gives the same masks for T = N frames at once and for T = 1
frame at a time with the state carried (<= 1e-4, the streaming/offline promise of
``models/README.md``), neural models respect the budget written on their card, and the plugin's
output with the model is deterministic (two fresh ``Denoiser`` objects, bit-identical output),
finite, of the input's length, and the same to 1e-6 for another host block size. Where the
training checkpoint is in the repository (``models/training/<name>/last.pt``, torch installed), the
shipped graph computes what the checkpoint computes (torch vs onnxruntime, <= 1e-4).
"""

from __future__ import annotations

import numpy as np
import pytest

from hance_plugin import Denoiser
from hance_plugin.card import bundled_models_dir, list_models, resolve_model
from hance_plugin.config import StftConfig
from hance_plugin.estimator import OnnxMaskEstimator
from hance_plugin.kernels.floor import band_floor_db

MODELS = list_models()
FS = 48000


def test_default_alias_points_at_a_shipped_model():
    alias = (bundled_models_dir() / "DEFAULT").read_text().strip()
    assert alias in MODELS
    assert resolve_model("default").name == alias


@pytest.mark.parametrize("name", MODELS)
def test_card_matches_engine_stft(name):
    card = resolve_model(name)
    assert card.stft.sample_rate_hz == StftConfig().sample_rate_hz
    assert card.latency_samples <= 960  # <= 20 ms at 48 kHz, no look-ahead
    assert card.stft.split_bin == int(round(card.stft.split_hz * card.stft.window_samples / FS))


@pytest.mark.parametrize("name", MODELS)
def test_streaming_equals_offline(name):
    card = resolve_model(name)
    cfg = card.stft
    rng = np.random.default_rng(7)
    frames = 60
    spec_low = (0.3 * rng.standard_normal((2, frames, cfg.split_bin, 2))).astype(np.float32)
    band_db = rng.normal(-40.0, 12.0, (2, frames, cfg.n_bands)).astype(np.float32)
    offline = OnnxMaskEstimator(card)
    floor = None  # models with the band_floor_db input get the engine's tracked floor of band_db
    if offline.noise_floor_settings is not None:
        floor = band_floor_db(band_db, cfg.hop_samples / FS, **offline.noise_floor_settings)
    offline.reset(2)
    mask_all, gains_all = offline.run(spec_low, band_db, floor)
    stream = OnnxMaskEstimator(card)
    stream.reset(2)
    masks, gains = [], []
    for t in range(frames):
        m, g = stream.run(spec_low[:, t : t + 1], band_db[:, t : t + 1], None if floor is None else floor[:, t : t + 1])
        masks.append(m)
        gains.append(g)
    np.testing.assert_allclose(np.concatenate(masks, axis=1), mask_all, atol=1e-4, rtol=0)
    np.testing.assert_allclose(np.concatenate(gains, axis=1), gains_all, atol=1e-4, rtol=0)
    assert np.all(gains_all >= 0.0)


@pytest.mark.parametrize("name", MODELS)
def test_neural_models_respect_the_budget(name):
    card = resolve_model(name)
    raw = card.extra
    if str(raw.get("training_data", "")).startswith("none"):
        pytest.skip(f"{name} is not a trained network")
    assert raw["parameters"] <= 1_000_000
    assert raw["macs_per_second"] <= 150_000_000


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("channels", [1, 2])
def test_plugin_output_is_deterministic(name, channels):
    rng = np.random.default_rng(11)
    t = np.arange(int(0.8 * FS)) / FS
    speechy = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    x = (speechy + 0.05 * rng.standard_normal((channels, t.size))).astype(np.float32)
    y1 = Denoiser(model=name)(x, FS)
    y2 = Denoiser(model=name)(x, FS)
    assert y1.shape == x.shape and y1.dtype == np.float32
    assert np.all(np.isfinite(y1))
    np.testing.assert_array_equal(y1, y2)  # same call, same bits
    # another partition runs the network on other frame counts per call: onnxruntime's matrix
    # kernels may then round differently (float32 ulps), so equality is to 1e-6, not bitwise
    y3 = Denoiser(model=name).process(x, FS, buffer_size=480)
    np.testing.assert_allclose(y3, y1, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in MODELS if (bundled_models_dir() / "training" / n / "last.pt").exists()])
def test_shipped_graph_is_the_export_of_its_committed_checkpoint(name):
    # models/<name>.onnx must compute what models/training/<name>/last.pt computes in torch
    # (re-exporting, e.g. for a faster graph, must not change the model); needs the [train] extra
    pytest.importorskip("torch")
    from hance_plugin.training.export import check_streaming_parity
    from hance_plugin.training.train import load_checkpoint, model_from_checkpoint

    net = model_from_checkpoint(load_checkpoint(bundled_models_dir() / "training" / name / "last.pt"))
    diffs = check_streaming_parity(net, resolve_model(name).onnx_path, n_frames=30)
    assert max(diffs.values()) <= 1e-4, diffs
