"""Synthesised noises for the training mixtures (numpy only, every function seeded by a Generator).

The shared corpus holds real ambience, but none of the "technical" noises a speech denoiser meets
in practice. This module makes them, each returned as float32 with unit RMS (the mixer sets the
level through the SNR):

* ``colored_noise``: stationary Gaussian noise with power spectral density ∝ 1/f^a
  (a = 0 white, 1 pink = -3.01 dB/octave, 2 brown/red = -6.02 dB/octave), shaped in the frequency
  domain (flat below ``f_min_hz`` so brown noise does not become a DC drift).
* ``hum``: mains hum at 50 or 60 Hz with random harmonic amplitudes (optionally odd-dominated
  "buzz", as from rectifiers / saturated transformers) and a slow random drift of the mains
  frequency (±0.05-0.3 %), rendered through a one-period wavetable so the cost is O(n) whatever
  the number of harmonics.
* ``fan``: fan / HVAC: coloured noise band-passed with soft slopes, plus a few tonal components
  (blade-pass frequency and its harmonics, jittered) and a slow amplitude modulation.
* ``clicks``: keyboard / mouse / handling clicks: a Poisson train of short transients, each an
  exponentially decaying noise burst with one or two damped resonances.
* ``babble``: sum of several speech clips (the clips come from the caller, see ``mixing``), each
  normalised to its active speech level before a small random gain.

* ``random_texture``: domain-randomised non-stationary noise (``MixConfig.p_random_noise``): 1-3
  layers, each a noise band with a random smooth spectral envelope, a tonal layer (a few partials
  from 600 Hz to 9 kHz with vibrato, glides and chirps: bird- or insect-like) or an impulsive layer
  (transients with resonances and 5-300 ms decays), each under a random time envelope (steady, slow
  or fast amplitude modulation, or Poisson bursts). No recorded family is imitated: the point is a
  noise distribution so wide that the network cannot learn the training noises as the things to
  remove and must learn what speech is instead (domain randomisation, Tobin et al., IROS 2017). The
  unheard-noise val set showed why: under noise no model here heard, ``hance-base`` removes 6.3 dB of
  noise where it removes 10.5 dB of the val noises, with speech kept better. In 1500-step branches
  of the shipped stage it did not change that (``models/training/ablations/unheard-noise/``), so
  it is off by default.

``synthesize`` draws one of the speech-free kinds at random.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.signal

from .signals import MODEL_RATE_HZ, active_level_db

__all__ = ["NOISE_KINDS", "colored_noise", "hum", "fan", "clicks", "babble", "random_texture", "synthesize"]

NOISE_KINDS = ("white", "pink", "brown", "colored", "hum", "fan", "clicks")


def _unit_rms(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return (x / rms if rms > 0 else x).astype(np.float32)


def _shaped_noise(rng: np.random.Generator, n: int, amplitude_of_f, sample_rate_hz: int) -> np.ndarray:
    """Gaussian noise whose amplitude spectrum is ``amplitude_of_f(frequencies_hz)``."""
    n_fft = scipy.fft.next_fast_len(max(n, 1), real=True)
    spectrum = scipy.fft.rfft(rng.standard_normal(n_fft, dtype=np.float32))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate_hz)
    spectrum *= amplitude_of_f(freqs).astype(np.float32)
    return scipy.fft.irfft(spectrum, n_fft)[:n]


def colored_noise(
    rng: np.random.Generator,
    n: int,
    exponent: float = 1.0,
    sample_rate_hz: int = MODEL_RATE_HZ,
    f_min_hz: float = 20.0,
) -> np.ndarray:
    """Stationary noise with PSD ∝ 1/f^exponent above ``f_min_hz`` (flat below), unit RMS."""

    if exponent == 0.0:
        return _unit_rms(rng.standard_normal(n, dtype=np.float32))

    def shape(f: np.ndarray) -> np.ndarray:
        return np.maximum(f, f_min_hz) ** (-exponent / 2.0)

    return _unit_rms(_shaped_noise(rng, n, shape, sample_rate_hz))


def _smooth_random(rng: np.random.Generator, n: int, knot_seconds: float, sample_rate_hz: int) -> np.ndarray:
    """A slow random curve of unit-variance knots every ``knot_seconds``, linearly interpolated."""
    step = max(1, int(knot_seconds * sample_rate_hz))
    knots = rng.standard_normal(n // step + 2)
    position = np.arange(n) / step
    i = position.astype(np.int64)
    return knots[i] + (position - i) * (knots[i + 1] - knots[i])


def _periodic(
    rng: np.random.Generator,
    n: int,
    f0_hz: float,
    amplitudes: np.ndarray,
    drift: float,
    sample_rate_hz: int,
    table_size: int = 4096,
) -> np.ndarray:
    """Σ_k amplitudes[k-1]·sin(k·φ(t) + θ_k) with φ' = 2π·f0·(1 + drift·slow noise), via a wavetable."""
    n_harmonics = amplitudes.shape[0]
    if n_harmonics >= table_size // 4:
        raise ValueError("too many harmonics for the wavetable")
    theta = rng.uniform(0, 2 * np.pi, n_harmonics)
    # one period from its line spectrum: irfft of a_k·e^{j(θ_k - π/2)} gives Σ a_k·sin(k·2πj/T + θ_k)
    spectrum = np.zeros(table_size // 2 + 1, dtype=np.complex128)
    spectrum[1 : n_harmonics + 1] = amplitudes * np.exp(1j * (theta - np.pi / 2)) * (table_size / 2)
    table = np.fft.irfft(spectrum, table_size)
    table = np.append(table, table[0])  # wrap-around point for interpolation
    inst_hz = f0_hz * (1.0 + drift * _smooth_random(rng, n, 0.5, sample_rate_hz))
    cycles = rng.uniform() + np.cumsum(inst_hz) / sample_rate_hz
    position = (cycles - np.floor(cycles)) * table_size
    i = position.astype(np.int64)
    return table[i] + (position - i) * (table[i + 1] - table[i])


def hum(
    rng: np.random.Generator,
    n: int,
    mains_hz: float | None = None,
    sample_rate_hz: int = MODEL_RATE_HZ,
    max_harmonic_hz: float = 4000.0,
) -> np.ndarray:
    """Mains hum: fundamental at 50/60 Hz (random if None) plus random harmonics, slight drift."""
    if mains_hz is None:
        mains_hz = float(rng.choice([50.0, 60.0]))
    n_harmonics = int(max_harmonic_hz // mains_hz)
    k = np.arange(1, n_harmonics + 1)
    decay = rng.uniform(0.5, 2.0)
    amplitudes = rng.uniform(0.05, 1.0, n_harmonics) * k ** (-decay)
    if rng.random() < 0.5:  # "buzz": odd harmonics dominate
        amplitudes[1::2] *= rng.uniform(0.05, 0.5)
    amplitudes[0] = 1.0
    drift = rng.uniform(0.0005, 0.003)
    return _unit_rms(_periodic(rng, n, mains_hz, amplitudes, drift, sample_rate_hz))


def fan(rng: np.random.Generator, n: int, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """Fan / HVAC: band-passed coloured noise + blade-pass tones + slow amplitude modulation."""
    exponent = rng.uniform(0.0, 1.5)
    low_hz = np.exp(rng.uniform(np.log(30.0), np.log(250.0)))
    high_hz = np.exp(rng.uniform(np.log(400.0), np.log(6000.0)))
    high_order = rng.uniform(1.0, 3.0)

    def shape(f: np.ndarray) -> np.ndarray:
        f = np.maximum(f, 1.0)
        return f ** (-exponent / 2) / np.sqrt(1 + (low_hz / f) ** 4) / np.sqrt(1 + (f / high_hz) ** (2 * high_order))

    broadband = _unit_rms(_shaped_noise(rng, n, shape, sample_rate_hz)).astype(np.float64)
    blade_hz = np.exp(rng.uniform(np.log(60.0), np.log(400.0)))
    n_tones = int(rng.integers(1, 5))
    amplitudes = rng.uniform(0.2, 1.0, n_tones) * np.arange(1, n_tones + 1) ** -1.0
    tones = _unit_rms(_periodic(rng, n, blade_hz, amplitudes, rng.uniform(0.001, 0.01), sample_rate_hz))
    tone_gain = 10 ** (rng.uniform(-20.0, -3.0) / 20)
    mod_hz = rng.uniform(0.1, 3.0)
    depth = rng.uniform(0.0, 0.3)
    t = np.arange(n) / sample_rate_hz
    envelope = 1.0 + depth * np.sin(2 * np.pi * mod_hz * t + rng.uniform(0, 2 * np.pi))
    return _unit_rms(envelope * (broadband + tone_gain * tones))


def clicks(rng: np.random.Generator, n: int, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """Keyboard / clicks: Poisson train (1-15 /s) of decaying transients of 2-3 random kinds."""
    rate = rng.uniform(1.0, 15.0)
    n_events = max(1, int(rng.poisson(rate * n / sample_rate_hz)))
    out = np.zeros(n, dtype=np.float64)
    n_kinds = int(rng.integers(2, 4))
    kernels = []
    for _ in range(n_kinds):
        length = int(rng.uniform(0.005, 0.04) * sample_rate_hz)
        t = np.arange(length) / sample_rate_hz
        tau = rng.uniform(0.0005, 0.008)
        kernel = rng.standard_normal(length) * np.exp(-t / tau)
        for _ in range(int(rng.integers(1, 3))):  # resonances of keys / housing
            freq = np.exp(rng.uniform(np.log(800.0), np.log(9000.0)))
            kernel += rng.uniform(0.5, 3.0) * np.sin(2 * np.pi * freq * t) * np.exp(-t / rng.uniform(0.001, 0.01))
        kernels.append(kernel / np.max(np.abs(kernel)))
    kind_of_event = rng.integers(0, n_kinds, n_events)
    positions = rng.integers(0, n, n_events)
    gains = rng.lognormal(0.0, 0.6, n_events)
    for kind, position, gain in zip(kind_of_event, positions, gains):
        kernel = kernels[kind][: n - position]
        out[position : position + kernel.shape[0]] += gain * kernel
    return _unit_rms(out)


def _random_envelope(rng: np.random.Generator, n: int, sample_rate_hz: int) -> np.ndarray:
    """A random time envelope (peak 1): steady, slow AM, fast AM ("buzz") or Poisson bursts."""
    t = np.arange(n) / sample_rate_hz
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return np.ones(n)
    if kind in (1, 2):
        lo_hz, hi_hz = (0.2, 6.0) if kind == 1 else (10.0, 200.0)
        rate_hz = float(np.exp(rng.uniform(np.log(lo_hz), np.log(hi_hz))))
        depth = rng.uniform(0.3, 1.0)
        env = 1.0 + depth * np.sin(2 * np.pi * rate_hz * t + rng.uniform(0, 2 * np.pi))
        return env / env.max()
    env = np.zeros(n)
    n_events = max(1, int(rng.poisson(rng.uniform(0.3, 6.0) * n / sample_rate_hz)))
    for _ in range(n_events):
        start = int(rng.integers(0, n))
        attack = max(1, int(rng.uniform(0.002, 0.15) * sample_rate_hz))
        hold = int(rng.uniform(0.0, 0.6) * sample_rate_hz)
        decay_s = rng.uniform(0.03, 1.5)
        length = min(n - start, attack + hold + int(5 * decay_s * sample_rate_hz))
        k = np.arange(length)
        tail = np.exp(-(k - attack - hold) / (decay_s * sample_rate_hz))
        shape = np.where(k < attack, k / attack, np.where(k < attack + hold, 1.0, tail))
        env[start:start + length] = np.maximum(env[start:start + length], rng.uniform(0.3, 1.0) * shape)
    return env


def _texture_band(rng: np.random.Generator, n: int, sample_rate_hz: int) -> np.ndarray:
    """Gaussian noise under a random smooth spectral envelope (±15 dB knots on a log-frequency axis)."""
    knots_hz = np.geomspace(50.0, sample_rate_hz / 2, int(rng.integers(4, 11)))
    knots_db = rng.uniform(-15.0, 15.0, knots_hz.shape[0]) - rng.uniform(0.0, 3.0) * 10 * np.log10(knots_hz / 50.0) / 3

    def shape(f: np.ndarray) -> np.ndarray:
        return 10 ** (np.interp(np.log(np.maximum(f, 1.0)), np.log(knots_hz), knots_db) / 20)

    return _unit_rms(_shaped_noise(rng, n, shape, sample_rate_hz)).astype(np.float64)


def _texture_tones(rng: np.random.Generator, n: int, sample_rate_hz: int) -> np.ndarray:
    """1-4 partial sets (600 Hz - 9 kHz), each with vibrato and a glide, repeated as short calls or held."""
    t = np.arange(n) / sample_rate_hz
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 5))):
        f0 = np.exp(rng.uniform(np.log(600.0), np.log(9000.0)))
        vib_hz, vib_depth = rng.uniform(0.0, 40.0), rng.uniform(0.0, 0.08)
        glide = rng.uniform(-1.0, 1.0)  # octaves per call
        call_s = rng.uniform(0.03, 0.6) if rng.random() < 0.7 else n / sample_rate_hz
        phase_in_call = (t % call_s) / call_s
        inst_hz = f0 * 2 ** (glide * (phase_in_call - 0.5)) * (1 + vib_depth * np.sin(2 * np.pi * vib_hz * t))
        inst_hz = np.minimum(inst_hz, 0.45 * sample_rate_hz)
        phase = 2 * np.pi * np.cumsum(inst_hz) / sample_rate_hz
        partials = int(rng.integers(1, 4))
        tone = sum(rng.uniform(0.2, 1.0) / k * np.sin(k * phase) * (k * inst_hz < 0.45 * sample_rate_hz)
                   for k in range(1, partials + 1))
        gate = np.sin(np.pi * phase_in_call) ** 2 if call_s < n / sample_rate_hz else 1.0
        out += rng.uniform(0.3, 1.0) * tone * gate
    return _unit_rms(out).astype(np.float64)


def random_texture(rng: np.random.Generator, n: int, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """Domain-randomised non-stationary noise: 1-3 random layers (band, tones, transients), each under
    a random time envelope and a random gain (0 to -15 dB); unit RMS. See the module docstring."""
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(0, 3))
        if kind == 0:
            layer = _texture_band(rng, n, sample_rate_hz)
        elif kind == 1:
            layer = _texture_tones(rng, n, sample_rate_hz)
        else:
            layer = clicks(rng, n, sample_rate_hz).astype(np.float64)
            decay_s = rng.uniform(0.005, 0.3)  # longer tails than keyboard clicks: knocks, chopping, hammering
            taps = int(5 * decay_s * sample_rate_hz) + 1
            kernel = rng.standard_normal(taps) * np.exp(-np.arange(taps) / (decay_s * sample_rate_hz))
            layer = scipy.signal.oaconvolve(layer, kernel)[:n]
        out += 10 ** (-rng.uniform(0.0, 15.0) / 20) * _unit_rms(layer) * _random_envelope(rng, n, sample_rate_hz)
    if not np.any(out):
        out = rng.standard_normal(n)
    return _unit_rms(out)


def babble(rng: np.random.Generator, clips: list[np.ndarray], gain_range_db: float = 3.0) -> np.ndarray:
    """Sum of speech clips (same length), each at its active level ± ``gain_range_db``; unit RMS."""
    if not clips:
        raise ValueError("babble needs at least one speech clip")
    n = min(c.shape[0] for c in clips)
    out = np.zeros(n, dtype=np.float64)
    for clip in clips:
        clip = clip[:n].astype(np.float64)
        if not np.any(clip):
            continue
        gain_db = -active_level_db(clip) + rng.uniform(-gain_range_db, gain_range_db)
        out += clip * 10 ** (gain_db / 20)
    return _unit_rms(out)


def synthesize(
    rng: np.random.Generator, n: int, kind: str | None = None, sample_rate_hz: int = MODEL_RATE_HZ
) -> tuple[np.ndarray, dict]:
    """One speech-free synthetic noise of ``kind`` (random from ``NOISE_KINDS`` if None) + its parameters."""
    if kind is None:
        kind = str(rng.choice(NOISE_KINDS))
    if kind in ("white", "pink", "brown", "colored"):
        exponent = {"white": 0.0, "pink": 1.0, "brown": 2.0}.get(kind)
        if exponent is None:
            exponent = float(rng.uniform(0.0, 2.0))
        return colored_noise(rng, n, exponent, sample_rate_hz), {"kind": kind, "exponent": exponent}
    if kind == "hum":
        mains = float(rng.choice([50.0, 60.0]))
        return hum(rng, n, mains, sample_rate_hz), {"kind": kind, "mains_hz": mains}
    if kind == "fan":
        return fan(rng, n, sample_rate_hz), {"kind": kind}
    if kind == "clicks":
        return clicks(rng, n, sample_rate_hz), {"kind": kind}
    raise ValueError(f"unknown synthetic noise kind {kind!r}; expected one of {NOISE_KINDS}")
