"""Presets: bundled files, validation messages, save/load round trip with identical output."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pedalboard
import pytest
import soundfile as sf
from pedalboard import Compressor, Gain, HighpassFilter, LadderFilter, NoiseGate, PeakFilter

import hance_plugin
from hance_plugin import Denoiser, Pedalboard
from hance_plugin.loudness import LoudnessNormalizer, measure
from hance_plugin.presets import (
    OutputOptions,
    PresetChain,
    PresetError,
    bundled_presets_dir,
    dumps_preset,
    list_presets,
    load_preset,
    load_vst3,
    loads_preset,
    preset_fingerprint,
    preset_to_dict,
    save_preset,
)

COMPRESSOR_VST3 = "/usr/lib/vst3/ZamCompX2.vst3"
needs_vst3 = pytest.mark.skipif(not os.path.exists(COMPRESSOR_VST3), reason="zam-plugins not installed")
REQUIRED = ["podcast-voice", "broadcast-r128", "voice-over-studio", "interview-outdoor", "denoise-only"]


def _noisy(rate=48000, seconds=2.0, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    voice = 0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
    return (voice + rng.normal(0, 0.03, (channels, t.size))).astype(np.float32)


def _stages(chain):
    return [type(p).__name__ for p in chain]


# ------------------------------------------------------------------------------ bundled presets
def test_required_presets_are_bundled_documented_and_load():
    names = {p.name: p for p in list_presets()}
    for name in REQUIRED:
        assert name in names, name
        text = names[name].path.read_text()
        comments = [line for line in text.splitlines() if line.startswith("#")]
        assert len(comments) >= 5, f"{name} must document itself in TOML comments"
        chain = load_preset(name)
        assert isinstance(chain, PresetChain) and isinstance(chain, Pedalboard)
        assert chain.name == name and chain.description
        assert any(isinstance(p, Denoiser) for p in chain)
        for plugin in chain:
            if isinstance(plugin, Denoiser):
                assert "model = \"default\"" in text


def test_bundled_presets_have_the_promised_stages():
    podcast = load_preset("podcast-voice")
    assert _stages(podcast) == ["HighpassFilter", "Denoiser", "Compressor", "LoudnessNormalizer"]
    assert (podcast.loudness.integrated_lufs, podcast.loudness.true_peak_dbtp) == (-16.0, -1.0)
    assert podcast[2].ratio <= 4  # gentle
    r128 = load_preset("broadcast-r128")
    assert (r128.loudness.integrated_lufs, r128.loudness.true_peak_dbtp) == (-23.0, -1.0)
    assert r128.output == OutputOptions(sample_rate=48000, bit_depth=24, format="wav")
    studio = load_preset("voice-over-studio")
    assert studio.loudness is None
    assert [p for p in studio if isinstance(p, Denoiser)][0].attenuation_limit_db <= 12  # keeps room tone
    outdoor = load_preset("interview-outdoor")
    assert [p for p in outdoor if isinstance(p, Denoiser)][0].attenuation_limit_db == 100.0  # strong
    assert _stages(load_preset("denoise-only")) == ["Denoiser"]
    # the clean-recording presets guard the voice at the measured margin (clean-guard rule, rounds 2
    # and 4); the others leave the guard off
    for name, margin in [("podcast-voice", 35.0), ("voice-over-studio", 35.0), ("broadcast-r128", None),
                         ("interview-outdoor", None), ("denoise-only", None)]:
        assert [p for p in load_preset(name) if isinstance(p, Denoiser)][0].speech_guard_db == margin, name


def test_load_preset_is_exported_and_accepts_paths(tmp_path):
    assert hance_plugin.load_preset is load_preset
    path = bundled_presets_dir() / "denoise-only.toml"
    assert _stages(load_preset(path)) == ["Denoiser"]
    assert _stages(load_preset(str(path))) == ["Denoiser"]


def test_user_presets_shadow_bundled_ones(tmp_path, monkeypatch):
    (tmp_path / "podcast-voice.toml").write_text('name = "mine"\n[[chain]]\nplugin = "Gain"\ngain_db = -3.0\n')
    (tmp_path / "extra.toml").write_text('description = "user preset"\n[[chain]]\nplugin = "Denoiser"\n')
    monkeypatch.setenv("HANCE_PLUGIN_PRESETS", str(tmp_path))
    assert load_preset("podcast-voice").name == "mine"
    found = {p.name: p for p in list_presets()}
    assert found["extra"].origin == "user" and found["podcast-voice"].origin == "user"
    assert found["broadcast-r128"].origin == "bundled"


# ---------------------------------------------------------------------------------- validation
def _error_for(tmp_path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PresetError) as info:
        load_preset(path)
    message = str(info.value)
    assert str(path) in message, message  # always names the file
    return message


@pytest.mark.parametrize(
    "text, key, allowed",
    [
        ('[[chain]]\nplugin = "Compresor"\n', "chain[0].plugin", "Compressor"),
        ('[[chain]]\nplugin = "Compressor"\nratio = 3\nthreshhold_db = -20\n', "chain[0].threshhold_db", "threshold_db"),
        ('[[chain]]\nplugin = "Compressor"\nratio = "three"\n', "chain[0].ratio", "number"),
        ('[[chain]]\nplugin = "Compressor"\nratio = 0.5\n', "chain[0].ratio", "between 1 and"),
        ('[[chain]]\nplugin = "HighpassFilter"\ncutoff_frequency_hz = -5\n', "chain[0].cutoff_frequency_hz", "positive"),
        ('[[chain]]\nplugin = "LadderFilter"\nmode = "LPF48"\n', "chain[0].mode", "'LPF24'"),
        ('[[chain]]\nplugin = "Denoiser"\nattenuation_limit_db = 120\n', "chain[0].attenuation_limit_db", "0 to 100"),
        ('[[chain]]\nplugin = "Denoiser"\nmodel = "no-such-model"\n', "chain[0].model", "wiener-baseline"),
        ('[[chain]]\nplugin = "Denoiser"\nresampler_quality = "best"\n', "chain[0].resampler_quality", "'VHQ'"),
        ('[[chain]]\nplugin = "Denoiser"\npost_filter_beta = 2\n', "chain[0].post_filter_beta", "0 to 1"),
        ('[[chain]]\nplugin = "Denoiser"\nstrength = 3\n', "chain[0].strength", "attenuation_limit_db"),
        ('[[chain]]\nratio = 2\n', "chain[0].plugin", "Denoiser"),
        ('[[chain]]\nplugin = "VST3"\npath = "/nonexistent/Foo.vst3"\n', "chain[0].path", "not found"),
        ('colour = "blue"\n', "colour", "loudness"),
        ('schema = 2\n', "schema", "1"),
        ('[loudness]\ntrue_peak_dbtp = -1\n', "loudness.integrated_lufs", "required"),
        ('[loudness]\nintegrated_lufs = 3\n', "loudness.integrated_lufs", "-70 to -5"),
        ('[loudness]\nintegrated_lufs = -16\ntarget = -16\n', "loudness.target", "true_peak_dbtp"),
        ('[output]\nformat = "aac"\n', "output.format", "'flac'"),
        ('[output]\nbit_depth = 20\n', "output.bit_depth", "24"),
        ('[output]\nsample_rate = 44000\n', "output.sample_rate", "44100"),
        ('[output]\nformat = "flac"\nbit_depth = 32\n', "output.bit_depth", "16, 24"),
        ('[output]\nformat = "mp3"\nbit_depth = 16\n', "output.bit_depth", "lossy"),
    ],
)
def test_invalid_presets_name_file_key_and_allowed_values(tmp_path, text, key, allowed):
    message = _error_for(tmp_path, text)
    assert key in message, message
    assert allowed in message, message


def test_invalid_toml_and_unknown_names(tmp_path):
    assert "invalid TOML" in _error_for(tmp_path, "[[chain]\nplugin = \n")
    with pytest.raises(PresetError, match="podcast-voice"):  # lists what exists
        load_preset("no-such-preset")
    with pytest.raises(PresetError, match="not found"):
        load_preset(tmp_path / "missing.toml")


@needs_vst3
def test_vst3_parameter_validation(tmp_path):
    base = f'[[chain]]\nplugin = "VST3"\npath = "{COMPRESSOR_VST3}"\n'
    message = _error_for(tmp_path, base + "[chain.parameters]\nthreshold = -20\n")
    assert "chain[0].parameters.threshold" in message and "threshold_db" in message
    message = _error_for(tmp_path, base + '[chain.parameters]\nthreshold_db = "loud"\n')
    assert "chain[0].parameters.threshold_db" in message and "number" in message


# -------------------------------------------------------------------------------- round trip
def _round_trip(chain, tmp_path, **kwargs):
    path = save_preset(chain, tmp_path / "saved.toml", **kwargs)
    return load_preset(path), path


def test_round_trip_gives_identical_output(tmp_path):
    chain = Pedalboard([
        HighpassFilter(cutoff_frequency_hz=95.5),
        NoiseGate(threshold_db=-61.3, ratio=3.3, attack_ms=2.0, release_ms=170.0),
        Denoiser(attenuation_limit_db=17.3, mix=0.85, post_filter_beta=0.05, level_normalization=True),
        PeakFilter(cutoff_frequency_hz=3100.0, gain_db=2.5, q=1.2),
        Compressor(threshold_db=-21.7, ratio=2.5, attack_ms=7.0, release_ms=140.0),
        LadderFilter(mode=LadderFilter.Mode.LPF24, cutoff_hz=16000.0),
        Gain(gain_db=1.5),
        LoudnessNormalizer(integrated_lufs=-19.0, true_peak_dbtp=-1.5, release_ms=80.0),
    ])
    loaded, path = _round_trip(chain, tmp_path, description="round trip test", output=OutputOptions(bit_depth=24))
    assert _stages(loaded) == _stages(chain)
    assert loaded[2].post_filter_beta == 0.05 and loaded[2].attenuation_limit_db == 17.3
    assert loaded[2].level_normalization is True
    assert loaded.name == "saved" and loaded.description == "round trip test"
    assert loaded.output == OutputOptions(bit_depth=24)
    x = _noisy(44100, 2.0, 2, seed=3)
    expected = chain(x, 44100)
    assert np.array_equal(loaded(x, 44100), expected)
    # and again: preset -> Pedalboard -> preset is stable
    assert preset_to_dict(load_preset(save_preset(loaded, tmp_path / "again.toml"))) == preset_to_dict(loaded)
    assert preset_fingerprint(loaded) == preset_fingerprint(chain, output=OutputOptions(bit_depth=24))
    assert preset_fingerprint(loaded) != preset_fingerprint(chain)  # the output options change the file
    assert path.read_text().startswith("# saved")


def test_bundled_presets_round_trip(tmp_path):
    x = _noisy(48000, 1.5, 1, seed=4)
    for name in REQUIRED:
        original = load_preset(name)
        loaded, _ = _round_trip(original, tmp_path)
        assert loaded.name == name and loaded.output == original.output
        assert np.array_equal(loaded(x, 48000), original(x, 48000)), name


@needs_vst3
def test_round_trip_with_a_vst3_plugin(tmp_path):
    compressor = load_vst3(COMPRESSOR_VST3)
    compressor.threshold_db = -27.5
    compressor.ratio = 5.0
    compressor.attack_ms = 3.0
    chain = Pedalboard([HighpassFilter(70.0), compressor, Denoiser(attenuation_limit_db=20.0)])
    loaded, path = _round_trip(chain, tmp_path)
    text = path.read_text()
    assert COMPRESSOR_VST3 in text and "threshold_db = -27.5" in text
    x = _noisy(48000, 1.5, 2, seed=6)  # the zam plugins are stereo-only
    assert np.array_equal(loaded(x, 48000), chain(x, 48000))
    # a plugin loaded with pedalboard.load_plugin is found by name in the standard folders
    plain = pedalboard.load_plugin(COMPRESSOR_VST3)
    plain.ratio = 2.0
    assert "ratio = 2.0" in dumps_preset(Pedalboard([plain]))


def test_save_rejects_what_a_preset_cannot_hold(tmp_path):
    with pytest.raises(PresetError, match="last element"):
        save_preset(Pedalboard([LoudnessNormalizer(), Gain()]), tmp_path / "x.toml")
    with pytest.raises(PresetError, match="Mix"):
        save_preset(Pedalboard([pedalboard.Mix([Gain(), Gain()])]), tmp_path / "x.toml")

    class Custom:
        def process(self, x, sample_rate, buffer_size=8192, reset=True):
            return x

        def reset(self):
            pass

        def get_latency_samples(self, sample_rate):
            return 0

        reported_latency_samples = 0

    with pytest.raises(PresetError, match="cannot be stored"):
        save_preset(Pedalboard([Custom()]), tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()


def test_loads_preset_from_text_and_one_shot_loudness():
    chain = loads_preset(
        'name = "t"\n[[chain]]\nplugin = "Gain"\ngain_db = -20.0\n[loudness]\nintegrated_lufs = -20\ntrue_peak_dbtp = -2\n'
    )
    x = _noisy(48000, 3.0, 1, seed=8)
    y = chain(x, 48000)
    stats = measure(y, 48000)
    assert stats.integrated_lufs == pytest.approx(-20.0, abs=0.3)
    assert stats.true_peak_dbtp <= -2.0


def test_preset_fingerprint_tracks_sound_changes_only():
    a = load_preset("podcast-voice")
    b = load_preset("podcast-voice")
    assert preset_fingerprint(a) == preset_fingerprint(b)
    b.name = "renamed"
    assert preset_fingerprint(a) == preset_fingerprint(b)
    b[2].ratio = 3.5
    assert preset_fingerprint(a) != preset_fingerprint(b)


def test_presets_readme_documents_every_key():
    readme = (Path(__file__).resolve().parents[1] / "presets" / "README.md").read_text()
    from hance_plugin import presets

    for key in (*presets.TOP_LEVEL_KEYS, *presets.DENOISER_KEYS, *presets.LOUDNESS_KEYS, *presets.OUTPUT_KEYS, *presets.VST3_KEYS):
        assert f"`{key}`" in readme, key


def test_post_filter_key_loads_and_survives_other_overrides():
    """A preset's post_filter_beta is loaded, and --model/--attenuation-limit-db overrides keep it
    (apply_overrides rebuilds each Denoiser); --post-filter-beta replaces it."""
    from hance_plugin.batch import apply_overrides

    text = '[[chain]]\nplugin = "Denoiser"\nattenuation_limit_db = 30.0\npost_filter_beta = 0.05\n'
    chain = loads_preset(text)
    assert chain[0].post_filter_beta == 0.05
    chain = apply_overrides(chain, attenuation_limit_db=12.0)
    assert (chain[0].attenuation_limit_db, chain[0].post_filter_beta) == (12.0, 0.05)
    chain = apply_overrides(chain, post_filter_beta=0.2)
    assert (chain[0].attenuation_limit_db, chain[0].post_filter_beta) == (12.0, 0.2)
    assert loads_preset('[[chain]]\nplugin = "Denoiser"\n')[0].post_filter_beta == 0.0  # off unless asked


def test_pause_post_filter_key_loads_dumps_and_survives_other_overrides(tmp_path):
    """A preset's pause_post_filter_beta is loaded, kept by the other overrides, replaced by its own,
    written back by save_preset (only when on), and out of range is a preset error naming the key."""
    from hance_plugin.batch import apply_overrides

    text = '[[chain]]\nplugin = "Denoiser"\npause_post_filter_beta = 0.3\n'
    chain = loads_preset(text)
    assert chain[0].pause_post_filter_beta == 0.3
    chain = apply_overrides(chain, attenuation_limit_db=12.0, post_filter_beta=0.02)
    assert (chain[0].attenuation_limit_db, chain[0].post_filter_beta, chain[0].pause_post_filter_beta) == (12.0, 0.02, 0.3)
    chain = apply_overrides(chain, pause_post_filter_beta=1.0)
    assert (chain[0].attenuation_limit_db, chain[0].pause_post_filter_beta) == (12.0, 1.0)
    loaded, path = _round_trip(chain, tmp_path)
    assert loaded[0].pause_post_filter_beta == 1.0 and "pause_post_filter_beta = 1.0" in path.read_text()
    plain = loads_preset('[[chain]]\nplugin = "Denoiser"\n')
    assert plain[0].pause_post_filter_beta == 0.0  # off unless asked
    assert "pause_post_filter" not in save_preset(plain, tmp_path / "plain.toml").read_text()
    with pytest.raises(PresetError, match=r"chain\[0\]\.pause_post_filter_beta"):
        loads_preset('[[chain]]\nplugin = "Denoiser"\npause_post_filter_beta = 1.5\n')


def test_speech_guard_key_loads_dumps_and_survives_other_overrides(tmp_path):
    """A preset's speech_guard_db is loaded, kept by the other overrides, replaced by its own or turned
    off with "off", written back by save_preset (only when on), and out of range is a preset error."""
    from hance_plugin.batch import apply_overrides

    chain = loads_preset('[[chain]]\nplugin = "Denoiser"\nspeech_guard_db = 35\n')
    assert chain[0].speech_guard_db == 35.0
    chain = apply_overrides(chain, attenuation_limit_db=12.0, pause_post_filter_beta=0.1)
    assert (chain[0].attenuation_limit_db, chain[0].pause_post_filter_beta, chain[0].speech_guard_db) == (12.0, 0.1, 35.0)
    chain = apply_overrides(chain, speech_guard_db=25.0)
    assert (chain[0].attenuation_limit_db, chain[0].speech_guard_db) == (12.0, 25.0)
    loaded, path = _round_trip(chain, tmp_path)
    assert loaded[0].speech_guard_db == 25.0 and "speech_guard_db = 25.0" in path.read_text()
    off = apply_overrides(loaded, speech_guard_db="off")
    assert off[0].speech_guard_db is None and off[0].attenuation_limit_db == 12.0
    assert "speech_guard" not in save_preset(off, tmp_path / "off.toml").read_text()
    assert loads_preset('[[chain]]\nplugin = "Denoiser"\n')[0].speech_guard_db is None  # off unless asked
    with pytest.raises(PresetError, match="speech-guard-db"):
        apply_overrides(loaded, speech_guard_db="on")
    with pytest.raises(PresetError, match=r"speech-guard-db.*speech_guard_db"):
        apply_overrides(loaded, speech_guard_db=-3.0)
    for bad in ("150", "-1", '"35"', "true"):
        with pytest.raises(PresetError, match=r"chain\[0\]\.speech_guard_db"):
            loads_preset(f'[[chain]]\nplugin = "Denoiser"\nspeech_guard_db = {bad}\n')


def test_level_normalization_key_loads_and_survives_overrides():
    from hance_plugin.batch import apply_overrides

    assert loads_preset('[[chain]]\nplugin = "Denoiser"\n')[0].level_normalization is False  # off unless asked
    chain = loads_preset('[[chain]]\nplugin = "Denoiser"\nlevel_normalization = true\n')
    assert chain[0].level_normalization is True
    chain = apply_overrides(chain, attenuation_limit_db=12.0)
    assert (chain[0].attenuation_limit_db, chain[0].level_normalization) == (12.0, True)
    chain = apply_overrides(loads_preset('[[chain]]\nplugin = "Denoiser"\n'), level_normalization=True)
    assert chain[0].level_normalization is True
    with pytest.raises(PresetError, match="level_normalization"):
        loads_preset('[[chain]]\nplugin = "Denoiser"\nlevel_normalization = 1\n')


def test_relative_file_paths_survive_dump_and_reload_from_another_folder(tmp_path, monkeypatch):
    """A preset loaded by a relative path names its impulse response relative to its own folder;
    the dumped chain (what batch workers reload) must not look for it relative to that folder again."""
    folder = tmp_path / "mypresets"
    folder.mkdir()
    ir = np.zeros(64, np.float32)
    ir[[0, 9]] = [0.8, 0.3]
    sf.write(str(folder / "ir.wav"), ir, 48000, subtype="FLOAT")
    (folder / "conv.toml").write_text(
        'name = "conv"\n[[chain]]\nplugin = "Convolution"\nimpulse_response_filename = "ir.wav"\nmix = 1.0\n'
    )
    monkeypatch.chdir(tmp_path)
    chain = load_preset("mypresets/conv.toml")
    x = _noisy(48000, 0.5, 1, seed=8)
    reloaded = loads_preset(dumps_preset(chain), "mypresets/conv.toml")
    np.testing.assert_allclose(reloaded(x, 48000), chain(x, 48000), atol=0)
    copy = load_preset(save_preset(chain, folder / "copy.toml"))
    np.testing.assert_allclose(copy(x, 48000), chain(x, 48000), atol=0)


def test_an_unknown_model_is_named_with_the_bundled_list_once():
    with pytest.raises(PresetError, match="unknown model 'nope'") as info:
        loads_preset('[[chain]]\nplugin = "Denoiser"\nmodel = "nope"\n', "<string>")
    assert str(info.value).count("hance-twin") == 1
