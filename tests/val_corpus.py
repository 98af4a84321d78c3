"""A tiny val corpus for the benchmark tests that mix val speech with val noise (two harmonic
"voices" with a 3 Hz syllable envelope and a hiss), laid out like ``../shared/data``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 48000


def voice(rng: np.random.Generator, f0: float, seconds: float) -> np.ndarray:
    """A harmonic tone on ``f0`` up to 12 kHz with a 3 Hz envelope, like speech, peak 0.2."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 60) if f0 * k < 12000)
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)  # 3 Hz envelope, like speech
    return (0.2 * syllables * x / np.max(np.abs(x))).astype(np.float32)


def write_val_corpus(root: Path, seed: int) -> Path:
    """``root/speech/val/voices/t{0,1}.flac`` (6.5 s, f0 120 and 210 Hz) and ``root/noise/val/hiss.flac`` (8 s)."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    (root / "speech/val/voices").mkdir(parents=True)
    (root / "noise/val").mkdir(parents=True)
    for i, f0 in enumerate((120.0, 210.0)):
        sf.write(root / f"speech/val/voices/t{i}.flac", voice(rng, f0, 6.5), SR)
    sf.write(root / "noise/val/hiss.flac", 0.05 * rng.standard_normal(8 * SR).astype(np.float32), SR)
    return root
