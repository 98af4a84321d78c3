"""Checkpoint averaging (``hance_plugin.training.average``, ``python -m hance_plugin.training average``).

Needs torch (the ``[train]`` extra); skipped without it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from hance_plugin import Denoiser  # noqa: E402
from hance_plugin.training.__main__ import main  # noqa: E402
from hance_plugin.training.average import average_checkpoints, average_state_dicts  # noqa: E402
from hance_plugin.training.train import TrainConfig, load_checkpoint, train, validate_checkpoint  # noqa: E402

from test_training_model import _factory  # noqa: E402  (pytest puts tests/ on sys.path)


def _states(seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    return [
        {"w": torch.randn(3, 4, generator=g), "b": torch.randn(4, generator=g).double(), "n": torch.tensor([7, 2])}
        for _ in range(3)
    ]


@pytest.mark.parametrize("weights", [None, [1.0, 1.0, 2.0], [0.2, 0.0, 0.8], [3.0, 0.0, 0.0]])
def test_weighted_mean_of_state_dicts(weights):
    states = _states()
    soup = average_state_dicts(states, weights)
    w = np.array(weights if weights is not None else [1.0, 1.0, 1.0])
    w = w / w.sum()
    for key in ("w", "b"):
        expected = sum(wi * s[key].double().numpy() for wi, s in zip(w, states))
        assert soup[key].dtype == states[0][key].dtype
        np.testing.assert_allclose(soup[key].double().numpy(), expected, rtol=1e-6, atol=1e-7)
    assert torch.equal(soup["n"], states[0]["n"])  # non-floating tensors are copied
    if weights == [3.0, 0.0, 0.0]:
        assert torch.equal(soup["w"], states[0]["w"])  # all weight on one: that state, exactly


def test_bad_state_dicts_and_weights_are_refused():
    states = _states()
    with pytest.raises(ValueError, match="at least 2"):
        average_state_dicts(states[:1])
    with pytest.raises(ValueError, match="2 weights for 3"):
        average_state_dicts(states, [0.5, 0.5])
    with pytest.raises(ValueError, match=">= 0"):
        average_state_dicts(states, [1.0, -0.5, 1.0])
    with pytest.raises(ValueError, match=">= 0"):
        average_state_dicts(states, [1.0, float("nan"), 1.0])
    with pytest.raises(ValueError, match="sum to 0"):
        average_state_dicts(states, [0.0, 0.0, 0.0])
    other = dict(states[1], w=torch.zeros(4, 3))
    with pytest.raises(ValueError, match="w: shapes differ"):
        average_state_dicts([states[0], other])
    missing = {k: v for k, v in states[1].items() if k != "b"}
    with pytest.raises(ValueError, match="other tensors"):
        average_state_dicts([states[0], missing])
    counts = dict(states[1], n=torch.tensor([7, 3]))
    with pytest.raises(ValueError, match="non-floating tensors differ"):
        average_state_dicts([states[0], counts])


def _run(path, steps: int, **kw) -> str:
    cfg = TrainConfig(out=str(path), size="fast", steps=steps, batch_size=2, segment_seconds=0.4, warmup_steps=1,
                      val_every=0, val_items=3, pesq_items=0, log_every=1, workers=0, stats_items=4, threads=1, **kw)
    train(cfg, _factory(0.4))
    return str(path / "last.pt")


def test_average_checkpoints_validates_exports_and_records_its_ingredients(tmp_path):
    a = _run(tmp_path / "a", steps=2)
    b = _run(tmp_path / "b", steps=3, seed=1)
    out = average_checkpoints([a, b], tmp_path / "soup" / "soup.pt", [0.25, 0.75])
    soup, ca, cb = load_checkpoint(out), load_checkpoint(a), load_checkpoint(b)
    for key, value in soup["model"].items():
        expected = 0.25 * ca["model"][key].double() + 0.75 * cb["model"][key].double()
        np.testing.assert_allclose(value.double().numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    assert soup["averaged_from"] == [{"checkpoint": a, "weight": 0.25, "step": 2},
                                     {"checkpoint": b, "weight": 0.75, "step": 3}]
    assert soup["progress"]["step"] == 3 and soup["progress"]["last_val"] == {}
    # a checkpoint averaged with itself is that checkpoint
    same = load_checkpoint(average_checkpoints([a, a], tmp_path / "same.pt"))
    for key, value in ca["model"].items():
        assert torch.equal(same["model"][key], value), key
    # validate and export read it like any checkpoint; the card names the ingredients
    result = validate_checkpoint(out, source_factory=_factory(0.4))
    assert result["step"] == 3 and np.isfinite(result["val_si_sdr"])
    assert main(["export", "--checkpoint", str(out), "--name", "soup", "--out-dir", str(tmp_path / "models")]) == 0
    card = json.loads((tmp_path / "models" / "soup.json").read_text())
    assert [x["weight"] for x in card["averaged_from"]] == [0.25, 0.75] and card["steps"] == 3
    Denoiser(model=str(tmp_path / "models" / "soup.onnx"))


def test_average_cli_refuses_other_architectures(tmp_path, capsys):
    a = _run(tmp_path / "a", steps=1)
    twin = _run(tmp_path / "t", steps=1, variant="magnitude_twin")
    assert main(["average", a, twin, "--out", str(tmp_path / "x.pt")]) == 2
    assert "model_config differs" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()
    assert main(["average", a, a, "--out", str(tmp_path / "y.pt"), "--weights", "1,-1"]) == 2
    assert main(["average", a, a, "--out", str(tmp_path / "y.pt"), "--weights", "1,x"]) == 2
    assert main(["average", a, "--out", str(tmp_path / "y.pt")]) == 2
    assert main(["average", a, a, "--out", str(tmp_path / "y.pt"), "--weights", "1,3"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["checkpoint"] == str(tmp_path / "y.pt")
