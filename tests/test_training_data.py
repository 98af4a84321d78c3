"""Training data pipeline: seeded mixtures, augmentations and synthesised noises.

Everything runs on a tiny generated corpus in a temporary folder (never the shared corpus).
"""

from __future__ import annotations

import math
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import sosfreqz, welch

from hance_plugin.training import augment, noises
from hance_plugin.training.mixing import (
    MixConfig,
    Mixture,
    MixtureSource,
    parse_mix_overrides,
    parse_patterns,
    parse_weights,
    select_speech,
)
from hance_plugin.training.signals import (
    active_level_db,
    band_sdr_db,
    effective_bandwidth_hz,
    frame_energies,
    load_mono_48k,
    perceptual_metrics,
    speech_bounds,
    trim_silence,
)

SR = 48000


# ----------------------------------------------------------------------------------- fake corpus


def _voiced(rng: np.random.Generator, f0: float, seconds: float, rate: int, top_hz: float) -> np.ndarray:
    """Harmonic 'speech': f0 with slight vibrato, 1/k harmonics up to top_hz, 2.5 syllables/s."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    inst = f0 * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(inst) / rate
    x = np.zeros(n)
    for k in range(1, int(top_hz / (f0 * 1.03))):
        x += np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k
    syllables = np.clip(np.sin(2 * np.pi * 1.25 * t + rng.uniform(0, 1)), 0, None) ** 0.5
    return (0.3 * x * syllables / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(7)
    for sub in ("speech/fullband", "speech/narrow", "noise/hiss", "noise/events", "rir"):
        (root / sub).mkdir(parents=True)
    for i, (f0, seconds) in enumerate([(120.0, 1.2), (210.0, 2.0), (160.0, 4.0)]):
        sf.write(root / f"speech/fullband/talker{i}.flac", _voiced(rng, f0, seconds, 48000, 20000.0), 48000)
    for i, (f0, seconds) in enumerate([(140.0, 1.5), (230.0, 2.5)]):
        sf.write(root / f"speech/narrow/talker{i}.flac", _voiced(rng, f0, seconds, 16000, 7600.0), 16000)
    sf.write(root / "noise/hiss/hiss.flac", 0.05 * rng.standard_normal(4 * 48000).astype(np.float32), 48000)
    event = np.zeros(int(0.4 * 44100), dtype=np.float32)
    event[:4000] = 0.3 * rng.standard_normal(4000) * np.exp(-np.arange(4000) / 800)
    sf.write(root / "noise/events/knock.wav", event, 44100)
    t = np.arange(int(0.3 * SR)) / SR
    rir = 0.3 * rng.standard_normal(t.shape[0]) * np.exp(-t / 0.05)
    rir[:100] = 0.0
    rir[100] = 1.0
    sf.write(root / "rir/room.flac", rir.astype(np.float32), SR, subtype="PCM_24")
    return root


def _source(corpus: Path, seed: int = 0, speech=("speech/fullband", "speech/narrow"), **overrides) -> MixtureSource:
    config = MixConfig(segment_seconds=1.0, **overrides)
    return MixtureSource(
        [corpus / s for s in speech], [corpus / "noise"], [corpus / "rir"], config, seed
    )


def _measured_snr_db(m: Mixture) -> float:
    noise = (m.noisy.astype(np.float64) - m.clean) + 0.0
    return active_level_db(m.clean) - 10 * np.log10(np.mean(noise**2) + 1e-20)


# ----------------------------------------------------------------------------------- f0 helpers


def _f0_autocorrelation(x: np.ndarray, fmin: float = 60.0, fmax: float = 600.0) -> float:
    """f0 from the first autocorrelation peak within 85 % of the maximum (parabolic refinement)."""
    x = x - x.mean()
    n = x.shape[0]
    r = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * n)) ** 2)[:n]
    lo, hi = int(SR / fmax), int(SR / fmin)
    seg = r[lo:hi]
    peaks = [j for j in range(1, seg.shape[0] - 1) if seg[j] >= seg[j - 1] and seg[j] >= seg[j + 1]]
    j = next(j for j in peaks if seg[j] > 0.85 * seg.max())
    a, b, c = seg[j - 1], seg[j], seg[j + 1]
    return SR / (lo + j + 0.5 * (a - c) / (a - 2 * b + c))


def _vowel(f0: float, formants, seconds: float = 1.0):
    def envelope(f):
        e = np.full_like(f, 0.01, dtype=np.float64)
        for centre, width, gain in formants:
            e += gain / np.sqrt(1 + ((f - centre) / (width / 2)) ** 2)
        return e

    t = np.arange(int(seconds * SR)) / SR
    freqs = f0 * np.arange(1, int(8000 / f0))
    x = sum(envelope(np.array([f]))[0] * np.sin(2 * np.pi * f * t + 0.7 * (f / f0) ** 2) for f in freqs)
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32), freqs, envelope


def _harmonic_db(y: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.shape[0])))
    bins = np.round(freqs * y.shape[0] / SR).astype(int)
    amps = spectrum[bins]
    return 20 * np.log10(amps / amps.max())


# ------------------------------------------------------------------------------ MixtureSource


def test_deterministic_in_seed_and_index(corpus):
    a = _source(corpus, seed=3)
    b = _source(corpus, seed=3)
    order_b = {i: b[i] for i in (9, 4, 0)}  # another instance, another order
    for i in (0, 4, 9):
        ma = a[i]
        assert np.array_equal(ma.noisy, order_b[i].noisy)
        assert np.array_equal(ma.clean, order_b[i].clean)
        assert ma.snr_db == order_b[i].snr_db and ma.bandwidth_hz == order_b[i].bandwidth_hz
        assert ma.meta == order_b[i].meta
    # a pickled copy (as a spawned DataLoader worker gets it) without the cache
    c = pickle.loads(pickle.dumps(a))
    assert np.array_equal(c[4].noisy, a[4].noisy)
    assert not np.array_equal(a[0].noisy, a[1].noisy)
    assert not np.array_equal(a[0].noisy, _source(corpus, seed=4)[0].noisy)
    # indices past the nominal epoch are new mixtures
    assert not np.array_equal(a[0].noisy, a[len(a)].noisy)


def test_mixtures_are_well_formed(corpus):
    source = _source(corpus, seed=1, p_clip=0.3)
    n = int(round(source.config.segment_seconds * SR))
    kinds = set()
    for i in range(24):
        m = source[i]
        kinds.add(m.meta["kind"])
        assert m.noisy.dtype == np.float32 and m.clean.dtype == np.float32
        assert m.noisy.shape == m.clean.shape == (n,)
        assert np.all(np.isfinite(m.noisy)) and np.all(np.isfinite(m.clean))
        assert np.max(np.abs(m.noisy)) <= 1.0 and np.max(np.abs(m.clean)) <= 1.0
        assert 0 < m.bandwidth_hz <= SR / 2
        if m.meta["kind"] != "noise_only":
            assert np.any(m.clean != 0)
    assert "mix" in kinds


def test_snr_matches_meta(corpus):
    source = _source(corpus, seed=2, p_clip=0.0, p_noise_only=0.0, p_speech_only=0.0)
    checked = 0
    for i in range(16):
        m = source[i]
        assert m.meta["kind"] == "mix"
        assert abs(_measured_snr_db(m) - m.snr_db) < 0.5, m.meta
        assert source.config.snr_db_range[0] <= m.snr_db <= source.config.snr_db_range[1]
        if "peak_scale" not in m.meta:
            lo, hi = source.config.level_dbfs_range
            assert lo - 0.1 <= m.meta["level_dbfs"] <= hi + 0.1
        checked += 1
    assert checked == 16


def test_band_limited_source_bandwidth(corpus):
    plain = _source(corpus, speech=("speech/narrow",), augment=False)
    for i in range(4):
        m = plain[i]
        assert 6000 < m.bandwidth_hz <= 8000
        assert effective_bandwidth_hz(m.clean) <= m.bandwidth_hz + 200
    # with augmentation the declared bandwidth follows speed/pitch/low-pass and still bounds the content
    augmented = _source(corpus, seed=5, speech=("speech/narrow",), p_voice_perturb=1.0, p_lowpass=0.5)
    for i in range(10):
        m = augmented[i]
        assert m.bandwidth_hz <= 8000 * 1.1 * 2 ** (3 / 12) + 1
        # (a low-pass's transition band reaches -60 dB at 1.06 × its cutoff)
        margin = 1.08 if "lowpass_hz" in m.meta else 1.0
        if m.meta["kind"] != "noise_only":
            assert effective_bandwidth_hz(m.clean) <= margin * m.bandwidth_hz + 300, m.meta
        if "lowpass_hz" in m.meta:
            assert m.bandwidth_hz <= m.meta["lowpass_hz"]


def test_fullband_source_bandwidth(corpus):
    m = _source(corpus, speech=("speech/fullband",), augment=False)[0]
    assert m.bandwidth_hz > 18000


def test_speech_only_and_noise_only(corpus):
    speech_only = _source(corpus, seed=6, p_speech_only=1.0, p_noise_only=0.0, p_clip=1.0)
    for i in range(4):
        m = speech_only[i]
        assert m.meta["kind"] == "speech_only" and m.snr_db == math.inf
        assert np.array_equal(m.noisy, m.clean) and np.any(m.clean != 0)
    noise_only = _source(corpus, seed=6, p_noise_only=1.0, p_speech_only=0.0)
    for i in range(4):
        m = noise_only[i]
        assert m.meta["kind"] == "noise_only" and m.snr_db == -math.inf
        assert not np.any(m.clean) and np.any(m.noisy)
        assert m.bandwidth_hz > 0


def test_plain_mixing_has_no_augmentation(corpus):
    source = _source(corpus, seed=8, augment=False)
    for i in range(6):
        m = source[i]
        assert m.meta["kind"] == "mix"
        assert not {"voice", "rir", "eq", "lowpass_hz", "clip_threshold"} & set(m.meta)
        assert [c["kind"] for c in m.meta["noise"]] == ["corpus"]


def test_reverb_target_is_reverberant(corpus):
    common = dict(p_voice_perturb=0.0, p_eq=0.0, p_lowpass=0.0, p_speech_only=1.0, p_noise_only=0.0)
    dry = _source(corpus, seed=9, p_reverb=0.0, **common)
    wet = _source(corpus, seed=9, p_reverb=1.0, **common)

    def silent_fraction(x):  # 10 ms frames 60 dB below the loudest (syllable gaps of the fake speech)
        energy = np.mean(x[: x.shape[0] // 480 * 480].reshape(-1, 480).astype(np.float64) ** 2, axis=1)
        return np.mean(energy < energy.max() * 1e-6)

    for i in range(3):
        m_dry, m_wet = dry[i], wet[i]
        assert "rir" not in m_dry.meta and m_wet.meta["rir"].endswith("room.flac")
        assert m_dry.meta["speech"]["pieces"][0][0] == m_wet.meta["speech"]["pieces"][0][0]  # same file
        assert np.array_equal(m_wet.noisy, m_wet.clean)  # the target is the reverberant speech
        assert silent_fraction(m_wet.clean) < silent_fraction(m_dry.clean)  # the tail fills the gaps


def test_from_shared_data_layout(tmp_path, corpus):
    for split in ("train", "val", "test"):
        shutil.copytree(corpus / "speech" / "fullband", tmp_path / "speech" / split)
        shutil.copytree(corpus / "noise" / "hiss", tmp_path / "noise" / split)
    shutil.copytree(corpus / "rir", tmp_path / "rir" / "train")
    config = MixConfig(segment_seconds=1.0, p_reverb=1.0)
    train = MixtureSource.from_shared_data(tmp_path, "train", config, seed=0)
    val = MixtureSource.from_shared_data(tmp_path, "val", config, seed=0)
    assert any("rir" in train[i].meta for i in range(3))
    assert all("rir" not in val[i].meta for i in range(3))  # no val RIRs: no reverb, never train/test ones
    with pytest.raises(ValueError):
        MixtureSource.from_shared_data(tmp_path, "test", config, seed=0)
    with pytest.raises(ValueError, match="test split"):
        MixtureSource.from_shared_data(tmp_path, "val", config, seed=0, speech_split="test")
    assert len(train) == int(7.2 // 1.0)
    # speech of another split, noise of this one (a held-out talker scored with val noise)
    held = MixtureSource.from_shared_data(tmp_path, "val", config, seed=0, speech_split="train",
                                          speech_include=("talker2*",))
    assert held[0].meta["speech"]["pieces"][0][0] == "train/talker2.flac"
    assert all(c["pieces"][0][0].startswith("val/") for c in held[0].meta["noise"])


def test_parse_mix_overrides():
    assert parse_mix_overrides("") == {}
    assert parse_mix_overrides(" p_voice_perturb=0 , augment=false,snr-db-range=0:20,") == {
        "p_voice_perturb": 0.0, "augment": False, "snr_db_range": (0.0, 20.0)}
    assert parse_mix_overrides("augment=YES,p_clip=1") == {"augment": True, "p_clip": 1.0}
    bad = {
        "p_voice_perturb": "not key=value",
        "p_eq=": "not key=value",
        "speed=1.1": "unknown mix setting 'speed'",
        "segment_seconds=2": "unknown mix setting 'segment_seconds'",
        "augment=maybe": "wants true/false",
        "p_eq=lots": "wants a float",
        "p_eq=1.5": "is a probability",
        "p_reverb=-0.1": "is a probability",
        "snr_db_range=5": "wants low:high",
        "p_noise_only=0.6,p_speech_only=0.6": "must not exceed 1",
        "voice_speed_range=0.2:1.1": "voice_speed_range must satisfy",
        "voice_formant_range=1.2:0.9": "voice_formant_range must satisfy",
        "voice_pitch_semitones=13": "voice_pitch_semitones must be in",
    }
    for text, message in bad.items():
        with pytest.raises(ValueError, match=message):
            parse_mix_overrides(text)


def test_voice_strength_settings_reach_the_perturbation(corpus):
    """``voice_*`` settings set the ranges the voice factors are drawn from; the defaults are
    ``random_voice_params``' own (so default mixtures are unchanged by the settings' existence)."""
    assert parse_mix_overrides("voice_speed_range=0.85:1.15,voice_pitch_semitones=4") == {
        "voice_speed_range": (0.85, 1.15), "voice_pitch_semitones": 4.0}
    default = _source(corpus, p_voice_perturb=1.0)
    explicit = _source(corpus, p_voice_perturb=1.0, voice_speed_range=(0.9, 1.1), voice_pitch_semitones=3.0,
                       voice_formant_range=(0.87, 1.15))
    for i in range(3):
        assert default[i].meta.get("voice") == explicit[i].meta.get("voice")
        assert np.array_equal(default[i].noisy, explicit[i].noisy)
    identity = _source(corpus, p_voice_perturb=1.0, voice_speed_range=(1.0, 1.0), voice_pitch_semitones=0.0,
                       voice_formant_range=(1.0, 1.0))
    strong = _source(corpus, p_voice_perturb=1.0, voice_speed_range=(1.2, 1.2), voice_pitch_semitones=0.0,
                     voice_formant_range=(1.0, 1.0))
    voiced = [i for i in range(6) if identity[i].meta["kind"] != "noise_only"]
    assert voiced
    for i in voiced:
        assert identity[i].meta["voice"] == {"speed": 1.0, "pitch": 1.0, "formant": 1.0}
        assert strong[i].meta["voice"]["speed"] in (1.0, 1.2)  # each factor is active with p_each
        assert strong[i].meta["voice"]["pitch"] == 1.0


def test_parse_patterns_and_select_speech():
    assert parse_patterns("") == () and parse_patterns(" a/*, ,b/M4_* ") == ("a/*", "b/M4_*")
    assert select_speech("nist/M4_b1.flac", None, ())
    assert not select_speech("nist/M4_b1.flac", None, ("nist/M4_*",))
    assert select_speech("nist/F1_b1.flac", None, ("nist/M4_*",))
    assert select_speech("nist/M4_b1.flac", ("nist/M4_*",), ())
    assert not select_speech("nist/F1_b1.flac", ("nist/M4_*",), ())
    assert not select_speech("nist/m4_b1.flac", ("nist/M4_*",), ())  # case-sensitive on every OS


def test_speech_include_and_exclude(corpus):
    config = MixConfig(segment_seconds=1.0)
    dirs = [corpus / "speech"]
    every = MixtureSource(dirs, [corpus / "noise"], [], config, 0)
    kept = MixtureSource(dirs, [corpus / "noise"], [], config, 0, speech_exclude=("fullband/talker1*",))
    only = MixtureSource(dirs, [corpus / "noise"], [], config, 0, speech_include=("fullband/talker1*",))
    names = lambda src: sorted(p.name for p in src._speech)  # noqa: E731
    assert "talker1.flac" in names(every) and len(names(every)) == 5
    assert names(only) == ["talker1.flac"]
    assert sorted(names(kept) + names(only)) == names(every)
    pieces = {p[0] for i in range(len(kept)) for p in kept[i].meta.get("speech", {}).get("pieces", [])}
    assert pieces and not any(p.endswith("fullband/talker1.flac") for p in pieces)
    pieces = {p[0] for i in range(len(only)) for p in only[i].meta.get("speech", {}).get("pieces", [])}
    assert pieces == {"speech/fullband/talker1.flac"}
    with pytest.raises(ValueError, match="matches no file"):
        MixtureSource(dirs, [corpus / "noise"], [], config, 0, speech_exclude=("fullband/talker9*",))
    with pytest.raises(ValueError, match="matches no file"):
        MixtureSource(dirs, [corpus / "noise"], [], config, 0, speech_include=("Fullband/*",))
    with pytest.raises(ValueError, match="no speech files"):
        MixtureSource(dirs, [corpus / "noise"], [], config, 0, speech_exclude=("*",))


def _shared_layout(root: Path, corpus: Path) -> Path:
    for split in ("train", "val"):
        shutil.copytree(corpus / "speech" / "fullband", root / "speech" / split)
        shutil.copytree(corpus / "noise" / "hiss", root / "noise" / split)
    shutil.copytree(corpus / "rir", root / "rir" / "train")
    return root


def test_training_mix_overrides_leave_val_alone(tmp_path, corpus):
    """``--mix`` changes the training mixtures only: an ablation arm is scored on the same val."""
    pytest.importorskip("torch")
    from hance_plugin.training.train import TrainConfig, _make_sources

    data = _shared_layout(tmp_path, corpus)
    common = dict(data_dir=str(data), segment_seconds=1.0)
    train_d, val_d = _make_sources(TrainConfig(**common))
    train_a, val_a = _make_sources(TrainConfig(mix="p_voice_perturb=1,p_synthetic_noise=0", **common))
    assert (train_a.config.p_voice_perturb, train_a.config.p_synthetic_noise) == (1.0, 0.0)
    assert val_a.config == val_d.config == MixConfig(segment_seconds=1.0)
    for i in range(4):
        assert np.array_equal(val_a[i].noisy, val_d[i].noisy) and val_a[i].meta == val_d[i].meta
    assert all("voice" in train_a[i].meta for i in range(4) if train_a[i].meta["kind"] != "noise_only")
    assert not any(c["kind"] != "corpus" for i in range(8) for c in train_a[i].meta.get("noise", []))
    # val_mix: an explicit val set, e.g. plain real-noise mixtures
    _, val_plain = _make_sources(TrainConfig(val_mix="augment=false", **common))
    assert val_plain.config.augment is False
    with pytest.raises(ValueError, match="unknown mix setting"):
        TrainConfig(mix="p_voice=1", **common)


def test_val_items_describe_their_voice_set_and_noise(tmp_path, corpus):
    pytest.importorskip("torch")
    from hance_plugin.training.train import TrainConfig, _describe, _make_sources

    data = _shared_layout(tmp_path, corpus)
    (data / "speech" / "val" / "studio").mkdir()
    for f in list((data / "speech" / "val").glob("*.flac")):
        f.rename(data / "speech" / "val" / "studio" / f.name)
    _, val = _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0,
                                       val_mix="p_synthetic_noise=1,p_noise_only=0,p_speech_only=0"))
    about = [_describe(val[i]) for i in range(6)]
    assert {a["speech_subset"] for a in about} == {"studio"}
    assert all(a["speech_file"].startswith("val/studio/talker") for a in about)
    assert all(a["noise_kinds"] and a["noise_kinds"] != "corpus" for a in about)  # every item has a synthetic noise
    _, plain = _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0, val_mix="augment=false"))
    assert {_describe(plain[i])["noise_kinds"] for i in range(6) if plain[i].meta["kind"] == "mix"} == {"corpus"}
    # files directly in the split folder have no subset
    flat = _shared_layout(tmp_path / "flat", corpus)
    _, flat_val = _make_sources(TrainConfig(data_dir=str(flat), segment_seconds=1.0))
    assert _describe(flat_val[0])["speech_subset"] == ""


def test_held_out_speech_is_not_trained_on_and_is_the_holdout_val(tmp_path, corpus):
    """``--holdout-speech``: matching train files leave the training mixtures (babble included)
    and form the talker-disjoint val set of ``validate --holdout``, with the val split's noise."""
    pytest.importorskip("torch")
    from hance_plugin.training.train import TrainConfig, _make_sources

    data = _shared_layout(tmp_path, corpus)
    cfg = TrainConfig(data_dir=str(data), segment_seconds=1.0, holdout_speech="talker1*",
                      mix="p_synthetic_noise=1")
    train, val = _make_sources(cfg)
    _, held = _make_sources(cfg, holdout_val=True)
    assert sorted(p.name for p in train._speech) == ["talker0.flac", "talker2.flac"]
    assert sorted(p.name for p in val._speech) == ["talker0.flac", "talker1.flac", "talker2.flac"]  # val split
    assert [p.name for p in held._speech] == ["talker1.flac"] and held._speech[0].parent.name == "train"
    used = {
        Path(piece[0]).name
        for i in range(12)
        for piece in train[i].meta.get("speech", {}).get("pieces", [])
        + [q for c in train[i].meta.get("noise", []) for q in c.get("pieces", [])]
    }
    assert "talker0.flac" in used and "talker1.flac" not in used
    with pytest.raises(ValueError, match="held no speech"):
        _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0), holdout_val=True)


def test_parse_weights():
    assert parse_weights("") == ()
    assert parse_weights(" nist/* = 1.2 , kde/*=0.5") == (("nist/*", 1.2), ("kde/*", 0.5))
    assert parse_weights("a=b/*=2") == (("a=b/*", 2.0),)  # the last '=' separates the weight
    for bad in ("nist/*", "nist/*=0", "nist/*=-1", "nist/*=x", "=2", "nist/*=nan", "nist/*=inf"):
        with pytest.raises(ValueError, match="glob=weight"):
            parse_weights(bad)


def _weighted(corpus: Path, weights=(), **overrides) -> MixtureSource:
    config = MixConfig(segment_seconds=1.0, **overrides)
    dirs = [corpus / "speech/fullband", corpus / "speech/narrow"]
    return MixtureSource(dirs, [corpus / "noise"], [corpus / "rir"], config, 0, speech_weights=weights)


def test_speech_weights_of_one_change_no_mixture(corpus):
    """A weight of 1 (or none) leaves every mixture bit-identical (default: off)."""
    plain, ones = _weighted(corpus), _weighted(corpus, (("*", 1.0),))
    assert len(plain) == len(ones)
    for i in range(8):
        a, b = plain[i], ones[i]
        np.testing.assert_array_equal(a.noisy, b.noisy)
        np.testing.assert_array_equal(a.clean, b.clean)
        assert a.meta == b.meta


def test_speech_weights_set_each_files_share_of_the_draws(corpus):
    """A file with weight w is drawn w times as often per second: its share of the random draws
    (babble) and of the stratified segments follows its weighted seconds, and the offset drawn
    inside it stays within its real length."""
    seconds = {"fullband/talker0": 1.2, "fullband/talker1": 2.0, "fullband/talker2": 4.0,
               "narrow/talker0": 1.5, "narrow/talker1": 2.5}
    src = _weighted(corpus, (("talker2.flac", 3.0), ("talker*.flac", 1.0)), p_noise_only=0.0,
                    p_speech_only=0.0, p_running_speech=0.0)
    names = [f"{p.parent.name}/{p.stem}" for p in src._speech]
    weight = np.array([3.0 if n == "fullband/talker2" else 1.0 for n in names])
    real = np.array([seconds[n] for n in names])
    np.testing.assert_allclose(src._speech_weight, weight)
    assert len(src) == int(np.sum(weight * real) // 1.0) == 19  # the epoch: 19.2 weighted seconds
    rng = np.random.default_rng(1)
    draws = [src._random_speech_position(rng) for _ in range(6000)]
    share = np.mean([names[i] == "fullband/talker2" for i, _ in draws])
    assert abs(share - 12.0 / 19.2) < 0.02, share  # unweighted it would be 4 / 11.2 = 0.36
    assert all(0.0 <= off < real[i] for i, off in draws)
    firsts = [Path(src[i].meta["speech"]["pieces"][0][0]) for i in range(len(src))]
    stratified = np.mean([f"{p.parent.name}/{p.stem}" == "fullband/talker2" for p in firsts])
    assert abs(stratified - 12.0 / 19.2) < 0.12, stratified  # one epoch: 19 segments


def test_speech_weight_patterns_are_checked(corpus):
    with pytest.raises(ValueError, match="matches no speech file"):
        _weighted(corpus, (("nobody*.flac", 2.0),))
    with pytest.raises(ValueError, match="above 0"):
        _weighted(corpus, (("talker0.flac", 0.0),))


def test_train_config_speech_weights_reach_the_train_source_only(tmp_path, corpus):
    """``--speech-weights``: the training mixtures' draw weights; the val source is unweighted and a
    malformed value fails when the config is made, not in a DataLoader worker."""
    pytest.importorskip("torch")
    from hance_plugin.training.train import TrainConfig, _make_sources

    data = _shared_layout(tmp_path, corpus)
    train, val = _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0, speech_weights="talker1*=2.5"))
    assert {p.name: w for p, w in zip(train._speech, train._speech_weight)} == {
        "talker0.flac": 1.0, "talker1.flac": 2.5, "talker2.flac": 1.0}
    assert np.all(val._speech_weight == 1.0)
    with pytest.raises(ValueError, match="glob=weight"):
        TrainConfig(data_dir=str(data), speech_weights="talker1*")


def test_noise_include_and_exclude(corpus):
    """Corpus noise files are selected like speech files (a noise family held out of training);
    second noises come from the same selection."""
    config = MixConfig(segment_seconds=1.0, p_synthetic_noise=0.0, p_second_noise=1.0, p_noise_only=0.0,
                       p_speech_only=0.0)
    speech = [corpus / "speech" / "fullband"]
    every = MixtureSource(speech, [corpus / "noise"], [], config, 0)
    kept = MixtureSource(speech, [corpus / "noise"], [], config, 0, noise_exclude=("events/*",))
    only = MixtureSource(speech, [corpus / "noise"], [], config, 0, noise_include=("events/*",))
    assert sorted(p.name for p in every._noise) == ["hiss.flac", "knock.wav"]
    assert [p.name for p in kept._noise] == ["hiss.flac"] and [p.name for p in only._noise] == ["knock.wav"]
    assert np.array_equal(kept._noise_p, [1.0]) and only._noise_group[0].tolist() == [0]

    def used(src):
        return {q[0] for i in range(40) for c in src[i].meta.get("noise", []) for q in c.get("pieces", [])}

    assert used(every) == {"noise/hiss/hiss.flac", "noise/events/knock.wav"}  # both would be drawn
    assert used(kept) == {"noise/hiss/hiss.flac"} and used(only) == {"noise/events/knock.wav"}
    # the speech side is untouched by the noise selection
    assert [p.name for p in kept._speech] == [p.name for p in every._speech]
    with pytest.raises(ValueError, match="noise pattern 'event/\\*' matches no file"):
        MixtureSource(speech, [corpus / "noise"], [], config, 0, noise_exclude=("event/*",))
    with pytest.raises(ValueError, match="no noise files left"):
        MixtureSource(speech, [corpus / "noise"], [], config, 0, noise_exclude=("*",))
    with pytest.raises(ValueError, match="matches no file"):  # a pattern but no noise folder at all
        MixtureSource(speech, [], [], config, 0, noise_include=("hiss/*",))


def _two_noise_layout(root: Path, corpus: Path) -> Path:
    """``_shared_layout`` with two noise families in the train split (hiss/, events/)."""
    _shared_layout(root, corpus)
    shutil.rmtree(root / "noise" / "train")
    shutil.copytree(corpus / "noise", root / "noise" / "train")
    return root


def test_from_shared_data_noise_split(tmp_path, corpus):
    data = _two_noise_layout(tmp_path, corpus)
    config = MixConfig(segment_seconds=1.0, p_synthetic_noise=0.0, p_noise_only=0.0, p_speech_only=0.0)
    held = MixtureSource.from_shared_data(data, "val", config, seed=0, noise_split="train",
                                          noise_include=("events/*",))
    assert {p.parent.name for p in held._speech} == {"val"} and [p.name for p in held._noise] == ["knock.wav"]
    assert all(c["pieces"][0][0] == "train/events/knock.wav" for i in range(4) for c in held[i].meta["noise"])
    assert held._rir_paths == []  # the val split has no RIRs: no train room leaks into a val set
    with pytest.raises(ValueError, match="test split"):
        MixtureSource.from_shared_data(data, "val", config, seed=0, noise_split="test")
    with pytest.raises(FileNotFoundError, match="no noise for split 'other'"):
        MixtureSource.from_shared_data(data, "val", config, seed=0, noise_split="other")


def test_from_shared_data_rir_split_gives_val_reverb(tmp_path, corpus):
    """``rir_split='train'``: val mixtures get reverb (p_reverb) in the training rooms; the val split
    alone has none; test rooms are refused; a split without rooms is an error, not silence."""
    data = _two_noise_layout(tmp_path, corpus)
    config = MixConfig(segment_seconds=1.0, p_reverb=1.0, p_noise_only=0.0, p_speech_only=0.0)
    dry = MixtureSource.from_shared_data(data, "val", config, seed=0)
    wet = MixtureSource.from_shared_data(data, "val", config, seed=0, rir_split="train")
    assert dry._rir_paths == [] and [p.parent.name for p in wet._rir_paths] == ["train"]
    assert all("rir" not in dry[i].meta for i in range(3))
    assert all(wet[i].meta["rir"].endswith("room.flac") for i in range(3))
    assert {p.parent.name for p in wet._speech} == {"val"} and {p.parent.name for p in wet._noise} == {"val"}
    with pytest.raises(ValueError, match="test split"):
        MixtureSource.from_shared_data(data, "val", config, seed=0, rir_split="test")
    with pytest.raises(FileNotFoundError, match="no room impulse responses for split 'val'"):
        MixtureSource.from_shared_data(data, "val", config, seed=0, rir_split="val")


def _one_step_run(data, run) -> list[str]:
    """``train`` arguments of a one-step run of the fast model on 1 s segments (CLI tests)."""
    return ["train", "--data-dir", str(data), "--out", str(run), "--size", "fast", "--steps", "1",
            "--batch-size", "2", "--segment-seconds", "1.0", "--warmup-steps", "1", "--val-every", "0",
            "--val-items", "2", "--pesq-items", "0", "--workers", "0", "--stats-items", "2", "--threads", "1"]


def test_val_rir_split_reaches_the_val_source_and_the_result(tmp_path, corpus, capsys):
    """``--val-rir-split train``: the run's val mixtures (not its training ones) use the training
    rooms; ``validate`` says so (``val_rir``); test rooms are refused at start-up."""
    pytest.importorskip("torch")
    import json

    from hance_plugin.training.__main__ import main
    from hance_plugin.training.train import TrainConfig, _make_sources, validate_checkpoint

    data = _two_noise_layout(tmp_path / "data", corpus)
    cfg = TrainConfig(data_dir=str(data), segment_seconds=1.0, val_rir_split="train")
    train, val = _make_sources(cfg)
    assert [p.parent.name for p in val._rir_paths] == ["train"] == [p.parent.name for p in train._rir_paths]
    assert _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0))[1]._rir_paths == []
    with pytest.raises(ValueError, match="never test"):
        TrainConfig(data_dir=str(data), val_rir_split="test")
    run = tmp_path / "run"
    assert main(_one_step_run(data, run)) == 0
    wet_mix = "p_reverb=1,p_noise_only=0,p_speech_only=0,p_synthetic_noise=0"
    wet = validate_checkpoint(run / "last.pt", val_items=4, per_item=True, val_mix=wet_mix, val_rir_split="train")
    dry = validate_checkpoint(run / "last.pt", val_items=4, per_item=True, val_mix=wet_mix)
    assert wet["val_rir"] == "rooms of rir/train" and "val_rir" not in dry
    assert wet["val_si_sdr_noisy"] != dry["val_si_sdr_noisy"]  # the same val items, through a room
    capsys.readouterr()
    assert main(["validate", str(run / "last.pt"), "--val-items", "2", "--val-rir-split", "train"]) == 0
    assert json.loads(capsys.readouterr().out)["val_rir"] == "rooms of rir/train"
    assert main(["validate", str(run / "last.pt"), "--val-items", "2", "--val-rir-split", "val"]) == 2
    assert "no room impulse responses for split 'val'" in capsys.readouterr().err


def test_train_and_validate_show_a_progress_bar_where_stderr_is_a_terminal(tmp_path, corpus, capsys, monkeypatch):
    """``train`` and ``validate`` draw a progress bar on stderr (steps or val items done of the
    total; train: the last logged loss) where stderr is a terminal, none where it is a file or pipe,
    and none with ``--quiet``; stdout keeps only the JSON result either way."""
    pytest.importorskip("torch")
    import json
    import sys

    from hance_plugin.training.__main__ import main

    data = _two_noise_layout(tmp_path / "data", corpus)

    def args(run: str, *extra: str) -> list[str]:
        a = _one_step_run(data, tmp_path / run)
        a[a.index("--steps") + 1] = "2"
        return a + ["--log-every", "1", *extra]

    capsys.readouterr()
    assert main(args("piped")) == 0  # pytest's captured stderr is not a terminal
    out, err = capsys.readouterr()
    assert json.loads(out)["step"] == 2 and "2/2" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(args("terminal")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["step"] == 2
    assert "train:" in err and "2/2" in err and "loss=" in err
    assert main(args("quiet", "--quiet")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["step"] == 2 and "2/2" not in err
    checkpoint = str(tmp_path / "quiet" / "last.pt")
    assert main(["validate", checkpoint, "--val-items", "3", "--pesq-items", "0"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["val_items"] == 3 and "validate:" in err and "3/3" in err
    assert main(["validate", checkpoint, "--val-items", "3", "--pesq-items", "0", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["val_items"] == 3 and "3/3" not in err
    monkeypatch.undo()
    assert main(["validate", checkpoint, "--val-items", "3", "--pesq-items", "0"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["val_items"] == 3 and "3/3" not in err


def test_validate_segment_seconds_sets_the_val_mixture_length(tmp_path, corpus, capsys):
    """``validate --segment-seconds S``: the val mixtures are S seconds long whatever the run was
    trained on (how the model holds up past its training length), the result says which length it
    scored, and a length <= 0 is refused with a message, not a traceback."""
    pytest.importorskip("torch")
    import json

    from hance_plugin.training.__main__ import main
    from hance_plugin.training.train import validate_checkpoint

    data = _two_noise_layout(tmp_path / "data", corpus)
    run = tmp_path / "run"
    assert main(_one_step_run(data, run)) == 0
    short = validate_checkpoint(run / "last.pt", val_items=2, per_item=True)
    long = validate_checkpoint(run / "last.pt", val_items=2, per_item=True, segment_seconds=2.0)
    assert short["val_segment_seconds"] == 1.0 and long["val_segment_seconds"] == 2.0
    assert short["val_si_sdr_noisy"] != long["val_si_sdr_noisy"]  # other (longer) mixtures
    capsys.readouterr()
    assert main(["validate", str(run / "last.pt"), "--val-items", "2", "--segment-seconds", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["val_segment_seconds"] == 2.0
    for bad in ("0", "-1"):
        assert main(["validate", str(run / "last.pt"), "--segment-seconds", bad]) == 2
        assert "--segment-seconds must be positive" in capsys.readouterr().err


def test_held_out_noise_is_not_trained_on_and_is_the_holdout_val(tmp_path, corpus):
    """``--holdout-noise``: matching train noise files leave the training mixtures and are the
    noise of ``validate --holdout`` (val speech; held-out speech too when both are held out)."""
    pytest.importorskip("torch")
    from hance_plugin.training.train import TrainConfig, _make_sources

    data = _two_noise_layout(tmp_path, corpus)
    plain = "p_synthetic_noise=0,p_noise_only=0,p_speech_only=0,p_second_noise=1"
    cfg = TrainConfig(data_dir=str(data), segment_seconds=1.0, holdout_noise="events/*", mix=plain, val_mix=plain)
    train, val = _make_sources(cfg)
    _, held = _make_sources(cfg, holdout_val=True)
    assert [p.name for p in train._noise] == ["hiss.flac"]
    assert [p.name for p in val._noise] == ["hiss.flac"] and val._noise[0].parent.name == "val"
    assert [p.name for p in held._noise] == ["knock.wav"] and held._noise[0].parent.parent.name == "train"
    assert {p.parent.name for p in held._speech} == {"val"}  # no speech held out: val speech
    trained = {q[0] for i in range(12) for c in train[i].meta["noise"] for q in c["pieces"]}
    assert trained == {"train/hiss/hiss.flac"}
    both = TrainConfig(data_dir=str(data), segment_seconds=1.0, holdout_noise="events/*",
                       holdout_speech="talker1*")
    _, held_both = _make_sources(both, holdout_val=True)
    assert [p.name for p in held_both._speech] == ["talker1.flac"] and held_both._speech[0].parent.name == "train"
    assert [p.name for p in held_both._noise] == ["knock.wav"]
    with pytest.raises(ValueError, match="held no speech or noise"):
        _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0), holdout_val=True)
    with pytest.raises(ValueError, match="noise pattern 'wind\\*' matches no file"):
        _make_sources(TrainConfig(data_dir=str(data), segment_seconds=1.0, holdout_noise="wind*"))


# ---------------------------------------------------------------------------------- noises


def _slope_db_per_octave(x: np.ndarray) -> float:
    f, p = welch(x, SR, nperseg=8192)
    band = (f > 100) & (f < 10000)
    return float(np.polyfit(np.log2(f[band]), 10 * np.log10(p[band]), 1)[0])


def test_colored_noise_slopes():
    rng = np.random.default_rng(0)
    n = 4 * SR
    assert abs(_slope_db_per_octave(noises.colored_noise(rng, n, 1.0)) + 3.0) < 1.0  # pink
    assert abs(_slope_db_per_octave(noises.colored_noise(rng, n, 2.0)) + 6.0) < 1.0  # brown
    assert abs(_slope_db_per_octave(noises.colored_noise(rng, n, 0.0))) < 1.0  # white
    x = noises.colored_noise(rng, n, 1.0)
    assert x.dtype == np.float32 and abs(np.sqrt(np.mean(x.astype(np.float64) ** 2)) - 1) < 1e-3


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_hum_has_mains_fundamental_and_harmonics(mains):
    x = noises.hum(np.random.default_rng(1), 4 * SR, mains)
    f, p = welch(x, SR, nperseg=SR)  # 1 Hz resolution
    assert abs(f[np.argmax(p[(f > 30) & (f < 100)]) + 30] - mains) <= 1.0
    floor = np.median(p[(f > 20) & (f < 4000)])
    for k in (1, 2, 3):
        local = p[(f > k * mains - 3) & (f < k * mains + 3)].max()
        assert 10 * np.log10(local / floor) > 20, k


def test_synthesize_all_kinds_and_seeded():
    for kind in noises.NOISE_KINDS:
        x, info = noises.synthesize(np.random.default_rng(2), SR, kind)
        y, _ = noises.synthesize(np.random.default_rng(2), SR, kind)
        assert info["kind"] == kind and x.shape == (SR,) and x.dtype == np.float32
        assert np.all(np.isfinite(x)) and abs(np.sqrt(np.mean(x.astype(np.float64) ** 2)) - 1) < 1e-3
        assert np.array_equal(x, y)
    # fan: energy concentrated below 8 kHz; clicks: impulsive (high crest factor)
    fan = noises.fan(np.random.default_rng(3), 2 * SR)
    f, p = welch(fan, SR, nperseg=4096)
    assert p[f < 8000].sum() > 0.9 * p.sum()
    click = noises.clicks(np.random.default_rng(4), 2 * SR)
    assert np.max(np.abs(click)) > 5.0


def test_babble_sums_talkers():
    rng = np.random.default_rng(5)
    clips = [_voiced(rng, f0, 1.0, SR, 8000.0) for f0 in (110.0, 170.0, 230.0)]
    out = noises.babble(rng, clips)
    assert out.shape == (SR,) and abs(np.sqrt(np.mean(out.astype(np.float64) ** 2)) - 1) < 1e-3
    for clip in clips:
        assert abs(np.corrcoef(out, clip)[0, 1]) > 0.2  # every talker is in the sum


# ------------------------------------------------------------------------------- augmentations


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_perturbation_scales_f0_and_length(factor):
    x, _, _ = _vowel(150.0, [(700, 150, 1.0)])
    y = augment.speed_perturb(x, factor)
    assert abs(x.shape[0] / y.shape[0] - factor) < 1e-3
    assert abs(_f0_autocorrelation(y) / _f0_autocorrelation(x) - factor) < 0.005


# vowel-like test signal: formant bandwidths wide enough to be seen through 120 Hz harmonic sampling
FORMANTS = [(600, 250, 1.0), (1700, 300, 0.5), (2600, 400, 0.3)]


@pytest.mark.parametrize("factor", [0.85, 0.95, 1.12, 1.19])
def test_pitch_shift_scales_f0_keeps_length_and_formants(factor):
    x, freqs, envelope = _vowel(120.0, FORMANTS)
    y, realised = augment.pitch_formant_shift(x, pitch_factor=factor)
    assert y.shape == x.shape and abs(realised - factor) < 0.005
    core = slice(4000, -4000)
    assert abs(_f0_autocorrelation(y[core]) / _f0_autocorrelation(x[core]) - realised) < 0.005
    if abs(factor - 1) < 0.15:  # small shifts hardly move the envelope: nothing to measure
        return
    # the envelope stays put: harmonics at the new f0 follow the original formants
    new_freqs = freqs * realised
    new_freqs = new_freqs[new_freqs < 5000]
    ideal = 20 * np.log10(envelope(new_freqs) / envelope(new_freqs).max())
    moved = 20 * np.log10(envelope(new_freqs / realised) / envelope(new_freqs / realised).max())
    error = np.mean(np.abs(_harmonic_db(y[core], new_freqs) - ideal))
    assert error < 0.6 * np.mean(np.abs(moved - ideal))


@pytest.mark.parametrize("beta", [0.87, 1.15])
def test_formant_shift_moves_envelope_not_f0(beta):
    x, freqs, envelope = _vowel(120.0, FORMANTS)
    y, realised = augment.pitch_formant_shift(x, formant_factor=beta)
    assert realised == 1.0 and y.shape == x.shape
    core = slice(4000, -4000)
    assert abs(_f0_autocorrelation(y[core]) / 120.0 - 1) < 0.005
    freqs = freqs[freqs < 5000]
    ideal = 20 * np.log10(envelope(freqs / beta) / envelope(freqs / beta).max())
    unshifted = 20 * np.log10(envelope(freqs) / envelope(freqs).max())
    error = np.mean(np.abs(_harmonic_db(y[core], freqs) - ideal))
    assert error < 0.6 * np.mean(np.abs(unshifted - ideal))


def test_voice_perturbation_bandwidth_and_identity():
    rng = np.random.default_rng(0)
    x = _voiced(rng, 140.0, 1.0, SR, 7600.0)
    y, bandwidth, params = augment.perturb_voice(x, {"speed": 1.1, "pitch": 1.0, "formant": 1.0}, 7600.0)
    assert abs(bandwidth - 7600 * 1.1) < 1 and y.shape[0] == round(x.shape[0] / 1.1)
    same, ratio = augment.pitch_formant_shift(x)
    assert ratio == 1.0 and np.array_equal(same, x)
    params = augment.random_voice_params(np.random.default_rng(1))
    assert set(params) == {"speed", "pitch", "formant"} and any(v != 1.0 for v in params.values())


def test_eq_and_lowpass():
    sos, bands = augment.random_eq(np.random.default_rng(0))
    assert sos.shape == (len(bands), 6)
    assert np.all(np.abs(np.roots([1, sos[0, 4], sos[0, 5]])) < 1)
    _, h = sosfreqz(sos, worN=4096, fs=SR)
    gain_db = 20 * np.log10(np.abs(h))
    assert np.max(np.abs(gain_db)) <= 6.0 * len(bands) + 0.1
    # single peaking filter: exact gain at its centre
    _, h = sosfreqz(augment.peaking_sos(1000.0, 6.0, 1.0)[None], worN=[1000.0], fs=SR)
    assert abs(20 * np.log10(np.abs(h[0])) - 6.0) < 0.01
    noise = np.random.default_rng(1).standard_normal(SR).astype(np.float32)
    low = augment.apply_sos(noise, augment.lowpass(5000.0))
    assert effective_bandwidth_hz(low) < 5600


def test_config_validation():
    with pytest.raises(ValueError):
        MixConfig(p_noise_only=0.6, p_speech_only=0.6)
    assert replace(MixConfig(), augment=False).augment is False


def test_perceptual_metrics_score_and_record_failures_instead_of_raising():
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    rng = np.random.default_rng(3)
    clean = _voiced(rng, 140.0, 3.0, SR, 7000.0).astype(np.float32)
    noisy = (clean + 0.05 * np.std(clean) * rng.standard_normal(clean.size)).astype(np.float32)
    worse = (clean + 1.0 * np.std(clean) * rng.standard_normal(clean.size)).astype(np.float32)
    good, errors = perceptual_metrics(clean, noisy)
    bad, _ = perceptual_metrics(clean, worse)
    assert not errors and set(good) == {"pesq_wb", "estoi"}
    assert good["pesq_wb"] > bad["pesq_wb"] and good["estoi"] > bad["estoi"]
    only, _ = perceptual_metrics(clean, noisy, estoi=False)
    assert set(only) == {"pesq_wb"} and only["pesq_wb"] == good["pesq_wb"]
    silent, errors = perceptual_metrics(np.zeros_like(clean), noisy)  # PESQ: "No utterances detected"
    assert np.isnan(silent["pesq_wb"]) and "pesq_wb" in errors and "estoi" in silent


def test_validate_holdout_scores_the_held_out_talker(tmp_path, corpus, capsys):
    """End to end on the tiny corpus: a run with ``--holdout-speech`` is validated on exactly the
    held-out files; the CLI prints JSON naming them."""
    pytest.importorskip("torch")
    import json

    from hance_plugin.training.__main__ import main
    from hance_plugin.training.train import TrainConfig, _make_sources, train, validate_checkpoint

    data = _shared_layout(tmp_path / "data", corpus)
    cfg = TrainConfig(data_dir=str(data), out=str(tmp_path / "run"), size="fast", steps=1, batch_size=2,
                      segment_seconds=1.0, warmup_steps=1, val_every=0, val_items=2, pesq_items=0,
                      workers=0, stats_items=2, threads=1, holdout_speech="talker2*")
    train(cfg)
    ckpt = tmp_path / "run" / "last.pt"
    held = validate_checkpoint(ckpt, holdout=True, val_items=50, per_item=True)
    plain = validate_checkpoint(ckpt, val_items=50, per_item=True)
    _, held_src = _make_sources(cfg, holdout_val=True)
    assert held["val_speech"] == "held out of training: talker2*" and "val_speech" not in plain
    assert held["val_items"] == len(held_src) == int(4.0 // 1.0)  # talker2.flac is 4 s long
    assert plain["val_items"] == int(7.2 // 1.0)
    assert {r["index"] for r in held["per_item"]} <= set(range(len(held_src)))
    for r in held["per_item"]:  # fullband talkers: both bands scored, for the model and the input
        assert all(isinstance(r[k], float) for k in ("sdr_low", "sdr_low_noisy", "sdr_high", "sdr_high_noisy"))
    assert held["val_si_sdr"] != plain["val_si_sdr"]
    capsys.readouterr()
    assert main(["validate", str(ckpt), "--holdout", "--val-items", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["val_speech"] == held["val_speech"] and printed["val_items"] == 2


def test_validate_holdout_scores_the_held_out_noise(tmp_path, corpus, capsys):
    """End to end: a run with ``--holdout-noise`` is validated on val speech mixed with exactly the
    held-out noise files, and says so (``val_noise``); the CLI flag reaches the run."""
    pytest.importorskip("torch")
    import json

    from hance_plugin.training.__main__ import main
    from hance_plugin.training.train import load_checkpoint, validate_checkpoint

    data = _two_noise_layout(tmp_path / "data", corpus)
    run = tmp_path / "run"
    assert main(_one_step_run(data, run) + ["--holdout-noise", "events/*"]) == 0
    ckpt = run / "last.pt"
    assert load_checkpoint(ckpt)["train_config"]["holdout_noise"] == "events/*"
    held = validate_checkpoint(ckpt, holdout=True, val_items=50, per_item=True, val_mix="augment=false")
    plain = validate_checkpoint(ckpt, val_items=50, per_item=True, val_mix="augment=false")
    assert held["val_noise"] == "held out of training: events/*" and "val_speech" not in held
    assert "val_noise" not in plain and held["val_items"] == plain["val_items"]  # same val speech
    assert all(r["noise_kinds"] == "corpus" for r in held["per_item"] if r.get("noise_kinds"))
    assert held["val_si_sdr_noisy"] != plain["val_si_sdr_noisy"]  # other noise under the same speech
    capsys.readouterr()
    assert main(["validate", str(ckpt), "--holdout", "--val-items", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["val_noise"] == held["val_noise"] and printed["val_items"] == 2


@pytest.mark.parametrize("n", [48000, 47999])
def test_band_sdr_splits_the_error_at_the_split_frequency(n):
    t = np.arange(n) / SR
    low = np.sin(2 * np.pi * 1000.0 * t)
    high = 0.5 * np.sin(2 * np.pi * 9000.0 * t)
    clean = low + high
    # an error only above the split leaves the low band perfect, and vice versa
    # (with a non-integer number of periods, n = 47999, the tones leak about -60 dB across the split)
    est = low + 0.5 * high
    sdr_low, sdr_high = band_sdr_db(clean, est, 6000.0)
    assert sdr_low > 50 and sdr_high == pytest.approx(20 * np.log10(2.0), abs=0.01)
    sdr_low, sdr_high = band_sdr_db(clean, 0.9 * low + high, 6000.0)
    assert sdr_low == pytest.approx(20.0, abs=0.01) and sdr_high > 50
    assert band_sdr_db(clean, clean, 6000.0) == (float("inf"), float("inf"))
    if n == SR:  # whole periods: nothing above the split at all
        assert np.isnan(band_sdr_db(low, 0.5 * low, 6000.0)[1])
    with pytest.raises(ValueError, match="length mismatch"):
        band_sdr_db(clean, clean[:-1], 6000.0)


def test_noise_speed_shifts_the_corpus_noise_only(corpus, tmp_path):
    """``p_noise_speed``: the corpus noise plays at the drawn speed (a tone moves by the factor),
    speech and target are untouched, the SNR holds; 0 (the default) leaves every mixture bit-identical."""
    common = dict(seed=5, p_noise_only=0.0, p_speech_only=0.0, p_clip=0.0)
    base = _source(corpus, **common)
    off = _source(corpus, p_noise_speed=0.0, noise_speed_range=(0.8, 0.8), **common)
    fast = _source(corpus, p_noise_speed=1.0, noise_speed_range=(1.25, 1.25), p_synthetic_noise=0.0, **common)
    for i in range(6):
        b, o, f = base[i], off[i], fast[i]
        assert np.array_equal(b.noisy, o.noisy) and "noise_speed" not in b.meta
        assert f.meta["noise_speed"] == pytest.approx(1.25)
        assert all(part["speed"] == pytest.approx(1.25) for part in f.meta["noise"])
        assert f.noisy.shape == b.noisy.shape and np.isfinite(f.noisy).all()
        if "peak_scale" not in b.meta and "peak_scale" not in f.meta:
            np.testing.assert_array_equal(f.clean, b.clean)
        assert abs(_measured_snr_db(f) - f.snr_db) < 0.5
    plain = _source(corpus, p_noise_speed=1.0, augment=False)  # plain mixing has no augmentation
    assert "noise_speed" not in plain[0].meta
    # a 1 kHz hum as the only noise comes out at 1.25 kHz
    (tmp_path / "noise").mkdir()
    tone = 0.1 * np.sin(2 * np.pi * 1000.0 * np.arange(3 * SR) / SR)
    sf.write(tmp_path / "noise" / "tone.flac", tone.astype(np.float32), SR)
    source = MixtureSource(
        [corpus / "speech/fullband"], [tmp_path / "noise"], [],
        MixConfig(segment_seconds=1.0, p_noise_only=1.0, p_speech_only=0.0, p_synthetic_noise=0.0, p_second_noise=0.0, p_eq=0.0,
                  p_lowpass=0.0, p_clip=0.0, p_noise_speed=1.0, noise_speed_range=(1.25, 1.25)), 0,
    )
    noise = source[0].noisy.astype(np.float64)
    freqs = np.fft.rfftfreq(noise.size, 1 / SR)
    assert freqs[np.argmax(np.abs(np.fft.rfft(noise * np.hanning(noise.size))))] == pytest.approx(1250.0, abs=2.0)
    assert parse_mix_overrides("p_noise_speed=0.5,noise_speed_range=0.8:1.25") == {
        "p_noise_speed": 0.5, "noise_speed_range": (0.8, 1.25)}
    for bad in ("noise_speed_range=1.2:0.9", "noise_speed_range=0.3:1", "p_noise_speed=1.5"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)


def test_random_noise_replaces_or_joins_the_noise(corpus):
    """``p_random_noise``: a domain-randomised noise replaces the noise or joins it, speech and
    target are untouched, the SNR holds, plain mixing has none; 0 (the default) is bit-identical."""
    common = dict(seed=7, p_noise_only=0.0, p_speech_only=0.0, p_clip=0.0)
    base = _source(corpus, **common)
    off = _source(corpus, p_random_noise=0.0, **common)
    on = _source(corpus, p_random_noise=1.0, **common)
    kinds = []
    for i in range(8):
        b, o, r = base[i], off[i], on[i]
        assert np.array_equal(b.noisy, o.noisy) and np.array_equal(b.clean, o.clean)
        assert all(part["kind"] != "random_texture" for part in b.meta["noise"])
        parts = [part["kind"] for part in r.meta["noise"]]
        assert "random_texture" in parts
        kinds.append(parts == ["random_texture"])
        assert r.noisy.shape == b.noisy.shape and np.isfinite(r.noisy).all()
        assert not np.array_equal(r.noisy, b.noisy)
        if "peak_scale" not in b.meta and "peak_scale" not in r.meta:
            np.testing.assert_array_equal(r.clean, b.clean)
        assert abs(_measured_snr_db(r) - r.snr_db) < 0.5
    assert any(kinds) and not all(kinds)  # it replaces the noise in some mixtures and joins it in others
    again = _source(corpus, p_random_noise=1.0, **common)
    np.testing.assert_array_equal(again[3].noisy, on[3].noisy)  # seeded
    plain = _source(corpus, p_random_noise=1.0, augment=False)
    assert all(part["kind"] != "random_texture" for part in plain[0].meta["noise"])
    assert parse_mix_overrides("p_random_noise=0.3") == {"p_random_noise": 0.3}
    with pytest.raises(ValueError, match="probability"):
        parse_mix_overrides("p_random_noise=1.5")


def test_random_texture_is_seeded_varied_and_unit_rms():
    """``noises.random_texture``: float32, unit RMS, finite, the same for the same seed, and
    different textures (spectral centroids and level spreads) across seeds."""
    n = 2 * SR
    centroids, spreads = [], []
    for seed in range(12):
        x = noises.random_texture(np.random.default_rng(seed), n)
        assert x.dtype == np.float32 and x.shape == (n,) and np.isfinite(x).all()
        assert float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) == pytest.approx(1.0, rel=1e-4)
        np.testing.assert_array_equal(x, noises.random_texture(np.random.default_rng(seed), n))
        power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
        freqs = np.fft.rfftfreq(n, 1 / SR)
        centroids.append(float(np.sum(freqs * power) / np.sum(power)))
        frames = np.square(x[: n // 480 * 480].astype(np.float64)).reshape(-1, 480).mean(axis=1)
        spreads.append(float(10 * np.log10(np.percentile(frames, 95) / max(np.percentile(frames, 5), 1e-12))))
    assert max(centroids) > 3 * min(centroids)  # from dark to bright
    assert max(spreads) > 15.0 and min(spreads) < 6.0  # from steady to bursty


def test_level_of_mixture_gives_every_kind_one_input_level(corpus):
    """``level_of_mixture``: the noisy input's active level is the drawn level for mixtures,
    noise-only and speech-only items alike, the SNR holds; False (the default) is bit-identical."""
    common = dict(seed=7, p_noise_only=0.3, p_speech_only=0.3, p_clip=0.0, level_dbfs_range=(-45.0, -15.0))
    base = _source(corpus, **common)
    off = _source(corpus, level_of_mixture=False, **common)
    on = _source(corpus, level_of_mixture=True, **common)
    kinds = set()
    for i in range(16):
        b, o, m = base[i], off[i], on[i]
        assert np.array_equal(b.noisy, o.noisy) and np.array_equal(b.clean, o.clean) and "mixture_gain_db" not in b.meta
        assert m.meta["kind"] == b.meta["kind"]
        kinds.add(m.meta["kind"])
        if "peak_scale" in m.meta:
            continue
        drawn = b.meta["level_dbfs"] if b.meta["kind"] != "noise_only" else None
        level = active_level_db(m.noisy)
        assert -45.1 <= level <= -14.9
        gain = 10 ** (m.meta["mixture_gain_db"] / 20)  # noisy and target scaled alike: the SNR holds
        np.testing.assert_allclose(m.clean, b.clean * np.float32(gain), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(m.noisy, b.noisy * np.float32(gain), rtol=1e-5, atol=1e-7)
        if drawn is not None:  # the speech's drawn level (base) is now the input's
            assert level == pytest.approx(drawn, abs=0.1)
    assert kinds == {"mix", "noise_only", "speech_only"}
    assert parse_mix_overrides("level_of_mixture=true") == {"level_of_mixture": True}


def _band_energy(x: np.ndarray, lo_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / SR)
    return float(spectrum[freqs >= lo_hz].sum())


def test_noise_lowpass_shapes_the_noise_only(corpus):
    """``p_noise_lowpass``: the noise loses its high band, the speech (and so the target) is
    untouched, the SNR still holds; 0 (the default) leaves every mixture bit-identical."""
    common = dict(seed=3, p_noise_only=0.0, p_speech_only=0.0, p_clip=0.0)
    base = _source(corpus, **common)
    off = _source(corpus, p_noise_lowpass=0.0, noise_lowpass_hz_range=(2000.0, 3000.0), **common)
    shaped = _source(corpus, p_noise_lowpass=1.0, noise_lowpass_hz_range=(1500.0, 1500.0), **common)
    for i in range(6):
        b, o, s = base[i], off[i], shaped[i]
        assert np.array_equal(b.noisy, o.noisy) and "noise_lowpass_hz" not in b.meta
        assert s.meta["noise_lowpass_hz"] == pytest.approx(1500.0)
        if "peak_scale" not in b.meta and "peak_scale" not in s.meta:
            np.testing.assert_array_equal(s.clean, b.clean)
        assert abs(_measured_snr_db(s) - s.snr_db) < 0.5
        base_hf = _band_energy(b.noisy - b.clean, 8000.0) / _band_energy(b.noisy - b.clean, 0.0)
        shaped_hf = _band_energy(s.noisy - s.clean, 8000.0) / _band_energy(s.noisy - s.clean, 0.0)
        assert shaped_hf < 1e-4 * max(base_hf, 1e-3), (i, base_hf, shaped_hf)  # 24 dB/oct: > 70 dB down at 8 kHz
    plain = _source(corpus, p_noise_lowpass=1.0, augment=False)  # plain mixing has no augmentation
    assert "noise_lowpass_hz" not in plain[0].meta
    assert parse_mix_overrides("p_noise_lowpass=0.3,noise_lowpass_hz_range=1000:6000") == {
        "p_noise_lowpass": 0.3, "noise_lowpass_hz_range": (1000.0, 6000.0)}
    for bad in ("noise_lowpass_hz_range=6000:1000", "noise_lowpass_hz_range=50:1000", "p_noise_lowpass=1.5"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)


def test_speech_floor_adds_a_steady_floor_to_speech_and_target(corpus):
    """``p_speech_floor``: a stationary floor at the drawn level below the speech's active level is
    added to the speech, so to the target (speech-only items pass it through: noisy == clean); it is
    band-limited with the speech; 0 (the default) leaves every mixture bit-identical."""
    common = dict(seed=11, p_noise_only=0.0, p_speech_only=1.0, p_clip=0.0, p_reverb=0.0, p_eq=0.0,
                  p_lowpass=0.0, p_voice_perturb=0.0, speech_floor_db_range=(-30.0, -30.0))
    checked = {"fullband": 0, "narrow": 0}
    for speech in (("speech/fullband",), ("speech/narrow",)):
        base = _source(corpus, speech=speech, **common)
        off = _source(corpus, speech=speech, p_speech_floor=0.0, **common)
        floored = _source(corpus, speech=speech, p_speech_floor=1.0, **common)
        for i in range(4):
            b, o, f = base[i], off[i], floored[i]
            assert np.array_equal(b.noisy, o.noisy) and np.array_equal(b.clean, o.clean)
            assert "speech_floor" not in b.meta
            assert f.meta["speech_floor"]["db"] == pytest.approx(-30.0)
            assert 0.0 <= f.meta["speech_floor"]["exponent"] <= 2.0
            np.testing.assert_array_equal(f.noisy, f.clean)  # speech-only: the floor is part of the target
            if "peak_scale" in b.meta or "peak_scale" in f.meta:
                continue
            # the same speech rescaled to the drawn level; what is left is the floor, 30 dB below
            # the speech's active level
            gain = np.dot(f.clean, b.clean) / np.dot(b.clean, b.clean)
            floor = f.clean - gain * b.clean
            assert -30.5 < _rms_db(floor) - active_level_db(gain * b.clean) < -29.5, i
            if b.bandwidth_hz < 10000.0:  # a band-limited recording's floor is band-limited too
                assert _band_energy(floor, 1.1 * b.bandwidth_hz) < 1e-4 * _band_energy(floor, 0.0)
                checked["narrow"] += 1
            else:
                assert _band_energy(floor, 12000.0) > 1e-4 * _band_energy(floor, 0.0)  # not low-passed (brown: ~2e-3)
                checked["fullband"] += 1
    assert checked["fullband"] >= 2 and checked["narrow"] >= 2, checked
    assert parse_mix_overrides("p_speech_floor=0.3,speech_floor_db_range=-45:-25") == {
        "p_speech_floor": 0.3, "speech_floor_db_range": (-45.0, -25.0)}
    for bad in ("p_speech_floor=1.5", "speech_floor_db_range=-20:-40", "speech_floor_db_range=-30:0"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)


def test_speech_eq_colours_the_speech_alone_and_the_target(corpus):
    """``p_speech_eq``: the speech (and so the target) goes through the random EQ recorded in
    ``meta["speech_eq"]``, gains within the set range; the noise keeps its shape; 0 (the default)
    leaves every mixture bit-identical."""
    common = dict(seed=12, p_noise_only=0.0, p_clip=0.0, p_reverb=0.0, p_eq=0.0, p_lowpass=0.0,
                  p_voice_perturb=0.0, speech_eq_max_gain_db=9.0)
    coloured_items = 0
    for kind in ({"p_speech_only": 1.0}, {"p_speech_only": 0.0}):
        base = _source(corpus, **kind, **common)
        off = _source(corpus, p_speech_eq=0.0, **kind, **common)
        eq = _source(corpus, p_speech_eq=1.0, **kind, **common)
        for i in range(4):
            b, o, f = base[i], off[i], eq[i]
            assert np.array_equal(b.noisy, o.noisy) and np.array_equal(b.clean, o.clean)
            assert "speech_eq" not in b.meta
            bands = f.meta["speech_eq"]
            assert 1 <= len(bands) <= 5 and all(abs(band["gain_db"]) <= 9.0 for band in bands)
            if "peak_scale" in b.meta or "peak_scale" in f.meta:
                continue
            # levels are set after the EQ, so the target is the old target through the recorded EQ,
            # up to one gain
            want = augment.apply_sos(b.clean, augment.eq_sos(bands)).astype(np.float64)
            gain = np.dot(f.clean, want) / np.dot(want, want)
            np.testing.assert_allclose(f.clean, gain * want, atol=2e-3 * np.max(np.abs(f.clean)))
            assert np.max(np.abs(f.clean - b.clean * (np.dot(f.clean, b.clean) / np.dot(b.clean, b.clean)))) > (
                1e-2 * np.max(np.abs(f.clean)))  # it did change the speech's colour
            noise_b, noise_f = b.noisy - b.clean, f.noisy - f.clean
            if kind["p_speech_only"] == 1.0:
                assert not np.any(noise_f) and not np.any(noise_b)
            else:  # the noise is not coloured: the same waveform, rescaled for the drawn SNR
                k = np.dot(noise_f, noise_b) / np.dot(noise_b, noise_b)
                np.testing.assert_allclose(noise_f, k * noise_b, atol=1e-4 * np.max(np.abs(noise_f)))
            coloured_items += 1
    assert coloured_items >= 4
    assert parse_mix_overrides("p_speech_eq=0.5,speech_eq_max_gain_db=6") == {
        "p_speech_eq": 0.5, "speech_eq_max_gain_db": 6.0}
    for bad in ("p_speech_eq=-0.1", "speech_eq_max_gain_db=30"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def test_speech_bounds_cut_leading_and_trailing_silence_at_frame_edges():
    """``speech_bounds`` keeps the 10 ms frames within ``below_db`` of the loudest one, from the first
    to the last (inner pauses stay); ``trim_silence`` is that slice; shorter than a frame: all of it."""
    frame = SR // 100
    x = np.zeros(50 * frame, dtype=np.float32)
    x[7 * frame + 3 : 20 * frame] = 0.5  # starts inside frame 7
    x[30 * frame : 41 * frame] = 0.1  # 14 dB down: kept, and the pause between too
    x[45 * frame : 46 * frame] = 1e-4  # 74 dB down: trimmed
    assert speech_bounds(x) == (7 * frame, 41 * frame)
    np.testing.assert_array_equal(trim_silence(x), x[7 * frame : 41 * frame])
    assert speech_bounds(x, below_db=-80.0) == (7 * frame, 46 * frame)
    short = np.ones(frame - 1, dtype=np.float32)
    assert speech_bounds(short) == (0, frame - 1)


def test_running_speech_joins_trimmed_files_with_short_gaps(corpus):
    """``p_running_speech``: a track made of several files takes each file without its leading and
    trailing silence and joins them with gaps in ``running_gap_s_range``, so it has fewer silent
    frames; 0 (the default) keeps the untrimmed files and 50-500 ms gaps; noise-only items are
    never marked."""
    common = dict(segment_seconds=6.0, p_noise_only=0.0, p_speech_only=1.0, p_clip=0.0, p_reverb=0.0,
                  p_eq=0.0, p_lowpass=0.0, p_voice_perturb=0.0)

    def source(**kw) -> MixtureSource:
        return MixtureSource([corpus / "speech/fullband", corpus / "speech/narrow"], [corpus / "noise"],
                             [corpus / "rir"], MixConfig(**common, **kw), 13)

    off, running = source(), source(p_running_speech=1.0, running_gap_s_range=(0.03, 0.06))
    silent = {"off": [], "running": []}
    for i in range(4):  # past len(): the index wraps, the draws differ
        o, r = off[i], running[i]
        assert "running" not in o.meta and r.meta["running"] is True
        for m, lo, hi, trimmed in ((o, 0.05, 0.5, False), (r, 0.03, 0.06, True)):
            pieces = m.meta["speech"]["pieces"]
            assert len(pieces) >= 2, pieces  # every corpus file is shorter than 6 s
            for (name, start, take, position), nxt in zip(pieces, pieces[1:]):
                gap_s = (nxt[3] - position - take) / SR
                assert lo - 1 / SR <= gap_s <= hi, (name, gap_s)
                audio = load_mono_48k(corpus / "speech" / name)  # names are relative to the speech roots' parent
                assert start == (speech_bounds(audio)[0] if trimmed else 0)
                assert take == (speech_bounds(audio)[1] - start if trimmed else audio.shape[0])
            energy_db = 10 * np.log10(frame_energies(m.clean) + 1e-20)
            silent["running" if trimmed else "off"].append(float(np.mean(energy_db < energy_db.max() - 40)))
    assert np.mean(silent["running"]) < np.mean(silent["off"]) - 0.03, silent
    noise_only = MixtureSource([corpus / "speech/fullband"], [corpus / "noise"], [corpus / "rir"],
                               MixConfig(**{**common, "p_noise_only": 1.0, "p_speech_only": 0.0},
                                         p_running_speech=1.0), 13)
    assert "running" not in noise_only[0].meta
    assert parse_mix_overrides("p_running_speech=0.5,running_gap_s_range=0:0.1") == {
        "p_running_speech": 0.5, "running_gap_s_range": (0.0, 0.1)}
    for bad in ("p_running_speech=2", "running_gap_s_range=0.2:0.1", "running_gap_s_range=0:2"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)


def test_quiet_lead_replaces_the_segment_start(corpus):
    """``p_quiet_lead``: the first stretch of the noisy input becomes hiss, hum or the item's own
    noise turned down, the target there silence; the rest of the segment, its SNR and the other
    draws are untouched; every kind occurs, levels lie in their ranges, plain mixing has none,
    and 0 (the default) is bit-identical."""
    common = dict(seed=3, p_clip=0.0, quiet_lead_s_range=(0.2, 0.6))  # 1-s segments
    base = _source(corpus, **common)
    off = _source(corpus, p_quiet_lead=0.0, **common)
    on = _source(corpus, p_quiet_lead=1.0, **common)
    kinds = set()
    for i in range(24):
        b, o, q = base[i], off[i], on[i]
        assert np.array_equal(b.noisy, o.noisy) and np.array_equal(b.clean, o.clean)
        assert "quiet_lead" not in b.meta
        lead = q.meta["quiet_lead"]
        kinds.add(lead["kind"])
        k = int(round(lead["seconds"] * SR))
        assert int(0.2 * SR) <= k <= int(0.6 * SR) + 1
        np.testing.assert_array_equal(q.noisy[k:], b.noisy[k:])
        np.testing.assert_array_equal(q.clean[k:], b.clean[k:])
        assert not np.any(q.clean[:k])
        assert (q.snr_db, q.bandwidth_hz, q.meta["kind"]) == (b.snr_db, b.bandwidth_hz, b.meta["kind"])
        rms_db = 10 * np.log10(np.mean(q.noisy[:k].astype(np.float64) ** 2) + 1e-30)
        if lead["kind"] == "fade":
            own = b.noisy[:k].astype(np.float64) - b.clean[:k]
            np.testing.assert_allclose(q.noisy[:k], own * 10 ** (-lead["down_db"] / 20), rtol=1e-5, atol=1e-12)
            assert 20.0 <= lead["down_db"] <= 45.0
        else:
            assert rms_db == pytest.approx(lead["rms_dbfs"], abs=0.1)
            lo, hi = (-105.0, -75.0) if lead["kind"] == "hiss" else (-100.0, -65.0)
            assert lo <= lead["rms_dbfs"] <= hi
        if b.meta["kind"] == "speech_only":
            assert lead["kind"] != "fade"  # no noise to turn down: hiss instead
    assert kinds == {"hiss", "hum", "fade"}
    np.testing.assert_array_equal(_source(corpus, p_quiet_lead=1.0, **common)[5].noisy, on[5].noisy)  # seeded
    assert "quiet_lead" not in _source(corpus, p_quiet_lead=1.0, quiet_lead_s_range=(0.2, 0.6), augment=False)[0].meta
    assert parse_mix_overrides("p_quiet_lead=0.3,quiet_lead_s_range=0.5:1.5") == {
        "p_quiet_lead": 0.3, "quiet_lead_s_range": (0.5, 1.5)}
    for bad in ("p_quiet_lead=1.5", "quiet_lead_s_range=0:1", "quiet_lead_hum_dbfs_range=-60:-30",
                "quiet_lead_fade_db_range=30:20"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)
    with pytest.raises(ValueError, match="below segment_seconds"):
        MixConfig(segment_seconds=1.0, p_quiet_lead=0.5)  # the default 0.3-2 s could cover the segment
    keep = _source(corpus, p_quiet_lead=1.0, quiet_lead_target="lead", **common)
    for i in range(6):  # the same lead-in, kept in the target as it is in the input
        q, k_ = on[i], keep[i]
        k = int(round(q.meta["quiet_lead"]["seconds"] * SR))
        np.testing.assert_array_equal(k_.noisy, q.noisy)
        np.testing.assert_array_equal(k_.clean[:k], k_.noisy[:k])
        np.testing.assert_array_equal(k_.clean[k:], q.clean[k:])
    with pytest.raises(ValueError, match="quiet_lead_target"):
        parse_mix_overrides("quiet_lead_target=noise")
    assert parse_mix_overrides("quiet_lead_target=lead") == {"quiet_lead_target": "lead"}
