"""A tiny val corpus for the benchmark tests that mix val speech with val noise (two harmonic
"voices" with intonation and 3 Hz syllables, and a hiss), laid out like ``../shared/data``.

The voices glide (f0 +-12 % at 0.7 Hz) and pause between syllables, as speech does. A steady
harmonic series on one f0 without pauses looks like the training's synthetic mains hum and buzz
(harmonics of 50/60 Hz, ``hance_plugin/training/noises.py``): the shipped models turn a clean
120 Hz drone down by 8-10 dB, so such a tone cannot stand for speech here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 48000


def voice(rng: np.random.Generator, f0: float, seconds: float) -> np.ndarray:
    """A harmonic voice around ``f0`` (+-12 % intonation) up to 12 kHz in 3 Hz syllables, peak 0.2."""
    t = np.arange(int(seconds * SR)) / SR
    f0_t = f0 * (1.0 + 0.12 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6.3)))  # intonation
    phase = 2 * np.pi * np.cumsum(f0_t) / SR
    x = sum(np.sin(k * phase + rng.uniform(0, 6.3)) / k for k in range(1, 60) if 1.12 * f0 * k < 12000)
    syllables = np.sqrt(np.clip(np.sin(2 * np.pi * 3.0 * t), 0.0, None))  # 3 Hz syllables, pauses between
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
