"""Signal primitives shared by the training data pipeline and the quality benchmark (numpy only).

* ``load_mono_48k``: read any soundfile-readable file, average to mono, resample to 48 kHz (soxr HQ).
* ``effective_bandwidth_hz``: the highest frequency that still carries energy. Band-limited speech
  (e.g. 16 kHz recordings stored at 48 kHz) has an empty upper band; the loss must not learn
  from it (see the training module).
* ``frame_energies``: mean square of each 10 ms frame (the framing of the level and activity measures).
* ``active_level_db``: speech level over active 10 ms frames, a simplified ITU-T P.56 active speech
  level (frames within 35 dB of the loudest frame count as active), so SNRs refer to speech, not
  to its pauses.
* ``noise_gain_for_snr``: gain that puts a noise at a given SNR below the speech's active level.
* ``apply_rir``: convolve with a room impulse response and keep the direct path aligned with the
  dry speech (the reverberant speech is the training target: we denoise, not dereverberate).
* ``si_sdr_db`` (scale-invariant SDR) and ``band_sdr_db`` (plain SDR below / above a split
  frequency: which of the model's two heads, complex mask or band gains, gains or loses).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

__all__ = [
    "MODEL_RATE_HZ",
    "AUDIO_SUFFIXES",
    "load_mono_48k",
    "list_audio_files",
    "read_manifest",
    "effective_bandwidth_hz",
    "frame_energies",
    "speech_bounds",
    "trim_silence",
    "active_level_db",
    "noise_gain_for_snr",
    "apply_rir",
    "si_sdr_db",
    "band_sdr_db",
    "METRIC_RATE_HZ",
    "to_metric_rate",
    "perceptual_metrics",
]

MODEL_RATE_HZ = 48000
METRIC_RATE_HZ = 16000  # PESQ-WB (ITU-T P.862.2) and ESTOI are defined on 16 kHz audio
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif")


def load_mono_48k(path: str | Path) -> np.ndarray:
    """Return the file as float32 mono at 48 kHz."""
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    if rate != MODEL_RATE_HZ:
        mono = soxr.resample(mono, rate, MODEL_RATE_HZ, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def to_metric_rate(x: np.ndarray, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """``x`` resampled to ``METRIC_RATE_HZ`` (soxr HQ, float32): the input of PESQ-WB and ESTOI."""
    y = soxr.resample(np.asarray(x, dtype=np.float32), sample_rate_hz, METRIC_RATE_HZ, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)


def perceptual_metrics(
    reference: np.ndarray,
    estimate: np.ndarray,
    sample_rate_hz: int = MODEL_RATE_HZ,
    pesq_wb: bool = True,
    estoi: bool = True,
) -> tuple[dict[str, float], dict[str, Exception]]:
    """PESQ-WB (ITU-T P.862.2, ``pesq``) and ESTOI (Jensen & Taal 2016, ``pystoi``) at 16 kHz.

    Both signals are resampled once with ``to_metric_rate``. Returns ``(scores, errors)``: a metric
    that raises (PESQ's "No utterances detected" on a silent reference, a missing package) is NaN
    in ``scores`` and its exception is in ``errors`` under the same key, so a benchmark run records
    the failure instead of crashing. Keys: ``pesq_wb``, ``estoi``.
    """
    ref16 = to_metric_rate(reference, sample_rate_hz)
    est16 = to_metric_rate(estimate, sample_rate_hz)
    scores: dict[str, float] = {}
    errors: dict[str, Exception] = {}
    if pesq_wb:
        try:
            from pesq import pesq

            scores["pesq_wb"] = float(pesq(METRIC_RATE_HZ, ref16, est16, "wb"))
        except Exception as exc:  # noqa: BLE001 - recorded, see the docstring
            scores["pesq_wb"], errors["pesq_wb"] = float("nan"), exc
    if estoi:
        try:
            from pystoi import stoi

            scores["estoi"] = float(stoi(ref16, est16, METRIC_RATE_HZ, extended=True))
        except Exception as exc:  # noqa: BLE001
            scores["estoi"], errors["estoi"] = float("nan"), exc
    return scores, errors


def list_audio_files(directory: str | Path) -> list[Path]:
    """All audio files under ``directory`` (recursive), sorted for reproducibility."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"audio directory not found: {directory}")
    return sorted(p for p in directory.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)


def read_manifest(data_dir: str | Path) -> list[dict]:
    """Rows of ``data_dir/MANIFEST.csv`` (path, kind, split, subset, sample_rate, channels, seconds)."""
    manifest = Path(data_dir) / "MANIFEST.csv"
    if not manifest.is_file():
        raise FileNotFoundError(f"no MANIFEST.csv in {data_dir}")
    with manifest.open(newline="") as handle:
        return list(csv.DictReader(handle))


def effective_bandwidth_hz(
    x: np.ndarray, sample_rate_hz: int = MODEL_RATE_HZ, threshold_db: float = -60.0, n_fft: int = 2048
) -> float:
    """Highest frequency whose long-term power is within ``threshold_db`` of the spectrum's peak."""
    if x.shape[0] < n_fft:
        x = np.pad(x, (0, n_fft - x.shape[0]))
    hop = n_fft // 2
    n_frames = 1 + (x.shape[0] - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    power = np.mean(np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft), axis=-1)) ** 2, axis=0)
    # smooth over ~250 Hz so single-bin dips do not end the band early
    kernel = np.ones(11) / 11
    power_db = 10 * np.log10(np.convolve(power, kernel, mode="same") + 1e-20)
    above = np.nonzero(power_db > power_db.max() + threshold_db)[0]
    return float(above[-1] * sample_rate_hz / n_fft) if above.size else 0.0


def frame_energies(x: np.ndarray, sample_rate_hz: int = MODEL_RATE_HZ) -> np.ndarray:
    """Mean square (float64) of each whole 10 ms frame of ``x`` (empty if ``x`` is shorter than one)."""
    frame = sample_rate_hz // 100
    n = x.shape[0] // frame
    return np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)


def speech_bounds(x: np.ndarray, sample_rate_hz: int = MODEL_RATE_HZ, below_db: float = -40.0) -> tuple[int, int]:
    """(start, stop) samples of ``x`` without its leading and trailing 10 ms frames quieter than
    ``below_db`` under its loudest frame ((0, len) if it has fewer than one frame)."""
    energy = frame_energies(x, sample_rate_hz)
    if energy.size == 0:
        return 0, x.shape[0]
    energy_db = 10 * np.log10(energy + 1e-20)
    loud = np.nonzero(energy_db > energy_db.max() + below_db)[0]
    frame = sample_rate_hz // 100
    return int(loud[0] * frame), int((loud[-1] + 1) * frame)


def trim_silence(x: np.ndarray, sample_rate_hz: int = MODEL_RATE_HZ, below_db: float = -40.0) -> np.ndarray:
    """``x[slice(*speech_bounds(x))]``: a clip's speech, as running speech joins it
    (``benchmarks/passthrough.py``'s running items, ``MixConfig.p_running_speech``)."""
    start, stop = speech_bounds(x, sample_rate_hz, below_db)
    return x[start:stop]


def active_level_db(x: np.ndarray, sample_rate_hz: int = MODEL_RATE_HZ, range_db: float = 35.0) -> float:
    """Active speech level in dBFS (RMS over 10 ms frames within ``range_db`` of the loudest)."""
    energy = frame_energies(x, sample_rate_hz)
    if energy.size == 0:
        return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20))
    energy_db = 10 * np.log10(energy + 1e-20)
    active = energy[energy_db > energy_db.max() - range_db]
    return float(10 * np.log10(np.mean(active) + 1e-20))


def noise_gain_for_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> float:
    """Linear gain for ``noise`` so that active speech level - noise RMS level == ``snr_db``."""
    speech_db = active_level_db(speech)
    noise_db = 10 * np.log10(np.mean(noise.astype(np.float64) ** 2) + 1e-20)
    return float(10 ** ((speech_db - snr_db - noise_db) / 20))


def apply_rir(speech: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """Reverberant speech, same length, with the RIR's direct-path peak aligned to time 0."""
    from scipy.signal import fftconvolve

    rir = rir / (np.max(np.abs(rir)) + 1e-12)
    direct = int(np.argmax(np.abs(rir)))
    wet = fftconvolve(speech, rir[direct:], mode="full")[: speech.shape[0]]
    # keep the direct path at the dry level (the room adds energy, it does not rescale the talker)
    return wet.astype(np.float32)


def si_sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SDR in dB (Le Roux et al., "SDR - half-baked or well done?", ICASSP 2019).

    Both signals are made zero-mean first; a perfect estimate gives +inf, an estimate orthogonal
    to the reference (or silent) gives -inf. Lengths must match.
    """
    s = np.asarray(reference, dtype=np.float64).ravel()
    e = np.asarray(estimate, dtype=np.float64).ravel()
    if s.shape != e.shape:
        raise ValueError(f"length mismatch: reference {s.shape} vs estimate {e.shape}")
    s = s - s.mean()
    e = e - e.mean()
    alpha = np.dot(e, s) / max(np.dot(s, s), np.finfo(np.float64).tiny)
    target = alpha * s
    residual = e - target
    num = np.dot(target, target)
    den = np.dot(residual, residual)
    if den <= 0.0:
        return float("inf")
    if num <= 0.0:
        return float("-inf")
    return float(10.0 * np.log10(num / den))


def band_sdr_db(
    reference: np.ndarray, estimate: np.ndarray, split_hz: float, sample_rate_hz: int = MODEL_RATE_HZ
) -> tuple[float, float]:
    """SDR in dB, 10·log10(Σ|S|² / Σ|S − Ŝ|²), of the bins below and at/above ``split_hz`` of the
    whole-signal DFT (a brick-wall split: every bin counts in exactly one band, no filter
    transition band). Not scale-invariant: a band gain error counts as error, as a listener hears it.
    A band with no reference energy (below -120 dB of the whole) gives NaN; a perfect band +inf."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    est = np.asarray(estimate, dtype=np.float64).ravel()
    if ref.shape != est.shape:
        raise ValueError(f"length mismatch: reference {ref.shape} vs estimate {est.shape}")
    s, e, n = np.fft.rfft(ref), np.fft.rfft(est), ref.size
    k = int(np.ceil(split_hz * n / sample_rate_hz))  # first bin at/above split_hz (bin i is at i·fs/n)
    out = []
    total = float(np.sum(np.abs(s) ** 2))
    for band in (slice(0, k), slice(k, None)):
        num = float(np.sum(np.abs(s[band]) ** 2))
        den = float(np.sum(np.abs(s[band] - e[band]) ** 2))
        if num <= 1e-12 * total:  # nothing there but rounding dust (-120 dB)
            out.append(float("nan"))
        elif den <= 0.0:
            out.append(float("inf"))
        else:
            out.append(float(10.0 * np.log10(num / den)))
    return out[0], out[1]
