"""Quiet lead-ins: the finder's rule on signals with a known answer, the engine's and the Denoiser's
floor restart (what the trackers see, block-size invariance, parameters), and file processing."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hance_plugin import Denoiser
from hance_plugin.config import StftConfig
from hance_plugin.engine import StreamingEngine
from hance_plugin.fileio import process_file
from hance_plugin.kernels.floor import FLOOR_RISE_DB_PER_S, FLOOR_SMOOTHING_S, band_floor_db
from hance_plugin.lead_in import MAX_LEAD_S, SCAN_SECONDS, LeadInScanner, find_quiet_lead_in

ROOT = Path(__file__).resolve().parents[1]
FS = 48000


def _noise(rng: np.random.Generator, seconds: float, rms_dbfs: float, rate: int = FS, channels: int = 1) -> np.ndarray:
    return (10 ** (rms_dbfs / 20) * rng.standard_normal((channels, int(seconds * rate)))).astype(np.float32)


def _speechlike(rng: np.random.Generator, seconds: float, rate: int, floor_dbfs: float, channels: int = 1) -> np.ndarray:
    """200-ms tone bursts (syllables) with 150-ms pauses over a steady floor at ``floor_dbfs``."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    on = (t % 0.35) < 0.2
    voice = 0.1 * np.sin(2 * np.pi * 180 * t) * on + 0.05 * np.sin(2 * np.pi * 2400 * t) * on
    return (voice + _noise(rng, seconds, floor_dbfs, rate, channels)[:, :n]).astype(np.float32)


def _hum(seconds: float, peak: float, rate: int = FS) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (peak * np.sin(2 * np.pi * 50 * t))[None, :].astype(np.float32)


# --- the finder ---------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [16000, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("kind", ["dither", "hum", "quiet_noise", "zeros_then_dither"])
def test_a_quiet_lead_in_before_noisy_speech_is_found_where_it_ends(rate, channels, kind):
    rng = np.random.default_rng(3)
    lead_s = 1.3
    recording = _speechlike(rng, 4.0, rate, -50.0, channels)
    if kind == "dither":
        lead = _noise(rng, lead_s, -98.0, rate, channels)
    elif kind == "hum":
        lead = np.repeat(_hum(lead_s, 1e-4, rate), channels, axis=0)
    elif kind == "quiet_noise":
        lead = _noise(rng, lead_s, -80.0, rate, channels)  # the recording's own floor 30 dB down
    else:
        lead = np.concatenate([np.zeros((channels, int(0.5 * rate)), np.float32), _noise(rng, lead_s - 0.5, -98.0, rate, channels)], axis=1)
    x = np.concatenate([lead, recording], axis=1)
    found = find_quiet_lead_in(x, rate)
    assert found is not None
    assert found.sample_rate_hz == rate
    assert abs(found.end_samples - lead.shape[1]) <= 0.02 * rate  # within a frame of the truth
    assert found.end_samples >= lead.shape[1] - 0.002 * rate  # and not before it by more than 2 ms
    assert found.after_floor_dbfs == pytest.approx(-50.0, abs=3.0)
    np.testing.assert_array_equal(find_quiet_lead_in(x[0], rate).end_samples, find_quiet_lead_in(x[:1], rate).end_samples)


@pytest.mark.parametrize("case", ["pre_roll_is_the_floor", "noise_from_the_start", "speech_from_the_start",
                                  "silence", "steady_music", "too_short_after", "too_short_lead", "late"])
def test_nothing_is_found_where_the_start_is_the_recording(case):
    rng = np.random.default_rng(5)
    if case == "pre_roll_is_the_floor":  # a clean recording: its pauses return to its pre-roll's level
        x = np.concatenate([_noise(rng, 1.0, -70.0), _speechlike(rng, 4.0, FS, -70.0)], axis=1)
    elif case == "noise_from_the_start":
        x = _noise(rng, 5.0, -40.0)
    elif case == "speech_from_the_start":
        x = _speechlike(rng, 5.0, FS, -60.0)
    elif case == "silence":
        x = np.zeros((1, 5 * FS), np.float32)
    elif case == "steady_music":  # an intro at a steady level, then speech over it
        x = np.concatenate([_hum(2.0, 0.05), _hum(3.0, 0.05) + _speechlike(rng, 3.0, FS, -90.0)], axis=1)
    elif case == "too_short_after":  # less than a second after the rise: not judged
        x = np.concatenate([_noise(rng, 1.0, -98.0), _noise(rng, 0.5, -50.0)], axis=1)
    elif case == "too_short_lead":  # 50 ms of dither is no lead-in
        x = np.concatenate([_noise(rng, 0.05, -98.0), _noise(rng, 4.0, -50.0)], axis=1)
    else:  # a quiet stretch that ends after MAX_LEAD_S
        x = np.concatenate([_noise(rng, MAX_LEAD_S + 0.5, -98.0, 8000), _noise(rng, 4.0, -50.0, 8000)], axis=1)
        assert find_quiet_lead_in(x, 8000) is None
        return
    assert find_quiet_lead_in(x, FS) is None


def test_the_finder_reads_only_the_opening_and_rejects_bad_input():
    rng = np.random.default_rng(1)
    x = np.concatenate([_noise(rng, 1.0, -98.0), _noise(rng, 4.0, -50.0)], axis=1)
    opening = np.concatenate([x, _noise(rng, SCAN_SECONDS - 4.0, -50.0)], axis=1)
    tail = np.full((1, 10 * FS), np.nan, np.float32)  # after the scanned opening: never read
    found = find_quiet_lead_in(np.concatenate([opening, tail], axis=1), FS)
    assert found.end_samples == find_quiet_lead_in(x, FS).end_samples
    with pytest.raises(ValueError, match="NaN"):
        find_quiet_lead_in(np.concatenate([np.full((1, 10), np.nan, np.float32), x], axis=1), FS)
    with pytest.raises(ValueError, match="float"):
        find_quiet_lead_in((x * 32767).astype(np.int16), FS)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        find_quiet_lead_in(x, 0)
    assert find_quiet_lead_in(np.zeros((1, 10), np.float32), FS) is None


@pytest.mark.parametrize("block", [1, 441, 4410, 48000, 10**7])
@pytest.mark.parametrize("rate", [44100, 48000])
def test_the_scanner_finds_what_the_finder_finds_for_any_block_size(block, rate):
    rng = np.random.default_rng(8)
    cases = [np.concatenate([_noise(rng, 1.2, -98.0, rate, 2), _speechlike(rng, 4.0, rate, -50.0, 2)], axis=1),
             _speechlike(rng, 5.0, rate, -60.0, 2), np.zeros((2, rate), np.float32)]
    for x in cases:
        scanner = LeadInScanner(rate)
        for i in range(0, x.shape[1], block):
            scanner.push(x[:, i : i + block])
        assert scanner.result() == find_quiet_lead_in(x, rate)
    scanner = LeadInScanner(rate)
    scanner.push(np.full((1, int(SCAN_SECONDS * rate) + 10), 0.1, np.float32))
    assert scanner.done
    scanner.push(np.full((1, 100), np.nan, np.float32))  # after the opening: ignored
    assert scanner.result() is None


# --- the engine's restart: what the model's floor input becomes -----------------------------------
class _Spy:
    """A mask estimator that reads the floor and records what the engine feeds it (mask 1, gains 1)."""

    feature_inputs = ("spec_low", "band_db", "band_floor_db")
    noise_floor_settings = {"smoothing_s": FLOOR_SMOOTHING_S, "rise_db_per_s": FLOOR_RISE_DB_PER_S}

    def __init__(self, cfg: StftConfig) -> None:
        self.cfg = cfg
        self.band_db: list[np.ndarray] = []
        self.floor: list[np.ndarray] = []

    def reset(self, batch: int) -> None:
        self.band_db, self.floor = [], []

    def run(self, spec_low, band_db, band_floor_db=None):
        self.band_db.append(band_db.copy())
        self.floor.append(band_floor_db.copy())
        c, t = band_db.shape[:2]
        mask = np.zeros((c, t, self.cfg.split_bin, 2), np.float32)
        mask[..., 0] = 1.0
        return mask, np.ones((c, t, self.cfg.n_high_gains), np.float32)


def test_engine_restart_gives_the_floor_of_a_fresh_tracker_from_the_next_frame():
    cfg = StftConfig()
    rng = np.random.default_rng(2)
    x = np.concatenate([_noise(rng, 0.5, -98.0, channels=2), _noise(rng, 1.5, -50.0, channels=2)], axis=1)
    spy = _Spy(cfg)
    engine = StreamingEngine(cfg, spy, 2)
    out = np.empty_like(x)
    split = int(0.7 * FS)
    engine.process_block(np.ascontiguousarray(x[:, :split]), out[:, :split])
    before = sum(b.shape[1] for b in spy.band_db)
    engine.restart_noise_floor()
    engine.process_block(np.ascontiguousarray(x[:, split:]), out[:, split:])
    band_db = np.concatenate(spy.band_db, axis=1)
    floor = np.concatenate(spy.floor, axis=1)
    hop_s = cfg.hop_samples / cfg.sample_rate_hz
    np.testing.assert_array_equal(floor[:, :before], band_floor_db(band_db[:, :before], hop_s))
    np.testing.assert_array_equal(floor[:, before:], band_floor_db(band_db[:, before:], hop_s))
    # without the restart the floor after the switch stays far under the noise (the weakness)
    assert np.median(floor[:, before:] - band_floor_db(band_db, hop_s)[:, before:]) > 20.0


# --- the Denoiser's noise_floor_start_samples ----------------------------------------------------
def _lead_then_noisy(seconds: float = 4.0, rate: int = FS, seed: int = 4) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    lead = _noise(rng, 1.0, -98.0, rate)
    return np.concatenate([lead, _speechlike(rng, seconds, rate, -45.0)], axis=1), lead.shape[1]


@pytest.mark.parametrize("rate", [44100, 48000])
def test_restart_lets_the_model_remove_the_noise_after_a_lead_in(rate):
    x, start = _lead_then_noisy(rate=rate)
    plain = Denoiser()(x, rate)
    d = Denoiser(noise_floor_start_samples=start)
    fixed = d(x, rate)
    np.testing.assert_array_equal(fixed[:, :start], plain[:, :start])  # nothing changes before it
    t = (np.arange(x.shape[1]) - start) / rate  # the pauses between the bursts, 0.5-2 s after the lead-in
    pauses = (t >= 0.5) & (t < 2.0) & (t % 0.35 >= 0.22) & (t % 0.35 < 0.33)
    level = lambda y: 10 * np.log10(np.mean(y[0, pauses].astype(np.float64) ** 2))  # noqa: E731
    assert level(plain) > level(x) - 3.0  # the weakness: the noise after the lead-in passes
    assert level(fixed) < level(plain) - 15.0  # with the restart it is removed
    assert np.array_equal(Denoiser(noise_floor_start_samples=10 * x.shape[1])(x, rate), plain)  # never reached
    assert np.array_equal(Denoiser(noise_floor_start_samples=None)(x, rate), plain)


@pytest.mark.parametrize("rate", [44100, 48000])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=30000), min_size=1, max_size=6))
def test_restart_is_block_size_invariant(rate, sizes):
    x, start = _lead_then_noisy(2.0, rate)
    d = Denoiser(noise_floor_start_samples=start)
    reference = d.process(x, rate, reset=False)
    d.reset()
    parts, i, k = [], 0, 0
    while i < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(d.process(x[:, i : i + n], rate, reset=False))
        i, k = i + n, k + 1
    np.testing.assert_allclose(np.concatenate(parts, axis=1), reference, atol=1e-6)
    d.reset()  # every stream restarts once: a second stream gives the same output again
    np.testing.assert_array_equal(d.process(x, rate, reset=False), reference)


def test_noise_floor_start_samples_parameter():
    d = Denoiser()
    assert d.noise_floor_start_samples is None and "noise_floor_start_samples" not in repr(d)
    d.noise_floor_start_samples = np.int64(4800)
    assert d.noise_floor_start_samples == 4800 and isinstance(d.noise_floor_start_samples, int)
    assert "noise_floor_start_samples=4800" in repr(d)
    d.reset()
    assert d.noise_floor_start_samples == 4800  # a setting, not stream state
    assert pickle.loads(pickle.dumps(d)).noise_floor_start_samples == 4800
    for bad in (-1, 1.5, True, "100"):
        with pytest.raises(ValueError, match="noise_floor_start_samples"):
            Denoiser(noise_floor_start_samples=bad)
    old = Denoiser()
    state = old.__getstate__()
    del state["_noise_floor_start_samples"]  # pickled before the option existed
    fresh = Denoiser.__new__(Denoiser)
    fresh.__setstate__(state)
    assert fresh.noise_floor_start_samples is None


def test_dry_mix_is_untouched_by_the_restart():
    x, start = _lead_then_noisy(2.0)
    np.testing.assert_array_equal(Denoiser(mix=0.0, noise_floor_start_samples=start)(x, FS), x)


# --- file processing -------------------------------------------------------------------------------
def test_process_file_restarts_the_floor_after_a_lead_in_and_says_so(tmp_path):
    from hance_plugin import Pedalboard

    x, start = _lead_then_noisy(3.0)
    source = tmp_path / "lead.wav"
    sf.write(str(source), x[0], FS, subtype="FLOAT")
    denoiser = Denoiser()
    chain = Pedalboard([Pedalboard([denoiser])])  # found inside nested chains too
    result = process_file(chain, source, tmp_path / "on.wav")
    lead = result["quiet_lead_in"]
    assert lead is not None and abs(lead["end_samples"] - start) <= 0.02 * FS and lead["end_s"] == pytest.approx(1.0, abs=0.02)
    assert denoiser.noise_floor_start_samples is None  # restored after the file
    on, _ = sf.read(str(tmp_path / "on.wav"), dtype="float32")
    np.testing.assert_allclose(on, Denoiser(noise_floor_start_samples=lead["end_samples"])(x, FS)[0], atol=1e-6)
    off_result = process_file(Pedalboard([Denoiser()]), source, tmp_path / "off.wav", lead_in=False)
    assert off_result["quiet_lead_in"] is None
    off, _ = sf.read(str(tmp_path / "off.wav"), dtype="float32")
    np.testing.assert_allclose(off, Denoiser()(x, FS)[0], atol=1e-6)
    plain = tmp_path / "plain.wav"
    sf.write(str(plain), x[0, start:], FS, subtype="FLOAT")
    assert process_file(Pedalboard([Denoiser()]), plain, tmp_path / "p.wav")["quiet_lead_in"] is None


def test_cli_reports_the_lead_in_and_can_keep_the_old_floor(tmp_path, capsys):
    from hance_plugin.cli import main

    x, _ = _lead_then_noisy(3.0)
    source = tmp_path / "lead.wav"
    sf.write(str(source), x[0], FS, subtype="FLOAT")
    assert main(["process", str(source), str(tmp_path / "a.flac")]) == 0
    assert "quiet lead-in: the first 1.00 s" in capsys.readouterr().out
    assert main(["process", str(source), str(tmp_path / "b.flac"), "--no-lead-in-restart"]) == 0
    assert "quiet lead-in" not in capsys.readouterr().out
    a, _ = sf.read(str(tmp_path / "a.flac"), dtype="float32")
    b, _ = sf.read(str(tmp_path / "b.flac"), dtype="float32")
    assert not np.array_equal(a, b)


def test_batch_passes_the_switch_and_fingerprints_it(tmp_path):
    from hance_plugin.batch import BatchOptions, run_batch

    x, _ = _lead_then_noisy(3.0)
    (tmp_path / "in").mkdir()
    sf.write(str(tmp_path / "in" / "lead.wav"), x[0], FS, subtype="FLOAT")
    on = run_batch(BatchOptions(tmp_path / "in", tmp_path / "on", preset="denoise-only"))
    off = run_batch(BatchOptions(tmp_path / "in", tmp_path / "off", preset="denoise-only", lead_in=False))
    assert on.processed[0]["quiet_lead_in"]["end_s"] == pytest.approx(1.0, abs=0.02)
    assert "quiet_lead_in" not in off.processed[0]
    assert off.preset_fingerprint == on.preset_fingerprint + "+no-lead-in-restart"


def test_benchmark_system_option():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _systems import LeadInDenoiser, denoiser_for, split_system_options

    assert split_system_options("hance-base[lead_in=restart]") == ("hance-base", {"lead_in": True})
    system = denoiser_for("hance-base[lead_in=restart]")
    assert isinstance(system, LeadInDenoiser)
    x, start = _lead_then_noisy(2.0)
    y = system.process(x, FS)
    assert abs(system.last_lead_in.end_samples - start) <= 0.02 * FS
    np.testing.assert_array_equal(y, Denoiser(noise_floor_start_samples=system.last_lead_in.end_samples)(x, FS))
    with pytest.raises(ValueError, match="one-shot"):
        system.process(x, FS, reset=False)
    with pytest.raises(ValueError, match="lead_in"):
        split_system_options("hance-base[lead_in=maybe]")
