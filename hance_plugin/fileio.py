"""Denoise audio files in constant memory: stream the file through the plugin in chunks.

The Denoiser's streaming output is delayed by its latency L, so the first L output samples are
dropped and L samples of silence are fed at the end to flush the tail; the written file has the
input's length, sample rate, channel count and sample format, time-aligned with the input.
The output is written to a temporary file beside the destination and renamed into place only
when complete, so an interrupted run never leaves a truncated file under the final name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .denoiser import Denoiser

__all__ = ["denoise_file"]


def denoise_file(
    denoiser: Denoiser,
    input_path: str | Path,
    output_path: str | Path,
    chunk_seconds: float = 1.0,
    progress: bool = True,
) -> Path:
    """Denoise ``input_path`` into ``output_path`` (format from the suffix; subtype kept if possible)."""
    input_path, output_path = Path(input_path), Path(output_path)
    if input_path.resolve() == output_path.resolve():
        raise ValueError(f"refusing to overwrite the input file {input_path}")
    info = sf.info(str(input_path))
    rate, channels = info.samplerate, info.channels
    out_format = output_path.suffix.lstrip(".").upper() or info.format
    subtype = info.subtype if sf.check_format(out_format, info.subtype) else None
    latency = denoiser.get_latency_samples(rate)
    chunk = max(1, int(chunk_seconds * rate))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output_path.name}.", suffix=".part", dir=output_path.parent)
    os.close(fd)
    bar = _progress(info.frames, input_path.name, progress)
    try:
        with sf.SoundFile(str(input_path)) as src, sf.SoundFile(
            tmp_name, "w", samplerate=rate, channels=channels, format=out_format, subtype=subtype
        ) as dst:
            denoiser.reset()
            to_skip = latency
            for block in src.blocks(blocksize=chunk, dtype="float32", always_2d=True):
                y = denoiser.process(np.ascontiguousarray(block.T), rate, reset=False)
                skip = min(to_skip, y.shape[1])
                to_skip -= skip
                dst.write(y[:, skip:].T)
                bar.update(block.shape[0])
            tail = denoiser.process(np.zeros((channels, latency), np.float32), rate, reset=False)
            dst.write(tail[:, to_skip:].T)
        os.replace(tmp_name, output_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    return output_path


def _progress(total: int, name: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="sample", unit_scale=True, disable=not enabled, leave=False)
