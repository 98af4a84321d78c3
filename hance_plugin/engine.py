"""The 48 kHz streaming engine: samples in, denoised samples out, exactly one window later.

Per block of n samples (any n >= 0, 1 sample or a million):

1. ``frame_block``      : the ring buffer turns samples into the T frames completed in this block
2. ``np.fft.rfft``      : one batched FFT of all T frames (pocketfft, ``out=`` preallocated)
3. ``modified_stft`` + ``band_energy_db`` : the estimator's features; with level normalisation on
   (``level_target_dbfs``), ``track_level`` + ``normalize_features`` move them to a set level
   (features only: the mask still applies to the input's own spectrum; ``kernels/level.py``);
   for models that read it, ``track_band_floor`` (``kernels/floor.py``) tracks the bands' noise floor
   (``restart_noise_floor()`` starts it afresh mid-stream, after a quiet lead-in: ``lead_in.py``);
   with the speech guard on (``speech_guard_db``), a second tracker on the input's own band energies
   gives ``guard_bounds`` (``kernels/guard.py``) its floor
4. one ONNX run with T frames for all channels (batch = channels, explicit state)
5. ``apply_hybrid_mask``: complex mask below the split, interpolated gains above (optional
   post-filter, pause post-filter via ``pause_weights``, speech guard, and attenuation limit)
6. ``np.fft.irfft``     : one batched inverse FFT
7. ``overlap_add_block``: synthesis window, overlap-add, emit n samples

The output is the processed input delayed by exactly ``latency_samples`` (= window length), and
is identical for every partition of the same input into blocks (see ``kernels/stft.py``). Buffers
are allocated per frame count T and cached, so a stream with a steady block size allocates
nothing per block in our code.
"""

from __future__ import annotations

import warnings

import numpy as np

from .config import StftConfig
from .kernels.floor import (
    FLOOR_RISE_DB_PER_S,
    FLOOR_SMOOTHING_S,
    floor_coefficients,
    new_floor_state,
    track_band_floor,
)
from .kernels.guard import guard_bounds
from .kernels.level import normalize_features, parseval_weights, track_level
from .kernels.masks import apply_hybrid_mask, band_energy_db, pause_weights
from .kernels.modified import modified_stft
from .kernels.stft import count_frames, frame_block, overlap_add_block

__all__ = ["StreamingEngine", "MaskEstimator"]

# the level tracker of the feature normalisation (kernels/level.py): a peak meter's attack and
# release on 20 ms frame levels, silence floor, and how far the features may be moved
LEVEL_ATTACK_S = 0.5
LEVEL_RELEASE_S = 1.5
LEVEL_FLOOR_DBFS = -80.0
LEVEL_MAX_CUT_DB = 0.0  # boost only: cutting loud input cost SI-SDR on val
LEVEL_MAX_BOOST_DB = 30.0
# the pause post-filter's speech-presence weight (kernels/masks.py, pause_weights): frames whose mask
# keeps more than PAUSE_SPEECH_DB of the input are speech, below PAUSE_SPEECH_DB - PAUSE_RAMP_DB pauses;
# the weight rises from speech to a full pause in PAUSE_RISE_S at the fastest and falls at once
PAUSE_SPEECH_DB = -10.0
PAUSE_RAMP_DB = 10.0
PAUSE_RISE_S = 0.1


class MaskEstimator:
    """Interface of a mask estimator (``OnnxMaskEstimator`` implements it)."""

    feature_inputs: tuple[str, ...] = ("spec_low", "band_db")  # + "band_floor_db" to be fed the floor
    noise_floor_settings: dict | None = None  # {"smoothing_s", "rise_db_per_s"} when it reads the floor

    def reset(self, batch: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def run(self, spec_low: np.ndarray, band_db: np.ndarray, band_floor_db: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError


class _Buffers:
    """Work arrays for blocks of exactly T frames."""

    def __init__(self, n_channels: int, n_frames: int, cfg: StftConfig) -> None:
        self.frames = np.zeros((n_channels, n_frames, cfg.window_samples), dtype=np.float32)
        self.spec = np.zeros((n_channels, n_frames, cfg.n_bins), dtype=np.complex64)
        self.spec_low = np.zeros((n_channels, n_frames, cfg.split_bin, 2), dtype=np.float32)
        self.band_db = np.zeros((n_channels, n_frames, cfg.n_bands), dtype=np.float32)
        self.band_floor_db = np.zeros((n_channels, n_frames, cfg.n_bands), dtype=np.float32)
        self.gain_db = np.zeros((n_channels, n_frames), dtype=np.float32)
        self.frame_beta = np.zeros((n_channels, n_frames), dtype=np.float32)
        self.guard_floor_db = np.zeros((n_channels, n_frames, cfg.n_bands), dtype=np.float32)
        self.guard = np.zeros((n_channels, n_frames, cfg.n_bands), dtype=np.float32)


class StreamingEngine:
    """Streaming STFT mask-estimation engine at the model's rate (48 kHz).

    Args:
        config: STFT/band settings (from the model card).
        estimator: the mask estimator (an ``OnnxMaskEstimator``).
        num_channels: channels processed together (one estimator batch).
        max_frames_per_call: blocks with more frames are split into several estimator calls of at
            most this many frames, bounding memory for huge blocks (output is unchanged).
    """

    def __init__(
        self,
        config: StftConfig,
        estimator: MaskEstimator,
        num_channels: int,
        max_frames_per_call: int = 4096,
    ) -> None:
        if num_channels < 1:
            raise ValueError(f"num_channels must be >= 1, got {num_channels}")
        self.config = config
        self.estimator = estimator
        self.num_channels = num_channels
        self.max_frames_per_call = max(1, int(max_frames_per_call))
        self._wa, self._ws = config.windows()
        self._table = config.derotation_table()
        self._edges = config.band_edges.astype(np.int64)
        self._hi_idx0, self._hi_idx1, self._hi_w = config.high_interpolation()
        self._buffers: dict[int, _Buffers] = {}
        self.limit_gain = 0.0
        self.post_filter_beta = 0.0  # Valin's post-filter strength (kernels/masks.py); 0 = off
        self.pause_post_filter_beta = 0.0  # extra post-filter strength in speech pauses (kernels/masks.py); 0 = off
        self.level_target_dbfs: float | None = None  # feature level normalisation (kernels/level.py); None = off
        self.speech_guard_db: float | None = None  # the speech guard's margin over the floor (kernels/guard.py); None = off
        self.level_attack_s = LEVEL_ATTACK_S
        self.level_release_s = LEVEL_RELEASE_S
        self.level_floor_dbfs = LEVEL_FLOOR_DBFS
        self.level_max_cut_db = LEVEL_MAX_CUT_DB
        self.level_max_boost_db = LEVEL_MAX_BOOST_DB
        self._parseval = parseval_weights(self._wa, config.n_bins)
        self._floor = None  # (alpha, rise_db per frame) when the estimator reads the noise floor
        if "band_floor_db" in getattr(estimator, "feature_inputs", ()):
            settings = getattr(estimator, "noise_floor_settings", None)
            if not settings:
                raise ValueError("the estimator reads band_floor_db but gives no noise_floor_settings")
            self._floor = floor_coefficients(
                config.hop_samples / config.sample_rate_hz, settings["smoothing_s"], settings["rise_db_per_s"]
            )
        # the speech guard's own floor tracker (on the input's band energies, before any level
        # normalisation), with the estimator's floor settings when it has them, else the trained ones
        settings = getattr(estimator, "noise_floor_settings", None) or {
            "smoothing_s": FLOOR_SMOOTHING_S, "rise_db_per_s": FLOOR_RISE_DB_PER_S}
        self._guard_coefficients = floor_coefficients(
            config.hop_samples / config.sample_rate_hz, settings["smoothing_s"], settings["rise_db_per_s"]
        )
        self._bin_band = np.repeat(np.arange(config.n_bands, dtype=np.int64), np.diff(self._edges))
        self.nonfinite_mask_values = 0
        self.reset()

    @property
    def latency_samples(self) -> int:
        return self.config.latency_samples

    def reset(self) -> None:
        """Clear all signal state (ring, overlap-add, frame counter, estimator state)."""
        cfg = self.config
        c = self.num_channels
        self._ring = np.zeros((c, cfg.window_samples), dtype=np.float32)
        self._acc = np.zeros((c, cfg.window_samples), dtype=np.float32)
        self._ready = np.zeros((c, cfg.hop_samples), dtype=np.float32)
        self._ring_pos = 0
        self._hop_pos = 0
        self._frame_index = 0
        self._level_db = np.full(c, np.nan, dtype=np.float64)  # NaN: the tracker starts at the target
        self._floor_state = new_floor_state(c, cfg.n_bands)  # the model's floor tracker (NaN: start at the next frame)
        self._pause_w = np.zeros(c, dtype=np.float64)  # the pause post-filter's weight after the last frame
        self._guard_state = new_floor_state(c, cfg.n_bands)  # the speech guard's floor tracker
        self._guard_tracking = False  # its tracker has run since the last reset (or since it was off)
        self.estimator.reset(c)

    def restart_noise_floor(self) -> None:
        """Start the noise-floor trackers (the model's and the speech guard's) afresh at the next
        frame, as after ``reset()``; nothing else changes (audio path, model state, level tracker).
        For a stream whose start is not its recording's floor (``hance_plugin.lead_in``)."""
        c, b = self.num_channels, self.config.n_bands
        for states in (self._floor_state, self._guard_state):
            for state, fresh in zip(states, new_floor_state(c, b)):
                state[:] = fresh

    def _work(self, n_frames: int) -> _Buffers:
        buf = self._buffers.get(n_frames)
        if buf is None:
            if len(self._buffers) >= 8:
                self._buffers.pop(next(iter(self._buffers)))
            buf = self._buffers[n_frames] = _Buffers(self.num_channels, n_frames, self.config)
        return buf

    def process_block(self, x: np.ndarray, out: np.ndarray) -> None:
        """Process ``x`` (C, n) float32 C-contiguous into ``out`` (C, n): delayed by the latency."""
        n = x.shape[1]
        hop = self.config.hop_samples
        # split so that no call has more than max_frames_per_call frames
        max_samples = self.max_frames_per_call * hop - self._hop_pos
        if n > max_samples:
            start = 0
            while start < n:
                step = self.max_frames_per_call * hop - self._hop_pos
                stop = min(n, start + step)
                self._process(x[:, start:stop], out[:, start:stop])
                start = stop
            return
        self._process(x, out)

    def _process(self, x: np.ndarray, out: np.ndarray) -> None:
        cfg = self.config
        n = x.shape[1]
        n_frames = count_frames(n, self._hop_pos, cfg.hop_samples)
        buf = self._work(n_frames)
        self._ring_pos = frame_block(
            x, self._ring, self._ring_pos, self._hop_pos, cfg.hop_samples, self._wa, buf.frames
        )
        if n_frames:
            np.fft.rfft(buf.frames, axis=-1, out=buf.spec)
            modified_stft(buf.spec, self._frame_index, self._table, cfg.compression_exponent, buf.spec_low)
            band_energy_db(buf.spec, self._edges, buf.band_db)
            bound = None
            if self.speech_guard_db is not None:
                self._guard_tracking = True
                track_band_floor(buf.band_db, *self._guard_state, *self._guard_coefficients, buf.guard_floor_db)
                guard_bounds(buf.band_db, buf.guard_floor_db, float(self.speech_guard_db), buf.guard)
                bound = buf.guard
            elif self._guard_tracking:  # off: a guard turned on later starts its floor afresh
                for state, fresh in zip(self._guard_state, new_floor_state(*self._guard_state[0].shape)):
                    state[:] = fresh
                self._guard_tracking = False
            if self.level_target_dbfs is not None:
                hop_s = cfg.hop_samples / cfg.sample_rate_hz
                track_level(
                    buf.spec, self._parseval, self._level_db,
                    np.exp(-hop_s / self.level_attack_s), np.exp(-hop_s / self.level_release_s),
                    float(self.level_floor_dbfs), float(self.level_target_dbfs),
                    float(self.level_max_cut_db), float(self.level_max_boost_db), buf.gain_db,
                )
                normalize_features(buf.spec_low, buf.band_db, buf.gain_db, np.float32(cfg.compression_exponent))
            if self._floor is not None:
                track_band_floor(buf.band_db, *self._floor_state, *self._floor, buf.band_floor_db)
                mask_low, gains_high = self.estimator.run(buf.spec_low, buf.band_db, buf.band_floor_db)
            else:
                mask_low, gains_high = self.estimator.run(buf.spec_low, buf.band_db)
            mask_low = np.ascontiguousarray(mask_low, dtype=np.float32)
            gains_high = np.ascontiguousarray(gains_high, dtype=np.float32)
            frame_beta = None
            if self.pause_post_filter_beta > 0.0:
                pause_weights(
                    buf.spec, mask_low, gains_high, self._hi_idx0, self._hi_idx1, self._hi_w, self._pause_w,
                    PAUSE_SPEECH_DB, PAUSE_RAMP_DB, cfg.hop_samples / cfg.sample_rate_hz / PAUSE_RISE_S,
                    float(self.pause_post_filter_beta), buf.frame_beta,
                )
                frame_beta = buf.frame_beta
            bad = apply_hybrid_mask(
                buf.spec,
                mask_low,
                gains_high,
                self._hi_idx0,
                self._hi_idx1,
                self._hi_w,
                np.float32(self.limit_gain),
                np.float32(self.post_filter_beta),
                frame_beta,
                bound,
                self._bin_band,
            )
            if bad:
                if not self.nonfinite_mask_values:
                    warnings.warn(
                        f"mask estimator returned {bad} non-finite value(s); replaced by pass-through",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                self.nonfinite_mask_values += bad
            np.fft.irfft(buf.spec, n=cfg.window_samples, axis=-1, out=buf.frames)
            self._frame_index = (self._frame_index + n_frames) % self._table.shape[0]
        overlap_add_block(buf.frames, self._hop_pos, self._ws, self._acc, self._ready, out)
        self._hop_pos = (self._hop_pos + n) % cfg.hop_samples
