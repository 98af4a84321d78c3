"""Batch throughput and streaming memory of the ``hance-plugin`` command line.

What
----
1. **Throughput.** The same 20 generated files (speech-like, 48 kHz mono 16-bit WAV) go through
   ``hance-plugin batch --preset podcast-voice`` three times: ``--jobs 1``, ``--jobs 2`` and
   ``--dask-local-workers 2`` (a Dask ``LocalCluster`` started by the command). Each run is a fresh
   command in a fresh output folder, timed from start to exit, so process start-up, model loading
   and (for Dask) cluster start-up are included: it is what a user waits for. Reported as files
   per minute and as the ratio to ``--jobs 1``; the outputs of the three runs are checked to be
   identical (every decoded sample).
2. **Memory.** ``hance-plugin process`` (the default chain, the Denoiser alone) on a 2-minute and a
   2-hour synthetic file (48 kHz mono 16-bit WAV, generated in chunks straight to disk). The peak
   resident set size of each command is read from the kernel (``os.wait4`` rusage of that one
   process, started from a small launcher so the benchmark's own memory is not inherited), so it
   covers everything the process ever held: the interpreter, numpy, Numba, onnxruntime and the
   audio buffers. Streaming means the 2-hour file should need no more memory
   than the 2-minute one; the ratio is reported.

Why
---
Issue 4 promises a batch runner that scales from one process to several and to Dask, and files of
any length in flat memory. These are the numbers behind those promises on the machine at hand;
they are ratios and measurements, not pass/fail thresholds. The host's core count and load
average are recorded with them, because other work on the machine changes every number here.

Run
---
    .venv/bin/python benchmarks/batch.py                 # ~5-10 minutes on 2 cores
    .venv/bin/python benchmarks/batch.py --long-minutes 20 --skip-dask   # a quicker look

Writes ``benchmarks/results/batch.md`` and ``benchmarks/results/batch.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

RESULTS = Path(__file__).resolve().parent / "results"
RATE_HZ = 48000


# ------------------------------------------------------------------------------- test material
def speech_like(rate_hz: int, num_samples: int, seed: int, offset_samples: int = 0) -> np.ndarray:
    """Harmonic 'voice' with syllable and phrase envelopes over pink-ish noise and 50 Hz hum, float32.

    Deterministic for (seed, absolute sample position), so a long file can be generated in chunks.
    """
    rng = np.random.default_rng([seed, offset_samples])
    t = (offset_samples + np.arange(num_samples)) / rate_hz
    f0 = 120.0 + 15.0 * seed % 90 + 20.0 * np.sin(2 * np.pi * 0.4 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate_hz
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = np.clip(np.sin(2 * np.pi * 3.3 * t), 0, None) ** 2
    phrases = (np.sin(2 * np.pi * 0.12 * t + seed) > -0.4).astype(np.float64)
    white = rng.normal(0.0, 1.0, num_samples)
    pinkish = np.convolve(white, np.ones(8) / 8, mode="same")  # cheap low-pass: more low-frequency noise
    noise = 0.02 * pinkish + 0.004 * white + 0.01 * np.sin(2 * np.pi * 50.0 * t)
    return (0.12 * voice * syllables * phrases + noise).astype(np.float32)


def write_file(path: Path, seconds: float, seed: int, chunk_seconds: float = 60.0) -> Path:
    """Write ``seconds`` of :func:`speech_like` audio as 16-bit WAV, one chunk at a time."""
    total = int(round(seconds * RATE_HZ))
    chunk = int(chunk_seconds * RATE_HZ)
    with sf.SoundFile(str(path), "w", samplerate=RATE_HZ, channels=1, subtype="PCM_16") as handle:
        for start in range(0, total, chunk):
            handle.write(speech_like(RATE_HZ, min(chunk, total - start), seed, start))
    return path


# ------------------------------------------------------------------------------------ running
def cli() -> list[str]:
    script = Path(sys.executable).with_name("hance-plugin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hance_plugin"]


# Runs the measured command and reports its rusage. The command is started from this small
# launcher, not from the benchmark itself: on Linux a child's ru_maxrss starts at the RSS of the
# process it was forked from (exec keeps the high-water mark), so forking from the benchmark's big
# Python process would report the benchmark's own memory.
_LAUNCHER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as handle:
    json.dump({"maxrss_kib": usage.ru_maxrss, "returncode": os.waitstatus_to_exitcode(status)}, handle)
"""


def run_measured(command: list[str]) -> dict:
    """Run ``command``; wall-clock seconds, peak RSS (MiB) of that process, exit code, stdout, stderr."""
    with tempfile.TemporaryDirectory() as scratch:
        usage_file = Path(scratch) / "usage.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(usage_file), *command], capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        usage = json.loads(usage_file.read_text())
    return {
        "seconds": seconds,
        "peak_rss_mib": usage["maxrss_kib"] / 1024.0,  # Linux reports KiB
        "returncode": usage["returncode"],
        "stdout": done.stdout,
        "stderr": done.stderr,
    }


def decoded(folder: Path) -> dict[str, str]:
    """Output name -> SHA-256 of its decoded samples (the audio, not the container's bytes)."""
    return {
        p.name: hashlib.sha256(sf.read(str(p), dtype="float64", always_2d=True)[0].tobytes()).hexdigest()
        for p in sorted(folder.glob("*.wav"))
    }


def throughput(work: Path, num_files: int, seconds_per_file: float, preset: str, skip_dask: bool) -> dict:
    inputs = work / "show"
    inputs.mkdir()
    for index in range(num_files):
        write_file(inputs / f"episode-{index:02d}.wav", seconds_per_file, seed=index)
    configs = [("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"])]
    if not skip_dask:
        configs.append(("Dask local, 2 workers", ["--dask-local-workers", "2"]))
    rows, reference = [], None
    for label, flags in configs:
        out = work / ("out-" + "-".join(f.strip("-") for f in flags))
        command = [*cli(), "batch", str(inputs), str(out), "--preset", preset, "--json", *flags]
        print(f"  {label}: {' '.join(command[-4:])} ...", flush=True)
        result = run_measured(command)
        if result["returncode"] != 0:
            raise SystemExit(f"{label} failed ({result['returncode']}):\n{result['stderr'][-3000:]}")
        report = json.loads(result["stdout"])
        outputs = decoded(out)
        if reference is None:
            reference = outputs
        rows.append({
            "config": label,
            "files": report["counts"]["processed"],
            "wall_s": round(result["seconds"], 2),
            "files_per_minute": round(num_files / result["seconds"] * 60.0, 1),
            "audio_realtime_factor": round(num_files * seconds_per_file / result["seconds"], 1),
            "executor": report["executor"],
            "identical_to_jobs_1": outputs == reference,
        })
        shutil.rmtree(out)
    base = rows[0]["files_per_minute"]
    for row in rows:
        row["speed_vs_jobs_1"] = round(row["files_per_minute"] / base, 2)
    return {"num_files": num_files, "seconds_per_file": seconds_per_file, "preset": preset, "rows": rows}


def memory(work: Path, short_minutes: float, long_minutes: float) -> dict:
    rows = []
    for minutes in (short_minutes, long_minutes):
        source = work / f"long-{minutes:g}min.wav"
        print(f"  generating {minutes:g} min ...", flush=True)
        write_file(source, minutes * 60.0, seed=99)
        out = work / f"out-{minutes:g}min.wav"
        command = [*cli(), "process", str(source), str(out), "--quiet"]
        print(f"  hance-plugin process ({minutes:g} min) ...", flush=True)
        result = run_measured(command)
        if result["returncode"] != 0:
            raise SystemExit(f"process failed ({result['returncode']}):\n{result['stderr'][-3000:]}")
        assert sf.info(str(out)).frames == sf.info(str(source)).frames
        rows.append({
            "audio_minutes": minutes,
            "input_mib": round(source.stat().st_size / 2**20, 1),
            "peak_rss_mib": round(result["peak_rss_mib"], 1),
            "wall_s": round(result["seconds"], 1),
            "realtime_factor": round(minutes * 60.0 / result["seconds"], 1),
        })
        source.unlink()
        out.unlink()
    return {"rows": rows, "peak_rss_ratio_long_vs_short": round(rows[1]["peak_rss_mib"] / rows[0]["peak_rss_mib"], 3)}


# ------------------------------------------------------------------------------------ report
def markdown(result: dict) -> str:
    host = result["host"]
    lines = [
        "# Batch throughput and streaming memory",
        "",
        f"`benchmarks/batch.py` on {host['cpu_count']} CPU cores ({host['machine']}, Python {host['python']}); "
        f"load average {host['load_average_before'][0]:.1f} before the run (other processes were competing "
        "for the cores; absolute numbers move with that, ratios less).",
        "",
    ]
    tp = result.get("throughput")
    if tp:
        lines += [
            f"## Throughput: {tp['num_files']} files of {tp['seconds_per_file']:g} s (48 kHz mono 16-bit WAV), "
            f"`--preset {tp['preset']}`",
            "",
            "Wall clock of the whole command (start-up, model loading and Dask cluster start-up included).",
            "",
            "| run | files/min | audio × real time | wall s | vs `--jobs 1` | outputs identical to `--jobs 1` |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for row in tp["rows"]:
            lines.append(
                f"| {row['config']} | {row['files_per_minute']:.1f} | {row['audio_realtime_factor']:.1f} | "
                f"{row['wall_s']:.1f} | {row['speed_vs_jobs_1']:.2f}× | {'yes' if row['identical_to_jobs_1'] else 'NO'} |"
            )
        lines.append("")
    mem = result.get("memory")
    if mem:
        lines += [
            "## Memory: `hance-plugin process` (the Denoiser alone), 48 kHz mono 16-bit WAV",
            "",
            "Peak resident set size of the command's process (kernel rusage), interpreter and libraries included.",
            "",
            "| audio | input file MiB | peak RSS MiB | wall s | × real time |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in mem["rows"]:
            minutes = row["audio_minutes"]
            label = f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"
            lines.append(
                f"| {label} | {row['input_mib']:.1f} | {row['peak_rss_mib']:.1f} | {row['wall_s']:.1f} | {row['realtime_factor']:.1f} |"
            )
        lines += ["", f"Peak RSS, long file / short file: **{mem['peak_rss_ratio_long_vs_short']:.3f}**.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--seconds-per-file", type=float, default=30.0)
    parser.add_argument("--preset", default="podcast-voice")
    parser.add_argument("--short-minutes", type=float, default=2.0)
    parser.add_argument("--long-minutes", type=float, default=120.0)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--work-dir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    result: dict = {
        "host": {
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "load_average_before": list(os.getloadavg()),
        }
    }
    with tempfile.TemporaryDirectory(prefix="hance-batch-bench-", dir=args.work_dir) as scratch:
        work = Path(scratch)
        if not args.skip_throughput:
            print("throughput:", flush=True)
            result["throughput"] = throughput(work, args.files, args.seconds_per_file, args.preset, args.skip_dask)
        if not args.skip_memory:
            print("memory:", flush=True)
            result["memory"] = memory(work, args.short_minutes, args.long_minutes)
    result["host"]["load_average_after"] = list(os.getloadavg())
    text = markdown(result)
    print()
    print(text)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "batch.md").write_text(text, encoding="utf-8")
    (args.results / "batch.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
