"""Fast checks of benchmarks/oracle_masks.py on a synthetic mixture (no corpus needed).

The "speech" is a harmonic complex with a gliding, vibrato'd f0 and syllable-like amplitude
envelope (harmonics up to 16 kHz, so the hybrid's high band is exercised), the noise is seeded
pink-ish noise, mixed at 0 dB.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "oracle_masks.py"


def _load():
    spec = importlib.util.spec_from_file_location("oracle_masks_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up while it executes
    spec.loader.exec_module(mod)
    return mod


om = _load()
FS = 48000


def _synthetic_speech(seconds: float = 1.5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    f0 = 120.0 + 80.0 * t / seconds + 6.0 * np.sin(2 * np.pi * 5.0 * t)  # glide + vibrato
    phase = 2 * np.pi * np.cumsum(f0) / FS
    x = np.zeros_like(t)
    for h in range(1, int(16000 / 200.0)):
        amp = 1.0 / h * (1.0 + 0.5 * np.sin(2 * np.pi * (0.7 + 0.1 * h) * t + rng.uniform(0, 2 * np.pi)))
        x += amp * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0.0, None) ** 0.5  # syllables with pauses
    x *= envelope
    return (0.05 * x / np.sqrt(np.mean(x**2))).astype(np.float32)


def _noise(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / FS)
    spec /= np.sqrt(np.maximum(f, 50.0))  # pink-ish
    x = np.fft.irfft(spec, n)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def mixture():
    s = _synthetic_speech()
    n = _noise(len(s))
    n *= np.sqrt(np.mean(s.astype(np.float64) ** 2) / np.mean(n.astype(np.float64) ** 2))  # 0 dB
    return s, n.astype(np.float32)


@pytest.fixture(scope="module")
def recon(mixture):
    s, n = mixture
    return om.oracle_reconstructions(s, n)


def test_si_sdr_definition():
    rng = np.random.default_rng(3)
    s = rng.standard_normal(48000)
    e = rng.standard_normal(48000)
    e -= e.mean()
    s -= s.mean()
    e -= np.dot(e, s) / np.dot(s, s) * s  # orthogonal to s
    e *= np.linalg.norm(s) / np.linalg.norm(e) * 10 ** (-20 / 20)  # 20 dB below
    # scale- and offset-invariant
    assert om.si_sdr(s, 3.0 * (s + e) + 0.7) == pytest.approx(20.0, abs=1e-6)
    assert om.si_sdr(s, s) == math.inf or om.si_sdr(s, s) > 250


def test_all_masks_produce_aligned_signals(mixture, recon):
    s, n = mixture
    assert set(recon) == set(om.MASK_KEYS)
    for key, x in recon.items():
        assert x.shape == s.shape, key
        assert np.all(np.isfinite(x)), key
    np.testing.assert_array_equal(recon["noisy"], s + n)


def test_cirm_reconstructs_clean_and_beats_irm(mixture, recon):
    s, _ = mixture
    scores = {k: om.si_sdr(s, x) for k, x in recon.items()}
    assert scores["cirm"] > 60.0, scores
    assert scores["irm"] < scores["cirm"], scores
    # the ceiling of real masks with noisy phase is far below cIRM, but they do enhance
    assert scores["noisy"] < scores["irm"] < 40.0, scores
    # the untruncated PSM is the least-squares optimal real mask: >= |S|/|Y| and the IRM
    assert scores["psm"] >= scores["iam"] - 1e-6 and scores["psm"] >= scores["irm"] - 1e-6, scores
    # hybrid: exact below 6 kHz, so better than any full-band real mask, worse than cIRM
    for key in ("hybrid_bins", "hybrid_bands", "hybrid_bins_iam"):
        assert scores["psm"] < scores[key] < scores["cirm"], (key, scores)


def test_hybrid_kernel_matches_numpy(mixture):
    """apply_hybrid (the engine's kernel) equals a plain numpy application of the same masks."""
    s, n = mixture
    cfg = om.StftConfig(high_gains="bins")
    S, N, Y = om.stft(s, cfg), om.stft(n, cfg), om.stft(s + n, cfg)
    masks = om.oracle_masks(S, N, Y)
    F = cfg.split_bin
    out = om.apply_hybrid(Y, masks["cirm"][:, :, :F], masks["irm"][:, :, F:], cfg)
    ref = Y.astype(np.complex128).copy()
    ref[:, :, :F] *= masks["cirm"][:, :, :F]
    ref[:, :, F:] *= masks["irm"][:, :, F:]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6 * np.abs(Y).max())


def test_band_irm_bounds_and_missing_data_dir(tmp_path, mixture):
    s, n = mixture
    cfg = om.StftConfig()
    g = om.band_irm(om.stft(s, cfg), om.stft(n, cfg), cfg.band_edges.astype(np.int64))
    assert g.shape[-1] == cfg.n_bands
    assert np.all((g >= 0.0) & (g <= 1.0))
    with pytest.raises(SystemExit, match="not found"):
        om.main(["--data-dir", str(tmp_path / "nope"), "--quick"])
