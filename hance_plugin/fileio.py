"""Process audio files through any chain in constant memory.

:func:`process_file` streams a file through a :class:`hance_plugin.Pedalboard` (or one plugin) in
chunks: the chain runs with ``reset=False`` and :meth:`~hance_plugin.Pedalboard.flush` returns its
tail, so the output is time-aligned with the input and has its length (streaming + flush equals
one-shot processing). Memory does not depend on the file's length.

* **Format.** The output format comes from the output path's suffix (WAV, FLAC, OGG, MP3, AIFF).
  The input's sample rate, channel count and sample format are kept unless ``OutputOptions`` say
  otherwise (a different rate is converted with libsoxr, VHQ, after the chain). A rate the format
  cannot store (MP3 above 48 kHz) becomes the format's highest unless a rate was asked for.
* **Loudness** (a chain ending in a :class:`~hance_plugin.loudness.LoudnessNormalizer`, i.e. a
  preset with ``[loudness]``): the integrated loudness of the whole programme is needed before any
  gain can be applied, so there are two streaming passes. Pass 1 runs the chain and writes its
  float32 output to a temporary raw file beside the output while measuring loudness (only 100 ms
  block energies are kept). Pass 2 reads it back, applies gain and the true-peak limiter, measures
  the result and writes the file; it repeats in the rare case the ceiling or the target was missed
  (see :func:`hance_plugin.loudness.normalize_passes`).
* **Atomic.** Everything is written to hidden temporary files in the output's folder
  (``.NAME.hance-XXXX.part`` / ``.f32``) and renamed into place only when complete (after
  ``fsync``), so an interrupted run never leaves a truncated file under the final name.
* **Quiet lead-ins** (``lead_in=True``, the default): the first ``lead_in.SCAN_SECONDS`` of the
  input are looked at first; if the recording starts with a quiet lead-in (dither, hum, a fade-in:
  :func:`hance_plugin.lead_in.find_quiet_lead_in`), every :class:`~hance_plugin.Denoiser` of the
  chain starts its noise-floor trackers after it (``noise_floor_start_samples``, restored
  afterwards), instead of carrying a floor pulled down by the lead-in into the recording. The
  summary's ``quiet_lead_in`` says what was found (None: nothing). The sample is the input's; a
  plugin before the Denoiser that delays the audio moves the restart that much earlier in it.
* **Mono into stereo-only plugins.** If the input is mono and the chain holds external (VST3)
  plugins, the chain runs on two identical channels and the output is their average (many VST3
  plugins, e.g. the zam-plugins, are stereo-only).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard
import soxr

from .audio_files import AudioReader, AudioWriter, choose_subtype, format_for_path, max_sample_rate
from .chain import Pedalboard
from .denoiser import Denoiser
from .lead_in import LeadInScanner, QuietLeadIn
from .loudness import LoudnessMeter, LoudnessNormalizer, normalize_passes

__all__ = ["denoise_file", "process_file", "file_info", "TEMP_MARKER"]

TEMP_MARKER = ".hance-"  # every temporary file this module writes has it in its name
RESAMPLER_QUALITY = "VHQ"


def _as_board(chain: Any) -> Pedalboard:
    if isinstance(chain, Pedalboard):
        return chain
    if isinstance(chain, (list, tuple)):
        return Pedalboard(chain)
    if isinstance(chain, pedalboard.Pedalboard):
        return Pedalboard(list(chain))
    return Pedalboard([chain])


def _has_external(chain: Any) -> bool:
    external = getattr(pedalboard, "ExternalPlugin", ())
    for plugin in chain:
        if isinstance(plugin, (Pedalboard, pedalboard.Pedalboard, pedalboard.Chain, pedalboard.Mix)):
            if _has_external(plugin):
                return True
        elif isinstance(plugin, external):
            return True
    return False


def scan_lead_in(input_path: str | Path, chunk_seconds: float = 1.0) -> QuietLeadIn | None:
    """The quiet lead-in at the start of an audio file, or None: its first ``SCAN_SECONDS`` read in
    chunks, in constant memory (``LeadInScanner``)."""
    with AudioReader(input_path) as reader:
        scanner = LeadInScanner(reader.info.sample_rate)
        for block in reader.blocks(max(1, int(round(chunk_seconds * reader.info.sample_rate)))):
            scanner.push(block)
            if scanner.done:
                break
    return scanner.result()


@contextlib.contextmanager
def _floor_start(denoisers: list[Denoiser], lead: QuietLeadIn | None):
    """Set the Denoisers' ``noise_floor_start_samples`` to the lead-in's end while processing."""
    saved = [(d, d.noise_floor_start_samples) for d in denoisers]
    try:
        if lead is not None:
            for d in denoisers:
                d.noise_floor_start_samples = lead.end_samples
        yield
    finally:
        for d, value in saved:
            d.noise_floor_start_samples = value


def _progress(total: int, desc: str, enabled: bool, position: int = 0):
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit="s", unit_scale=False, disable=not enabled, leave=False,
        position=position, dynamic_ncols=True, bar_format="{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]",
    )


class _Resampler:
    """Streaming sample-rate conversion after the chain (identity when the rates match)."""

    def __init__(self, in_rate: int, out_rate: int, channels: int) -> None:
        self.stream = None
        if in_rate != out_rate:
            self.stream = soxr.ResampleStream(in_rate, out_rate, channels, dtype="float32", quality=RESAMPLER_QUALITY)

    def push(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        if self.stream is None:
            return block
        out = self.stream.resample_chunk(np.ascontiguousarray(block.T), last=last)
        if out.ndim == 1:
            out = out[:, None]
        return np.ascontiguousarray(out.T)


def _chain_output(
    reader: AudioReader, board: Pedalboard, out_rate: int, chunk: int, buffer_size: int, bar
) -> Iterator[np.ndarray]:
    """Pass 1: the chain's (and resampler's) output of the whole file, in chunks."""
    info = reader.info
    rate, channels = info.sample_rate, info.num_channels
    upmix = channels == 1 and len(board) and _has_external(board)
    resampler = _Resampler(rate, out_rate, channels)
    board.reset()
    # a first block shorter than the channel count, e.g. (2, 1), is ambiguous to the chain's layout
    # guess; the file says how many channels there are
    board._last_num_channels = 2 if upmix else channels
    seconds_per_sample = 1.0 / rate

    def run(block: np.ndarray, last: bool) -> np.ndarray:
        if len(board):
            if upmix:
                block = np.repeat(block, 2, axis=0)
            out = board.process(block, rate, buffer_size=buffer_size, reset=False) if block.shape[1] else block
            if last:
                tail = board.flush(rate)
                if tail.ndim == 1:  # no stream was started, or a mono 1-D layout
                    tail = tail.reshape(1, -1) if tail.size else np.zeros((out.shape[0], 0), np.float32)
                out = np.concatenate([out, tail], axis=1)
            if upmix:
                out = out.mean(axis=0, keepdims=True, dtype=np.float32)
            block = np.ascontiguousarray(out, dtype=np.float32)
        return resampler.push(block, last=last)

    for block in reader.blocks(chunk):
        out = run(block, last=False)
        bar.update(block.shape[1] * seconds_per_sample)
        if out.shape[1]:
            yield out
    out = run(np.zeros((channels, 0), np.float32), last=True)
    if out.shape[1]:
        yield out


def _fsync(path: str | Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _temp_path(output_path: Path, suffix: str) -> str:
    """Create a new hidden temporary file beside ``output_path`` (mode 0666 minus the umask, like
    any file the user writes, unlike ``tempfile.mkstemp``'s 0600)."""
    for _ in range(100):
        name = str(output_path.parent / f".{output_path.name}{TEMP_MARKER}{secrets.token_hex(4)}{suffix}")
        try:
            fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return name
    raise FileExistsError(f"cannot create a temporary file beside {output_path}")


def process_file(
    chain: Any,
    input_path: str | Path,
    output_path: str | Path,
    output: Any = None,
    chunk_seconds: float = 1.0,
    buffer_size: int = 8192,
    progress: bool = False,
    progress_position: int = 0,
    lead_in: bool = True,
) -> dict:
    """Process ``input_path`` through ``chain`` into ``output_path``; returns a summary dict.

    ``chain``: a :class:`hance_plugin.Pedalboard` (e.g. from :func:`hance_plugin.load_preset`), a
    list of plugins or one plugin. ``output``: :class:`hance_plugin.presets.OutputOptions`
    (sample rate, bit depth, dither); by default the chain's own ``.output`` if it has one. The
    output format is the output path's suffix. Raises ``AudioFileError`` for unreadable input.
    ``lead_in``: start the chain's Denoisers' noise-floor trackers after a quiet lead-in, if the
    input begins with one (the module's "Quiet lead-ins"); the summary's ``quiet_lead_in`` says
    what was found.
    """
    started = time.perf_counter()
    input_path, output_path = Path(input_path), Path(output_path)
    board = _as_board(chain)
    if output is None:
        output = getattr(chain, "output", None)
    out_rate_opt = getattr(output, "sample_rate", None)
    bit_depth = getattr(output, "bit_depth", None)
    dither = getattr(output, "dither", True)
    fmt = format_for_path(output_path)
    if output_path.exists() and input_path.exists() and os.path.samefile(output_path, input_path):
        raise ValueError(f"refusing to overwrite the input file {input_path}")
    loudness: LoudnessNormalizer | None = None
    if len(board) and isinstance(board[-1], LoudnessNormalizer):
        loudness = board[-1]
        board = Pedalboard(list(board)[:-1])
    output_path.parent.mkdir(parents=True, exist_ok=True)
    denoisers = [p for p in board._flat_plugins() if isinstance(p, Denoiser)] if lead_in else []
    lead = scan_lead_in(input_path, chunk_seconds) if denoisers else None
    temps: list[str] = []
    with _floor_start(denoisers, lead), AudioReader(input_path) as reader:
        info = reader.info
        out_rate = int(out_rate_opt or info.sample_rate)
        limit = max_sample_rate(fmt)
        if out_rate_opt is None and limit is not None and out_rate > limit:
            out_rate = limit  # e.g. a 96 kHz recording written as MP3: resample to 48 kHz, not fail
        channels = info.num_channels
        subtype = choose_subtype(fmt, info.subtype, bit_depth)
        chunk = max(1, int(round(chunk_seconds * info.sample_rate)))
        out_chunk = max(1, int(round(chunk_seconds * out_rate)))
        bar = _progress(info.duration_s, f"{input_path.name}", progress, progress_position)
        part = _temp_path(output_path, ".part")
        temps.append(part)
        writer_box: list[AudioWriter] = []

        def open_writer() -> AudioWriter:
            writer = AudioWriter(part, out_rate, channels, fmt, subtype, dither=dither)
            writer_box.append(writer)
            return writer

        try:
            report = None
            if loudness is None:
                meter = LoudnessMeter(out_rate, channels)
                with open_writer() as writer:
                    for block in _chain_output(reader, board, out_rate, chunk, buffer_size, bar):
                        meter.add(block)
                        writer.write(block)
                out_stats = meter.result()
            else:
                raw = _temp_path(output_path, ".f32")
                temps.append(raw)
                meter = LoudnessMeter(out_rate, channels)
                bar.set_description(f"{input_path.name} [1/2]")
                with open(raw, "wb") as handle:
                    for block in _chain_output(reader, board, out_rate, chunk, buffer_size, bar):
                        meter.add(block)
                        handle.write(np.ascontiguousarray(block.T, dtype="<f4").tobytes())
                first = meter.result()
                bar.set_description(f"{input_path.name} [2/2]")

                def chunks() -> Iterator[np.ndarray]:
                    bar.reset(total=first.duration_s)
                    with open(raw, "rb") as handle:
                        while True:
                            data = np.fromfile(handle, dtype="<f4", count=out_chunk * channels)
                            if data.size == 0:
                                return
                            block = np.ascontiguousarray(data.reshape(-1, channels).T)
                            bar.update(block.shape[1] / out_rate)
                            yield block

                def open_sink():
                    return open_writer().write

                def discard():
                    writer_box[-1].close()

                report = normalize_passes(chunks, open_sink, discard, first, loudness.settings)
                writer_box[-1].close()
                out_stats = report.output
                loudness.gain_db = report.gain_db
            _fsync(part)
            os.replace(part, output_path)
            temps.remove(part)
        finally:
            for writer in writer_box:
                try:
                    writer.close()
                except Exception:
                    pass
            for name in temps:
                Path(name).unlink(missing_ok=True)
            bar.close()
    result = {
        "input": str(input_path),
        "output": str(output_path),
        "input_format": info.format,
        "input_subtype": info.subtype,
        "format": fmt,
        "subtype": subtype,
        "sample_rate": out_rate,
        "input_sample_rate": info.sample_rate,
        "channels": channels,
        "duration_s": info.duration_s,
        "seconds": time.perf_counter() - started,
        "clipped_samples": sum(w.clipped_samples for w in writer_box[-1:]),
        "output_stats": out_stats.as_dict(),
        "quiet_lead_in": None if lead is None else lead.as_dict(),
    }
    if report is not None:
        result["loudness"] = report.as_dict()
    return result


def file_info(path: str | Path, chunk_seconds: float = 4.0) -> dict:
    """Format, rate, channels, duration, integrated loudness, sample and true peak of a file."""
    with AudioReader(path) as reader:
        info = reader.info
        meter = LoudnessMeter(info.sample_rate, info.num_channels)
        for block in reader.blocks(max(1, int(chunk_seconds * info.sample_rate))):
            meter.add(block)
        stats = meter.result()
    out = info.as_dict()
    out.update(
        integrated_lufs=stats.as_dict()["integrated_lufs"],
        sample_peak_dbfs=stats.as_dict()["sample_peak_dbfs"],
        true_peak_dbtp=stats.as_dict()["true_peak_dbtp"],
    )
    return out


def denoise_file(
    denoiser: Any,
    input_path: str | Path,
    output_path: str | Path,
    chunk_seconds: float = 1.0,
    progress: bool = True,
) -> Path:
    """Denoise ``input_path`` into ``output_path`` with one ``Denoiser`` (kept for compatibility)."""
    process_file(Pedalboard([denoiser]), input_path, output_path, chunk_seconds=chunk_seconds, progress=progress)
    return Path(output_path)
