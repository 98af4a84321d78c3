"""Simulated rooms (``training/rooms.py``) and their use in the mixtures (``--mix p_synthetic_rir``).

A tiny generated corpus in a temporary folder (never the shared corpus).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pyroomacoustics")

from hance_plugin.training import rooms  # noqa: E402
from hance_plugin.training.mixing import MixConfig, MixtureSource, parse_mix_overrides  # noqa: E402

SR = 48000
SPEED_OF_SOUND_M_S = 343.0


def _t20_rt60_s(h: np.ndarray) -> float:
    """RT60 from the -5..-25 dB slope of the Schroeder energy decay curve (T20 x 3)."""
    direct = int(np.argmax(np.abs(h)))
    energy = np.cumsum(np.square(h[direct:].astype(np.float64))[::-1])[::-1]
    edc = 10 * np.log10(energy / energy[0] + 1e-30)
    return 3.0 * (int(np.argmax(edc < -25)) - int(np.argmax(edc < -5))) / SR


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_drawn_rooms_are_valid_and_seeded(seed):
    room = rooms.draw_room(np.random.default_rng(seed), rt60_s_range=(0.2, 0.8), distance_m_range=(0.3, 3.0))
    again = rooms.draw_room(np.random.default_rng(seed), rt60_s_range=(0.2, 0.8), distance_m_range=(0.3, 3.0))
    for key in room:
        np.testing.assert_array_equal(room[key], again[key])
    dims = room["dims_m"]
    assert 3.0 <= dims[0] <= 10.0 and 2.5 <= dims[1] <= min(8.0, dims[0]) and 2.4 <= dims[2] <= 4.0
    assert 0.2 <= room["rt60_s"] <= 0.8
    for point in (room["source_m"], room["mic_m"]):
        assert np.all(point[:2] >= rooms.WALL_MARGIN_M) and np.all(point[:2] <= dims[:2] - rooms.WALL_MARGIN_M)
        assert 0.0 < point[2] < dims[2]
    assert 0.25 <= np.linalg.norm(room["mic_m"] - room["source_m"]) <= 3.1


def test_shoebox_rir_is_deterministic_with_the_direct_path_where_the_geometry_puts_it():
    room = rooms.draw_room(np.random.default_rng(11), rt60_s_range=(0.3, 0.3))
    h1, h2 = rooms.shoebox_rir(room), rooms.shoebox_rir(room)
    assert h1.dtype == np.float32 and np.all(np.isfinite(h1))
    np.testing.assert_array_equal(h1, h2)  # mixing must be reproducible bit for bit
    distance = float(np.linalg.norm(room["mic_m"] - room["source_m"]))
    # pyroomacoustics delays every response by its fractional-delay filter's half length (40 samples)
    expected = distance / SPEED_OF_SOUND_M_S * SR + 40
    assert abs(int(np.argmax(np.abs(h1))) - expected) <= 3


@pytest.mark.parametrize("seed", [0, 5])
def test_shoebox_rir_decays_with_the_drawn_rt60(seed):
    """Measured (T20) RT60 grows with the drawn one and stays within 0.3-1.2x of it (Sabine's
    formula overestimates at high absorption, so short drawn RT60s in big rooms measure shorter)."""
    drawn = (0.2, 0.3, 0.5, 0.8)
    measured = [
        _t20_rt60_s(rooms.shoebox_rir(rooms.draw_room(np.random.default_rng(seed), rt60_s_range=(rt, rt)))) for rt in drawn
    ]
    assert all(a < b for a, b in zip(measured, measured[1:])), measured
    for rt, m in zip(drawn, measured):
        assert 0.3 * rt <= m <= 1.2 * rt, (rt, m)


def test_draw_room_refuses_bad_ranges():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rt60_s_range"):
        rooms.draw_room(rng, rt60_s_range=(0.8, 0.2))
    with pytest.raises(ValueError, match="distance_m_range"):
        rooms.draw_room(rng, distance_m_range=(0.0, 1.0))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rooms_corpus")
    rng = np.random.default_rng(3)
    for sub in ("speech/talker", "noise/hiss", "rir"):
        (root / sub).mkdir(parents=True)
    t = np.arange(int(2.5 * SR)) / SR
    for i, f0 in enumerate((130.0, 210.0)):
        voiced = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 30))
        syllables = np.clip(np.sin(2 * np.pi * 2.5 * t + i), 0.0, None) ** 2
        sf.write(root / f"speech/talker/t{i}.flac", (0.1 * voiced * syllables).astype(np.float32), SR)
    sf.write(root / "noise/hiss/hiss.flac", 0.05 * rng.standard_normal(4 * SR).astype(np.float32), SR)
    h = np.zeros(int(0.2 * SR), dtype=np.float32)
    h[50] = 1.0
    h[51:] = 0.2 * rng.standard_normal(h.shape[0] - 51) * np.exp(-np.arange(h.shape[0] - 51) / (0.03 * SR))
    sf.write(root / "rir/room.flac", h, SR, subtype="PCM_24")
    return root


def _source(corpus: Path, rir=True, seed: int = 0, **overrides) -> MixtureSource:
    config = MixConfig(segment_seconds=1.0, **overrides)
    return MixtureSource([corpus / "speech"], [corpus / "noise"], [corpus / "rir"] if rir else [], config, seed)


def test_p_synthetic_rir_zero_leaves_the_mixtures_bit_identical(corpus):
    base, off = _source(corpus, p_reverb=0.7), _source(corpus, p_reverb=0.7, p_synthetic_rir=0.0, synthetic_rirs=3)
    for i in range(8):
        assert np.array_equal(base[i].noisy, off[i].noisy) and np.array_equal(base[i].clean, off[i].clean)
        assert base[i].meta.get("rir") == off[i].meta.get("rir")


def test_synthetic_rooms_replace_the_share_asked_for_and_are_reproducible(corpus):
    common = dict(p_reverb=1.0, p_noise_only=0.0, p_speech_only=1.0, p_voice_perturb=0.0, p_eq=0.0, p_lowpass=0.0)
    every = _source(corpus, p_synthetic_rir=1.0, synthetic_rirs=4, **common)
    names = [every[i].meta["rir"] for i in range(6)]
    assert all(n.startswith("synthetic/") and 0 <= int(n.split("/")[1]) < 4 for n in names)
    again = _source(corpus, p_synthetic_rir=1.0, synthetic_rirs=4, **common)  # another process, same draws
    for i in (0, 5, 2):
        np.testing.assert_array_equal(every[i].clean, again[i].clean)
    m = every[0]
    assert np.array_equal(m.noisy, m.clean)  # the target is the reverberant speech
    dry = _source(corpus, **{**common, "p_reverb": 0.0})[0]
    assert dry.meta["speech"]["pieces"][0][0] == m.meta["speech"]["pieces"][0][0]  # same speech, in a room
    assert not np.allclose(dry.clean, m.clean)
    half = _source(corpus, p_synthetic_rir=0.5, synthetic_rirs=4, **common)
    kinds = [half[i].meta["rir"].startswith("synthetic/") for i in range(40)]
    assert 8 <= sum(kinds) <= 32  # about half, and both kinds occur


def test_synthetic_rooms_work_without_room_files_and_plain_mixing_has_none(corpus):
    common = dict(p_reverb=1.0, p_noise_only=0.0, p_speech_only=0.0)
    source = _source(corpus, rir=False, p_synthetic_rir=0.3, synthetic_rirs=2, **common)
    assert all(source[i].meta["rir"].startswith("synthetic/") for i in range(4))  # no files: every room simulated
    assert "rir" not in _source(corpus, rir=False, **common)[0].meta  # off: no files, no rooms
    assert "rir" not in _source(corpus, p_synthetic_rir=1.0, augment=False, **common)[0].meta


def test_synthetic_room_settings_parse_and_validate():
    assert parse_mix_overrides("p_synthetic_rir=0.5,synthetic_rirs=64,synthetic_rt60_range=0.2:0.6") == {
        "p_synthetic_rir": 0.5, "synthetic_rirs": 64, "synthetic_rt60_range": (0.2, 0.6)}
    for bad in ("p_synthetic_rir=1.5", "synthetic_rirs=0", "synthetic_rt60_range=0.6:0.2", "synthetic_rt60_range=0.01:0.2"):
        with pytest.raises(ValueError):
            parse_mix_overrides(bad)
