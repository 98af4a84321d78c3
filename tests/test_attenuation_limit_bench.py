"""benchmarks/attenuation_limit.py: a model's scores on val at several attenuation limits."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from val_corpus import write_val_corpus

sf = pytest.importorskip("soundfile")
pytest.importorskip("pesq")
pytest.importorskip("pystoi")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "attenuation_limit.py"


def _load():
    spec = importlib.util.spec_from_file_location("attenuation_limit_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_val_corpus(tmp_path_factory.mktemp("al") / "data", seed=7)


def test_limit_table(tmp_path, data_dir):
    mod = _load()
    out = tmp_path / "out"
    assert mod.main(["--model", "hance-base", "--data-dir", str(data_dir), "--items", "3", "--limits", "100,0",
                     "--dnsmos-items", "0", "--out-dir", str(out), "--no-progress"]) == 0
    report = json.loads((out / "attenuation-limit.json").read_text())
    res = report["models"]["hance-base"]
    assert report["limits_db"] == [100.0, 0.0]
    n = len(res["mixtures"])
    assert n >= 2 and all(len(v) == n for v in res["per_item"].values())
    # 0 dB is a bypass: the Denoiser gives back its (latency-compensated) input, so every score is the noisy input's
    for noisy, bypass in zip((m["noisy"] for m in res["mixtures"]), res["per_item"]["0"]):
        for key in ("pesq_wb", "estoi", "si_sdr"):
            assert bypass[key] == pytest.approx(noisy[key], abs=2e-3), key
    # ... and the unlimited model removes the hiss (SI-SDR up) on every mixture
    for noisy, full in zip((m["noisy"] for m in res["mixtures"]), res["per_item"]["100"]):
        assert full["si_sdr"] > noisy["si_sdr"] + 1.0
    overall = [r for r in res["rows"] if r["bucket"] == "all"]
    assert [r["limit_db"] for r in overall] == [100.0, 0.0]
    ref, bypass = overall
    assert ref["si_sdr_delta"] == 0.0 and ref["si_sdr_items"] == n
    assert bypass["si_sdr_delta"] == pytest.approx(bypass["si_sdr"] - ref["si_sdr"], abs=1e-9)
    assert bypass["si_sdr"] == pytest.approx(ref["si_sdr_noisy"], abs=2e-3)
    assert bypass["dnsmos_bak"] is None and bypass["dnsmos_bak_items"] == 0  # --dnsmos-items 0
    assert sum(r["mixtures"] for r in res["rows"] if r["bucket"] != "all" and r["limit_db"] == 0.0) == n
    text = (out / "attenuation-limit.md").read_text()
    assert "| 100 (unlimited) |" in text and "| noisy input |" in text and "### input SNR all" in text


@pytest.mark.parametrize("limits", ["", "100,abc", "100,120", "-1", "30,30"])
def test_bad_limits_are_usage_errors(limits, data_dir):
    with pytest.raises(SystemExit) as info:
        _load().main(["--model", "hance-base", "--data-dir", str(data_dir), "--limits", limits, "--dnsmos-items", "0"])
    assert info.value.code == 2


def test_bad_model_and_data_dir_are_usage_errors(tmp_path, data_dir):
    mod = _load()
    with pytest.raises(SystemExit) as info:
        mod.main(["--model", "no-such-model", "--data-dir", str(data_dir), "--dnsmos-items", "0"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        mod.main(["--model", "hance-base", "--data-dir", str(tmp_path), "--dnsmos-items", "0"])
    assert info.value.code == 2


def test_post_filter_axis(tmp_path, data_dir):
    mod = _load()
    out = tmp_path / "out"
    assert mod.main(["--model", "hance-base", "--data-dir", str(data_dir), "--items", "3", "--limits", "100,0",
                     "--post-filters", "0,0.5", "--dnsmos-items", "0", "--out-dir", str(out), "--name", "pf",
                     "--no-progress"]) == 0
    report = json.loads((out / "pf.json").read_text())
    res = report["models"]["hance-base"]
    assert report["post_filters"] == [0.0, 0.5]
    assert list(res["per_item"]) == ["100", "100/pf0.5", "0", "0/pf0.5"]  # limits outer, betas inner
    overall = [r for r in res["rows"] if r["bucket"] == "all"]
    assert [(r["limit_db"], r["post_filter_beta"]) for r in overall] == [(100.0, 0.0), (100.0, 0.5), (0.0, 0.0), (0.0, 0.5)]
    # the post-filter changes the unlimited output, and a 0 dB limit still bypasses everything
    assert overall[1]["si_sdr_delta"] != 0.0
    for noisy, bypass in zip((m["noisy"] for m in res["mixtures"]), res["per_item"]["0/pf0.5"]):
        assert bypass["si_sdr"] == pytest.approx(noisy["si_sdr"], abs=2e-3)
    text = (out / "pf.md").read_text()
    assert "| 100 (unlimited), post-filter 0.5 |" in text and "post_filter_beta=B" in text


@pytest.mark.parametrize("betas", ["", "0,x", "0,1.5", "-0.1", "0.02,0.02"])
def test_bad_post_filters_are_usage_errors(betas, data_dir):
    with pytest.raises(SystemExit) as info:
        _load().main(["--model", "hance-base", "--data-dir", str(data_dir), "--post-filters", betas, "--dnsmos-items", "0"])
    assert info.value.code == 2


def test_pause_post_filter_axis(tmp_path, data_dir):
    mod = _load()
    out = tmp_path / "out"
    assert mod.main(["--model", "hance-base", "--data-dir", str(data_dir), "--items", "3", "--limits", "100",
                     "--post-filters", "0,0.02", "--pause-post-filters", "0,1", "--dnsmos-items", "0",
                     "--out-dir", str(out), "--name", "pp", "--no-progress"]) == 0
    report = json.loads((out / "pp.json").read_text())
    res = report["models"]["hance-base"]
    assert report["pause_post_filters"] == [0.0, 1.0]
    assert list(res["per_item"]) == ["100", "100/pp1", "100/pf0.02", "100/pf0.02/pp1"]  # pauses innermost
    overall = [r for r in res["rows"] if r["bucket"] == "all"]
    assert [(r["post_filter_beta"], r["pause_post_filter_beta"]) for r in overall] == [
        (0.0, 0.0), (0.0, 1.0), (0.02, 0.0), (0.02, 1.0)]
    # the synthetic val corpus has pauses between words: the pause post-filter changes the output
    assert overall[1]["si_sdr_delta"] != 0.0
    text = (out / "pp.md").read_text()
    assert "| 100 (unlimited), pause post-filter 1 |" in text and "pause_post_filter_beta=P" in text
    assert "| 100 (unlimited), post-filter 0.02, pause post-filter 1 |" in text


@pytest.mark.parametrize("pauses", ["", "0,x", "0,1.5", "-0.1", "0.5,0.5"])
def test_bad_pause_post_filters_are_usage_errors(pauses, data_dir):
    with pytest.raises(SystemExit) as info:
        _load().main(["--model", "hance-base", "--data-dir", str(data_dir), "--pause-post-filters", pauses,
                      "--dnsmos-items", "0"])
    assert info.value.code == 2


def test_models_paired_against_the_first(tmp_path, data_dir):
    mod = _load()
    out = tmp_path / "out"
    assert mod.main(["--model", "hance-base", "--model", "hance-twin", "--data-dir", str(data_dir), "--items", "3",
                     "--limits", "100,0", "--dnsmos-items", "0", "--out-dir", str(out), "--name", "pair",
                     "--no-progress"]) == 0
    report = json.loads((out / "pair.json").read_text())
    base, twin = report["models"]["hance-base"], report["models"]["hance-twin"]
    assert [m["index"] for m in base["mixtures"]] == [m["index"] for m in twin["mixtures"]]
    rows = report["model_rows"]
    assert {(r["model"], r["against"]) for r in rows} == {("hance-twin", "hance-base")}
    overall = {r["limit_db"]: r for r in rows if r["bucket"] == "all"}
    expected = np.mean([t["si_sdr"] - b["si_sdr"] for b, t in zip(base["per_item"]["100"], twin["per_item"]["100"])])
    assert overall[100.0]["si_sdr_delta"] == pytest.approx(expected, abs=1e-9) and expected != 0.0
    assert overall[100.0]["si_sdr"] == pytest.approx(np.mean([t["si_sdr"] for t in twin["per_item"]["100"]]))
    # at 0 dB both models are bypassed: the same output, no difference
    assert overall[0.0]["si_sdr_delta"] == pytest.approx(0.0, abs=1e-6)
    text = (out / "pair.md").read_text()
    assert "## Models paired against hance-base" in text and "| hance-twin | 100 (unlimited) | all |" in text
    single = json.loads((out / "pair.json").read_text())["models"]["hance-base"]["rows"]
    assert single == mod.summarise(base, [(100.0, 0.0), (0.0, 0.0)])  # per-model tables unchanged


def test_the_same_model_twice_is_a_usage_error(data_dir):
    with pytest.raises(SystemExit) as info:
        _load().main(["--model", "hance-base", "--model", "hance-base", "--data-dir", str(data_dir),
                      "--dnsmos-items", "0"])
    assert info.value.code == 2
