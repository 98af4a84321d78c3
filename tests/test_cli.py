"""The ``hance-plugin`` command line: process, presets, models, info; formats, streaming, exit codes.

Every test works on tiny generated files (a fraction of a second of audio). Outputs are compared
with independent references (the same chain run in memory, pyloudnorm, numpy), never with stored
numbers, so the tests hold for whatever model ``models/DEFAULT`` names.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import tracemalloc
from importlib import metadata
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from hance_plugin import Denoiser, load_preset
from hance_plugin.cli import main
from hance_plugin.fileio import process_file


def _speech(rate: int, seconds: float, channels: int, seed: int = 0, level: float = 0.25) -> np.ndarray:
    """A voiced buzz with syllable gaps plus broadband noise, (frames, channels) float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    voice = level * np.sin(2 * np.pi * 170 * t) * (np.sin(2 * np.pi * 3.1 * t) > -0.2)
    noise = rng.normal(0.0, 0.03, (t.size, channels))
    return (voice[:, None] + noise).astype(np.float32)


def _write(path: Path, rate: int, channels: int, subtype: str | None = None, seconds: float = 0.4, seed: int = 0) -> Path:
    sf.write(str(path), _speech(rate, seconds, channels, seed), rate, subtype=subtype)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------ installation
def test_console_script_and_module_entry_point(tmp_path):
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts.get("hance-plugin") == "hance_plugin.cli:main"
    ok = subprocess.run([sys.executable, "-m", "hance_plugin", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "batch" in ok.stdout and "presets" in ok.stdout
    usage = subprocess.run([sys.executable, "-m", "hance_plugin", "process"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage" in usage.stderr
    source = _write(tmp_path / "in.wav", 48000, 1, "PCM_16")
    done = subprocess.run(
        [sys.executable, "-m", "hance_plugin", "process", source, tmp_path / "out.flac", "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and sf.info(str(tmp_path / "out.flac")).frames == sf.info(str(source)).frames


# --------------------------------------------------------------------------------- formats
@pytest.mark.parametrize(
    "suffix, rate, channels, subtype",
    [
        (".wav", 48000, 1, "PCM_16"),
        (".wav", 44100, 2, "FLOAT"),
        (".wav", 16000, 1, "PCM_24"),
        (".flac", 44100, 2, "PCM_16"),
        (".flac", 48000, 1, "PCM_24"),
        (".ogg", 48000, 2, "VORBIS"),
        (".mp3", 44100, 1, "MPEG_LAYER_III"),
    ],
)
def test_process_keeps_rate_channels_sample_format_and_length(tmp_path, capsys, suffix, rate, channels, subtype):
    source = _write(tmp_path / f"in{suffix}", rate, channels, subtype)
    before = _sha(source)
    out = tmp_path / f"out{suffix}"
    code, stdout, _ = _run(capsys, "process", source, out, "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["ok"] and report["subtype"] == subtype
    src, dst = sf.info(str(source)), sf.info(str(out))
    assert (dst.samplerate, dst.channels, dst.subtype, dst.format) == (src.samplerate, src.channels, src.subtype, src.format)
    assert dst.frames == src.frames
    assert _sha(source) == before  # the input is untouched
    x, _ = sf.read(str(source), dtype="float32")
    y, _ = sf.read(str(out), dtype="float32")
    assert y.shape == x.shape and np.isfinite(y).all() and not np.array_equal(x, y)


def test_process_converts_formats_by_suffix(tmp_path, capsys):
    source = _write(tmp_path / "in.wav", 44100, 2, "FLOAT")
    cases = {"out.flac": ("FLAC", "PCM_24"), "out.ogg": ("OGG", "VORBIS"), "out.mp3": ("MP3", "MPEG_LAYER_III"), "out.wav": ("WAV", "FLOAT")}
    for name, (fmt, subtype) in cases.items():
        assert _run(capsys, "process", source, tmp_path / name, "--quiet")[0] == 0
        info = sf.info(str(tmp_path / name))
        assert (info.format, info.subtype, info.samplerate, info.channels) == (fmt, subtype, 44100, 2), name
    for lossy in ("out.ogg", "out.mp3"):  # lossy input into a lossless format: 16-bit PCM
        for suffix in (".wav", ".flac"):
            back = tmp_path / f"back-{lossy}{suffix}"
            assert _run(capsys, "process", tmp_path / lossy, back, "--quiet")[0] == 0, back
            assert sf.info(str(back)).subtype == "PCM_16"


def test_mp3_output_of_a_96k_file_is_written_at_48k(tmp_path, capsys):
    source = _write(tmp_path / "hi.wav", 96000, 2, "PCM_24", seconds=0.5)
    code, stdout, _ = _run(capsys, "process", source, tmp_path / "hi.mp3", "--json")
    assert code == 0
    report = json.loads(stdout)
    assert (report["sample_rate"], report["input_sample_rate"]) == (48000, 96000)
    info = sf.info(str(tmp_path / "hi.mp3"))
    assert (info.samplerate, info.channels) == (48000, 2)
    assert abs(info.frames - 24000) <= 1152  # same duration (MP3 frames are 1152 samples)


def test_preset_output_options_change_rate_and_bit_depth(tmp_path, capsys):
    source = _write(tmp_path / "in.flac", 44100, 1, "PCM_16", seconds=1.0)
    out = tmp_path / "delivery.wav"
    assert _run(capsys, "process", source, out, "--preset", "broadcast-r128", "--quiet")[0] == 0
    info = sf.info(str(out))
    assert (info.samplerate, info.subtype, info.channels) == (48000, "PCM_24", 1)
    assert abs(info.frames - 48000) <= 1


def test_process_with_a_loudness_preset_meets_target_and_ceiling(tmp_path, capsys):
    source = _write(tmp_path / "in.wav", 48000, 2, "FLOAT", seconds=3.0, seed=5)
    out = tmp_path / "episode.wav"
    code, stdout, _ = _run(capsys, "process", source, out, "--preset", "podcast-voice", "--json")
    assert code == 0
    y, rate = sf.read(str(out), dtype="float64")
    assert pyloudnorm.Meter(rate).integrated_loudness(y) == pytest.approx(-16.0, abs=0.5)  # independent meter
    assert json.loads(stdout)["output_stats"]["true_peak_dbtp"] <= -1.0


def test_process_file_equals_the_chain_in_memory_for_any_chunk_size(tmp_path):
    """Streaming in chunks (what keeps memory flat) gives exactly the one-shot result."""
    x = _speech(44100, 1.3, 2, seed=2)
    source = tmp_path / "in.wav"
    sf.write(str(source), x, 44100, subtype="FLOAT")
    expected = load_preset("voice-over-studio")(x.T, 44100).T
    for chunk_seconds in (0.05, 0.31, 5.0):
        out = tmp_path / f"out-{chunk_seconds}.wav"
        process_file(load_preset("voice-over-studio"), source, out, chunk_seconds=chunk_seconds)
        y, _ = sf.read(str(out), dtype="float32")
        assert np.array_equal(y, expected), chunk_seconds


@pytest.mark.parametrize("preset", ["denoise-only", "podcast-voice"])
def test_process_memory_does_not_grow_with_file_length(tmp_path, preset):
    """Python-heap peak (numpy buffers included) for a 4x longer file stays the same."""
    rate = 16000
    paths = {}
    for seconds in (6, 24):
        paths[seconds] = _write(tmp_path / f"in{seconds}.flac", rate, 1, "PCM_16", seconds=seconds, seed=seconds)
    process_file(load_preset(preset), paths[6], tmp_path / "warm.flac", chunk_seconds=0.25)  # imports, JIT
    peaks = {}
    for seconds, path in paths.items():
        chain = load_preset(preset)
        tracemalloc.start()
        try:
            process_file(chain, path, tmp_path / f"out{seconds}.flac", chunk_seconds=0.25)
            peaks[seconds] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    whole_file_bytes = 24 * rate * 4  # what holding the long file as float32 would take
    assert peaks[24] < 1.25 * peaks[6] + 64 * 1024, peaks
    assert peaks[24] - peaks[6] < whole_file_bytes / 4, peaks


def test_overrides_change_the_denoiser(tmp_path, capsys):
    source = _write(tmp_path / "in.wav", 48000, 1, "FLOAT", seconds=0.6)
    full, light = tmp_path / "full.wav", tmp_path / "light.wav"
    assert _run(capsys, "process", source, full, "-q")[0] == 0
    assert _run(capsys, "process", source, light, "-q", "--attenuation-limit-db", "3")[0] == 0
    x, _ = sf.read(str(source), dtype="float32")
    a, _ = sf.read(str(full), dtype="float32")
    b, _ = sf.read(str(light), dtype="float32")
    assert not np.array_equal(a, b)
    # the lone Denoiser with --attenuation-limit-db equals the denoise-only preset with the same override
    via_preset = tmp_path / "preset.wav"
    assert _run(capsys, "process", source, via_preset, "-q", "--preset", "denoise-only", "--attenuation-limit-db", "3")[0] == 0
    assert np.array_equal(sf.read(str(via_preset), dtype="float32")[0], b)
    assert _run(capsys, "process", source, tmp_path / "m.wav", "-q", "--model", "wiener-baseline")[0] == 0
    # --post-filter-beta: the same audio as the Denoiser with that beta, on its own and through a preset
    pf_alone, pf_preset = tmp_path / "pf.wav", tmp_path / "pf-preset.wav"
    assert _run(capsys, "process", source, pf_alone, "-q", "--post-filter-beta", "0.1")[0] == 0
    assert _run(capsys, "process", source, pf_preset, "-q", "--preset", "denoise-only", "--post-filter-beta", "0.1")[0] == 0
    c, _ = sf.read(str(pf_alone), dtype="float32")
    assert not np.array_equal(a, c)
    assert np.array_equal(sf.read(str(pf_preset), dtype="float32")[0], c)
    expected = Denoiser(post_filter_beta=0.1)(x[None, :], 48000)[0]
    np.testing.assert_allclose(c, expected, atol=1e-6)
    # --pause-post-filter-beta likewise
    pp_alone, pp_preset = tmp_path / "pp.wav", tmp_path / "pp-preset.wav"
    assert _run(capsys, "process", source, pp_alone, "-q", "--pause-post-filter-beta", "1")[0] == 0
    assert _run(capsys, "process", source, pp_preset, "-q", "--preset", "denoise-only", "--pause-post-filter-beta", "1")[0] == 0
    d, _ = sf.read(str(pp_alone), dtype="float32")
    assert np.array_equal(sf.read(str(pp_preset), dtype="float32")[0], d)
    np.testing.assert_allclose(d, Denoiser(pause_post_filter_beta=1.0)(x[None, :], 48000)[0], atol=1e-6)


def test_speech_guard_flag(tmp_path, capsys):
    """--speech-guard-db gives the Denoiser's output with the guard, alone and through a preset;
    'off' turns voice-over-studio's guard off; anything else is a usage error."""
    rng = np.random.default_rng(12)
    t = np.arange(96000) / 48000
    # half a second of a quiet floor, then loud noise bursts: the model cuts them, the guard (which
    # cannot tell a burst from a voice 40 dB over the floor) keeps them
    x = (0.1 * rng.standard_normal(t.size) * (t % 1.0 >= 0.5) + 0.001 * rng.standard_normal(t.size)).astype(np.float32)
    source = tmp_path / "clean.wav"
    sf.write(str(source), x, 48000, subtype="FLOAT")
    on, on_preset, off = tmp_path / "on.wav", tmp_path / "on-preset.wav", tmp_path / "off.wav"
    assert _run(capsys, "process", source, on, "-q", "--speech-guard-db", "20")[0] == 0
    assert _run(capsys, "process", source, on_preset, "-q", "--preset", "denoise-only", "--speech-guard-db", "20")[0] == 0
    a = sf.read(str(on), dtype="float32")[0]
    np.testing.assert_allclose(a, Denoiser(speech_guard_db=20.0)(x[None, :], 48000)[0], atol=1e-6)
    assert not np.allclose(a, Denoiser()(x[None, :], 48000)[0], atol=1e-4)
    assert np.array_equal(sf.read(str(on_preset), dtype="float32")[0], a)
    # voice-over-studio turns the guard on; "off" (any case) turns it off again, nothing else changes
    from hance_plugin.batch import apply_overrides
    from hance_plugin.fileio import process_file
    from hance_plugin.presets import load_preset

    studio, studio_off, reference = tmp_path / "studio.wav", tmp_path / "studio-off.wav", tmp_path / "reference.wav"
    assert _run(capsys, "process", source, studio, "-q", "--preset", "voice-over-studio")[0] == 0
    assert _run(capsys, "process", source, studio_off, "-q", "--preset", "voice-over-studio", "--speech-guard-db", "OFF")[0] == 0
    chain = apply_overrides(load_preset("voice-over-studio"), speech_guard_db="off")
    assert chain[1].speech_guard_db is None and load_preset("voice-over-studio")[1].speech_guard_db is not None
    process_file(chain, source, reference, progress=False)
    b = sf.read(str(studio_off), dtype="float32")[0]
    assert np.array_equal(b, sf.read(str(reference), dtype="float32")[0])
    assert not np.allclose(b, sf.read(str(studio), dtype="float32")[0], atol=1e-4)
    code, _, err = _run(capsys, "process", source, tmp_path / "o.wav", "--speech-guard-db", "loud")
    assert code == 2 and "speech-guard-db" in err
    code, _, err = _run(capsys, "process", source, tmp_path / "o.wav", "--speech-guard-db", "-5")
    assert code == 2 and "speech_guard_db" in err


def test_level_normalization_flag(tmp_path, capsys):
    """Quiet input (about -45 dBFS): the flag gives the Denoiser's output with the switch on, alone
    and through a preset; without it the output differs (off by default)."""
    rng = np.random.default_rng(11)
    t = np.arange(96000) / 48000
    quiet = (0.008 * np.sin(2 * np.pi * 180 * t) * (t % 0.4 < 0.25) + 0.002 * rng.standard_normal(t.size)).astype(np.float32)
    source = tmp_path / "quiet.wav"
    sf.write(str(source), quiet, 48000, subtype="FLOAT")
    on, off, on_preset = tmp_path / "on.wav", tmp_path / "off.wav", tmp_path / "on-preset.wav"
    assert _run(capsys, "process", source, off, "-q")[0] == 0
    assert _run(capsys, "process", source, on, "-q", "--level-normalization")[0] == 0
    assert _run(capsys, "process", source, on_preset, "-q", "--preset", "denoise-only", "--level-normalization")[0] == 0
    a, b = sf.read(str(on), dtype="float32")[0], sf.read(str(off), dtype="float32")[0]
    assert not np.array_equal(a, b)
    np.testing.assert_allclose(b, Denoiser()(quiet[None, :], 48000)[0], atol=1e-6)
    np.testing.assert_allclose(a, Denoiser(level_normalization=True)(quiet[None, :], 48000)[0], atol=1e-6)
    assert np.array_equal(sf.read(str(on_preset), dtype="float32")[0], a)


# ------------------------------------------------------------------------------- exit codes
def test_process_exit_codes_and_messages(tmp_path, capsys):
    good = _write(tmp_path / "good.wav", 48000, 1, "PCM_16")
    before = _sha(good)
    (tmp_path / "corrupt.flac").write_bytes(b"fLaC" + bytes(range(256)) * 8)
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("not audio at all\n" * 50)

    code, _, err = _run(capsys, "process", tmp_path / "missing.wav", tmp_path / "o.wav")
    assert code == 2 and "missing.wav" in err
    code, _, err = _run(capsys, "process", good, tmp_path / "o.wav", "--preset", "no-such-preset")
    assert code == 2 and "podcast-voice" in err  # lists the presets that exist
    code, _, err = _run(capsys, "process", good, tmp_path / "o.xyz")
    assert code == 2 and ".flac" in err
    code, _, err = _run(capsys, "process", good, good)
    assert code == 2 and "overwrite" in err and _sha(good) == before
    code, _, err = _run(capsys, "process", good, tmp_path / "o.wav", "--attenuation-limit-db", "150")
    assert code == 2 and "attenuation" in err
    code, _, err = _run(capsys, "process", good, tmp_path / "o.wav", "--post-filter-beta", "-0.5")
    assert code == 2 and "post_filter_beta" in err
    code, _, err = _run(capsys, "process", good, tmp_path / "o.wav", "--pause-post-filter-beta", "2")
    assert code == 2 and "pause_post_filter_beta" in err
    assert _run(capsys, "process", good, tmp_path / "o.wav", "--jobs", "2")[0] == 2  # unknown option

    for bad in ("corrupt.flac", "empty.wav", "text.wav"):
        code, stdout, err = _run(capsys, "process", tmp_path / bad, tmp_path / f"out-{bad}.wav", "--json")
        assert code == 1, bad
        report = json.loads(stdout)
        assert report["ok"] is False and bad in report["error"] and bad in err
        assert not (tmp_path / f"out-{bad}.wav").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.flac", "empty.wav", "good.wav", "text.wav"]


def test_quiet_and_progress(tmp_path, capsys):
    source = _write(tmp_path / "in.wav", 48000, 1, "PCM_16")
    code, out, err = _run(capsys, "process", source, tmp_path / "a.wav")
    assert code == 0 and "wrote" in out and "in.wav" in err  # the per-file progress bar names the file
    code, out, err = _run(capsys, "process", source, tmp_path / "b.wav", "--quiet")
    assert code == 0 and out == "" and err == ""


# ----------------------------------------------------------------------- presets, models, info
def test_presets_list_show_validate(tmp_path, capsys):
    code, out, _ = _run(capsys, "presets", "list")
    assert code == 0
    for name in ("podcast-voice", "broadcast-r128", "voice-over-studio", "interview-outdoor", "denoise-only"):
        assert name in out
    code, out, _ = _run(capsys, "presets", "list", "--json")
    assert code == 0 and {"podcast-voice", "denoise-only"} <= {row["name"] for row in json.loads(out)}

    code, out, _ = _run(capsys, "presets", "show", "podcast-voice")
    assert code == 0 and "integrated_lufs = -16.0" in out and out.count("#") >= 5
    code, out, _ = _run(capsys, "presets", "show", "broadcast-r128", "--json")
    assert code == 0 and json.loads(out)["preset"]["loudness"]["integrated_lufs"] == -23.0
    code, _, err = _run(capsys, "presets", "show", "nope")
    assert code == 2 and "broadcast-r128" in err

    good = tmp_path / "mine.toml"
    good.write_text('[[chain]]\nplugin = "HighpassFilter"\ncutoff_frequency_hz = 90\n[[chain]]\nplugin = "Denoiser"\n')
    code, out, _ = _run(capsys, "presets", "validate", good)
    assert code == 0 and "OK" in out and "HighpassFilter -> Denoiser" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[chain]]\nplugin = "Denoiser"\nresampler_quality = "best"\n')
    code, _, err = _run(capsys, "presets", "validate", bad)
    assert code == 1 and str(bad) in err and "chain[0].resampler_quality" in err and "'VHQ'" in err
    code, out, _ = _run(capsys, "presets", "validate", bad, "--json")
    assert code == 1 and json.loads(out)["valid"] is False
    assert _run(capsys, "presets", "validate", tmp_path / "missing.toml")[0] == 2
    # a validated user preset works by path in process
    source = _write(tmp_path / "in.wav", 48000, 1, "PCM_16")
    assert _run(capsys, "process", source, tmp_path / "out.wav", "--preset", good, "-q")[0] == 0


def test_models_list(capsys):
    code, out, _ = _run(capsys, "models", "list")
    assert code == 0 and "wiener-baseline" in out
    code, out, _ = _run(capsys, "models", "list", "--json")
    assert code == 0 and "wiener-baseline" in {row["name"] for row in json.loads(out)}


def test_closed_stdout_ends_quietly_without_a_traceback():
    # ``hance-plugin presets list | head -0``: the reader is gone before anything is written
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hance_plugin", "presets", "list"], stdout=write_end, stderr=subprocess.PIPE, text=True
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr


def test_info_reports_rate_channels_duration_loudness_and_peak(tmp_path, capsys):
    rate = 44100
    x = _speech(rate, 1.5, 2, seed=9)
    path = tmp_path / "talk.flac"
    sf.write(str(path), x, rate, subtype="PCM_24")
    code, out, _ = _run(capsys, "info", path, "--json")
    assert code == 0
    listing = json.loads(out)
    assert isinstance(listing, list) and len(listing) == 1  # one file: still a list, like many files
    info = listing[0]
    y, _ = sf.read(str(path), dtype="float64")
    assert (info["sample_rate"], info["num_channels"], info["num_frames"]) == (rate, 2, y.shape[0])
    assert info["duration_s"] == pytest.approx(1.5)
    assert info["integrated_lufs"] == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(y), abs=1e-6)
    assert info["sample_peak_dbfs"] == pytest.approx(20 * math.log10(np.abs(y).max()), abs=1e-4)
    assert info["true_peak_dbtp"] >= info["sample_peak_dbfs"]
    code, out, _ = _run(capsys, "info", path)
    assert code == 0 and "44100 Hz" in out and "LUFS" in out and "dBTP" in out
    (tmp_path / "bad.mp3").write_bytes(b"\x00" * 100)
    code, out, err = _run(capsys, "info", path, tmp_path / "bad.mp3", "--json")
    assert code == 1 and "bad.mp3" in json.loads(out)[1]["error"]
