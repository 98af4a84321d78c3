"""``hance-plugin batch``: each guarantee of the batch runner has a test here.

* inputs are never modified; OUT_DIR inside IN_DIR is refused unless allowed;
* outputs go to a temporary file and are renamed into place when complete (also under ``kill -9``);
* resumable through the manifest (input checksum, preset, model version), including a rerun after
  a batch process was killed mid-file;
* a corrupt, empty or unsupported file is reported and skipped, exit code 1;
* ``--jobs 2`` and Dask (a ``LocalCluster``) give identical outputs to ``--jobs 1`` (every sample).

Inputs are tiny generated files; outputs are compared with other runs, never with stored numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hance_plugin import audio_files
from hance_plugin.batch import LOCK_NAME, MANIFEST_NAME
from hance_plugin.cli import main
from hance_plugin.fileio import TEMP_MARKER, process_file
from hance_plugin.presets import load_preset

AUDIO_SUFFIXES = tuple(audio_files.SUFFIXES)


def _speech(rate: int, seconds: float, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    voice = 0.25 * np.sin(2 * np.pi * (150 + 10 * seed) * t) * (np.sin(2 * np.pi * 2.9 * t) > -0.3)
    return (voice[:, None] + rng.normal(0.0, 0.03, (t.size, channels))).astype(np.float32)


def _make_show(root: Path, seconds: float = 0.4) -> dict[str, str]:
    """A small 'show' folder: mixed formats, rates and channel counts, a sub-folder, a non-audio file."""
    specs = {
        "intro.wav": (48000, 1, "PCM_16"),
        "guest.flac": (44100, 2, "PCM_24"),
        "host.wav": (16000, 1, "FLOAT"),
        "street.ogg": (48000, 1, "VORBIS"),
        "phone.mp3": (22050, 1, "MPEG_LAYER_III"),
        "day2/outro.flac": (48000, 2, "PCM_16"),
    }
    for seed, (name, (rate, channels, subtype)) in enumerate(specs.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), _speech(rate, seconds, channels, seed), rate, subtype=subtype)
    (root / "notes.txt").write_text("show notes\n")
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    return _snapshot(root)


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) -> SHA-256 and mtime."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = f"{hashlib.sha256(path.read_bytes()).hexdigest()}@{path.stat().st_mtime_ns}"
    return out


def _decoded(path: Path) -> tuple:
    """What a file holds: format, rate, channels, sample format and every decoded sample.

    (Not the raw bytes: libsndfile stamps float WAVs' PEAK chunk with the time of writing and gives
    each Ogg stream a random serial number, so two writes of the same audio differ in a few bytes.)
    """
    info = sf.info(str(path))
    samples, _ = sf.read(str(path), dtype="float64", always_2d=True)  # exact for PCM and float32
    return info.format, info.samplerate, info.channels, info.subtype, samples.shape, samples.tobytes()


def _outputs(root: Path) -> dict[str, tuple]:
    """Audio files under ``root`` (not hidden) -> :func:`_decoded`."""
    return {
        str(p.relative_to(root)): _decoded(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.suffix in AUDIO_SUFFIXES
    }


def _temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if TEMP_MARKER in p.name and p.name.endswith((".part", ".f32"))]


def _batch(capsys, *argv) -> tuple[int, dict, str]:
    code = main(["batch", *map(str, argv), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


# ----------------------------------------------------------------------- basic run, no changes
def test_batch_processes_a_show_and_never_touches_inputs(tmp_path, capsys):
    show, out = tmp_path / "show", tmp_path / "out"
    before = _make_show(show)
    code, report, _ = _batch(capsys, show, out, "--preset", "podcast-voice", "--recursive")
    assert code == 0 and report["ok"]
    assert report["counts"] == {"processed": 6, "skipped": 0, "failed": 0, "ignored": 1}
    assert report["ignored"] == ["notes.txt"]
    assert _snapshot(show) == before  # bytes and modification times of every input
    written = _outputs(out)
    assert sorted(written) == sorted(k for k in before if k.endswith(AUDIO_SUFFIXES))
    for rel in written:  # rate, channels, sample format and length kept
        src, dst = sf.info(str(show / rel)), sf.info(str(out / rel))
        assert (dst.samplerate, dst.channels, dst.subtype, dst.frames) == (src.samplerate, src.channels, src.subtype, src.frames)
    assert not _temporaries(out)
    assert (out / MANIFEST_NAME).is_file()

    flat = tmp_path / "flat"  # without --recursive the sub-folder is left alone
    code, report, _ = _batch(capsys, show, flat, "--preset", "denoise-only", "--format", "flac")
    assert code == 0 and sorted(_outputs(flat)) == ["guest.flac", "host.flac", "intro.flac", "phone.flac", "street.flac"]
    assert all(sf.info(str(p)).format == "FLAC" for p in flat.glob("*.flac"))
    assert _snapshot(show) == before


def test_batch_refuses_output_inside_input_unless_told(tmp_path, capsys):
    show = tmp_path / "show"
    before = _make_show(show)
    for nested in (show / "clean", show, show / "day2" / "clean"):
        code, report, err = _batch(capsys, show, nested, "--preset", "denoise-only", "--recursive")
        assert code == 2 and not report["ok"] and "inside the input folder" in err
        assert _snapshot(show) == before  # nothing written, not even a folder
    code, report, _ = _batch(capsys, show, show / "clean", "--preset", "denoise-only", "--recursive", "--allow-nested-output")
    assert code == 0 and report["counts"]["processed"] == 6
    # a rerun neither takes the outputs for inputs nor redoes anything
    code, report, _ = _batch(capsys, show, show / "clean", "--preset", "denoise-only", "--recursive", "--allow-nested-output")
    assert code == 0 and report["counts"] == {"processed": 0, "skipped": 6, "failed": 0, "ignored": 1}
    # OUT_DIR = IN_DIR with another format: outputs beside the inputs, never over them
    code, report, _ = _batch(capsys, show, show, "--preset", "denoise-only", "--format", "wav", "--allow-nested-output")
    assert code == 1 and {f["input"] for f in report["failed"]} == {"intro.wav", "host.wav"}  # would overwrite
    assert all(v == before[k] for k, v in _snapshot(show).items() if k in before)
    code, report, _ = _batch(capsys, show, show, "--preset", "denoise-only", "--format", "wav", "--allow-nested-output")
    assert report["counts"]["processed"] == 0 and report["counts"]["skipped"] == 3  # its outputs are not inputs


def test_usage_errors_exit_2(tmp_path, capsys):
    show = tmp_path / "show"
    _make_show(show)
    assert _batch(capsys, tmp_path / "missing", tmp_path / "out", "--preset", "denoise-only")[0] == 2
    code, _, err = _batch(capsys, show, tmp_path / "out", "--preset", "no-such-preset")
    assert code == 2 and "podcast-voice" in err
    assert _batch(capsys, show, tmp_path / "out", "--preset", "denoise-only", "--jobs", "0")[0] == 2
    (tmp_path / "file").write_text("x")
    assert _batch(capsys, show, tmp_path / "file", "--preset", "denoise-only")[0] == 2
    assert main(["batch", str(show), str(tmp_path / "o"), "--preset", "denoise-only", "--dask-scheduler", "x", "--dask-local-workers", "2"]) == 2
    assert main(["batch", str(show), str(tmp_path / "o")]) == 2  # --preset is required
    assert main(["batch", str(show), str(tmp_path / "o"), "--preset", "denoise-only", "--format", "aac"]) == 2
    capsys.readouterr()


def test_a_second_batch_on_the_same_output_folder_is_refused(tmp_path, capsys):
    import fcntl

    show, out = tmp_path / "show", tmp_path / "out"
    _make_show(show)
    out.mkdir()
    with open(out / LOCK_NAME, "a+") as lock:  # what a running batch holds
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = _batch(capsys, show, out, "--preset", "denoise-only")
        assert code == 2 and "another batch" in err
    assert _batch(capsys, show, out, "--preset", "denoise-only")[0] == 0
    assert not (out / LOCK_NAME).exists()  # a finished batch removes its lock file


def test_the_lock_is_exclusive_and_removed_on_exit(tmp_path):
    from hance_plugin.batch import BatchUsageError, _Lock

    out = tmp_path / "out"
    out.mkdir()
    with _Lock(out):
        assert (out / LOCK_NAME).exists()
        with pytest.raises(BatchUsageError, match="another batch"):
            _Lock(out).__enter__()
    assert not (out / LOCK_NAME).exists()


def test_the_lock_retries_when_the_holder_removed_the_file_between_open_and_flock(tmp_path, monkeypatch):
    import fcntl

    from hance_plugin.batch import _Lock

    out = tmp_path / "out"
    out.mkdir()
    real_flock, calls = fcntl.flock, []

    def flock_after_the_holder_left(fd, op):
        calls.append(os.fstat(fd).st_ino)
        if len(calls) == 1:  # the previous holder unlinks its file and a new one appears
            (out / LOCK_NAME).unlink()
            (out / LOCK_NAME).write_text("")
        return real_flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock_after_the_holder_left)
    lock = _Lock(out).__enter__()
    try:
        assert len(calls) == 2 and calls[0] != calls[1]  # the orphaned inode was let go
        assert os.fstat(lock.handle.fileno()).st_ino == os.stat(out / LOCK_NAME).st_ino
    finally:
        lock.__exit__(None, None, None)
    assert not (out / LOCK_NAME).exists()


# --------------------------------------------------------------------------------- bad files
def test_bad_files_are_reported_and_skipped(tmp_path, capsys):
    show, out = tmp_path / "show", tmp_path / "out"
    _make_show(show)
    (show / "empty.wav").write_bytes(b"")
    (show / "corrupt.flac").write_bytes(b"fLaC" + bytes(range(256)) * 16)
    (show / "unsupported.mp3").write_text("this is a text file with an .mp3 name\n" * 40)
    (show / "zero-frames.wav").write_bytes(b"")
    sf.write(str(show / "zero-frames.wav"), np.zeros((0, 1), np.float32), 48000, subtype="PCM_16")
    # a FLAC whose header is fine but whose audio breaks half-way: fails mid-file
    good = show / "broken-midway.flac"
    sf.write(str(good), _speech(48000, 3.0, 1, 7), 48000, subtype="PCM_16")
    data = bytearray(good.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 20000] = np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    good.write_bytes(bytes(data))
    before = _snapshot(show)

    code, report, err = _batch(capsys, show, out, "--preset", "podcast-voice")
    assert code == 1 and not report["ok"]
    bad = {"empty.wav", "corrupt.flac", "unsupported.mp3", "zero-frames.wav", "broken-midway.flac"}
    assert {f["input"] for f in report["failed"]} == bad
    for failure in report["failed"]:
        assert failure["input"] in failure["error"]  # each error names its file
    assert {p["input"] for p in report["processed"]} == {"intro.wav", "guest.flac", "host.wav", "street.ogg", "phone.mp3"}
    assert sorted(_outputs(out)) == sorted(p["output"] for p in report["processed"])  # no output for a bad file
    assert not _temporaries(out)  # the mid-file failure left no temporary file behind
    assert _snapshot(show) == before
    assert all(f"failed: {name}" in err for name in bad)  # with --json too, on stderr (stdout is the JSON)
    # without --json the failures are listed on stderr, exit code still 1
    assert main(["batch", str(show), str(out), "--preset", "podcast-voice", "--quiet"]) == 1
    _, err = capsys.readouterr()
    assert all(f"failed: {name}" in err for name in bad)


# ----------------------------------------------------------------------- temporary + rename
def test_outputs_are_written_to_a_temporary_file_and_renamed(tmp_path, capsys, monkeypatch):
    import hance_plugin.fileio as fileio

    show, out = tmp_path / "show", tmp_path / "out"
    _make_show(show)
    writes: list[tuple[str, bool]] = []
    renames: list[tuple[str, str]] = []
    original_write, original_replace = audio_files.AudioWriter.write, os.replace

    def spy_write(self, block):
        final = self.path.parent / self.path.name[1:].split(TEMP_MARKER)[0]
        writes.append((str(self.path), final.exists()))
        return original_write(self, block)

    def spy_replace(src, dst):
        renames.append((str(src), str(dst)))
        return original_replace(src, dst)

    monkeypatch.setattr(audio_files.AudioWriter, "write", spy_write)
    monkeypatch.setattr(fileio.os, "replace", spy_replace)
    code, report, _ = _batch(capsys, show, out, "--preset", "podcast-voice", "--recursive")
    assert code == 0 and len(renames) == 6
    for path, final_existed in writes:
        name = Path(path).name
        assert name.startswith(".") and TEMP_MARKER in name and name.endswith(".part")
        assert not final_existed  # nothing under the final name while the file is being written
    for src, dst in renames:
        assert Path(src).parent == Path(dst).parent and Path(src).name.startswith("." + Path(dst).name + TEMP_MARKER)
        assert Path(dst).is_file()

    # a chain that fails half-way through a file: no final file, no temporary file
    class FailsLater:
        calls = 0

        def process(self, x, sample_rate, buffer_size=8192, reset=True):
            FailsLater.calls += 1
            if FailsLater.calls == 3:
                raise RuntimeError("plugin crashed")
            return x

        def reset(self):
            pass

        def get_latency_samples(self, sample_rate):
            return 0

        reported_latency_samples = 0

    monkeypatch.undo()
    source = tmp_path / "long.wav"
    sf.write(str(source), _speech(48000, 2.0, 1, 3), 48000, subtype="PCM_16")
    with pytest.raises(RuntimeError, match="plugin crashed"):
        process_file([FailsLater()], source, out / "crash.wav", chunk_seconds=0.25)
    assert not (out / "crash.wav").exists() and not _temporaries(out)


def _wait_for_mid_file(out: Path, proc: subprocess.Popen, timeout_s: float = 300.0) -> None:
    """Return once at least one output is finished and another one is being written."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        manifest = out / MANIFEST_NAME
        if manifest.is_file() and manifest.read_text().count("\n") >= 1 and _temporaries(out):
            return
        if proc.poll() is not None:
            pytest.fail(f"the batch finished (exit {proc.returncode}) before it could be killed mid-file")
        time.sleep(0.001)
    pytest.fail("the batch did not start writing in time")


@pytest.mark.parametrize("jobs", [1, 2])
def test_kill_9_mid_file_then_rerun_produces_every_output_intact(tmp_path, capsys, jobs):
    show, out, reference = tmp_path / "show", tmp_path / "out", tmp_path / "reference"
    show.mkdir()
    for index in range(6):  # long enough (4 s) that the batch can be caught in the middle of a file
        sf.write(str(show / f"ep{index}.wav"), _speech(48000, 4.0, 1, index), 48000, subtype="PCM_16")
    before = _snapshot(show)
    assert _batch(capsys, show, reference, "--preset", "podcast-voice")[0] == 0
    expected = _outputs(reference)
    assert len(expected) == 6

    command = [sys.executable, "-m", "hance_plugin", "batch", str(show), str(out), "--preset", "podcast-voice",
               "--jobs", str(jobs), "--quiet"]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_mid_file(out, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its worker processes, like a power cut
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.2)  # let the killed workers disappear
    assert _temporaries(out), "the kill did not land mid-file"
    finished = _outputs(out)
    assert len(finished) < 6
    for rel, data in finished.items():  # whatever carries a final name is complete
        assert data == expected[rel], rel
    done_before = len([line for line in (out / MANIFEST_NAME).read_text().splitlines() if line.strip()])

    rerun = subprocess.run(command[:-1] + ["--json"], capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["counts"]["skipped"] >= done_before >= 1
    assert report["counts"]["processed"] + report["counts"]["skipped"] == 6
    assert _outputs(out) == expected  # every output present and identical to an uninterrupted run
    assert not _temporaries(out)
    assert _snapshot(show) == before


# ------------------------------------------------------------------------------------ resume
def test_rerun_skips_finished_files_and_redoes_what_changed(tmp_path, capsys):
    show, out = tmp_path / "show", tmp_path / "out"
    _make_show(show)
    args = (show, out, "--preset", "podcast-voice", "--recursive")
    assert _batch(capsys, *args)[0] == 0
    stamps = {rel: (out / rel).stat().st_mtime_ns for rel in _outputs(out)}
    manifest = [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]
    assert {e["input"] for e in manifest} == set(stamps)
    for entry in manifest:  # what a rerun checks
        assert entry["input_sha256"] == hashlib.sha256((show / entry["input"]).read_bytes()).hexdigest()
        assert entry["preset"] == "podcast-voice" and entry["preset_fingerprint"] and entry["model"].count("@") == 1

    code, report, _ = _batch(capsys, *args)
    assert code == 0 and report["counts"]["skipped"] == 6 and report["counts"]["processed"] == 0
    assert {rel: (out / rel).stat().st_mtime_ns for rel in _outputs(out)} == stamps  # not rewritten

    # a changed input (same name, new content), a deleted output and a half-written manifest line
    sf.write(str(show / "intro.wav"), _speech(48000, 0.5, 1, 42), 48000, subtype="PCM_16")
    (out / "guest.flac").unlink()
    with open(out / MANIFEST_NAME, "a") as handle:
        handle.write('{"input": "host.wav", "input_sha')
    code, report, _ = _batch(capsys, *args)
    assert code == 0 and sorted(p["input"] for p in report["processed"]) == ["guest.flac", "intro.wav"]
    assert report["counts"]["skipped"] == 4

    # another preset setting (a different sound) redoes everything
    code, report, _ = _batch(capsys, *args, "--attenuation-limit-db", "12")
    assert code == 0 and report["counts"]["processed"] == 6
    # and going back to the original settings redoes everything again (the outputs changed)
    code, report, _ = _batch(capsys, *args)
    assert code == 0 and report["counts"]["processed"] == 6
    # so does the post-filter, which also changes the sound
    code, report, _ = _batch(capsys, *args, "--post-filter-beta", "0.1")
    assert code == 0 and report["counts"]["processed"] == 6
    # and the pause post-filter
    code, report, _ = _batch(capsys, *args, "--post-filter-beta", "0.1", "--pause-post-filter-beta", "1")
    assert code == 0 and report["counts"]["processed"] == 6
    # and the speech guard: podcast-voice's own 35 dB is the preset itself, so nothing is redone;
    # "off" and another margin change the sound
    guarded = args + ("--post-filter-beta", "0.1", "--pause-post-filter-beta", "1")
    code, report, _ = _batch(capsys, *guarded, "--speech-guard-db", "35")
    assert code == 0 and report["counts"]["skipped"] == 6
    code, report, _ = _batch(capsys, *guarded, "--speech-guard-db", "off")
    assert code == 0 and report["counts"]["processed"] == 6
    code, report, _ = _batch(capsys, *guarded, "--speech-guard-db", "20")
    assert code == 0 and report["counts"]["processed"] == 6
    code, report, _ = _batch(capsys, *guarded, "--speech-guard-db", "20")
    assert code == 0 and report["counts"]["skipped"] == 6


# ---------------------------------------------------------------------------- parallel, Dask
def _reference_run(capsys, show: Path, out: Path) -> dict[str, tuple]:
    code, report, _ = _batch(capsys, show, out, "--preset", "podcast-voice", "--recursive")
    assert code == 1 and [f["input"] for f in report["failed"]] == ["empty.wav"]
    return _outputs(out)


def test_jobs_2_gives_identical_outputs_to_jobs_1(tmp_path, capsys):
    show = tmp_path / "show"
    _make_show(show)
    (show / "empty.wav").write_bytes(b"")
    expected = _reference_run(capsys, show, tmp_path / "one")
    code, report, _ = _batch(capsys, show, tmp_path / "two", "--preset", "podcast-voice", "--recursive", "--jobs", "2")
    assert code == 1 and report["executor"] == "processes(2)" and [f["input"] for f in report["failed"]] == ["empty.wav"]
    assert _outputs(tmp_path / "two") == expected


def test_dask_local_cluster_gives_identical_outputs(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")  # in the dev extra, so CI runs this

    show = tmp_path / "show"
    _make_show(show)
    (show / "empty.wav").write_bytes(b"")
    expected = _reference_run(capsys, show, tmp_path / "local")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        code, report, _ = _batch(
            capsys, show, tmp_path / "dask", "--preset", "podcast-voice", "--recursive", "--dask-scheduler", cluster.scheduler_address
        )
    assert code == 1 and report["executor"].startswith("dask(") and [f["input"] for f in report["failed"]] == ["empty.wav"]
    assert _outputs(tmp_path / "dask") == expected
    # --dask-local-workers starts (and stops) a LocalCluster itself
    code, report, _ = _batch(capsys, show, tmp_path / "dask-local", "--preset", "podcast-voice", "--recursive", "--dask-local-workers", "1")
    assert code == 1 and report["executor"] == "dask-local(1)"
    assert _outputs(tmp_path / "dask-local") == expected


def test_quiet_and_progress_output(tmp_path, capsys):
    show = tmp_path / "show"
    _make_show(show)
    assert main(["batch", str(show), str(tmp_path / "a"), "--preset", "denoise-only"]) == 0
    out, err = capsys.readouterr()
    assert "5 processed" in out and "batch" in err and "intro.wav" in err  # batch bar and per-file bars
    assert main(["batch", str(show), str(tmp_path / "b"), "--preset", "denoise-only", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert load_preset("denoise-only")  # the preset used above still loads (nothing was saved over it)


COMPRESSOR_VST3 = "/usr/lib/vst3/ZamCompX2.vst3"


@pytest.mark.skipif(not os.path.exists(COMPRESSOR_VST3), reason="zam-plugins not installed")
def test_a_user_preset_with_a_vst3_plugin_in_parallel(tmp_path, capsys):
    """A preset file (not a bundled name) naming a VST3 plugin by path, run by spawned workers."""
    show = tmp_path / "show"
    show.mkdir()
    sf.write(str(show / "mono.wav"), _speech(48000, 0.5, 1, 1), 48000, subtype="PCM_24")  # stereo-only plugin, mono file
    sf.write(str(show / "stereo.flac"), _speech(44100, 0.5, 2, 2), 44100, subtype="PCM_16")
    preset = tmp_path / "my-chain.toml"
    preset.write_text(
        'name = "my-chain"\n'
        '[[chain]]\nplugin = "HighpassFilter"\ncutoff_frequency_hz = 70.0\n'
        f'[[chain]]\nplugin = "VST3"\npath = "{COMPRESSOR_VST3}"\n[chain.parameters]\nthreshold_db = -30.0\nratio = 4.0\n'
        '[[chain]]\nplugin = "Denoiser"\nattenuation_limit_db = 20.0\n'
    )
    code, report, _ = _batch(capsys, show, tmp_path / "one", "--preset", preset)
    assert code == 0 and report["preset"] == "my-chain" and report["counts"]["processed"] == 2
    for name, channels in (("mono.wav", 1), ("stereo.flac", 2)):
        assert sf.info(str(tmp_path / "one" / name)).channels == channels
    code, report, _ = _batch(capsys, show, tmp_path / "two", "--preset", preset, "--jobs", "2")
    assert code == 0 and _outputs(tmp_path / "two") == _outputs(tmp_path / "one")


def test_dask_local_workers_must_be_positive(tmp_path, capsys):
    show = tmp_path / "show"
    _make_show(show)
    for bad in ("0", "-1"):
        code, _, err = _batch(capsys, show, tmp_path / "out", "--preset", "denoise-only", "--dask-local-workers", bad)
        assert code == 2 and "--dask-local-workers must be at least 1" in err
    assert not (tmp_path / "out").exists()


def test_a_model_file_on_the_command_line_is_relative_to_the_working_directory(tmp_path, monkeypatch, identity_model):
    from hance_plugin.batch import apply_overrides
    from hance_plugin.presets import dumps_preset

    shutil.copy(identity_model, tmp_path / "mine.onnx")
    shutil.copy(identity_model.with_suffix(".json"), tmp_path / "mine.json")
    monkeypatch.chdir(tmp_path)
    chain = apply_overrides(load_preset("denoise-only"), model="mine.onnx")
    assert f'model = "{tmp_path / "mine.onnx"}"' in dumps_preset(chain)


def test_one_chain_processes_files_of_different_rates_and_channels_in_turn(tmp_path, identity_model):
    """The batch-mastering loop: one preset chain, process_file per file, whatever each file is."""
    from hance_plugin import Denoiser, Pedalboard

    chain = Pedalboard([Denoiser(identity_model)])
    for name, rate, channels in (("a.wav", 48000, 1), ("b.wav", 44100, 1), ("c.wav", 48000, 2), ("d.wav", 16000, 2)):
        sf.write(str(tmp_path / name), _speech(rate, 0.3, channels, 1), rate, subtype="FLOAT")
        process_file(chain, tmp_path / name, tmp_path / f"out-{name}")
        y, out_rate = sf.read(str(tmp_path / f"out-{name}"), dtype="float32", always_2d=True)
        assert out_rate == rate and y.shape == (int(rate * 0.3), channels)


@pytest.mark.parametrize("frames, channels", [(1, 2), (2, 6), (3, 8)])
def test_files_shorter_than_their_channel_count(tmp_path, frames, channels, identity_model):
    from hance_plugin import Denoiser

    x = np.random.default_rng(2).uniform(-0.5, 0.5, (frames, channels)).astype(np.float32)
    sf.write(str(tmp_path / "in.wav"), x, 48000, subtype="FLOAT")
    process_file([Denoiser(identity_model)], tmp_path / "in.wav", tmp_path / "out.wav")
    y, _ = sf.read(str(tmp_path / "out.wav"), dtype="float32", always_2d=True)
    assert y.shape == (frames, channels)


def test_a_format_that_cannot_hold_the_presets_bit_depth_is_a_usage_error(tmp_path, capsys):
    show = tmp_path / "show"
    _make_show(show)
    preset = tmp_path / "float.toml"
    preset.write_text('name = "float"\n[output]\nbit_depth = 32\n[[chain]]\nplugin = "Gain"\ngain_db = 1.0\n')
    code, _, err = _batch(capsys, show, tmp_path / "out", "--preset", preset, "--format", "flac")
    assert code == 2 and "flac cannot store bit_depth=32" in err and not (tmp_path / "out").exists()
    code, report, _ = _batch(capsys, show, tmp_path / "out", "--preset", preset, "--format", "wav")
    assert code == 0
    assert {sf.info(str(p)).subtype for p in (tmp_path / "out").rglob("*.wav")} == {"FLOAT"}
