"""Signal augmentations for the training mixtures (numpy / scipy / soxr only, all deterministic).

Voice perturbation: the corpus has four fullband talkers, so new voices are made by changing the
three things that distinguish talkers acoustically, independently of each other:

* **speed** (``speed_perturb``): plain resampling by a factor s (soxr HQ), as in Kaldi's
  speed perturbation (Ko et al., "Audio augmentation for speech recognition", Interspeech 2015):
  tempo, f0 and formants all scale by s.
* **pitch** (``pitch_formant_shift`` with ``pitch_factor``): f0 scales by p, duration and
  formants do not. Time-stretch by p with a phase vocoder (Flanagan & Golden 1966; Dolson 1986)
  with identity phase locking (Laroche & Dolson, "Improved phase vocoder time-scale modification
  of audio", IEEE TSAP 1999), then resample by 1/p so the duration returns and every frequency
  (f0 and envelope) scales by p. The envelope is put back where it was inside the same STFT
  pass (below), so the shift is formant-preserving.
* **formant** (``formant_factor``): the spectral envelope is warped along frequency by a factor
  β while the harmonics stay where they are: each STFT frame is multiplied by E(f/β)/E(f). The
  envelope E is a cheap stand-in for the "true envelope" (Imai & Abe 1979; Röbel & Rodet,
  "Efficient spectral envelope estimation and its application to pitch shifting and envelope
  preservation", DAFx 2005): the log magnitude's running maximum over 400 Hz (the peak hull: it
  spans one harmonic spacing for f0 up to 400 Hz, so it follows the harmonic peaks rather than
  the peak/valley mean), then cepstrally smoothed (homomorphic smoothing, Oppenheim & Schafer;
  lifter 1.5 ms). On synthetic vowels (f0 100-200 Hz, formant bandwidths 250-400 Hz) shifted
  by β = 0.87 / 1.15, the harmonic amplitudes come within 0.7-1.7 dB (mean) of the ideally
  shifted vowel, against 1.5-2.9 dB for no shift; plain cepstral smoothing (no hull) did no
  better than no shift at f0 >= 150 Hz. Formants narrower than the harmonic spacing cannot be
  seen through the harmonics by any envelope method and move less exactly. A frequency warp
  of the envelope is the VTLN model of a different vocal-tract length (Lee & Rose 1998).

Pitch and formant changes share one STFT (2048-point Hann, 75 % overlap at 48 kHz: partials of
voices down to ~80 Hz are resolved, which the phase vocoder needs), so the combined cost is one
analysis FFT, two DCTs (cepstrum and liftered envelope) and one synthesis FFT. No BLAS: its
results depend on the thread count, and mixtures must be bit-identical in every process. Gains of the envelope ratio are limited to
±12 dB and never boost bins above the signal's valid bandwidth (so an empty band stays empty).

Channel augmentations: ``random_eq`` (1-3 peaking + optional low/high shelving biquads,
±6 dB, from R. Bristow-Johnson's "Audio EQ Cookbook"), ``lowpass`` (12th-order elliptic,
0.1 dB ripple, 80 dB stop band: a steep band limit as codecs and resamplers make it) and
``hard_clip``. The mixer applies EQ and low-pass to speech and noise alike and to the target
(the model must not learn to undo the channel), clipping to the noisy input only.
``butter_lowpass`` (Butterworth, 24 dB/octave by default) shapes the noise alone
(``MixConfig.p_noise_lowpass``).
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import soxr
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import maximum_filter1d
from scipy.signal import butter, ellip, sosfilt

from .signals import MODEL_RATE_HZ

__all__ = [
    "speed_perturb",
    "pitch_formant_shift",
    "random_voice_params",
    "perturb_voice",
    "peaking_sos",
    "shelf_sos",
    "random_eq",
    "lowpass",
    "butter_lowpass",
    "apply_sos",
    "hard_clip",
]


# --------------------------------------------------------------------------------------------- voice


def speed_perturb(x: np.ndarray, factor: float, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """Play ``x`` ``factor`` times faster: length / factor, every frequency × factor."""
    if factor == 1.0:
        return x.astype(np.float32, copy=False)
    y = soxr.resample(x.astype(np.float32, copy=False), sample_rate_hz * factor, sample_rate_hz, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)


def _nearest_peak(mag: np.ndarray) -> np.ndarray:
    """For each (frame, bin), the bin index of the nearest spectral peak in that frame.

    A peak is larger than its two neighbours on either side (Laroche & Dolson 1999).
    """
    n_bins = mag.shape[1]
    padded = np.pad(mag, ((0, 0), (2, 2)))
    centre = padded[:, 2:-2]
    is_peak = (
        (centre > padded[:, 1:-3]) & (centre >= padded[:, 3:-1]) & (centre > padded[:, :-4]) & (centre >= padded[:, 4:])
    )
    bins = np.arange(n_bins, dtype=np.int16)
    big = np.int16(4 * n_bins)
    before = np.maximum.accumulate(np.where(is_peak, bins, -big), axis=1)
    after = np.minimum.accumulate(np.where(is_peak, bins, big)[:, ::-1], axis=1)[:, ::-1]
    nearest = np.where(after - bins < bins - before, after, before)
    # frames without any peak (digital silence): every bin is its own peak
    return np.where((nearest < 0) | (nearest >= n_bins), bins, nearest)


def _envelope_log_gain(
    mag: np.ndarray,
    warp: float,
    sample_rate_hz: int,
    n_fft: int,
    lifter_ms: float,
    max_gain_db: float,
    bandwidth_hz: float | None,
    peak_hull_hz: float = 400.0,
) -> np.ndarray:
    """log(E(f/warp) / E(f)) per frame and bin, E the spectral envelope (peak hull, liftered).

    The real cepstrum of an even log spectrum is its DCT-I (scaled by 1/n_fft), and the liftered
    envelope the DCT-I of the truncated cepstrum; scipy's DCT is used rather than a (faster)
    matrix product because BLAS results depend on the thread count, and mixtures must be
    bit-identical in every process.
    """
    n_bins = mag.shape[1]  # may stop below Nyquist (band-limited input): bin k is k·sr/n_fft Hz
    log_mag = np.log(np.maximum(mag, np.float32(1e-7)))
    # peak hull first: a running max over ~400 Hz spans at least one harmonic spacing for f0 up
    # to 400 Hz, so the smoothed curve follows the harmonic peaks, not the peak/valley mean
    hull_bins = 2 * int(round(peak_hull_hz * n_fft / sample_rate_hz / 2)) + 1
    if hull_bins > 1:
        log_mag = maximum_filter1d(log_mag, hull_bins, axis=1)
    # DCT-I over n_bins: coefficient q is a ripple of period 2·(n_bins-1)/q bins; keep the
    # quefrencies below lifter_ms whatever the number of bins
    cut = max(1, int(round(lifter_ms * 1e-3 * sample_rate_hz * (n_bins - 1) / (n_fft // 2))))
    cepstrum = scipy.fft.dct(log_mag, type=1, axis=-1)
    cepstrum[:, cut:] = 0.0
    envelope = scipy.fft.dct(cepstrum, type=1, axis=-1) / np.float32(2 * (n_bins - 1))
    # the warped envelope E(f / warp): linear interpolation of the (smooth) envelope
    source = np.minimum(np.arange(n_bins) / warp, n_bins - 1)  # beyond Nyquist: hold the edge
    i0 = np.minimum(source.astype(np.int64), n_bins - 2)
    frac = (source - i0).astype(np.float32)
    log_gain = envelope[:, i0] * (1 - frac) + envelope[:, i0 + 1] * frac - envelope
    limit = np.float32(max_gain_db * np.log(10) / 20)
    np.clip(log_gain, -limit, limit, out=log_gain)
    if bandwidth_hz is not None:
        first_above = int(np.floor(bandwidth_hz * n_fft / sample_rate_hz)) + 1
        np.minimum(log_gain[:, first_above:], 0.0, out=log_gain[:, first_above:])
    return log_gain


def pitch_formant_shift(
    x: np.ndarray,
    pitch_factor: float = 1.0,
    formant_factor: float = 1.0,
    sample_rate_hz: int = MODEL_RATE_HZ,
    bandwidth_hz: float | None = None,
    n_fft: int = 2048,
    hop: int = 512,
    lifter_ms: float = 1.5,
    max_gain_db: float = 12.0,
) -> tuple[np.ndarray, float]:
    """Shift f0 by ``pitch_factor`` (same duration, same formants) and formants by ``formant_factor``.

    Returns ``(y, actual_pitch_factor)``: y has the length of x; the pitch factor is rounded to
    hop / round(hop / pitch_factor) (within 0.2 % at the default hop).
    """
    x = np.asarray(x, dtype=np.float32)
    n = x.shape[0]
    if (pitch_factor == 1.0 and formant_factor == 1.0) or n == 0:
        return x.copy(), 1.0
    if n_fft % hop:
        raise ValueError("n_fft must be a multiple of hop")
    analysis_hop = hop if pitch_factor == 1.0 else max(1, int(round(hop / pitch_factor)))
    ratio = hop / analysis_hop  # time-stretch factor = realised pitch factor
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    padded = np.pad(x, (n_fft, n_fft + analysis_hop))
    frames = sliding_window_view(padded, n_fft)[::analysis_hop] * window
    spectrum = scipy.fft.rfft(frames, axis=-1)
    if bandwidth_hz is not None:
        # bins above the valid band (plus ~370 Hz) hold nothing worth processing: drop them
        n_bins = min(spectrum.shape[1], int(np.ceil(bandwidth_hz * n_fft / sample_rate_hz)) + 16)
        spectrum = np.ascontiguousarray(spectrum[:, :n_bins])
    mag = np.abs(spectrum)

    # formants: undo the envelope shift of the resampling (× ratio) and add the requested one
    warp = formant_factor / ratio
    gain = None
    if abs(warp - 1.0) > 1e-6:
        log_gain = _envelope_log_gain(mag, warp, sample_rate_hz, n_fft, lifter_ms, max_gain_db, bandwidth_hz)
        gain = np.exp(log_gain, out=log_gain)
    mag_out = mag * gain if gain is not None else mag

    if analysis_hop == hop:
        out_spectrum = spectrum * gain if gain is not None else spectrum
    else:
        # float32 throughout: the per-hop phase advance is wrapped before accumulation, so the
        # running phase stays below 2π·n_frames and keeps ~1e-4 rad precision
        phase = np.arctan2(spectrum.imag, spectrum.real)
        two_pi = np.float32(2 * np.pi)
        omega = (two_pi / n_fft) * np.arange(mag.shape[1], dtype=np.float32)
        delta = np.diff(phase, axis=0) - omega * np.float32(analysis_hop)
        delta -= two_pi * np.round(delta / two_pi)
        advance = (omega + delta / np.float32(analysis_hop)) * np.float32(hop)  # rad per synthesis hop
        advance -= two_pi * np.floor(advance / two_pi)
        synth_phase = np.empty_like(phase)
        synth_phase[0] = phase[0]
        for m in range(1, phase.shape[0]):  # row loop: faster than cumsum(axis=0) on C-ordered data
            np.add(synth_phase[m - 1], advance[m - 1], out=synth_phase[m])
        # identity phase locking: bins around a peak keep their analysis phase relation to the peak
        rotation = np.take_along_axis(synth_phase - phase, _nearest_peak(mag), axis=1)
        out_phase = phase + rotation
        out_spectrum = np.empty(spectrum.shape, dtype=np.complex64)
        out_spectrum.real = mag_out * np.cos(out_phase)
        out_spectrum.imag = mag_out * np.sin(out_phase)

    out_frames = scipy.fft.irfft(out_spectrum, n_fft, axis=-1).astype(np.float32) * window  # zero-pads bins
    n_frames = out_frames.shape[0]
    overlap = n_fft // hop
    ola = np.zeros((n_frames + overlap) * hop, dtype=np.float32)
    for j in range(overlap):
        ola[j * hop : j * hop + n_frames * hop] += out_frames[:, j * hop : (j + 1) * hop].reshape(-1)
    ola /= np.sum(window**2) / hop
    start = int(round(n_fft * ratio))
    y = ola[start : start + int(round(n * ratio))]
    if analysis_hop != hop:
        y = soxr.resample(y, sample_rate_hz * ratio, sample_rate_hz, quality="HQ")
    y = y[:n] if y.shape[0] >= n else np.pad(y, (0, n - y.shape[0]))
    return np.ascontiguousarray(y, dtype=np.float32), float(ratio)


def random_voice_params(
    rng: np.random.Generator,
    speed_range: tuple[float, float] = (0.9, 1.1),
    pitch_semitones: float = 3.0,
    formant_range: tuple[float, float] = (0.87, 1.15),
    p_each: float = 0.6,
) -> dict:
    """Draw speed / pitch / formant factors; each is active with ``p_each``, at least one is."""
    # every number is drawn unconditionally so the stream does not depend on which are active
    active = rng.random(3) < p_each
    forced = int(rng.integers(0, 3))
    if not active.any():
        active[forced] = True
    speed = float(rng.uniform(*speed_range))
    pitch = float(2 ** (rng.uniform(-pitch_semitones, pitch_semitones) / 12))
    formant = float(np.exp(rng.uniform(np.log(formant_range[0]), np.log(formant_range[1]))))
    return {
        "speed": speed if active[0] else 1.0,
        "pitch": pitch if active[1] else 1.0,
        "formant": formant if active[2] else 1.0,
    }


def perturb_voice(
    x: np.ndarray, params: dict, bandwidth_hz: float, sample_rate_hz: int = MODEL_RATE_HZ
) -> tuple[np.ndarray, float, dict]:
    """Apply ``random_voice_params`` output. Returns (y, new bandwidth, realised params).

    Length changes by 1/speed; pitch and formant changes keep it. Speed and pitch scale every
    frequency of the signal, so the valid bandwidth scales with them (capped at Nyquist).
    """
    nyquist = sample_rate_hz / 2
    speed = params.get("speed", 1.0)
    y = speed_perturb(x, speed, sample_rate_hz)
    bandwidth_hz = min(bandwidth_hz * speed, nyquist)
    y, pitch = pitch_formant_shift(
        y, params.get("pitch", 1.0), params.get("formant", 1.0), sample_rate_hz, bandwidth_hz=bandwidth_hz
    )
    bandwidth_hz = min(bandwidth_hz * pitch, nyquist)
    return y, bandwidth_hz, {"speed": speed, "pitch": pitch, "formant": params.get("formant", 1.0)}


# ------------------------------------------------------------------------------------------- channel


def peaking_sos(freq_hz: float, gain_db: float, q: float, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """RBJ cookbook peaking-EQ biquad as one SOS row."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq_hz / sample_rate_hz
    alpha = np.sin(w0) / (2 * q)
    cos = np.cos(w0)
    b = [1 + alpha * a, -2 * cos, 1 - alpha * a]
    den = [1 + alpha / a, -2 * cos, 1 - alpha / a]
    return np.array(b + den) / den[0]


def shelf_sos(
    freq_hz: float, gain_db: float, high: bool, slope: float = 1.0, sample_rate_hz: int = MODEL_RATE_HZ
) -> np.ndarray:
    """RBJ cookbook low (``high=False``) or high shelving biquad as one SOS row."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq_hz / sample_rate_hz
    cos = np.cos(w0)
    alpha = np.sin(w0) / 2 * np.sqrt((a + 1 / a) * (1 / slope - 1) + 2)
    s = 2 * np.sqrt(a) * alpha
    if high:
        b = [a * ((a + 1) + (a - 1) * cos + s), -2 * a * ((a - 1) + (a + 1) * cos), a * ((a + 1) + (a - 1) * cos - s)]
        den = [(a + 1) - (a - 1) * cos + s, 2 * ((a - 1) - (a + 1) * cos), (a + 1) - (a - 1) * cos - s]
    else:
        b = [a * ((a + 1) - (a - 1) * cos + s), 2 * a * ((a - 1) - (a + 1) * cos), a * ((a + 1) - (a - 1) * cos - s)]
        den = [(a + 1) + (a - 1) * cos + s, -2 * ((a - 1) + (a + 1) * cos), (a + 1) + (a - 1) * cos - s]
    return np.array(b + den) / den[0]


def random_eq(
    rng: np.random.Generator, max_gain_db: float = 6.0, sample_rate_hz: int = MODEL_RATE_HZ
) -> tuple[np.ndarray, list[dict]]:
    """A mild random EQ: 1-3 peaking filters and optional low / high shelves, gains within ±max_gain_db."""
    bands: list[dict] = []
    for _ in range(int(rng.integers(1, 4))):
        bands.append(
            {
                "type": "peak",
                "freq_hz": float(np.exp(rng.uniform(np.log(100.0), np.log(12000.0)))),
                "gain_db": float(rng.uniform(-max_gain_db, max_gain_db)),
                "q": float(rng.uniform(0.5, 2.0)),
            }
        )
    draws = rng.random(2)
    if draws[0] < 0.5:
        bands.append({"type": "lowshelf", "freq_hz": float(rng.uniform(80.0, 400.0)),
                      "gain_db": float(rng.uniform(-max_gain_db, max_gain_db))})
    if draws[1] < 0.5:
        bands.append({"type": "highshelf", "freq_hz": float(rng.uniform(3000.0, 12000.0)),
                      "gain_db": float(rng.uniform(-max_gain_db, max_gain_db))})
    return eq_sos(bands, sample_rate_hz), bands


def eq_sos(bands: list[dict], sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """The SOS cascade of ``random_eq``'s band list (``peak``: freq_hz, gain_db, q; ``lowshelf`` /
    ``highshelf``: freq_hz, gain_db), e.g. to rebuild a mixture's EQ from its ``meta``."""
    rows = []
    for band in bands:
        if band["type"] == "peak":
            rows.append(peaking_sos(band["freq_hz"], band["gain_db"], band["q"], sample_rate_hz))
        else:
            rows.append(shelf_sos(band["freq_hz"], band["gain_db"], band["type"] == "highshelf",
                                  sample_rate_hz=sample_rate_hz))
    return np.stack(rows)


def lowpass(cutoff_hz: float, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """12th-order elliptic low-pass as SOS: 0.1 dB ripple up to the cutoff, -60 dB by 1.06 × cutoff."""
    return ellip(12, 0.1, 80.0, cutoff_hz, fs=sample_rate_hz, output="sos")


def butter_lowpass(cutoff_hz: float, order: int = 4, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """Butterworth low-pass as SOS (6·order dB/octave above the cutoff): a gentle spectral tilt,
    for shaping noise (``MixConfig.p_noise_lowpass``), not for band-limiting."""
    return butter(order, cutoff_hz, fs=sample_rate_hz, output="sos")


def apply_sos(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    return sosfilt(sos.astype(np.float32), x.astype(np.float32, copy=False)).astype(np.float32, copy=False)


def hard_clip(x: np.ndarray, threshold: float) -> np.ndarray:
    return np.clip(x, -threshold, threshold).astype(np.float32, copy=False)
