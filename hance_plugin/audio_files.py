"""Reading and writing audio files in chunks: WAV, FLAC, OGG (Vorbis), MP3 (and AIFF).

soundfile (libsndfile >= 1.1) reads and writes all four with exact frame counts (MP3 decoding is
gapless) and tells the sample format (``PCM_16``, ``PCM_24``, ``FLOAT``, ...), so it is used
first; ``pedalboard.io.AudioFile`` is the fallback reader for files libsndfile rejects. Every
reader returns channels-first float32 blocks ``(channels, samples)``.

Output sample format: the input's when the output format can hold it, else the closest one
(:func:`choose_subtype`); a preset's ``bit_depth`` overrides it. Integer outputs of 16 bits or fewer
get TPDF dither (seeded, so the same input always gives the same file) unless disabled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = [
    "AudioFileError",
    "AudioInfo",
    "AudioReader",
    "AudioWriter",
    "FORMATS",
    "SUFFIXES",
    "choose_subtype",
    "format_for_path",
    "is_audio_path",
]

FORMATS = {  # our format name -> (libsndfile format, canonical suffix)
    "wav": ("WAV", ".wav"),
    "flac": ("FLAC", ".flac"),
    "ogg": ("OGG", ".ogg"),
    "mp3": ("MP3", ".mp3"),
    "aiff": ("AIFF", ".aiff"),
}
SUFFIXES = {
    ".wav": "wav", ".wave": "wav", ".flac": "flac", ".ogg": "ogg", ".oga": "ogg", ".mp3": "mp3",
    ".aif": "aiff", ".aiff": "aiff",
}
BIT_DEPTHS = (16, 24, 32)  # 16/24: integer PCM, 32: 32-bit float
_LOSSY = {"ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}
_WRITE_OPTIONS = {"mp3": {"bitrate_mode": "VARIABLE", "compression_level": 0.0}, "ogg": {"compression_level": 0.4}}
_MAX_RATE = {"mp3": 48000}
_KEEPABLE = ("PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")


def max_sample_rate(fmt: str) -> int | None:
    """Highest sample rate (Hz) format ``fmt`` can store, or None if libsndfile sets no limit."""
    return _MAX_RATE.get(fmt)


class AudioFileError(Exception):
    """A file that cannot be read or written as audio (corrupt, empty, unsupported)."""


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sample_rate: int
    num_channels: int
    num_frames: int
    format: str  # our name: wav, flac, ogg, mp3, aiff (or libsndfile's for others)
    subtype: str  # libsndfile subtype, e.g. PCM_16, FLOAT, VORBIS, MPEG_LAYER_III

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.sample_rate if self.sample_rate else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "duration_s": self.duration_s}


def is_audio_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def format_for_path(path: str | Path) -> str:
    """Our format name for a path's suffix; ``AudioFileError`` for unknown suffixes."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise AudioFileError(
            f"{path}: unsupported output file type {suffix or '(no suffix)'!r}; use one of "
            f"{', '.join(sorted(SUFFIXES))}"
        )
    return SUFFIXES[suffix]


def choose_subtype(fmt: str, input_subtype: str | None, bit_depth: int | None = None) -> str:
    """libsndfile subtype for writing ``fmt``: ``bit_depth`` if given, else the input's if possible."""
    if fmt in _LOSSY:
        return _LOSSY[fmt]
    sf_format = FORMATS[fmt][0]
    if bit_depth is not None:
        wanted = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[int(bit_depth)]
        if not sf.check_format(sf_format, wanted):
            holds = "; FLAC holds 16 or 24 bits" if fmt == "flac" else ""
            raise AudioFileError(f"{fmt} cannot store bit_depth={bit_depth}{holds}")
        return wanted
    # keep the input's PCM or float sample format; a lossy or compressed input (Vorbis, MP3, ADPCM,
    # ...) becomes 16-bit PCM in a lossless output (libsndfile claims WAV can hold MPEG layer III,
    # but cannot write it)
    if input_subtype in _KEEPABLE and sf.check_format(sf_format, input_subtype):
        return input_subtype
    mapping = {  # the closest the output format holds
        "FLOAT": "PCM_24", "DOUBLE": "PCM_24", "PCM_32": "PCM_24",
        "PCM_U8": "PCM_16", "PCM_S8": "PCM_16", "ULAW": "PCM_16", "ALAW": "PCM_16",
    }
    candidate = mapping.get(input_subtype or "", "PCM_16")
    if fmt in ("wav", "aiff") and input_subtype in ("DOUBLE", "PCM_32"):
        candidate = "FLOAT"
    return candidate if sf.check_format(sf_format, candidate) else "PCM_16"


def _our_format(sf_format: str) -> str:
    return {v[0]: k for k, v in FORMATS.items()}.get(sf_format, sf_format.lower())


class AudioReader:
    """Open an audio file for chunked reading: ``with AudioReader(p) as r: r.read(n) -> (C, k)``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise AudioFileError(f"{self.path}: no such file")
        if self.path.stat().st_size == 0:
            raise AudioFileError(f"{self.path}: empty file (0 bytes)")
        self._sf: sf.SoundFile | None = None
        self._pb = None
        try:
            self._sf = sf.SoundFile(str(self.path))
            self.info = AudioInfo(
                str(self.path), int(self._sf.samplerate), int(self._sf.channels), int(self._sf.frames),
                _our_format(self._sf.format), str(self._sf.subtype),
            )
        except Exception as sf_exc:  # libsndfile rejected it: try pedalboard (ffmpeg-free decoders)
            try:
                from pedalboard.io import AudioFile

                self._pb = AudioFile(str(self.path))
                self.info = AudioInfo(
                    str(self.path), int(round(self._pb.samplerate)), int(self._pb.num_channels),
                    int(self._pb.frames), SUFFIXES.get(self.path.suffix.lower(), "unknown"),
                    {"int16": "PCM_16", "int32": "PCM_32", "float32": "FLOAT"}.get(str(self._pb.file_dtype), "PCM_16"),
                )
            except Exception:
                raise AudioFileError(f"{self.path}: not a readable audio file ({sf_exc})") from None
        if self.info.num_frames <= 0:
            self.close()
            raise AudioFileError(f"{self.path}: empty audio (no samples)")
        if self.info.num_channels <= 0 or self.info.sample_rate <= 0:
            self.close()
            raise AudioFileError(f"{self.path}: invalid header ({self.info.num_channels} channels, {self.info.sample_rate} Hz)")

    def read(self, num_frames: int) -> np.ndarray:
        """Up to ``num_frames`` frames as C-contiguous float32 ``(channels, frames)``; empty at the end."""
        try:
            if self._sf is not None:
                block = self._sf.read(num_frames, dtype="float32", always_2d=True)
                out = np.ascontiguousarray(block.T)
            else:
                out = np.ascontiguousarray(self._pb.read(num_frames), dtype=np.float32)
        except Exception as exc:
            raise AudioFileError(f"{self.path}: read error ({exc})") from None
        if out.size and not np.isfinite(out).all():
            raise AudioFileError(f"{self.path}: contains NaN or Inf samples")
        return out

    def blocks(self, num_frames: int):
        while True:
            block = self.read(num_frames)
            if block.shape[1] == 0:
                return
            yield block

    def close(self) -> None:
        if self._sf is not None:
            self._sf.close()
        if self._pb is not None:
            self._pb.close()

    def __enter__(self) -> "AudioReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_info(path: str | Path) -> AudioInfo:
    with AudioReader(path) as reader:
        return reader.info


class AudioWriter:
    """Write float32 ``(C, n)`` blocks to ``path`` as ``fmt`` (our name) with libsndfile ``subtype``."""

    def __init__(
        self, path: str | Path, sample_rate: int, num_channels: int, fmt: str, subtype: str, dither: bool = True
    ) -> None:
        if fmt not in FORMATS:
            raise AudioFileError(f"unsupported output format {fmt!r}; use one of {sorted(FORMATS)}")
        if fmt in _MAX_RATE and sample_rate > _MAX_RATE[fmt]:
            raise AudioFileError(
                f"{fmt} cannot store {sample_rate} Hz (at most {_MAX_RATE[fmt]} Hz); set an output sample_rate"
            )
        self.path = Path(path)
        self.num_channels = num_channels
        self.clipped_samples = 0  # samples outside [-1, 1] that an integer/lossy format had to clip
        self._clip = subtype not in ("FLOAT", "DOUBLE")
        bits = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16}.get(subtype)
        self._lsb = np.float32(2.0 ** -(bits - 1)) if (dither and bits) else None
        self._rng = np.random.default_rng(0x48414E43)  # fixed seed: the same input gives the same file
        try:
            self._file = sf.SoundFile(
                str(self.path), "w", samplerate=int(sample_rate), channels=num_channels,
                format=FORMATS[fmt][0], subtype=subtype, **_WRITE_OPTIONS.get(fmt, {}),
            )
        except Exception as exc:
            raise AudioFileError(f"cannot write {fmt} ({subtype}, {sample_rate} Hz, {num_channels} ch): {exc}") from None

    def write(self, block: np.ndarray) -> None:
        if block.shape[1] == 0:
            return
        if self._lsb is not None:  # TPDF dither, +-1 LSB
            n = block.shape[1]
            noise = self._rng.random((2, block.shape[0], n), dtype=np.float32)
            block = block + (noise[0] - noise[1]) * self._lsb
        if self._clip:  # libsndfile would wrap around, not clip
            over = np.abs(block) > 1.0
            if over.any():
                self.clipped_samples += int(np.count_nonzero(over))
                block = np.clip(block, -1.0, 1.0)
        self._file.write(np.ascontiguousarray(block.T))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "AudioWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
