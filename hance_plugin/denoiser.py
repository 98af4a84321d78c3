"""``Denoiser``: the phase-aware speech denoiser as a pedalboard-style effect.

It follows pedalboard's plugin contract where users meet it (``process``/``__call__``, ``reset``,
``reported_latency_samples``, layouts and dtypes, ``repr``) so it can sit in a
``hance_plugin.Pedalboard`` chain next to pedalboard's built-ins and VST3 plugins:

* ``process(x, sample_rate, buffer_size=8192, reset=True)`` resets, then returns audio of the
  input's length, time-aligned (the latency is compensated by feeding the latency's worth of
  zeros after the input and dropping as many samples from the start, as pedalboard does).
* ``reset=False`` streams: the state carries over between calls and every call returns as many
  samples as it was given, delayed by exactly ``get_latency_samples(sample_rate)`` samples, like a
  VST3 plugin in pedalboard. The output does not depend on how the stream is cut into calls.

At 48 kHz the latency is one STFT window (960 samples = 20 ms for the default models). Other rates
are resampled to 48 kHz and back with libsoxr (``hance_plugin.resampling``), which adds the
resamplers' delay. Dry/wet ``mix`` is applied in the time domain against the input delayed by the
same latency, so ``mix=0`` returns the input exactly (delayed in streaming mode).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ._audio import check_sample_rate, from_channels_first, to_channels_first
from .card import DEFAULT_MODEL, ModelCard, resolve_model
from .engine import StreamingEngine
from .estimator import OnnxMaskEstimator
from .kernels.delay import delay_mix
from .resampling import MODEL_RATE_HZ, ResampledEngine, resampled_latency_samples

__all__ = ["Denoiser"]

_QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")
MAX_ATTENUATION_LIMIT_DB = 100.0
MAX_POST_FILTER_BETA = 1.0
DEFAULT_POST_FILTER_BETA = 0.0
DEFAULT_PAUSE_POST_FILTER_BETA = 0.0
MAX_SPEECH_GUARD_DB = 100.0
RECOMMENDED_SPEECH_GUARD_DB = 35.0  # models/training/ablations/clean-guard/rule.md, round 2


class _Stream:
    """Per-(rate, channels) processing state: engine (maybe resampled) and dry delay line."""

    def __init__(self, card: ModelCard, sample_rate_hz: float, num_channels: int, num_threads: int, quality: str):
        estimator = OnnxMaskEstimator(card, num_threads=num_threads)
        engine = StreamingEngine(card.stft, estimator, num_channels)
        self.sample_rate_hz = sample_rate_hz
        self.num_channels = num_channels
        if sample_rate_hz == MODEL_RATE_HZ:
            self.core: StreamingEngine | ResampledEngine = engine
        else:
            self.core = ResampledEngine(engine, sample_rate_hz, quality)
        self.engine = engine
        self.latency_samples = self.core.latency_samples
        self.dry_ring = np.zeros((num_channels, self.latency_samples), dtype=np.float32)
        self.dry_pos = 0
        self.position = 0  # input samples since the last reset
        self.floor_restart_at: int | None = None  # restart the floor trackers before this input sample

    def reset(self) -> None:
        self.core.reset()
        self.dry_ring[:] = 0.0
        self.dry_pos = 0
        self.position = 0

    def process(self, x: np.ndarray, out: np.ndarray, limit_gain: float, mix: float, post_filter_beta: float,
                level_target_dbfs: float | None = None, pause_post_filter_beta: float = 0.0,
                speech_guard_db: float | None = None) -> None:
        self.engine.limit_gain = limit_gain
        self.engine.speech_guard_db = speech_guard_db
        self.engine.post_filter_beta = post_filter_beta
        self.engine.pause_post_filter_beta = pause_post_filter_beta
        self.engine.level_target_dbfs = level_target_dbfs
        n = x.shape[1]
        at = self.floor_restart_at
        if at is not None and self.position <= at < self.position + n:
            k = at - self.position  # the stream crosses the sample once: split this block there
            head, tail = np.ascontiguousarray(x[:, :k]), np.ascontiguousarray(x[:, k:])
            out_head, out_tail = np.empty_like(head), np.empty_like(tail)
            self._run(head, out_head, mix)
            self.engine.restart_noise_floor()
            self._run(tail, out_tail, mix)
            out[:, :k] = out_head
            out[:, k:] = out_tail
        else:
            self._run(x, out, mix)
        self.position += n

    def _run(self, x: np.ndarray, out: np.ndarray, mix: float) -> None:
        self.core.process_block(x, out)
        self.dry_pos = delay_mix(x, self.dry_ring, self.dry_pos, out, np.float32(mix), out)


class Denoiser:
    """Phase-aware neural speech denoiser (complex masks below 6 kHz, gains above).

    Args:
        model: a bundled model name (``hance_plugin.list_models()``), ``"default"``, or a path
            to an ``.onnx`` file with its JSON card beside it.
        attenuation_limit_db: the most the denoiser may attenuate anything, in dB (0 = bypass,
            100 = unlimited). Lower values keep some background ("room tone").
        mix: dry/wet balance in [0, 1]; 1 = fully denoised.
        post_filter_beta: strength of the perceptual post-filter (Valin et al. 2020, as in
            DeepFilterNet) in [0, 1]; 0 = off. It attenuates bins the model already turned down
            further (less residual noise) and leaves speech-dominated bins alone.
        pause_post_filter_beta: extra post-filter strength in [0, 1] in speech pauses only; 0 = off.
            A frame counts as a pause to the degree that the model's mask keeps little of it (from
            -10 dB kept: speech, untouched; to -20 dB: a full pause), so the residual noise between
            words goes further down while speech frames are left as they are (``kernels/masks.py``).
        level_normalization: let the model analyse quiet input as if it were louder (off by
            default). The models were trained on speech at -40..-10 dBFS and take quiet speech
            partly for noise; with this on, a causal level meter moves the *features* of input
            quieter than the model card's ``analysis_level_dbfs`` up to it (at most 30 dB, never
            down). The audio itself is not scaled, the output level follows the input, and models
            whose card has no ``analysis_level_dbfs`` are not affected (``kernels/level.py``).
            It helps quiet, continuous speech and lets more noise through in long pauses (README,
            "The Denoiser"; ``models/training/HISTORY.md``).
        speech_guard_db: for clean recordings (noise 15 dB or more under the speech); None = off,
            35 (``RECOMMENDED_SPEECH_GUARD_DB``) the measured setting. Bands that stand more than this
            many dB above their tracked noise floor keep at least the power-subtraction gain
            sqrt(1 - 10^(-(height - speech_guard_db)/10)), so the model cannot remove a voice it
            takes for noise where there is little noise (``kernels/guard.py``). At 35 dB on val
            mixtures at 15..30 dB input SNR: an unheard studio voice +0.20 PESQ-WB and +2.2 dB SI-SDR,
            the training talkers +0.03 and +1.0 dB, DNSMOS BAK -0.03; at -5..20 dB it lets noise
            through (BAK -0.07 for +0.004 PESQ-WB), hence off by default (README, "The Denoiser").
            Smaller margins keep more speech and let more noise through.
        num_threads: onnxruntime threads for the mask estimator (1 = one core).
        resampler_quality: libsoxr quality for rates other than 48 kHz ("QQ" .. "VHQ").
        noise_floor_start_samples: None (default) or an input sample index: in every stream (from
            a reset) the noise-floor trackers start afresh once the input reaches this sample, so
            that their first frame lies wholly after it. For a recording that begins with a quiet
            lead-in (dither, hum, a fade-in), which would otherwise pull the tracked floor far under
            the noise that follows; :func:`hance_plugin.lead_in.find_quiet_lead_in` finds the
            sample, and file processing (``hance_plugin.fileio.process_file``) sets it by itself.

    Example:
        >>> import numpy as np
        >>> from hance_plugin import Denoiser
        >>> denoiser = Denoiser(attenuation_limit_db=20.0)
        >>> noisy = np.random.default_rng(0).normal(0, 0.01, (1, 48000)).astype(np.float32)
        >>> clean = denoiser(noisy, 48000)
        >>> clean.shape, clean.dtype
        ((1, 48000), dtype('float32'))
    """

    def __init__(
        self,
        model: str | Path = DEFAULT_MODEL,
        attenuation_limit_db: float = MAX_ATTENUATION_LIMIT_DB,
        mix: float = 1.0,
        num_threads: int = 1,
        resampler_quality: str = "HQ",
        post_filter_beta: float = DEFAULT_POST_FILTER_BETA,
        level_normalization: bool = False,
        pause_post_filter_beta: float = DEFAULT_PAUSE_POST_FILTER_BETA,
        speech_guard_db: float | None = None,
        noise_floor_start_samples: int | None = None,
    ) -> None:
        self._model = model
        self._card = resolve_model(model)
        self.attenuation_limit_db = attenuation_limit_db
        self.mix = mix
        self.post_filter_beta = post_filter_beta
        self.pause_post_filter_beta = pause_post_filter_beta
        self.level_normalization = level_normalization
        self.speech_guard_db = speech_guard_db
        self.noise_floor_start_samples = noise_floor_start_samples
        if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) or num_threads < 1:
            raise ValueError(f"num_threads must be an integer >= 1, got {num_threads!r}")
        self._num_threads = int(num_threads)
        if resampler_quality not in _QUALITIES:
            raise ValueError(f"resampler_quality must be one of {_QUALITIES}, got {resampler_quality!r}")
        self._quality = resampler_quality
        self._stream: _Stream | None = None
        self._stream_open = False  # a reset=False stream is running (reset() ends it)
        self._last_rate_hz = float(MODEL_RATE_HZ)

    # --- parameters ----------------------------------------------------------------------------
    @property
    def model(self) -> str:
        """The model's name (from its card)."""
        return self._card.name

    @property
    def card(self) -> ModelCard:
        """The model card: STFT settings, latency, size, training data and scores."""
        return self._card

    @property
    def attenuation_limit_db(self) -> float:
        """Maximum attenuation in dB, 0 (bypass) to 100 (unlimited)."""
        return self._attenuation_limit_db

    @attenuation_limit_db.setter
    def attenuation_limit_db(self, value: float) -> None:
        self._attenuation_limit_db = _real_in_range("attenuation_limit_db", value, MAX_ATTENUATION_LIMIT_DB, " dB")

    @property
    def mix(self) -> float:
        """Dry/wet balance: 0 = input only, 1 = denoised only."""
        return self._mix

    @mix.setter
    def mix(self, value: float) -> None:
        self._mix = _real_in_range("mix", value, 1.0)

    @property
    def post_filter_beta(self) -> float:
        """Post-filter strength in [0, 1] (0 = off); see ``kernels/masks.py``."""
        return self._post_filter_beta

    @post_filter_beta.setter
    def post_filter_beta(self, value: float) -> None:
        self._post_filter_beta = _real_in_range("post_filter_beta", value, MAX_POST_FILTER_BETA)

    @property
    def pause_post_filter_beta(self) -> float:
        """Extra post-filter strength in speech pauses, in [0, 1] (0 = off); see ``kernels/masks.py``."""
        return self._pause_post_filter_beta

    @pause_post_filter_beta.setter
    def pause_post_filter_beta(self, value: float) -> None:
        self._pause_post_filter_beta = _real_in_range("pause_post_filter_beta", value, MAX_POST_FILTER_BETA)

    @property
    def level_normalization(self) -> bool:
        """Whether the features of quiet input are moved up to the card's ``analysis_level_dbfs``."""
        return self._level_normalization

    @level_normalization.setter
    def level_normalization(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"level_normalization must be True or False, got {value!r}")
        self._level_normalization = bool(value)

    @property
    def speech_guard_db(self) -> float | None:
        """The speech guard's margin above the tracked noise floor in dB, 0 to 100; None = off."""
        return self._speech_guard_db

    @speech_guard_db.setter
    def speech_guard_db(self, value: float | None) -> None:
        self._speech_guard_db = None if value is None else _real_in_range("speech_guard_db", value, MAX_SPEECH_GUARD_DB, " dB")

    @property
    def noise_floor_start_samples(self) -> int | None:
        """Input sample (from each reset) after which the noise-floor trackers start afresh; None = never."""
        return self._noise_floor_start_samples

    @noise_floor_start_samples.setter
    def noise_floor_start_samples(self, value: int | None) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"noise_floor_start_samples must be None or an integer >= 0, got {value!r}")
        self._noise_floor_start_samples = None if value is None else int(value)

    def _floor_restart_at(self, sample_rate_hz: float) -> int | None:
        """The input sample before which the floor trackers restart: the start sample plus the
        stream's latency at that rate (one analysis window at 48 kHz; elsewhere the resamplers' delay
        on top, more than needed), so that the trackers' first frame lies wholly after the start."""
        if self._noise_floor_start_samples is None:
            return None
        return self._noise_floor_start_samples + self.get_latency_samples(sample_rate_hz)

    @property
    def num_threads(self) -> int:
        return self._num_threads

    # --- latency -------------------------------------------------------------------------------
    def get_latency_samples(self, sample_rate: float) -> int:
        """Latency in samples at ``sample_rate`` (Hz) in streaming mode (``reset=False``)."""
        rate = _check_denoiser_rate(check_sample_rate(sample_rate))
        if rate == MODEL_RATE_HZ:
            return self._card.latency_samples
        return resampled_latency_samples(rate, self._card.latency_samples, self._quality)

    @property
    def reported_latency_samples(self) -> int:
        """Latency in samples at the most recently used sample rate (48 kHz before first use)."""
        return self.get_latency_samples(self._last_rate_hz)

    # --- processing ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Clear all internal state (audio history, model state, resamplers) and end the stream:
        the next call may use any sample rate and channel count."""
        if self._stream is not None:
            self._stream.reset()
        self._stream_open = False

    def _prepare(self, sample_rate_hz: float, num_channels: int, reset: bool) -> _Stream:
        stream = self._stream
        same = stream is not None and stream.sample_rate_hz == sample_rate_hz and stream.num_channels == num_channels
        if not same:
            if not reset and stream is not None and self._stream_open:
                raise ValueError(
                    f"cannot continue a stream at {sample_rate_hz:g} Hz with {num_channels} channel(s): "
                    f"it was started at {stream.sample_rate_hz:g} Hz with {stream.num_channels}. "
                    "Pass reset=True (or call reset()) to start a new stream."
                )
            stream = self._stream = _Stream(self._card, sample_rate_hz, num_channels, self._num_threads, self._quality)
        elif reset:
            stream.reset()
        self._stream_open = not reset
        self._last_rate_hz = sample_rate_hz
        return stream

    def process(
        self, input_array: np.ndarray, sample_rate: float, buffer_size: int = 8192, reset: bool = True
    ) -> np.ndarray:
        """Denoise ``input_array`` (float32/float64, (channels, samples), (samples, channels) or
        (samples,)) at ``sample_rate`` Hz (8 kHz to 768 kHz); returns float32 in the same layout.

        ``buffer_size`` is the largest chunk (samples) processed at once: it bounds memory and
        never changes the result. ``reset=True`` returns time-aligned audio of the same length;
        ``reset=False`` continues the stream and returns the input's length delayed by
        ``get_latency_samples(sample_rate)``.
        """
        # the last stream's channel count resolves ambiguous short blocks, as in pedalboard, even
        # after reset(): it is a layout hint, not a constraint
        hint = not reset and self._stream is not None
        audio, layout = to_channels_first(
            input_array, stream_channels=self._stream.num_channels if hint else None
        )
        rate = _check_denoiser_rate(check_sample_rate(sample_rate))
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, (int, np.integer)) or buffer_size < 1:
            raise ValueError(f"buffer_size must be a positive integer number of samples, got {buffer_size!r}")
        if not isinstance(reset, (bool, np.bool_)):
            raise TypeError(f"reset must be True or False, got {reset!r}")
        stream = self._prepare(rate, audio.shape[0], bool(reset))
        stream.floor_restart_at = self._floor_restart_at(rate)
        limit_gain = 10.0 ** (-self._attenuation_limit_db / 20.0) if self._attenuation_limit_db < MAX_ATTENUATION_LIMIT_DB else 0.0
        n = audio.shape[1]
        if reset:
            latency = stream.latency_samples
            padded = np.zeros((audio.shape[0], n + latency), dtype=np.float32)
            padded[:, :n] = audio
            out = np.empty_like(padded)
            self._run(stream, padded, out, int(buffer_size), limit_gain)
            result = out[:, latency:]
        else:
            result = np.empty_like(audio)
            self._run(stream, audio, result, int(buffer_size), limit_gain)
        return from_channels_first(np.ascontiguousarray(result), layout)

    __call__ = process

    def _run(self, stream: _Stream, audio: np.ndarray, out: np.ndarray, buffer_size: int, limit_gain: float) -> None:
        n = audio.shape[1]
        level = self._card.analysis_level_dbfs if self._level_normalization else None
        for start in range(0, n, buffer_size):
            stop = min(n, start + buffer_size)
            x = audio[:, start:stop]
            y = out[:, start:stop]
            if stop - start == n:
                stream.process(x, y, limit_gain, self._mix, self._post_filter_beta, level, self._pause_post_filter_beta,
                               self._speech_guard_db)
            else:
                block = np.empty((audio.shape[0], stop - start), dtype=np.float32)
                stream.process(np.ascontiguousarray(x), block, limit_gain, self._mix, self._post_filter_beta, level,
                               self._pause_post_filter_beta, self._speech_guard_db)
                y[:] = block

    # --- python protocol -------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f'<hance_plugin.Denoiser model="{self.model}" attenuation_limit_db={self._attenuation_limit_db:g} '
            f"mix={self._mix:g} post_filter_beta={self._post_filter_beta:g} "
            f"pause_post_filter_beta={self._pause_post_filter_beta:g} "
            f"level_normalization={self._level_normalization}"
            f"{'' if self._speech_guard_db is None else f' speech_guard_db={self._speech_guard_db:g}'}"
            f"{'' if self._noise_floor_start_samples is None else f' noise_floor_start_samples={self._noise_floor_start_samples}'}"
            f" at {hex(id(self))}>"
        )

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_stream"] = None  # onnxruntime sessions and soxr streams are rebuilt on demand
        state["_stream_open"] = False
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("_post_filter_beta", DEFAULT_POST_FILTER_BETA)  # pickled before the post-filter existed
        state.setdefault("_stream_open", False)  # pickled before reset() ended streams
        state.setdefault("_level_normalization", False)  # pickled before it existed: keep its old output
        state.setdefault("_pause_post_filter_beta", DEFAULT_PAUSE_POST_FILTER_BETA)  # likewise
        state.setdefault("_speech_guard_db", None)  # likewise
        state.setdefault("_noise_floor_start_samples", None)  # likewise
        self.__dict__.update(state)


MIN_SAMPLE_RATE_HZ = 8000.0
MAX_SAMPLE_RATE_HZ = 768000.0


def _check_denoiser_rate(rate_hz: float) -> float:
    """``rate_hz`` if the Denoiser can resample it to and from 48 kHz sensibly, else ValueError
    (a rate in kHz, e.g. 48, would otherwise be resampled by 1000x and denoise nothing)."""
    if not MIN_SAMPLE_RATE_HZ <= rate_hz <= MAX_SAMPLE_RATE_HZ:
        in_khz = MIN_SAMPLE_RATE_HZ <= rate_hz * 1000 <= MAX_SAMPLE_RATE_HZ
        hint = f" (did you mean {rate_hz * 1000:g} Hz?)" if in_khz else ""
        raise ValueError(
            f"sample_rate must be between {MIN_SAMPLE_RATE_HZ:g} and {MAX_SAMPLE_RATE_HZ:g} Hz, got {rate_hz:g}{hint}"
        )
    return rate_hz


def _real_in_range(name: str, value: object, high: float, unit: str = "") -> float:
    """``value`` as a float in [0, ``high``]; TypeError for non-numbers, ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if not 0.0 <= value <= high:
        raise ValueError(f"{name} must be between 0 and {high:g}{unit}, got {value:g}")
    return value
