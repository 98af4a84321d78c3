"""On-the-fly, seeded training mixtures (numpy only; the torch training loop wraps ``MixtureSource``).

``MixtureSource(speech_dirs, noise_dirs, rir_dirs, config, seed)[index]`` returns a ``Mixture``
(noisy input, clean target, valid target bandwidth, SNR, metadata) that depends only on
``(seed, index)`` and the files: the same pair gives a bit-identical mixture in any process and in
any order (every random draw comes from ``np.random.default_rng([seed, index, stream])``, one
stream per stage, so switching one augmentation off does not reshuffle the others). Indices
beyond ``len(source)`` are valid and give new mixtures: use ``index + epoch * len(source)`` (or a
per-epoch seed) so that epochs differ; ``len`` is the nominal epoch (speech seconds / segment).

How a mixture is made (``MixConfig.augment=True``; ``False`` keeps only steps 1, 3 with one corpus
noise, and 6):

1. **Speech**: index i covers the i-th ``segment_seconds`` stretch of the concatenated speech
   files (stratified: an epoch visits all speech); a random point in that stretch picks the file.
   Files longer than the segment are cropped there (a crop with less than 30 % active 10 ms frames
   is re-drawn, deterministically); shorter files (the corpus is mostly 0.3-3 s words) are
   followed by other files of the same folder (same talker / language / recording set) with
   50-500 ms gaps. The segment's valid bandwidth is the smallest of its pieces', so of three
   candidate followers the one with the bandwidth closest to the segment's is taken. Each file's bandwidth
   (``effective_bandwidth_hz``) and active level are computed once, on first load. With
   ``p_running_speech`` (default 0: off, bit-identical) the joined files lose their leading and
   trailing silence (``signals.speech_bounds``) and the gaps are ``running_gap_s_range`` (20-150 ms):
   running speech, in which a tracked noise floor (``kernels/floor.py``) creeps up for seconds
   (models/training/ablations/running-floor/).
   ``speech_weights`` (``MixtureSource``; default none: bit-identical) scales how often files are
   drawn: a file matching a pattern with weight w counts w times its seconds in that concatenation,
   so a subset's share of the segments can be held while others are added (a cap per folder could
   only lower shares; models/training/ablations/tuxpaint-voices/).
2. **Voice** (``p_voice_perturb``): speed, formant-preserving pitch and formant shifts
   (``augment.perturb_voice``; strengths ``voice_speed_range``, ``voice_pitch_semitones``,
   ``voice_formant_range``); speed and pitch scale the valid bandwidth with them.
   **Room** (``p_reverb``, if RIRs exist): ``apply_rir`` on the speech with 0.5 s of pre-roll so
   the reverberant tail of earlier speech is present; the target is the reverberant speech.
   With ``p_synthetic_rir`` (default 0: off) that share of the reverberant items goes through one
   of ``synthetic_rirs`` simulated shoebox rooms instead (``rooms``: small to mid-size rooms,
   RT60 in ``synthetic_rt60_range``, microphone 0.3-3 m away; the corpus rooms are wet halls), or
   all of them when there are no RIR files; its draws follow the real room's in the room stream,
   so mixtures with ``p_synthetic_rir = 0`` are bit-identical to those made before the option.
   **Microphone colour** (``p_speech_eq``, default 0: off, bit-identical): the speech alone goes
   through a random parametric EQ (gains within ±``speech_eq_max_gain_db``), which stays in the
   target: a talker's microphone and placement colour the voice, not the room's other sounds.
   **Recording floor** (``p_speech_floor``, default 0: off, bit-identical): stationary coloured
   noise ``speech_floor_db_range`` below the speech's active level is added to the speech, so to
   the target, as a real "clean" recording carries its room tone and preamp hiss. Leaving the
   corpus's noisy-floor clips out of training made the model turn clean speech down
   (models/training/ablations/clean-targets/); this makes such clips from any voice.
3. **Noise** (not for speech-only items): a corpus noise crop (files shorter than the segment are
   followed by others of the same folder, 0-300 ms gaps; near-silent crops re-drawn), with
   ``p_synthetic_noise`` a synthesised one (``noises``: white/pink/brown/coloured, mains hum,
   fan/HVAC, clicks, or babble of 3-6 other speech segments of this split) that replaces the
   corpus noise or is added to it (-10..+5 dB), with ``p_second_noise`` a second corpus noise
   (-10..0 dB). Noise is not reverberated (recorded ambience already is). With
   ``p_noise_lowpass`` (default 0: off) the summed noise alone goes through a 4th-order
   Butterworth low-pass (24 dB/octave) at a log-uniform cutoff in ``noise_lowpass_hz_range``:
   low-frequency-heavy noise (traffic, HVAC, rumble, most room ambience) over speech whose high
   band is clean, which the other noise sources rarely produce. Without it the band gains learn
   that high frequencies are usually noisy and attenuate clean speech above 6 kHz
   (``benchmarks/band_gains.py``). Its draws come from a stream of their own, so mixtures with
   ``p_noise_lowpass = 0`` are bit-identical to those made before the option existed.
   With ``p_noise_speed`` (default 0: off) the corpus noise (first and second) is played at a
   speed factor log-uniform in ``noise_speed_range``, resampled (soxr HQ) like the speed
   perturbation of voices (Ko et al., Interspeech 2015): its spectrum shifts by the factor
   (0.75-1.33 is about 5 semitones either way) and its rhythm (rain, crowds, waves) speeds up or
   slows down, which makes noises the few recorded families do not contain. Its draws have a
   stream of their own too (bit-identical mixtures at 0).
   With ``p_random_noise`` (default 0: off) a domain-randomised noise (``noises.random_texture``:
   random spectral envelopes, bird- or insect-like tones, transients, under random amplitude
   modulation or bursts) replaces the noise (half of the draws) or joins it at -5..+5 dB: a noise
   distribution too wide to be memorised, for noise families no corpus holds. Its own stream
   again (bit-identical mixtures at 0).
4. **Channel**: EQ (``p_eq``) and low-pass (``p_lowpass``, 4-16 kHz, log-uniform) are applied to
   speech AND noise, and so to the target: the model learns to denoise, not to undo a microphone
   or a codec. The low-pass lowers ``bandwidth_hz`` to its cutoff.
5. **Levels**: active speech level (P.56-style ``active_level_db``) uniform in
   ``level_dbfs_range``; noise gain from ``noise_gain_for_snr`` for an SNR uniform in
   ``snr_db_range``. Noise-only items put the noise at level - SNR; their ``snr_db`` is -inf and
   the target is zero; speech-only items have ``snr_db`` +inf and ``noisy == clean``.
   With ``level_of_mixture`` (default False: mixtures bit-identical to before) the drawn level is
   then given to the *noisy input* instead (its active level; noisy and target scaled alike, the
   SNR unchanged), for mixtures, noise-only and speech-only items alike. With the default the
   absolute level tells the model something about what it hears: noise sits at level - SNR, on
   average 7.5 dB below the speech, so quiet input is more often noise; the trained models use that
   (clean speech at -45 dBFS loses 4 dB; ``models/training/HISTORY.md``, "level_normalization").
   With it the input level of every kind has one distribution and carries no such cue.
6. **Peak**: if the noisy input or the target would exceed 0.99, both are scaled by the same
   factor (the SNR does not change). Finally, clipping (``p_clip``) of the noisy input only at
   30-80 % of its peak.
7. **Quiet lead-in** (``p_quiet_lead``, default 0: off, bit-identical): the segment's first
   ``quiet_lead_s_range`` seconds (uniform) are replaced in the noisy input by something quiet:
   hiss (white to pink noise, RMS ``quiet_lead_hiss_dbfs_range``,
   as dither or a preamp's own noise), mains hum (``noises.hum``, RMS ``quiet_lead_hum_dbfs_range``,
   a muted microphone) or the mixture's own noise turned down by ``quiet_lead_fade_db_range`` (a
   fade-in, a gain raised after the start; hiss instead where the item has no noise), a third each.
   ``quiet_lead_target`` says what the target holds there: ``silence`` (the lead-in is noise), or
   ``lead`` (the lead-in as it is: a quiet start is also how every clean recording begins, with its
   own floor, so the network is taught only what follows the lead-in, not to remove a quiet start;
   models/training/ablations/quiet-lead/).
   The engine's noise-floor tracker (``kernels/floor.py``) falls to such a lead-in and rises
   5 dB/s afterwards, so for seconds the noise that follows stands far above "the floor": a
   network trained only on segments that start with the recording never sees that and keeps the
   noise (README "Quiet lead-ins"). The item's SNR, level and bandwidth describe the rest of
   the segment. Its own stream (bit-identical mixtures at 0). Not used by the shipped models: 1500
   steps of it halved the hum's cost at best and cost clean speech pass-through; file processing's
   look-ahead (``hance_plugin/lead_in.py``) does the job.

Memory: decoded 48 kHz audio is cached per process as int16 (+ one float scale per file: 16-bit
precision, half the memory of float32) in an LRU bounded by ``cache_mb``. The whole shared corpus
(97 min speech + 35 min noise train) is about 0.8 GB. ``preload()`` fills the cache; call it before
forking DataLoader workers so they share the pages copy-on-write, otherwise every worker fills
its own cache lazily. Pickling (spawned workers) drops the cache.

``parse_mix_overrides("p_voice_perturb=0,p_synthetic_noise=0")`` turns the text of the training
command's ``--mix`` / ``--val-mix`` into ``MixConfig`` keyword arguments (an augmentation ablation
switches one stage off; the per-stage random streams keep everything else identical).
"""

from __future__ import annotations

import fnmatch
import math
import operator
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import soundfile as sf

from . import augment, noises
from .signals import (
    MODEL_RATE_HZ,
    active_level_db,
    apply_rir,
    effective_bandwidth_hz,
    frame_energies,
    list_audio_files,
    load_mono_48k,
    noise_gain_for_snr,
    speech_bounds,
)

__all__ = ["MixConfig", "Mixture", "MixtureSource", "parse_mix_overrides", "parse_patterns", "select_speech"]

SR = MODEL_RATE_HZ
NYQUIST_HZ = SR / 2
_PEAK_LIMIT = 0.99
_REVERB_PREROLL_S = 0.5
_SYNTHETIC_ROOM_STREAM = 1_000_003  # second seed element of the simulated rooms (apart from mixture indices)
_MIN_ACTIVE_FRACTION = 0.3
_SYNTH_KINDS = ("white", "pink", "brown", "colored", "hum", "fan", "clicks", "babble")
_SYNTH_WEIGHTS = np.array([0.1, 0.1, 0.1, 0.1, 0.15, 0.15, 0.1, 0.2])

# random streams (third element of the seed); one per stage so stages do not perturb each other
(_S_PLAN, _S_SPEECH, _S_VOICE, _S_NOISE, _S_SYNTH, _S_CHANNEL, _S_BABBLE, _S_ROOM, _S_NOISE_SHAPE, _S_NOISE_SPEED,
 _S_SPEECH_FLOOR, _S_SPEECH_EQ, _S_RUNNING, _S_RANDOM_NOISE, _S_QUIET_LEAD) = range(15)
_QUIET_LEAD_KINDS = ("hiss", "hum", "fade")


@dataclass
class MixConfig:
    segment_seconds: float = 3.0
    snr_db_range: tuple[float, float] = (-5.0, 20.0)
    level_dbfs_range: tuple[float, float] = (-40.0, -10.0)  # active speech level of the mixture's speech
    p_reverb: float = 0.5
    p_second_noise: float = 0.3
    p_lowpass: float = 0.15  # low-pass of speech + noise + target; bandwidth_hz drops to the cutoff
    p_eq: float = 0.3  # mild random EQ of speech + noise + target (the model must not undo EQ)
    p_clip: float = 0.03  # clipping of the noisy input only
    p_noise_only: float = 0.05  # target is silence
    p_speech_only: float = 0.05  # target is the input: model must pass clean speech untouched
    p_synthetic_noise: float = 0.3  # a synthesised noise instead of / added to a corpus noise
    p_voice_perturb: float = 0.5  # speed / pitch / formant perturbation of speech
    voice_speed_range: tuple[float, float] = (0.9, 1.1)  # speed factor (tempo, f0 and formants)
    voice_pitch_semitones: float = 3.0  # formant-preserving f0 shift, uniform in +-this
    voice_formant_range: tuple[float, float] = (0.87, 1.15)  # envelope warp factor (log-uniform)
    p_noise_lowpass: float = 0.0  # low-pass of the noise only (clean high band over LF noise); 0 = off
    noise_lowpass_hz_range: tuple[float, float] = (1000.0, 8000.0)  # its cutoff (log-uniform)
    p_noise_speed: float = 0.0  # speed perturbation of the corpus noise (new noise spectra and rhythms); 0 = off
    level_of_mixture: bool = False  # level_dbfs_range sets the noisy input's active level, for every kind alike
    noise_speed_range: tuple[float, float] = (0.75, 1.33)  # its factor (log-uniform; every frequency x factor)
    p_speech_floor: float = 0.0  # a steady recording floor added to the speech, so to the target; 0 = off
    speech_floor_db_range: tuple[float, float] = (-45.0, -25.0)  # its RMS relative to the speech's active level
    p_speech_eq: float = 0.0  # a random EQ of the speech alone (a microphone's colour), so of the target; 0 = off
    speech_eq_max_gain_db: float = 9.0  # its bands' gains, uniform in +-this (``augment.random_eq``)
    p_synthetic_rir: float = 0.0  # of the reverberant items, the share put through a simulated room; 0 = off
    synthetic_rirs: int = 256  # how many simulated rooms (``rooms.draw_room``) the source draws from
    synthetic_rt60_range: tuple[float, float] = (0.15, 1.0)  # their RT60 in s (log-uniform)
    p_running_speech: float = 0.0  # short files trimmed and joined with short gaps (running speech); 0 = off
    p_random_noise: float = 0.0  # domain-randomised noise (noises.random_texture) replaces / joins the noise; 0 = off
    running_gap_s_range: tuple[float, float] = (0.02, 0.15)  # its gaps between files, s (uniform)
    p_quiet_lead: float = 0.0  # a quiet lead-in (hiss, hum, the noise turned down) replaces the segment's start; 0 = off
    quiet_lead_s_range: tuple[float, float] = (0.3, 2.0)  # its length, s (uniform)
    quiet_lead_hiss_dbfs_range: tuple[float, float] = (-105.0, -75.0)  # hiss RMS, dBFS (uniform)
    quiet_lead_hum_dbfs_range: tuple[float, float] = (-100.0, -65.0)  # hum RMS, dBFS (uniform)
    quiet_lead_fade_db_range: tuple[float, float] = (20.0, 45.0)  # how far the own noise is turned down, dB (uniform)
    quiet_lead_target: str = "silence"  # the target during the lead-in: "silence" or "lead" (the lead-in as it is)
    augment: bool = True  # False -> plain mixing (one corpus noise, no other augmentation)

    def __post_init__(self) -> None:
        if self.segment_seconds <= 0:
            raise ValueError("segment_seconds must be positive")
        if self.p_noise_only + self.p_speech_only > 1:
            raise ValueError("p_noise_only + p_speech_only must not exceed 1")
        for name in ("voice_speed_range", "voice_formant_range", "noise_speed_range"):
            lo, hi = getattr(self, name)
            if not 0.5 <= lo <= hi <= 2.0:
                raise ValueError(f"{name} must satisfy 0.5 <= low <= high <= 2, got {lo}:{hi}")
        lo, hi = self.noise_lowpass_hz_range
        if not 100.0 <= lo <= hi <= 20000.0:
            raise ValueError(f"noise_lowpass_hz_range must satisfy 100 <= low <= high <= 20000 Hz, got {lo}:{hi}")
        if not 0.0 <= self.voice_pitch_semitones <= 12.0:
            raise ValueError(f"voice_pitch_semitones must be in 0..12, got {self.voice_pitch_semitones}")
        for name in ("p_noise_speed", "p_speech_floor", "p_speech_eq", "p_synthetic_rir", "p_running_speech",
                     "p_random_noise", "p_quiet_lead"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability, got {getattr(self, name)}")
        lo, hi = self.speech_floor_db_range
        if not -80.0 <= lo <= hi <= -10.0:
            raise ValueError(f"speech_floor_db_range must satisfy -80 <= low <= high <= -10 dB, got {lo}:{hi}")
        if not 0.0 <= self.speech_eq_max_gain_db <= 18.0:
            raise ValueError(f"speech_eq_max_gain_db must be in 0..18 dB, got {self.speech_eq_max_gain_db}")
        lo, hi = self.running_gap_s_range
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"running_gap_s_range must satisfy 0 <= low <= high <= 1 s, got {lo}:{hi}")
        lo, hi = self.quiet_lead_s_range
        if not 0.0 < lo <= hi <= 10.0:
            raise ValueError(f"quiet_lead_s_range must satisfy 0 < low <= high <= 10 s, got {lo}:{hi}")
        if self.p_quiet_lead > 0 and hi >= self.segment_seconds:  # a lead-in must leave some of the segment
            raise ValueError(f"quiet_lead_s_range's high end ({hi:g} s) must be below segment_seconds "
                             f"({self.segment_seconds:g} s) when p_quiet_lead > 0")
        for name in ("quiet_lead_hiss_dbfs_range", "quiet_lead_hum_dbfs_range"):
            lo, hi = getattr(self, name)
            if not -140.0 <= lo <= hi <= -40.0:
                raise ValueError(f"{name} must satisfy -140 <= low <= high <= -40 dBFS, got {lo}:{hi}")
        if self.quiet_lead_target not in ("silence", "lead"):
            raise ValueError(f"quiet_lead_target must be 'silence' or 'lead', got {self.quiet_lead_target!r}")
        lo, hi = self.quiet_lead_fade_db_range
        if not 0.0 <= lo <= hi <= 80.0:
            raise ValueError(f"quiet_lead_fade_db_range must satisfy 0 <= low <= high <= 80 dB, got {lo}:{hi}")
        if self.synthetic_rirs < 1:
            raise ValueError(f"synthetic_rirs must be at least 1, got {self.synthetic_rirs}")
        lo, hi = self.synthetic_rt60_range
        if not 0.05 <= lo <= hi <= 3.0:
            raise ValueError(f"synthetic_rt60_range must satisfy 0.05 <= low <= high <= 3 s, got {lo}:{hi}")


def parse_mix_overrides(text: str) -> dict:
    """``"p_voice_perturb=0,augment=false"`` -> ``{"p_voice_perturb": 0.0, "augment": False}``.

    Keys are ``MixConfig`` fields; values are converted to the field's type (bool accepts
    true/false/1/0/yes/no). ``segment_seconds`` is not allowed (it is ``--segment-seconds``).
    Raises ``ValueError`` naming the bad key or value.
    """
    defaults = MixConfig()
    kinds = {f.name: type(getattr(defaults, f.name)) for f in fields(MixConfig)}
    kinds.pop("segment_seconds")
    out: dict = {}
    for part in (p.strip() for p in str(text or "").split(",")):
        if not part:
            continue
        key, sep, raw = part.partition("=")
        key, raw = key.strip().replace("-", "_"), raw.strip()
        if not sep or not raw:
            raise ValueError(f"mix override {part!r} is not key=value")
        if key not in kinds:
            raise ValueError(f"unknown mix setting {key!r}; one of: {', '.join(sorted(kinds))}")
        kind = kinds[key]
        if kind is bool:
            low = raw.lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"mix setting {key} wants true/false, got {raw!r}")
            out[key] = low in ("true", "1", "yes")
        elif kind is tuple:
            try:
                lo, hi = (float(v) for v in raw.split(":"))
            except ValueError:
                raise ValueError(f"mix setting {key} wants low:high, got {raw!r}") from None
            out[key] = (lo, hi)
        else:
            try:
                out[key] = kind(raw)
            except ValueError:
                raise ValueError(f"mix setting {key} wants a {kind.__name__}, got {raw!r}") from None
            if key.startswith("p_") and not 0.0 <= out[key] <= 1.0:
                raise ValueError(f"mix setting {key} is a probability, got {raw!r}")
    if out:
        MixConfig(**out)  # the config's own checks (e.g. probabilities that exceed 1 together)
    return out


@dataclass
class Mixture:
    noisy: np.ndarray  # float32 (n,) at 48 kHz
    clean: np.ndarray  # float32 (n,) the target: (reverberant) speech, same scaling as inside noisy
    bandwidth_hz: float  # upper limit of valid target content; the loss ignores bins above it
    snr_db: float  # +inf for speech-only, -inf for noise-only items
    meta: dict = field(default_factory=dict)  # files, offsets, augmentations


class _LruCache:
    """path -> (int16 samples, scale) with a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Path, tuple[np.ndarray, float]] = OrderedDict()

    def get(self, path: Path) -> tuple[np.ndarray, float] | None:
        item = self._items.get(path)
        if item is not None:
            self._items.move_to_end(path)
        return item

    def put(self, path: Path, item: tuple[np.ndarray, float]) -> None:
        self._items[path] = item
        self.bytes += item[0].nbytes
        while self.bytes > self.max_bytes and len(self._items) > 1:
            _, (old, _) = self._items.popitem(last=False)
            self.bytes -= old.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


def _as_dirs(dirs) -> list[Path]:
    if dirs is None:
        return []
    if isinstance(dirs, (str, Path)):
        return [Path(dirs)]
    return [Path(d) for d in dirs]


def _scan(dirs: list[Path]) -> list[tuple[Path, float]]:
    """(path, seconds) of every readable audio file under ``dirs``, in a stable order."""
    out = []
    for directory in dirs:
        for path in list_audio_files(directory):
            info = sf.info(str(path))
            seconds = info.frames / info.samplerate
            if seconds > 0.05:
                out.append((path, seconds))
    return out


def parse_patterns(text: str) -> tuple[str, ...]:
    """``"a/*, b/*"`` -> ``("a/*", "b/*")`` (comma-separated glob patterns; empty text -> ``()``)."""
    return tuple(p.strip() for p in str(text or "").split(",") if p.strip())


def parse_weights(text: str) -> tuple[tuple[str, float], ...]:
    """``"nist/*=1.2, kde/*=0.5"`` -> ``(("nist/*", 1.2), ("kde/*", 0.5))``: comma-separated
    ``glob=weight`` pairs (``MixtureSource``'s ``speech_weights``); empty text -> ``()``. A weight
    must be a finite number above 0."""
    out = []
    for item in parse_patterns(text):
        pattern, sep, value = item.rpartition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = float("nan")
        if not sep or not pattern.strip() or not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"speech weight {item!r} is not glob=weight with a weight above 0")
        out.append((pattern.strip(), weight))
    return tuple(out)


def select_speech(relative_path: str, include: tuple[str, ...] | None, exclude: tuple[str, ...]) -> bool:
    """Whether a file (``relative_path`` under its speech or noise folder, ``/``-separated) is used:
    it matches one of ``include`` (``None`` = everything) and none of ``exclude`` (``fnmatch``)."""
    if include is not None and not any(fnmatch.fnmatchcase(relative_path, p) for p in include):
        return False
    return not any(fnmatch.fnmatchcase(relative_path, p) for p in exclude)


def _select(
    dirs: list[Path], include: tuple[str, ...] | None, exclude: tuple[str, ...], what: str
) -> list[tuple[Path, float]]:
    """``_scan(dirs)`` restricted by ``select_speech``. A pattern that matches no file is an error
    (a typo must not select silently), and so is a selection that keeps nothing."""
    scanned = [(d, p, s) for d in dirs for p, s in _scan([d])]
    relative = [p.relative_to(d).as_posix() for d, p, _ in scanned]
    for pattern in (*(include or ()), *exclude):
        if not any(fnmatch.fnmatchcase(r, pattern) for r in relative):
            raise ValueError(f"{what} pattern {pattern!r} matches no file under {[str(d) for d in dirs]}")
    kept = [(path, seconds) for (_, path, seconds), rel in zip(scanned, relative) if select_speech(rel, include, exclude)]
    if scanned and not kept:
        raise ValueError(
            f"no {what} files left under {[str(d) for d in dirs]} "
            f"(include {list(include or ['*'])!r}, exclude {list(exclude)!r})"
        )
    return kept


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if x.shape[0] >= n else np.pad(x, (0, n - x.shape[0]))


def _trim_rir(rir: np.ndarray) -> np.ndarray:
    """Cut the RIR where its energy decay curve (from the direct path) reaches -60 dB, 10 ms fade."""
    direct = int(np.argmax(np.abs(rir)))
    energy = np.cumsum(np.square(rir[direct:], dtype=np.float64)[::-1])[::-1]
    below = np.nonzero(energy < energy[0] * 1e-6)[0]
    end = direct + (int(below[0]) if below.size else energy.shape[0])
    out = rir[:end].astype(np.float32)
    fade = min(out.shape[0] - direct, int(0.01 * SR))
    if fade > 1:
        out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out


class MixtureSource:
    """Map-style source of seeded training mixtures (see the module docstring)."""

    def __init__(
        self,
        speech_dirs: list[Path],
        noise_dirs: list[Path],
        rir_dirs: list[Path],
        config: MixConfig,
        seed: int,
        *,
        cache_mb: float = 2048.0,
        speech_include: tuple[str, ...] | None = None,
        speech_exclude: tuple[str, ...] = (),
        noise_include: tuple[str, ...] | None = None,
        noise_exclude: tuple[str, ...] = (),
        speech_weights: tuple[tuple[str, float], ...] = (),
    ) -> None:
        """``speech_include`` / ``speech_exclude``: glob patterns (``fnmatch``) on a speech file's
        path relative to its speech folder, e.g. ``nist_mrt_fullband/M4_*``: keep only matching
        files / drop matching files (a talker held out of training, see ``select_speech``).
        ``noise_include`` / ``noise_exclude`` do the same for corpus noise files, relative to their
        noise folder, e.g. ``0ad_ambient_weather/wind*`` (a noise family held out of training).
        ``speech_weights``: ``(glob, weight)`` pairs on the same relative paths (``parse_weights``);
        a kept speech file is drawn ``weight`` times as often per second as an unweighted one (the
        first matching pattern counts; a pattern matching no kept file is an error)."""
        self.config = config
        self.seed = int(seed)
        if self.seed < 0:
            raise ValueError("seed must be non-negative")
        speech = _select(_as_dirs(speech_dirs), speech_include, speech_exclude, "speech")
        if not speech:
            raise ValueError(f"no speech files under {speech_dirs}")
        self._speech = [p for p, _ in speech]
        self._speech_weight = self._weights(_as_dirs(speech_dirs), self._speech, speech_weights)
        # the concatenation files are drawn from: each file counts weight x its seconds
        seconds = np.array([s for _, s in speech]) * self._speech_weight
        self._speech_seconds = float(seconds.sum())
        self._speech_end = np.cumsum(seconds)
        self._speech_start = self._speech_end - seconds
        self._speech_group = self._groups(self._speech)
        noise = _select(_as_dirs(noise_dirs), noise_include, noise_exclude, "noise")
        self._noise = [p for p, _ in noise]
        noise_seconds = np.array([s for _, s in noise])
        self._noise_p = noise_seconds / noise_seconds.sum() if noise else None
        self._noise_group = self._groups(self._noise)
        self._rir_paths = [p for d in _as_dirs(rir_dirs) for p in list_audio_files(d)]
        self._rirs: dict[int, np.ndarray] = {}
        self._synthetic_rirs: dict[int, np.ndarray] = {}
        self._roots = [Path(d) for d in _as_dirs(speech_dirs) + _as_dirs(noise_dirs) + _as_dirs(rir_dirs)]
        self._seg_n = int(round(config.segment_seconds * SR))
        self._len = max(1, int(self._speech_seconds // config.segment_seconds))
        self._cache = _LruCache(int(cache_mb * 2**20))
        self._stats: dict[int, tuple[float, float]] = {}  # speech file -> (bandwidth Hz, active level dB)
        self._bounds: dict[int, tuple[int, int]] = {}  # speech file -> its speech without silence (samples)

    @classmethod
    def from_shared_data(
        cls,
        data_dir: Path,
        split: str,
        config: MixConfig,
        seed: int,
        *,
        allow_test: bool = False,
        speech_split: str | None = None,
        noise_split: str | None = None,
        rir_split: str | None = None,
        **kwargs,
    ) -> MixtureSource:
        """``data_dir/{speech,noise,rir}/<split>``; a split without RIRs (val) gets no reverb.

        ``speech_split`` / ``noise_split`` take the speech / the corpus noise from another split
        (default: ``split``): a talker held out of training (``speech_exclude``) is scored on its
        train-split files mixed with val noise, a noise family held out of training
        (``noise_exclude``) on its train-split files under val speech. ``rir_split`` takes the
        rooms from another split: the val split has none, so ``rir_split='train'`` gives val
        mixtures reverb (``p_reverb``) in the training rooms, the only way to look at reverberant
        speech on val. ``'test'`` in any of them is refused unless ``allow_test=True`` (for
        evaluation code, never training).
        """
        speech_split = split if speech_split is None else speech_split
        noise_split = split if noise_split is None else noise_split
        if "test" in (split, speech_split, noise_split, rir_split) and not allow_test:
            raise ValueError("the test split must not feed training; pass allow_test=True for evaluation")
        data_dir = Path(data_dir)
        speech = data_dir / "speech" / speech_split
        if not speech.is_dir():
            raise FileNotFoundError(f"no speech for split {speech_split!r} under {data_dir}")
        noise_dir = data_dir / "noise" / noise_split
        if noise_split != split and not noise_dir.is_dir():
            raise FileNotFoundError(f"no noise for split {noise_split!r} under {data_dir}")
        noise = [noise_dir] if noise_dir.is_dir() else []
        if rir_split is not None and not (data_dir / "rir" / rir_split).is_dir():
            raise FileNotFoundError(f"no room impulse responses for split {rir_split!r} under {data_dir}")
        rir_split = split if rir_split is None else rir_split
        rir = [data_dir / "rir" / rir_split] if (data_dir / "rir" / rir_split).is_dir() else []
        return cls([speech], noise, rir, config, seed, **kwargs)

    # ------------------------------------------------------------------------------------ plumbing

    @staticmethod
    def _weights(dirs: list[Path], paths: list[Path], weights: tuple[tuple[str, float], ...]) -> np.ndarray:
        """Each file's draw weight (``speech_weights``: first matching pattern, else 1)."""
        out = np.ones(len(paths))
        relative = [next(p.relative_to(d).as_posix() for d in dirs if p.is_relative_to(d)) for p in paths]
        for pattern, weight in weights:
            if not (math.isfinite(weight) and weight > 0):
                raise ValueError(f"speech weight of {pattern!r} must be above 0, got {weight}")
            if not any(fnmatch.fnmatchcase(r, pattern) for r in relative):
                raise ValueError(f"speech weight pattern {pattern!r} matches no speech file under "
                                 f"{[str(d) for d in dirs]}")
        for i, r in enumerate(relative):
            for pattern, weight in weights:
                if fnmatch.fnmatchcase(r, pattern):
                    out[i] = weight
                    break
        return out

    @staticmethod
    def _groups(paths: list[Path]) -> list[np.ndarray]:
        """For each file, the indices of the files in its folder (itself included)."""
        by_dir: dict[Path, list[int]] = {}
        for i, path in enumerate(paths):
            by_dir.setdefault(path.parent, []).append(i)
        members = {d: np.array(v) for d, v in by_dir.items()}
        return [members[p.parent] for p in paths]

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_cache"] = _LruCache(self._cache.max_bytes)
        return state

    def _entry(self, path: Path, speech_index: int | None = None) -> tuple[np.ndarray, float]:
        item = self._cache.get(path)
        if item is None:
            x = load_mono_48k(path)
            if speech_index is not None and speech_index not in self._stats:
                self._stats[speech_index] = (effective_bandwidth_hz(x), active_level_db(x))
            peak = float(np.max(np.abs(x))) if x.size else 0.0
            scale = peak / 32767.0 if peak > 0 else 1.0
            item = (np.round(x / scale).astype(np.int16), scale)
            self._cache.put(path, item)
        return item

    def _speech_audio(self, i: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        q, scale = self._entry(self._speech[i], i)
        return q[start:stop].astype(np.float32) * np.float32(scale)

    def _speech_len(self, i: int) -> int:
        return self._entry(self._speech[i], i)[0].shape[0]

    def _speech_stats(self, i: int) -> tuple[float, float]:
        """(effective bandwidth Hz, active level dB) of speech file i, computed once per process."""
        if i not in self._stats:
            if self._cache.get(self._speech[i]) is None:
                self._entry(self._speech[i], i)  # computes the statistics from the float audio
            else:  # cached by another path (e.g. a file that is also listed as noise)
                x = self._speech_audio(i)
                self._stats[i] = (effective_bandwidth_hz(x), active_level_db(x))
        return self._stats[i]

    def _noise_audio(self, i: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        q, scale = self._entry(self._noise[i])
        return q[start:stop].astype(np.float32) * np.float32(scale)

    def _rir(self, i: int) -> np.ndarray:
        if i not in self._rirs:
            self._rirs[i] = _trim_rir(load_mono_48k(self._rir_paths[i]))
        return self._rirs[i]

    def _synthetic_rir(self, k: int) -> np.ndarray:
        """Simulated room ``k`` (``rooms``), seeded by (source seed, k), trimmed like a real one."""
        if k not in self._synthetic_rirs:
            from . import rooms

            room = rooms.draw_room(np.random.default_rng([self.seed, _SYNTHETIC_ROOM_STREAM, k]), self.config.synthetic_rt60_range)
            self._synthetic_rirs[k] = _trim_rir(rooms.shoebox_rir(room))
        return self._synthetic_rirs[k]

    def _name(self, path: Path) -> str:
        for root in self._roots:
            try:
                return str(path.relative_to(root.parent))
            except ValueError:
                continue
        return str(path)

    def preload(self) -> None:
        """Decode every file into the cache (and compute speech statistics) now."""
        for i in range(len(self._speech)):
            self._speech_stats(i)
        for i in range(len(self._noise)):
            self._entry(self._noise[i])
        for i in range(len(self._rir_paths)):
            self._rir(i)

    # ------------------------------------------------------------------------------------- speech

    def _active_fraction(self, x: np.ndarray, level_db: float) -> float:
        energy = frame_energies(x)
        if energy.size == 0:
            return 0.0
        return float(np.mean(10 * np.log10(energy + 1e-20) > level_db - 30.0))

    def _follower(self, rng: np.random.Generator, i: int, bandwidth_hz: float) -> int:
        """Next file for a concatenation: of three random files of i's folder, the one whose
        bandwidth is closest to ``bandwidth_hz`` (lower ones count double: they cut the segment's
        valid band, higher ones only waste some of their own)."""
        candidates = [int(j) for j in rng.choice(self._speech_group[i], 3)]

        def cost(j: int) -> float:
            ratio = math.log(max(self._speech_stats(j)[0], 1.0) / max(bandwidth_hz, 1.0))
            return -2 * ratio if ratio < 0 else ratio

        return min(candidates, key=cost)

    def _speech_bounds(self, i: int) -> tuple[int, int]:
        """(start, stop) samples of speech file i without its leading and trailing silence
        (``signals.speech_bounds``), computed once per process."""
        if i not in self._bounds:
            self._bounds[i] = speech_bounds(self._speech_audio(i))
        return self._bounds[i]

    def _speech_track(self, rng: np.random.Generator, n: int, i: int, offset_s: float,
                      running: bool = False) -> tuple[np.ndarray, float, list]:
        """n samples of speech starting from file i; returns (track, valid bandwidth, pieces).

        ``running``: files shorter than the track are trimmed (``_speech_bounds``) and joined with
        gaps in ``running_gap_s_range`` instead of 50-500 ms (``MixConfig.p_running_speech``)."""
        length = self._speech_len(i)
        bandwidth, level_db = self._speech_stats(i)
        if length >= n:
            start = min(int(offset_s * SR), length - n)
            best = None
            for _ in range(8):
                crop = self._speech_audio(i, start, start + n)
                fraction = self._active_fraction(crop, level_db)
                if best is None or fraction > best[0]:
                    best = (fraction, start, crop)
                if fraction >= _MIN_ACTIVE_FRACTION:
                    break
                start = int(rng.integers(0, length - n + 1))
            _, start, crop = best
            return crop, bandwidth, [(self._name(self._speech[i]), start, n, 0)]
        track = np.zeros(n, dtype=np.float32)
        position = int(rng.integers(0, int(0.2 * SR)))
        pieces = []
        current = i
        gaps_s = self.config.running_gap_s_range if running else (0.05, 0.5)
        while position < n and len(pieces) < 64:
            start, stop = self._speech_bounds(current) if running else (0, None)
            x = self._speech_audio(current, start, stop)
            take = min(x.shape[0], n - position)
            track[position : position + take] = x[:take]
            pieces.append((self._name(self._speech[current]), start, take, position))
            bandwidth = min(bandwidth, self._speech_stats(current)[0])
            position += take + int(rng.uniform(*gaps_s) * SR)
            current = self._follower(rng, current, bandwidth)
        return track, bandwidth, pieces

    def _random_speech_position(self, rng: np.random.Generator) -> tuple[int, float]:
        position = rng.uniform(0.0, self._speech_seconds)
        i = int(np.searchsorted(self._speech_end, position, side="right"))
        i = min(i, len(self._speech) - 1)
        return i, (position - self._speech_start[i]) / self._speech_weight[i]

    def _speech_eq(self, rng: np.random.Generator, speech: np.ndarray, meta: dict) -> np.ndarray:
        """``speech`` through a random EQ of its own (``MixConfig.p_speech_eq``), else unchanged: 1-3
        peaking filters and optional shelves, gains within ±``speech_eq_max_gain_db``
        (``augment.random_eq``). Unlike the channel EQ (``p_eq``), which colours speech and noise
        alike, this colours the speech alone, as a talker's microphone and placement do, and it
        stays in the target: new spectral envelopes of voices over the same noises, for the 4
        fullband training talkers. RNNoise's training (Valin 2018, ``denoise.c``: ``rand_resp``)
        likewise filters speech and noise with independent random biquads; here the parametric EQ
        of the channel stage, stronger. Its draws have a stream of their own, so
        mixtures with ``p_speech_eq = 0`` are bit-identical to those made before the option existed."""
        cfg = self.config
        (use,) = rng.random(1)
        sos, bands = augment.random_eq(rng, max_gain_db=cfg.speech_eq_max_gain_db)
        if use >= cfg.p_speech_eq or not np.any(speech):
            return speech
        meta["speech_eq"] = bands
        return augment.apply_sos(speech, sos)

    def _speech_floor(self, rng: np.random.Generator, speech: np.ndarray, bandwidth_hz: float, meta: dict) -> np.ndarray:
        """``speech`` with a recording floor added (``MixConfig.p_speech_floor``), else unchanged:
        stationary coloured noise (PSD ∝ 1/f^a, a uniform in 0..2: white to brown), low-passed at
        the speech's bandwidth when that is below Nyquist (a band-limited recording's floor is
        band-limited too), its RMS ``speech_floor_db_range`` below the speech's active level. It
        becomes part of the speech and so of the target, as the floor of a real "clean" recording
        is: the model learns to pass speech over a steady low background, which the corpus's
        noisy-floor clips taught it (models/training/ablations/clean-targets/)."""
        cfg = self.config
        use, u_db, u_exp = rng.random(3)
        if use >= cfg.p_speech_floor or not np.any(speech):
            return speech
        lo, hi = cfg.speech_floor_db_range
        floor_db = float(lo + u_db * (hi - lo))
        exponent = float(2.0 * u_exp)
        floor = noises.colored_noise(rng, speech.shape[0], exponent)
        if bandwidth_hz < 0.95 * NYQUIST_HZ:
            floor = augment.apply_sos(floor, augment.lowpass(bandwidth_hz))
        floor *= np.float32(10 ** ((active_level_db(speech) + floor_db - _rms_db(floor)) / 20))
        meta["speech_floor"] = {"db": floor_db, "exponent": exponent}
        return (speech + floor).astype(np.float32)

    # -------------------------------------------------------------------------------------- noise

    def _corpus_noise(self, rng: np.random.Generator, n: int, speed: float = 1.0) -> tuple[np.ndarray | None, dict]:
        """A unit-RMS corpus noise crop of n samples (None if there are no noise files).

        ``speed`` != 1: a crop of about n x speed samples played ``speed`` times faster
        (``augment.speed_perturb``), so every frequency and rate of the noise scales by ``speed``.
        """
        if not self._noise:
            return None, {}
        if speed != 1.0:
            x, info = self._corpus_noise(rng, int(math.ceil(n * speed)) + 16)
            if x is None:
                return None, {}
            x = _fit(augment.speed_perturb(x, speed), n)
            return x / np.float32(10 ** (_rms_db(x) / 20)), dict(info, speed=speed)
        for _ in range(6):
            i = int(rng.choice(len(self._noise), p=self._noise_p))
            length = self._entry(self._noise[i])[0].shape[0]
            pieces = []
            if length >= n:
                start = int(rng.integers(0, length - n + 1))
                x = self._noise_audio(i, start, start + n)
                pieces.append((self._name(self._noise[i]), start, n, 0))
            else:
                x = np.zeros(n, dtype=np.float32)
                position, current = 0, i
                start = int(rng.integers(0, length))
                while position < n and len(pieces) < 256:
                    piece = self._noise_audio(current, start)
                    take = min(piece.shape[0], n - position)
                    x[position : position + take] = piece[:take]
                    pieces.append((self._name(self._noise[current]), start, take, position))
                    position += take + int(rng.uniform(0.0, 0.3) * SR)
                    current, start = int(rng.choice(self._noise_group[i])), 0
            if _rms_db(x) > -70.0:
                return x / np.float32(10 ** (_rms_db(x) / 20)), {"kind": "corpus", "pieces": pieces}
        return None, {}

    def _synthetic_noise(self, rng: np.random.Generator, babble_rng: np.random.Generator, n: int, avoid: int):
        kind = str(rng.choice(_SYNTH_KINDS, p=_SYNTH_WEIGHTS / _SYNTH_WEIGHTS.sum()))
        if kind != "babble":
            return noises.synthesize(rng, n, kind)
        clips, names = [], []
        for _ in range(int(babble_rng.integers(3, 7))):
            i, offset = self._random_speech_position(babble_rng)
            if i == avoid and len(self._speech) > 1:
                i = (i + 1) % len(self._speech)
                offset = 0.0
            clip, _, pieces = self._speech_track(babble_rng, n, i, offset)
            clips.append(clip)
            names.append(pieces[0][0])
        return noises.babble(babble_rng, clips), {"kind": "babble", "talkers": names}

    # ------------------------------------------------------------------------------------ mixture

    def _quiet_lead(self, rng: np.random.Generator, noisy: np.ndarray, clean: np.ndarray, has_noise: bool,
                    meta: dict) -> tuple[np.ndarray, np.ndarray]:
        """Step 7: with ``p_quiet_lead``, the first stretch of ``noisy`` becomes a quiet lead-in and that
        of ``clean`` silence or the same lead-in (``quiet_lead_target``; new arrays, the inputs are left
        alone). All numbers are drawn first."""
        cfg = self.config
        use, u_kind, u_len, u_level, u_exp = rng.random(5)
        if use >= cfg.p_quiet_lead:
            return noisy, clean
        kind = _QUIET_LEAD_KINDS[min(int(u_kind * 3), 2)]
        if kind == "fade" and not has_noise:
            kind = "hiss"
        lo, hi = cfg.quiet_lead_s_range
        k = min(int(round((lo + u_len * (hi - lo)) * SR)), noisy.size)
        info: dict = {"kind": kind, "seconds": k / SR}
        if kind == "fade":
            lo, hi = cfg.quiet_lead_fade_db_range
            down_db = lo + u_level * (hi - lo)
            lead = (noisy[:k] - clean[:k]) * np.float32(10 ** (-down_db / 20))
            info["down_db"] = float(down_db)
        else:
            lo, hi = cfg.quiet_lead_hiss_dbfs_range if kind == "hiss" else cfg.quiet_lead_hum_dbfs_range
            level_dbfs = lo + u_level * (hi - lo)
            shape = noises.colored_noise(rng, k, exponent=float(u_exp)) if kind == "hiss" else noises.hum(rng, k)
            lead = shape * np.float32(10 ** (level_dbfs / 20))
            info["rms_dbfs"] = float(level_dbfs)
        noisy, clean = noisy.copy(), clean.copy()
        noisy[:k] = lead
        clean[:k] = lead if cfg.quiet_lead_target == "lead" else 0.0
        meta["quiet_lead"] = info
        return noisy, clean

    def __getitem__(self, index: int) -> Mixture:
        index = operator.index(index)
        if index < 0:
            raise IndexError("index must be non-negative")
        cfg = self.config
        aug = cfg.augment
        n = self._seg_n

        def stream(k: int) -> np.random.Generator:
            return np.random.default_rng([self.seed, index, k])

        # the plan: every number drawn unconditionally, in a fixed order
        plan = stream(_S_PLAN)
        u = plan.random(8)
        snr_db = float(plan.uniform(*cfg.snr_db_range))
        level_db = float(plan.uniform(*cfg.level_dbfs_range))
        stratum_u = float(plan.random())
        if not aug:
            kind = "mix"
        elif u[0] < cfg.p_noise_only:
            kind = "noise_only"
        elif u[0] < cfg.p_noise_only + cfg.p_speech_only:
            kind = "speech_only"
        else:
            kind = "mix"
        have_rooms = bool(self._rir_paths) or cfg.p_synthetic_rir > 0
        use_reverb = aug and have_rooms and u[1] < cfg.p_reverb and kind != "noise_only"
        use_second = aug and u[2] < cfg.p_second_noise
        use_lowpass = aug and u[3] < cfg.p_lowpass
        use_eq = aug and u[4] < cfg.p_eq
        use_clip = aug and u[5] < cfg.p_clip and kind != "speech_only"
        use_synth = aug and u[6] < cfg.p_synthetic_noise
        use_voice = aug and u[7] < cfg.p_voice_perturb and kind != "noise_only"
        meta: dict = {"seed": self.seed, "index": index, "kind": kind}
        bandwidth = NYQUIST_HZ

        # 1-2. speech, voice, room
        speech = None
        primary = -1
        if kind != "noise_only":
            speech_rng = stream(_S_SPEECH)
            position = ((index % self._len) + stratum_u) * cfg.segment_seconds % self._speech_seconds
            primary = min(int(np.searchsorted(self._speech_end, position, side="right")), len(self._speech) - 1)
            offset_s = (position - self._speech_start[primary]) / self._speech_weight[primary]
            voice = (
                augment.random_voice_params(
                    stream(_S_VOICE), cfg.voice_speed_range, cfg.voice_pitch_semitones, cfg.voice_formant_range
                )
                if use_voice
                else None
            )
            pre = int(_REVERB_PREROLL_S * SR) if use_reverb else 0
            need = n + pre
            raw_n = int(math.ceil(need * (voice["speed"] if voice else 1.0))) + 16
            running = bool(stream(_S_RUNNING).random() < cfg.p_running_speech)
            track, bandwidth, pieces = self._speech_track(speech_rng, raw_n, primary, offset_s, running)
            if running:
                meta["running"] = True
            meta["speech"] = {"pieces": pieces, "bandwidth_hz": bandwidth}
            if voice is not None:
                track, bandwidth, meta["voice"] = augment.perturb_voice(track, voice, bandwidth)
            track = _fit(track, need)
            if use_reverb:
                room_rng = stream(_S_ROOM)
                r = int(room_rng.integers(0, len(self._rir_paths))) if self._rir_paths else -1
                # drawn after the real room, so p_synthetic_rir=0 leaves earlier mixtures unchanged
                if cfg.p_synthetic_rir > 0 and (r < 0 or room_rng.random() < cfg.p_synthetic_rir):
                    k = int(room_rng.integers(0, cfg.synthetic_rirs))
                    track = apply_rir(track, self._synthetic_rir(k))
                    meta["rir"] = f"synthetic/{k}"
                else:
                    track = apply_rir(track, self._rir(r))
                    meta["rir"] = self._name(self._rir_paths[r])
            speech = np.ascontiguousarray(track[pre:], dtype=np.float32)
            if aug and cfg.p_speech_eq > 0:
                speech = self._speech_eq(stream(_S_SPEECH_EQ), speech, meta)
            if aug and cfg.p_speech_floor > 0:
                speech = self._speech_floor(stream(_S_SPEECH_FLOOR), speech, bandwidth, meta)

        # 3. noise
        noise = None
        if kind != "speech_only":
            noise_rng = stream(_S_NOISE)
            draws = noise_rng.random(1)
            synth_replaces = draws[0] < 0.5
            synth_gain_db = float(noise_rng.uniform(-10.0, 5.0))
            second_gain_db = float(noise_rng.uniform(-10.0, 0.0))
            noise_speed = 1.0
            if aug and cfg.p_noise_speed > 0:
                use_noise_speed, u_speed = stream(_S_NOISE_SPEED).random(2)
                if use_noise_speed < cfg.p_noise_speed:
                    lo, hi = cfg.noise_speed_range
                    noise_speed = float(np.exp(np.log(lo) + u_speed * (np.log(hi) - np.log(lo))))
                    meta["noise_speed"] = noise_speed
            components = []
            if not use_synth or not synth_replaces:
                x, info = self._corpus_noise(noise_rng, n, noise_speed)
                if x is not None:
                    components.append((x, 0.0, info))
            if use_synth or not components:
                x, info = self._synthetic_noise(stream(_S_SYNTH), stream(_S_BABBLE), n, primary)
                components.append((x, synth_gain_db if components else 0.0, info))
            if use_second:
                x, info = self._corpus_noise(noise_rng, n, noise_speed)
                if x is not None:
                    components.append((x, second_gain_db, info))
            if aug and cfg.p_random_noise > 0:
                random_rng = stream(_S_RANDOM_NOISE)
                use_random, random_replaces = random_rng.random(2) < (cfg.p_random_noise, 0.5)
                random_gain_db = float(random_rng.uniform(-5.0, 5.0))
                if use_random:
                    x = noises.random_texture(random_rng, n)
                    if random_replaces or not components:
                        components = [(x, 0.0, {"kind": "random_texture"})]
                    else:
                        components.append((x, random_gain_db, {"kind": "random_texture"}))
            noise = np.zeros(n, dtype=np.float32)
            for x, gain_db, _ in components:
                noise += x * np.float32(10 ** (gain_db / 20))
            meta["noise"] = [dict(info, gain_db=gain_db) for _, gain_db, info in components]
            if aug and cfg.p_noise_lowpass > 0:
                shape_rng = stream(_S_NOISE_SHAPE)
                use_noise_lowpass, u_cut = shape_rng.random(2)
                if use_noise_lowpass < cfg.p_noise_lowpass:
                    lo, hi = cfg.noise_lowpass_hz_range
                    noise_cutoff_hz = float(np.exp(np.log(lo) + u_cut * (np.log(hi) - np.log(lo))))
                    noise = augment.apply_sos(noise, augment.butter_lowpass(noise_cutoff_hz))
                    meta["noise_lowpass_hz"] = noise_cutoff_hz

        # 4. channel: same filters on speech and noise (and so on the target)
        channel_rng = stream(_S_CHANNEL)
        eq_sos, eq_bands = augment.random_eq(channel_rng)
        cutoff_hz = float(np.exp(channel_rng.uniform(np.log(4000.0), np.log(16000.0))))
        clip_fraction = float(channel_rng.uniform(0.3, 0.8))
        filters = []
        if use_eq:
            filters.append(eq_sos)
            meta["eq"] = eq_bands
        if use_lowpass:
            filters.append(augment.lowpass(cutoff_hz))
            bandwidth = min(bandwidth, cutoff_hz)
            meta["lowpass_hz"] = cutoff_hz
        for sos in filters:
            speech = augment.apply_sos(speech, sos) if speech is not None else None
            noise = augment.apply_sos(noise, sos) if noise is not None else None

        # 5. levels
        if speech is not None:
            speech *= np.float32(10 ** ((level_db - active_level_db(speech)) / 20))
            if noise is not None:
                noise *= np.float32(noise_gain_for_snr(speech, noise, snr_db))
        elif noise is not None:
            noise *= np.float32(10 ** ((level_db - snr_db - _rms_db(noise)) / 20))
        clean = speech if speech is not None else np.zeros(n, dtype=np.float32)
        noisy = clean + noise if noise is not None else clean.copy()
        if cfg.level_of_mixture and np.any(noisy):
            gain = np.float32(10 ** ((level_db - active_level_db(noisy)) / 20))
            noisy = noisy * gain
            clean = clean * gain
            meta["mixture_gain_db"] = float(20 * math.log10(gain))

        # 6. peak, clipping
        peak = max(float(np.max(np.abs(noisy))), float(np.max(np.abs(clean))))
        if peak > _PEAK_LIMIT:
            scale = np.float32(_PEAK_LIMIT / peak)
            noisy *= scale
            clean = clean * scale
            meta["peak_scale"] = float(scale)
        if use_clip:
            threshold = clip_fraction * float(np.max(np.abs(noisy)))
            noisy = augment.hard_clip(noisy, threshold)
            meta["clip_threshold"] = threshold
        if aug and cfg.p_quiet_lead > 0:
            noisy, clean = self._quiet_lead(stream(_S_QUIET_LEAD), noisy, clean, noise is not None, meta)
        if kind == "noise_only":
            snr_db = -math.inf
        elif kind == "speech_only":
            snr_db = math.inf
        meta["level_dbfs"] = active_level_db(clean) if speech is not None else -math.inf
        meta["bandwidth_hz"] = float(bandwidth)
        return Mixture(
            noisy=np.ascontiguousarray(noisy, dtype=np.float32),
            clean=np.ascontiguousarray(clean, dtype=np.float32),
            bandwidth_hz=float(bandwidth),
            snr_db=float(snr_db),
            meta=meta,
        )
