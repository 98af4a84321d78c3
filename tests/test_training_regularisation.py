"""Training-only regularisation (model.py ``set_regularisation``; ``TrainConfig.dropout`` and
``feature_noise``): where it acts, that it never reaches evaluation or the export, that runs with it
resume exactly, and that a branch can switch it on.

Needs torch (the ``[train]`` extra); skipped without it. Small signals and the ``fast`` size.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hance_plugin.config import StftConfig  # noqa: E402
from hance_plugin.training.model import build_model  # noqa: E402
from hance_plugin.training.train import TrainConfig, Trainer, load_checkpoint, train  # noqa: E402

from test_training_model import _factory, _first_positions  # noqa: E402

CFG = StftConfig()


def _net_and_inputs(seed: int = 0, frames: int = 40):
    torch.manual_seed(seed)
    net = build_model(CFG, variant="phase_aware", size="fast")
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    spec = torch.randn(2, frames, CFG.split_bin, 2) * 0.3
    bands = torch.randn(2, frames, CFG.n_bands) * 10.0 - 40.0
    return net, spec, bands


def _run(net, spec, bands):
    return net(spec, bands, net.initial_state(spec.shape[0]))


@pytest.mark.parametrize("dropout, feature_noise", [(0.3, 0.0), (0.0, 0.5), (0.2, 0.2)])
def test_regularisation_acts_in_training_only(dropout, feature_noise):
    net, spec, bands = _net_and_inputs()
    keys = set(net.state_dict())
    net.eval()
    with torch.no_grad():
        plain = _run(net, spec, bands)
        net.set_regularisation(dropout, feature_noise)
        regularised_eval = _run(net, spec, bands)
        net.train()
        a = _run(net, spec, bands)
        b = _run(net, spec, bands)
    assert set(net.state_dict()) == keys  # nothing is added to checkpoints or the export
    for x, y in zip(plain[:2], regularised_eval[:2]):
        assert torch.equal(x, y)  # evaluation (and so export and the engine) is untouched
    assert not torch.equal(a[0], plain[0]) and not torch.equal(a[0], b[0])  # random in training


def test_off_by_default_and_zero_is_off():
    net, spec, bands = _net_and_inputs()
    assert (net.dropout, net.feature_noise) == (0.0, 0.0)
    net.train()
    with torch.no_grad():
        torch.manual_seed(5)
        a = _run(net, spec, bands)
        net.set_regularisation(0.0, 0.0)
        torch.manual_seed(5)
        b = _run(net, spec, bands)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_dropout_hits_each_gru_input_at_its_rate_and_noise_hits_the_features_at_its_std():
    net, spec, bands = _net_and_inputs(frames=200)
    seen: dict[str, list[torch.Tensor]] = {"gru": [], "embed": []}
    for gru in net.grus:
        gru.register_forward_pre_hook(lambda m, args: seen["gru"].append(args[0].detach().clone()))
    net.embed.register_forward_pre_hook(lambda m, args: seen["embed"].append(args[0].detach().clone()))
    net.eval()
    with torch.no_grad():
        _run(net, spec, bands)
        clean_gru, clean_embed = list(seen["gru"]), seen["embed"][0]
        seen["gru"].clear(), seen["embed"].clear()
        net.set_regularisation(0.25, 0.0)
        net.train()
        _run(net, spec, bands)
    assert len(seen["gru"]) == len(net.grus)
    for dropped, kept in zip(seen["gru"][:1], clean_gru[:1]):  # layer 0's input is the same in both
        zeroed = (dropped == 0) & (kept != 0)
        assert 0.22 < float(zeroed.float().mean()) < 0.28
        survivors = ~zeroed & (kept != 0)
        torch.testing.assert_close(dropped[survivors], kept[survivors] / 0.75)  # inverted dropout
    for dropped in seen["gru"][1:]:  # deeper layers: their input is dropped too
        assert 0.2 < float((dropped == 0).float().mean()) < 0.3
    assert torch.equal(seen["embed"][0], clean_embed)  # no feature noise asked for
    seen["embed"].clear()
    net.set_regularisation(0.0, 0.4)
    with torch.no_grad():
        _run(net, spec, bands)
    diff = seen["embed"][0] - clean_embed
    assert abs(float(diff.std()) - 0.4) < 0.02 and abs(float(diff.mean())) < 0.02


@pytest.mark.parametrize("dropout, feature_noise", [(1.0, 0.0), (-0.1, 0.0), (float("nan"), 0.0),
                                                    (0.0, -1.0), (0.0, float("inf"))])
def test_bad_settings_are_refused(dropout, feature_noise):
    net, _, _ = _net_and_inputs()
    with pytest.raises(ValueError):
        net.set_regularisation(dropout, feature_noise)
    with pytest.raises(ValueError):
        TrainConfig(dropout=dropout, feature_noise=feature_noise)


def test_cli_refuses_a_bad_setting_with_a_message(capsys):
    from hance_plugin.training.__main__ import main

    assert main(["train", "--dropout", "1.5"]) == 2
    assert "dropout must be in [0, 1)" in capsys.readouterr().err


COMMON = dict(size="fast", steps=6, batch_size=2, segment_seconds=0.4, warmup_steps=2, val_every=3,
              val_items=3, pesq_items=0, log_every=2, workers=0, stats_items=4, seed=0, threads=1)


def test_a_regularised_run_resumes_exactly_and_differs_from_a_plain_one(tmp_path):
    reg = dict(dropout=0.2, feature_noise=0.1)
    straight = train(TrainConfig(out=str(tmp_path / "a"), **COMMON, **reg), _factory(0.4))
    assert straight["step"] == 6
    positions = _first_positions(TrainConfig(**COMMON), 24)
    stopped = train(TrainConfig(out=str(tmp_path / "b"), **COMMON, **reg), _factory(0.4, kill_at=positions[5]))
    assert stopped["reason"] == "SIGTERM" and stopped["step"] == 3
    train(TrainConfig(out=str(tmp_path / "b"), resume=True, **COMMON, **reg), _factory(0.4))
    train(TrainConfig(out=str(tmp_path / "c"), **COMMON), _factory(0.4))
    a, b, c = (load_checkpoint(tmp_path / n / "last.pt") for n in "abc")
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    assert any(not torch.equal(value, c["model"][key]) for key, value in a["model"].items())
    assert a["train_config"]["dropout"] == 0.2 and a["train_config"]["feature_noise"] == 0.1
    assert set(a["model"]) == set(c["model"])  # the same network: it exports as any other


def test_a_branch_switches_regularisation_on_from_a_plain_checkpoint(tmp_path):
    train(TrainConfig(out=str(tmp_path / "p"), **{**COMMON, "steps": 2}), _factory(0.4))
    branch = Trainer(TrainConfig(out=str(tmp_path / "p"), resume=True, **COMMON, dropout=0.1, feature_noise=0.05),
                     _factory(0.4))
    assert branch.progress.step == 2
    assert (branch.model.dropout, branch.model.feature_noise) == (0.1, 0.05)
    np.testing.assert_equal(branch.cfg.dropout, 0.1)
