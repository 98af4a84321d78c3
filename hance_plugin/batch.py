"""Batch processing: a folder of audio files through one preset, resumable, parallel, distributed.

    hance-plugin batch IN_DIR OUT_DIR --preset podcast-voice [--jobs N] [--recursive] [--format flac]
                       [--dask-scheduler tcp://host:8786 | --dask-local-workers N]

Guarantees
----------
* **Inputs are never modified.** Inputs are only opened for reading; an output path that equals an
  input path is refused; ``OUT_DIR`` inside ``IN_DIR`` (or equal to it) is refused unless
  ``allow_nested_output`` (``--allow-nested-output``), and even then ``OUT_DIR`` is never scanned
  for inputs.
* **Atomic outputs.** Each output is written to a hidden temporary file in its folder and renamed
  into place only when complete (:func:`hance_plugin.fileio.process_file`); a crash never leaves a
  truncated file under the final name. Stale temporary files of a killed run are removed when the
  next run starts (a lock file makes sure no other batch is writing to ``OUT_DIR`` at that time).
* **Resumable.** ``OUT_DIR/.hance-manifest.jsonl`` gets one JSON line per finished output (input
  path, size and SHA-256, preset fingerprint, model version, output size), appended and fsync'ed
  only after the output was renamed into place. A rerun of the same command skips every input whose
  manifest entry matches (same input checksum, same preset fingerprint, same model version) and
  whose output still exists with the recorded size; everything else is redone. A line truncated by
  a crash is ignored.
* **Failures are isolated.** A file that cannot be read (corrupt, empty, unsupported encoding) or
  processed is reported with its error and skipped; the others are processed. Files whose suffix is
  not an audio format (``.txt``, ``.jpg``, ...) and hidden files are ignored (listed as such).
* **Parallel** (``jobs > 1``): a pool of ``jobs`` worker processes (spawned, not forked); every
  file is processed by a freshly built chain, so the output does not depend on which worker
  processed it or in which order: identical to ``jobs = 1``.
* **Distributed** (Dask ``distributed``, ``pip install 'hance-plugin[dask]'``): with
  ``dask_scheduler`` (an existing cluster) or ``dask_local_workers`` (a ``LocalCluster`` started for
  this run) each file is one Dask task. Workers read the inputs and write the outputs themselves,
  so on a real cluster ``IN_DIR`` and ``OUT_DIR`` must be the same paths on every worker (a shared
  file system: NFS, SMB, Lustre, a bind-mounted volume), and every worker needs the same
  hance-plugin version, the models and any VST3 plugin the preset names, at the same paths. The
  preset itself travels with each task (as TOML text), so user preset files need not be shared.
  Only the client writes the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None

from .audio_files import FORMATS, AudioFileError, choose_subtype, is_audio_path
from .fileio import TEMP_MARKER

__all__ = ["BatchOptions", "BatchReport", "BatchUsageError", "run_batch", "process_task", "MANIFEST_NAME"]

MANIFEST_NAME = ".hance-manifest.jsonl"
LOCK_NAME = ".hance-batch.lock"
SPEECH_GUARD_OFF = "off"  # --speech-guard-db off: turn a preset's speech guard off


class BatchUsageError(Exception):
    """The batch cannot start (bad folders, nested output, preset error, busy output folder)."""


@dataclass
class BatchOptions:
    in_dir: Path
    out_dir: Path
    preset: str = "denoise-only"
    jobs: int = 1
    recursive: bool = False
    format: str | None = None  # wav, flac, ogg, mp3, aiff; default: the preset's, else the input's
    allow_nested_output: bool = False
    dask_scheduler: str | None = None
    dask_local_workers: int | None = None
    model: str | None = None  # overrides every Denoiser's model
    attenuation_limit_db: float | None = None  # overrides every Denoiser's attenuation limit
    post_filter_beta: float | None = None  # overrides every Denoiser's post-filter strength
    pause_post_filter_beta: float | None = None  # overrides every Denoiser's pause post-filter strength
    level_normalization: bool | None = None  # overrides every Denoiser's level normalisation switch
    speech_guard_db: float | str | None = None  # overrides every Denoiser's speech guard ("off" turns it off)
    chunk_seconds: float = 1.0
    progress: bool = False
    lead_in: bool = True  # start the Denoisers' noise floor after a quiet lead-in (fileio.process_file)


@dataclass
class BatchReport:
    processed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # already done (manifest)
    failed: list[dict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # not audio files
    preset: str = ""
    preset_fingerprint: str = ""
    model: str = ""
    seconds: float = 0.0
    executor: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def as_dict(self) -> dict:
        return {
            "ok": not self.failed,
            "preset": self.preset,
            "preset_fingerprint": self.preset_fingerprint,
            "model": self.model,
            "executor": self.executor,
            "seconds": self.seconds,
            "counts": {
                "processed": len(self.processed), "skipped": len(self.skipped),
                "failed": len(self.failed), "ignored": len(self.ignored),
            },
            "processed": self.processed,
            "skipped": self.skipped,
            "failed": self.failed,
            "ignored": self.ignored,
        }


# ----------------------------------------------------------------------------------- helpers
def sha256_file(path: str | Path, block_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(block_size)
            if not block:
                return digest.hexdigest()
            digest.update(block)


def model_version(chain: Any) -> str:
    """Every Denoiser's model: card name and the first 16 hex digits of the ONNX file's SHA-256."""
    from .denoiser import Denoiser

    versions = []
    for plugin in chain:
        if isinstance(plugin, Denoiser):
            card = plugin.card
            versions.append(f"{card.name}@{sha256_file(card.onnx_path)[:16]}")
    return ",".join(versions) or "none"


def _is_relative_to(path: Path, other: Path) -> bool:
    try:
        path.relative_to(other)
        return True
    except ValueError:
        return False


def _discover(
    in_dir: Path, out_dir: Path, recursive: bool, outputs: frozenset[Path] = frozenset()
) -> tuple[list[Path], list[str]]:
    """Audio inputs (sorted, relative to ``in_dir``) and ignored non-audio files.

    ``OUT_DIR`` and the files in ``outputs`` (earlier outputs, from the manifest) are never inputs,
    which matters only when ``OUT_DIR`` is inside ``IN_DIR`` (``--allow-nested-output``).
    """
    inputs: list[Path] = []
    ignored: list[str] = []
    for root, dirs, files in os.walk(in_dir):
        root_path = Path(root)
        dirs[:] = sorted(
            d for d in dirs
            if recursive and not d.startswith(".") and (root_path / d).resolve() != out_dir
        )
        for name in sorted(files):
            path = root_path / name
            rel = path.relative_to(in_dir)
            if name.startswith(".") or not path.is_file() or path.resolve() in outputs:
                continue
            if is_audio_path(path):
                inputs.append(rel)
            else:
                ignored.append(str(rel))
        if not recursive:
            break
    return inputs, ignored


def _output_rel(rel: Path, fmt: str | None) -> Path:
    if fmt is None:
        return rel
    return rel.with_suffix(FORMATS[fmt][1])


def _load_manifest(path: Path) -> dict[str, dict]:
    entries: dict[str, dict] = {}
    if not path.is_file():
        return entries
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            if isinstance(entry, dict) and "input" in entry:
                entries[entry["input"]] = entry
    return entries


class _Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries = _load_manifest(path)

    def append(self, entry: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.entries[entry["input"]] = entry


class _Lock:
    """An exclusive ``flock`` on OUT_DIR/.hance-batch.lock (released by the OS if we are killed).

    The file is removed on a normal exit, while the lock is still held, so a finished batch leaves
    nothing behind but its outputs and manifest. Removing a lock file races with a second process
    that opened it just before the unlink and locks the orphaned inode; so after locking we check
    that the path still names the file we locked, and start over if it does not (the usual
    ``flock`` + ``unlink`` protocol)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_NAME
        self.handle = None

    def __enter__(self) -> "_Lock":
        if fcntl is None:  # pragma: no cover - Windows: no locking
            self.handle = open(self.path, "a+")
            return self
        while True:
            handle = open(self.path, "a+")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise BatchUsageError(f"another batch is writing to {self.path.parent} (locked: {self.path})") from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.handle = handle
                return self
            handle.close()  # the holder removed it between our open and flock: lock the new one

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            if fcntl is not None:  # unlink only while really holding the flock
                self.path.unlink(missing_ok=True)
            self.handle.close()
            self.handle = None


def _remove_stale_temporaries(out_dir: Path) -> int:
    removed = 0
    for root, _dirs, files in os.walk(out_dir):
        for name in files:
            if name.startswith(".") and TEMP_MARKER in name and name.endswith((".part", ".f32")):
                Path(root, name).unlink(missing_ok=True)
                removed += 1
    return removed


# -------------------------------------------------------------------------------- the task
_WORKER_POSITION = 1  # terminal line of this process's per-file progress bar (the batch bar is line 0)


def _init_pool_worker(counter: Any) -> None:
    """Pool initializer: give each worker process its own progress-bar line (1, 2, ...)."""
    global _WORKER_POSITION
    with counter.get_lock():
        counter.value += 1
        _WORKER_POSITION = counter.value


def process_task(task: dict) -> dict:
    """Process one file (runs in a worker process or on a Dask worker). Never raises."""
    started = time.perf_counter()
    rel = task["input_rel"]
    try:
        input_path = Path(task["input"])
        stat = input_path.stat()
        checksum = sha256_file(input_path)
        prior = task.get("prior")
        output_path = Path(task["output"])
        if (
            prior
            and prior.get("input_sha256") == checksum
            and prior.get("preset_fingerprint") == task["preset_fingerprint"]
            and prior.get("model") == task["model"]
            and prior.get("output") == task["output_rel"]
            and output_path.is_file()
            and output_path.stat().st_size == prior.get("output_size")
        ):
            return {"status": "skipped", "input": rel, "output": task["output_rel"], "reason": "already done (manifest)"}
        from .fileio import process_file
        from .presets import OutputOptions, loads_preset

        chain = loads_preset(task["preset_text"], task["preset_source"])
        output = OutputOptions(**task["output_options"])
        result = process_file(
            chain, input_path, output_path, output=output, chunk_seconds=task["chunk_seconds"],
            progress=task.get("progress", False),
            progress_position=task.get("progress_position") or _WORKER_POSITION,
            lead_in=task.get("lead_in", True),
        )
        after = input_path.stat()
        if (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            raise RuntimeError(f"{input_path} changed while it was being processed")
        return {
            "status": "done",
            "input": rel,
            "output": task["output_rel"],
            "input_size": stat.st_size,
            "input_sha256": checksum,
            "output_size": output_path.stat().st_size,
            "seconds": time.perf_counter() - started,
            "result": result,
        }
    except Exception as exc:  # reported, never raised: one bad file must not stop the batch
        return {
            "status": "failed",
            "input": rel,
            "output": task.get("output_rel"),
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=6),
        }


# ---------------------------------------------------------------------------------- the batch
def _prepare(options: BatchOptions):
    from dataclasses import replace

    from .presets import PresetError, dumps_preset, load_preset, preset_fingerprint

    in_dir = Path(options.in_dir).expanduser()
    out_dir = Path(options.out_dir).expanduser()
    if not in_dir.is_dir():
        raise BatchUsageError(f"input folder not found: {in_dir}")
    in_dir, out_resolved = in_dir.resolve(), out_dir.resolve()
    if _is_relative_to(out_resolved, in_dir) and not options.allow_nested_output:
        raise BatchUsageError(
            f"output folder {out_dir} is inside the input folder {in_dir}; choose another folder or pass "
            "--allow-nested-output"
        )
    if out_resolved.exists() and not out_resolved.is_dir():
        raise BatchUsageError(f"output path exists and is not a folder: {out_dir}")
    if options.jobs < 1:
        raise BatchUsageError(f"--jobs must be at least 1, got {options.jobs}")
    if options.dask_local_workers is not None and options.dask_local_workers < 1:
        raise BatchUsageError(f"--dask-local-workers must be at least 1, got {options.dask_local_workers}")
    if options.dask_scheduler and options.dask_local_workers:
        raise BatchUsageError("use either --dask-scheduler or --dask-local-workers, not both")
    if options.format is not None and options.format not in FORMATS:
        raise BatchUsageError(f"unknown --format {options.format!r}; allowed: {', '.join(FORMATS)}")
    try:
        chain = load_preset(options.preset)
        chain = apply_overrides(chain, model=options.model, attenuation_limit_db=options.attenuation_limit_db,
                                post_filter_beta=options.post_filter_beta,
                                level_normalization=options.level_normalization,
                                pause_post_filter_beta=options.pause_post_filter_beta,
                                speech_guard_db=options.speech_guard_db)
        text = dumps_preset(chain)
    except PresetError as exc:
        raise BatchUsageError(str(exc)) from None
    fmt = options.format or chain.output.format
    if fmt is not None and chain.output.bit_depth is not None:
        try:  # a format that cannot hold the preset's bit depth would fail every file
            choose_subtype(fmt, None, chain.output.bit_depth)
        except AudioFileError as exc:
            raise BatchUsageError(f"{exc} (output bit_depth {chain.output.bit_depth} of the preset, format {fmt})") from None
    # the fingerprint covers what shapes the file: the chain, the loudness stage and the output options
    fingerprint = preset_fingerprint(chain, output=replace(chain.output, format=fmt))
    if not options.lead_in:  # outputs made without the lead-in restart are other files
        fingerprint += "+no-lead-in-restart"
    return in_dir, out_resolved, chain, text, fingerprint, fmt


def apply_overrides(chain: Any, *, model: str | None = None, attenuation_limit_db: float | None = None,
                    post_filter_beta: float | None = None, level_normalization: bool | None = None,
                    pause_post_filter_beta: float | None = None, speech_guard_db: float | str | None = None):
    """Replace every Denoiser of ``chain`` by one with the given model / attenuation limit / post-filter
    / level normalisation switch / pause post-filter / speech guard (``None`` keeps the Denoiser's own
    value; ``speech_guard_db="off"`` turns the guard off)."""
    if (model is None and attenuation_limit_db is None and post_filter_beta is None and level_normalization is None
            and pause_post_filter_beta is None and speech_guard_db is None):
        return chain
    from .denoiser import Denoiser
    from .presets import PresetError

    if isinstance(speech_guard_db, str) and speech_guard_db != SPEECH_GUARD_OFF:
        raise PresetError(f"--speech-guard-db: expected a number of dB or {SPEECH_GUARD_OFF!r}, got {speech_guard_db!r}")

    if model is not None and Path(model).expanduser().is_file():
        # a model file named on the command line is relative to the working directory, not to the
        # preset (where the workers' reload of the dumped chain would look for it)
        model = str(Path(model).expanduser().absolute())
    found = False
    for index, plugin in enumerate(list(chain)):
        if isinstance(plugin, Denoiser):
            found = True
            current = getattr(plugin, "_model", plugin.model)
            try:
                chain[index] = Denoiser(
                    model if model is not None else current,
                    attenuation_limit_db=plugin.attenuation_limit_db if attenuation_limit_db is None else attenuation_limit_db,
                    mix=plugin.mix,
                    num_threads=plugin.num_threads,
                    resampler_quality=getattr(plugin, "_quality", "HQ"),
                    post_filter_beta=plugin.post_filter_beta if post_filter_beta is None else post_filter_beta,
                    level_normalization=plugin.level_normalization if level_normalization is None else level_normalization,
                    pause_post_filter_beta=(plugin.pause_post_filter_beta if pause_post_filter_beta is None
                                            else pause_post_filter_beta),
                    speech_guard_db=(getattr(plugin, "speech_guard_db", None) if speech_guard_db is None
                                     else None if speech_guard_db == SPEECH_GUARD_OFF else speech_guard_db),
                    noise_floor_start_samples=getattr(plugin, "noise_floor_start_samples", None),
                )
            except (TypeError, ValueError, FileNotFoundError) as exc:
                raise PresetError(f"--model/--attenuation-limit-db/--post-filter-beta/--pause-post-filter-beta/"
                                  f"--speech-guard-db: {exc}") from None
    if not found:
        raise PresetError(f"preset {getattr(chain, 'name', '')!r} has no Denoiser for --model/--attenuation-limit-db/"
                          "--post-filter-beta/--pause-post-filter-beta/--level-normalization/--speech-guard-db to change")
    return chain


def run_batch(options: BatchOptions, on_result: Callable[[dict], None] | None = None) -> BatchReport:
    """Run a batch (see the module docstring). Raises :class:`BatchUsageError` before starting."""
    started = time.perf_counter()
    in_dir, out_dir, chain, preset_text, fingerprint, fmt = _prepare(options)
    report = BatchReport(preset=chain.name or str(options.preset), preset_fingerprint=fingerprint, model=model_version(chain))
    out_dir.mkdir(parents=True, exist_ok=True)
    with _Lock(out_dir):
        _remove_stale_temporaries(out_dir)
        manifest = _Manifest(out_dir / MANIFEST_NAME)
        earlier_outputs = frozenset((out_dir / e["output"]).resolve() for e in manifest.entries.values() if e.get("output"))
        inputs, report.ignored = _discover(in_dir, out_dir, options.recursive, earlier_outputs)
        input_set = {(in_dir / rel).resolve() for rel in inputs}
        tasks: list[dict] = []
        claimed: dict[Path, str] = {}
        for rel in inputs:
            out_rel = _output_rel(rel, fmt)
            out_path = out_dir / out_rel
            problem = None
            if out_path.resolve() in input_set:
                problem = f"output {out_path} would overwrite an input file"
            elif out_path in claimed:
                problem = f"output {out_rel} is also the output of {claimed[out_path]}; rename one of the inputs"
            if problem:
                report.failed.append({"input": str(rel), "output": str(out_rel), "error": problem})
                continue
            claimed[out_path] = str(rel)
            tasks.append({
                "input": str(in_dir / rel),
                "input_rel": str(rel),
                "output": str(out_path),
                "output_rel": str(out_rel),
                "preset_text": preset_text,
                "preset_source": chain.source or str(options.preset),
                "preset_fingerprint": fingerprint,
                "model": report.model,
                "output_options": {
                    "sample_rate": chain.output.sample_rate, "bit_depth": chain.output.bit_depth,
                    "format": fmt, "dither": chain.output.dither,
                },
                "chunk_seconds": options.chunk_seconds,
                "lead_in": options.lead_in,
                "prior": manifest.entries.get(str(rel)),
            })

        bar = _batch_bar(len(tasks), options.progress)

        def handle(result: dict) -> None:
            status = result["status"]
            if status == "done":
                manifest.append({
                    "input": result["input"],
                    "output": result["output"],
                    "input_size": result["input_size"],
                    "input_sha256": result["input_sha256"],
                    "output_size": result["output_size"],
                    "preset": report.preset,
                    "preset_fingerprint": fingerprint,
                    "model": report.model,
                    "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                })
                report.processed.append(_summary(result))
            elif status == "skipped":
                report.skipped.append({k: result[k] for k in ("input", "output", "reason")})
            else:
                report.failed.append({k: result.get(k) for k in ("input", "output", "error")})
            _tick(bar, report)
            if on_result is not None:
                on_result(result)

        try:
            if options.dask_scheduler or options.dask_local_workers:
                report.executor = _run_dask(tasks, options, handle)
            elif options.jobs > 1 and len(tasks) > 1:
                report.executor = f"processes({options.jobs})"
                for task in tasks:
                    task["progress"] = options.progress
                _run_pool(tasks, options.jobs, handle)
            else:
                report.executor = "in-process"
                for task in tasks:
                    task["progress"] = options.progress
                    task["progress_position"] = 1
                    handle(process_task(task))
        finally:
            bar.close()
    report.seconds = time.perf_counter() - started
    return report


def _summary(result: dict) -> dict:
    inner = result.get("result", {})
    summary = {
        "input": result["input"],
        "output": result["output"],
        "seconds": round(result["seconds"], 3),
        "duration_s": inner.get("duration_s"),
        "sample_rate": inner.get("sample_rate"),
        "channels": inner.get("channels"),
        "format": inner.get("format"),
        "subtype": inner.get("subtype"),
        "output_lufs": inner.get("output_stats", {}).get("integrated_lufs"),
        "output_true_peak_dbtp": inner.get("output_stats", {}).get("true_peak_dbtp"),
    }
    if inner.get("clipped_samples"):
        summary["clipped_samples"] = inner["clipped_samples"]
    if inner.get("quiet_lead_in"):
        summary["quiet_lead_in"] = inner["quiet_lead_in"]
    return summary


def _batch_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="batch", unit="file", disable=not enabled, position=0, dynamic_ncols=True)


def _tick(bar, report: BatchReport) -> None:
    bar.update(1)
    bar.set_postfix(done=len(report.processed), skipped=len(report.skipped), failed=len(report.failed), refresh=False)


def _run_pool(tasks: list[dict], jobs: int, handle: Callable[[dict], None]) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no fork: onnxruntime/VST3 hosts are not fork-safe
    counter = context.Value("i", 0)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_pool_worker, initargs=(counter,)
    ) as pool:
        futures = [pool.submit(process_task, task) for task in tasks]
        try:
            for future in as_completed(futures):
                handle(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _run_dask(tasks: list[dict], options: BatchOptions, handle: Callable[[dict], None]) -> str:
    try:
        from distributed import Client, LocalCluster, as_completed as dask_as_completed
    except ImportError:
        raise BatchUsageError(
            "Dask distributed is not installed; pip install 'hance-plugin[dask]' (or dask[distributed])"
        ) from None
    cluster = None
    if options.dask_local_workers:
        cluster = LocalCluster(
            n_workers=int(options.dask_local_workers), threads_per_worker=1, processes=True,
            dashboard_address=None, silence_logs=40,
        )
        client = Client(cluster)
        executor = f"dask-local({options.dask_local_workers})"
    else:
        try:
            client = Client(options.dask_scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise BatchUsageError(f"cannot connect to Dask scheduler {options.dask_scheduler}: {exc}") from None
        executor = f"dask({options.dask_scheduler})"
    try:
        futures = [
            client.submit(process_task, task, pure=False, key=f"hance-{index}-{hashlib.sha1(task['input'].encode()).hexdigest()[:10]}")
            for index, task in enumerate(tasks)
        ]
        try:
            for future in dask_as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # the worker died (process_task itself never raises)
                    key = future.key if isinstance(future.key, str) else str(future.key)
                    index = int(key.split("-")[1])
                    result = {"status": "failed", "input": tasks[index]["input_rel"], "output": tasks[index]["output_rel"],
                              "error": f"Dask task failed: {type(exc).__name__}: {exc}"}
                handle(result)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return executor
