"""benchmarks/level_normalization.py: a model's val scores with the level normalisation off and on."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from val_corpus import write_val_corpus
from onnx_models import constant_model

sf = pytest.importorskip("soundfile")
pytest.importorskip("pesq")
pytest.importorskip("pystoi")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "level_normalization.py"


def _load():
    spec = importlib.util.spec_from_file_location("level_normalization_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_val_corpus(tmp_path_factory.mktemp("ln") / "data", seed=8)


def test_off_and_on_tables(tmp_path, data_dir):
    """A card without a target (here an identity model) gives equal scores off and on; the shipped
    model has a target, so at -45 dBFS its output changes, and the clean rows are the per-item means."""
    identity = constant_model(tmp_path / "identity.onnx")
    out = tmp_path / "out"
    assert _load().main(["--model", str(identity), "--model", "hance-base", "--data-dir", str(data_dir),
                         "--items", "3", "--pass-levels=-45,-20", "--out-dir", str(out), "--no-progress"]) == 0
    report = json.loads((out / "level-normalization.json").read_text())
    assert report["targets"] == {"identity": None, "hance-base": -22.0}
    ident = report["models"]["identity"]
    assert ident["noisy"][0]["group"] == "all" and ident["noisy"][0]["n"] >= 2
    for key in ("pesq_wb", "estoi", "si_sdr"):
        assert ident["noisy"][0][key]["delta"]["mean"] == 0.0
    for row in ident["clean"]:  # the identity passes everything: SDR is high at every level
        assert row["sdr_db"]["off"] > 60 and row["sdr_db"]["delta"]["mean"] == pytest.approx(0.0, abs=1e-9)
    base = {row["level_dbfs"]: row for row in report["models"]["hance-base"]["clean"]}
    assert set(base) == {-45.0, -20.0} and base[-45.0]["n"] == 2
    per_item = report["per_item"]["hance-base"]
    assert len(per_item["clean"]) == 4 and all({"off", "on"} <= set(r) for r in per_item["noisy"])
    # The table rows are the per-item on - off means; which way they go is the model's business (the
    # step-15000 model gained > 0.5 dB at -45 dBFS here, the level-robust step-16500 one about half that,
    # the step-18000 one less again).
    for level, row in base.items():
        items = [r for r in per_item["clean"] if r["level_dbfs"] == level]
        for key in ("sdr_db", "gain_db"):
            assert row[key]["delta"]["mean"] == pytest.approx(np.mean([r["on"][key] - r["off"][key] for r in items]))
    # 23 dB below the card's target the normaliser engages: the model's output changes item by item, in
    # its level or its SDR against the input (the identity's do not change at all, above)
    assert all(max(abs(r["on"][key] - r["off"][key]) for key in ("gain_db", "sdr_db")) > 0.1
               for r in per_item["clean"] if r["level_dbfs"] == -45.0)
    long_form = per_item["long_form"]  # one val noise x the 4 default level:snr pairs
    assert [(r["level_dbfs"], r["snr_db"]) for r in long_form] == [(-40.0, 5.0), (-30.0, 5.0), (-25.0, 10.0), (-20.0, 15.0)]
    for r in report["per_item"]["identity"]["long_form"]:  # identity: the noise stays in the pauses, on or off
        assert r["off"]["pause_residual_db"] == pytest.approx(0.0, abs=0.05) == r["on"]["pause_residual_db"]
    text = (out / "level-normalization.md").read_text()
    assert "## hance-base (card analysis_level_dbfs: -22.0)" in text and "| -45 dBFS | 2 |" in text
    assert "| hiss.flac | -40 dBFS | 5 dB |" in text


@pytest.mark.parametrize("extra, message", [(["--items", "1"], "--items"), (["--pass-levels", "-45,x"], "--pass-levels"),
                                            (["--pass-levels=-70"], "--pass-levels"), (["--long-form=-30"], "--long-form"),
                                            (["--long-form=-30:x"], "--long-form")])
def test_usage_errors(extra, message, data_dir, capsys):
    with pytest.raises(SystemExit) as info:
        _load().main(["--model", "hance-base", "--data-dir", str(data_dir), *extra])
    assert info.value.code == 2 and message in capsys.readouterr().err
