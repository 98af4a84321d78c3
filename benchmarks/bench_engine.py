"""pytest-benchmark: the Numba STFT round trip and the streaming engine.

Run:  pytest benchmarks/bench_engine.py --benchmark-enable --benchmark-json benchmarks/results/engine.json

* STFT round trip (analysis + synthesis of 10 s at 48 kHz) with the project's kernels versus
  ``scipy.signal.stft``/``istft`` with the same window and hop, measured in the same run; compare
  the two rows (the ratio is what matters on a shared machine, not the absolute time).
* The engine per 10 ms hop (480 samples at 48 kHz) at block sizes 480 (real-time streaming),
  4096 and whole-file, with an identity ONNX model, so it measures the DSP + onnxruntime call
  overhead, not a network. Divide mean time by the number of hops to get time per hop.
* The post-filter's cost: the engine at block 480 with a constant mask of magnitude 0.5 (so the
  post-filter has work on every bin), off and on (beta 0.02); compare the two rows.
* The level normalisation's cost (``kernels/level.py``): the engine at block 480 with the identity
  model on quiet noise (-50 dBFS, so the features are moved in every frame), off and on (target
  -22 dBFS); compare the two rows.
* The noise-floor tracker's cost (``kernels/floor.py``, only run for models that read the floor):
  ``track_band_floor`` against ``band_energy_db`` (a feature every model computes) on the same
  10 s of frames, one call each; and the engine at block 480 with a model that reads the floor
  (``floor_probe_model``) against one that does not (the identity); compare the rows.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from onnx_models import constant_model, floor_probe_model  # noqa: E402
from scipy import signal  # noqa: E402

from hance_plugin.card import ModelCard  # noqa: E402
from hance_plugin.config import StftConfig  # noqa: E402
from hance_plugin.engine import StreamingEngine  # noqa: E402
from hance_plugin.estimator import OnnxMaskEstimator  # noqa: E402
from hance_plugin.kernels.floor import floor_coefficients, new_floor_state, track_band_floor  # noqa: E402
from hance_plugin.kernels.masks import band_energy_db  # noqa: E402
from hance_plugin.stft import istft, stft  # noqa: E402

SECONDS = 10
RATE = 48000


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal((1, SECONDS * RATE))).astype(np.float32)


def test_stft_round_trip_kernels(benchmark, audio):
    cfg = StftConfig()
    istft(stft(audio, cfg), audio.shape[1], cfg)  # compile outside the timing
    y = benchmark(lambda: istft(stft(audio, cfg), audio.shape[1], cfg))
    np.testing.assert_allclose(y, audio, atol=1e-5)


def test_stft_round_trip_scipy_reference(benchmark, audio):
    cfg = StftConfig()
    window, _ = cfg.windows()
    kwargs = dict(fs=RATE, window=window, nperseg=cfg.window_samples, noverlap=cfg.window_samples - cfg.hop_samples)

    def round_trip():
        _, _, spec = signal.stft(audio[0], **kwargs)
        return signal.istft(spec, **kwargs)[1]

    y = benchmark(round_trip)
    np.testing.assert_allclose(y[: audio.shape[1]], audio[0], atol=1e-4)


def _engine(path, post_filter_beta: float = 0.0) -> tuple[StreamingEngine, ModelCard]:
    card = ModelCard.load(path)
    engine = StreamingEngine(card.stft, OnnxMaskEstimator(card, num_threads=1), 1)
    engine.post_filter_beta = post_filter_beta
    return engine, card


@pytest.mark.parametrize("block_samples", [480, 4096, SECONDS * RATE], ids=["block480", "block4096", "whole_file"])
def test_engine_per_hop(benchmark, audio, tmp_path_factory, block_samples):
    engine, card = _engine(constant_model(tmp_path_factory.mktemp("m") / "identity.onnx"))
    _time_engine(benchmark, engine, card, audio, block_samples)


@pytest.mark.parametrize("beta", [0.0, 0.02], ids=["off", "on"])
def test_engine_post_filter(benchmark, audio, tmp_path_factory, beta):
    path = constant_model(tmp_path_factory.mktemp("m") / "half.onnx", mask=0.3 + 0.4j, gain=0.5)
    engine, card = _engine(path, beta)
    _time_engine(benchmark, engine, card, audio, 480)


@pytest.mark.parametrize("pause_beta", [0.0, 1.0], ids=["off", "on"])
def test_engine_pause_post_filter(benchmark, audio, tmp_path_factory, pause_beta):
    """The pause post-filter's extra pass over each frame (kept energy, ``pause_weights``): a constant
    mask of magnitude 0.1 keeps -20 dB, so every frame is a full pause and is post-filtered."""
    path = constant_model(tmp_path_factory.mktemp("m") / "tenth.onnx", mask=0.1 + 0.0j, gain=0.1)
    engine, card = _engine(path)
    engine.pause_post_filter_beta = pause_beta
    _time_engine(benchmark, engine, card, audio, 480)


@pytest.mark.parametrize("target", [None, -22.0], ids=["off", "on"])
def test_engine_level_normalization(benchmark, audio, tmp_path_factory, target):
    engine, card = _engine(constant_model(tmp_path_factory.mktemp("m") / "identity.onnx"))
    engine.level_target_dbfs = target
    quiet = (audio * np.float32(10 ** (-30 / 20))).astype(np.float32)  # 0.1 rms = -20 dBFS -> -50 dBFS
    _time_engine(benchmark, engine, card, quiet, 480)


@pytest.mark.parametrize("margin_db", [None, 35.0], ids=["off", "on"])
def test_engine_speech_guard(benchmark, audio, tmp_path_factory, margin_db):
    """The speech guard's own floor tracker, its bounds and the bound per bin in ``apply_hybrid_mask``
    (a constant mask of magnitude 0.1, so the bound is compared in every bin of every frame)."""
    path = constant_model(tmp_path_factory.mktemp("m") / "tenth.onnx", mask=0.1 + 0.0j, gain=0.1)
    engine, card = _engine(path)
    engine.speech_guard_db = margin_db
    _time_engine(benchmark, engine, card, audio, 480)


@pytest.mark.parametrize("kernel", ["band_energy_db", "track_band_floor"])
def test_floor_tracker_kernel(benchmark, audio, kernel):
    cfg = StftConfig()
    spec = stft(audio, cfg)
    bands = np.zeros(spec.shape[:2] + (cfg.n_bands,), np.float32)
    edges = cfg.band_edges.astype(np.int64)
    band_energy_db(spec, edges, bands)
    out = np.empty_like(bands)
    coefficients = floor_coefficients(cfg.hop_samples / cfg.sample_rate_hz)
    if kernel == "band_energy_db":
        benchmark(lambda: band_energy_db(spec, edges, out))
    else:
        def run():
            track_band_floor(bands, *new_floor_state(1, cfg.n_bands), *coefficients, out)

        run()
        benchmark(run)
    benchmark.extra_info["frames"] = int(spec.shape[1])


@pytest.mark.parametrize("model", ["identity", "floor_probe"])
def test_engine_noise_floor(benchmark, audio, tmp_path_factory, model):
    folder = tmp_path_factory.mktemp("m")
    path = constant_model(folder / "id.onnx") if model == "identity" else floor_probe_model(folder / "probe.onnx")
    engine, card = _engine(path)
    _time_engine(benchmark, engine, card, audio, 480)


def _time_engine(benchmark, engine: StreamingEngine, card: ModelCard, audio: np.ndarray, block_samples: int) -> None:
    out = np.empty_like(audio)
    blocks = [(s, min(audio.shape[1], s + block_samples)) for s in range(0, audio.shape[1], block_samples)]
    views = [(np.ascontiguousarray(audio[:, a:b]), np.empty((1, b - a), np.float32)) for a, b in blocks]

    def run():
        engine.reset()
        for x, y in views:
            engine.process_block(x, y)

    run()
    benchmark.extra_info["hops"] = audio.shape[1] // card.stft.hop_samples
    benchmark.extra_info["audio_seconds"] = SECONDS
    benchmark(run)
    del out
