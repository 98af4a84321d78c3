"""benchmarks/band_gains.py: a model's high-band gains against the ideal ratio mask on val."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sf = pytest.importorskip("soundfile")

from hance_plugin.training.train import TrainConfig, Trainer  # noqa: E402

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "band_gains.py"
SR = 48000


def _voice(rng, f0: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 200) if f0 * k < 22000)
    return (0.2 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("bg")
    rng = np.random.default_rng(5)
    (root / "data/speech/val/voices").mkdir(parents=True)
    (root / "data/noise/val").mkdir(parents=True)
    for i, f0 in enumerate((110.0, 190.0, 240.0)):
        sf.write(root / f"data/speech/val/voices/t{i}.flac", _voice(rng, f0, 3.5), SR)
    sf.write(root / "data/noise/val/hiss.flac", 0.02 * rng.standard_normal(5 * SR).astype(np.float32), SR)
    return root, _trainer(root / "run").save()


def _module():
    spec = importlib.util.spec_from_file_location("band_gains_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _trainer(out: Path, **config) -> Trainer:
    """A fresh (untrained) network of the fast size; its data source is a stub (never trained here)."""
    item = SimpleNamespace(noisy=np.zeros(SR, np.float32) + 0.01, clean=np.zeros(SR, np.float32), bandwidth_hz=24000.0,
                           snr_db=0.0, meta={})
    cfg = TrainConfig(out=str(out), size="fast", segment_seconds=1.0, stats_items=1, workers=0, threads=1, **config)
    return Trainer(cfg, source_factory=lambda c: ([item], [item]))


def test_gain_table(tmp_path, setup):
    root, ckpt = setup
    mod = _module()
    out = tmp_path / "out"
    assert mod.main(["--checkpoint", f"fresh={ckpt}", "--data-dir", str(root / "data"), "--items", "6",
                     "--out-dir", str(out)]) == 0
    report = json.loads((out / "band-gains.json").read_text())
    res = report["models"]["fresh"]
    assert res["mixtures"] >= 1
    overall = [r for r in res["rows"] if r["snr_bucket_db"] is None]
    assert [tuple(r["region_hz"]) for r in overall] == list(mod.REGIONS_HZ) and overall[0]["region_hz"][0] == 0
    for row in res["rows"]:
        assert row["bins"] > 0 and 0.0 <= row["ideal_mean"] <= 1.0 and 0.0 <= row["over_attenuated_share"] <= 1.0
        assert row["gain_p10"] <= row["gain_median"]
    for row in overall:  # heads start at the identity: an untrained model passes the high band
        assert row["gain_median"] == pytest.approx(1.0, abs=0.2)
    for row in res["rows"]:  # a phase error is an angle; the hiss shifts the noisy phase
        assert 0.0 < row["phase_error_noisy_deg"] <= 180.0 and 0.0 <= row["phase_error_deg"] <= 180.0
        if row["region_hz"][0] >= 6000:  # real band gains keep the noisy phase exactly
            assert row["phase_error_deg"] == pytest.approx(row["phase_error_noisy_deg"], rel=1e-6)
    cost = res["cost_of_band_gains"]
    assert cost["si_sdr"]["items"] == res["mixtures"] and cost["pesq_wb"]["items"] >= 1
    assert cost["si_sdr"]["difference"] > 0  # ideal gains remove the hiss an untrained model passes
    text = (out / "band-gains.md").read_text()
    assert "| 6-8 kHz | all |" in text and "| SI-SDR (dB) |" in text and "phase error, deg (noisy)" in text
    with pytest.raises(SystemExit):
        mod.main(["--checkpoint", "no-equals-sign"])


def test_a_deep_filter_checkpoint_is_scored_by_its_effective_gain(tmp_path, setup):
    """A deep filter's mask has a tap axis: its gain is |Y|/|X|. With zero extra taps (a fresh
    run, the same weights as the one-tap network) every row equals the one-tap network's; with
    non-zero taps the filter is applied (rows below the split change, rows above do not)."""
    root, ckpt = setup
    mod = _module()
    trainer = _trainer(root / "run-df", df_order=3, df_bins=40)
    zero = trainer.save()
    with torch.no_grad():
        trainer.model.df_head.bias.fill_(0.3)
    moved = trainer.save("moved.pt")
    out = tmp_path / "out"
    assert mod.main(["--checkpoint", f"one={ckpt}", "--checkpoint", f"zero={zero}", "--checkpoint", f"moved={moved}",
                     "--data-dir", str(root / "data"), "--items", "6", "--out-dir", str(out)]) == 0
    models = json.loads((out / "band-gains.json").read_text())["models"]
    keys = ("gain_mean", "gain_median", "phase_error_deg", "phase_error_noisy_deg")
    for a, b, c in zip(models["one"]["rows"], models["zero"]["rows"], models["moved"]["rows"]):
        assert a["region_hz"] == b["region_hz"] == c["region_hz"] and a["bins"] == b["bins"] == c["bins"]
        np.testing.assert_allclose([b[k] for k in keys], [a[k] for k in keys], rtol=1e-4)
        if a["region_hz"][1] <= 2000:  # 40 bins of 50 Hz: the filter's taps move the output there
            assert c["gain_mean"] != pytest.approx(a["gain_mean"], rel=1e-3)
            assert c["phase_error_deg"] != pytest.approx(a["phase_error_deg"], rel=1e-3)
        if a["region_hz"][0] >= 6000:
            assert c["gain_mean"] == pytest.approx(a["gain_mean"], rel=1e-6)


def test_the_worth_of_the_rotation(tmp_path, setup):
    """|M| in place of M: nothing changes for the magnitude-only twin; a mask that turns every
    low bin by 90 degrees (|M| = 1) loses to its unrotated self; a deep filter gets no such row."""
    root, ckpt = setup
    mod = _module()
    paths = {"fresh": ckpt}
    for name, kw in (("twin", dict(variant="magnitude_twin")), ("turned", {}), ("df", dict(df_order=2, df_bins=10))):
        trainer = _trainer(root / f"run-{name}", **kw)
        if name == "turned":
            with torch.no_grad():
                trainer.model.mask_head.weight.zero_()
                bias = trainer.model.mask_head.bias.view(-1, 2)
                bias[:, 0] = 0.0
                bias[:, 1] = 1.0
        paths[name] = trainer.save()
    out = tmp_path / "out"
    args = [a for label, p in paths.items() for a in ("--checkpoint", f"{label}={p}")]
    assert mod.main(args + ["--data-dir", str(root / "data"), "--items", "6", "--out-dir", str(out)]) == 0
    models = json.loads((out / "band-gains.json").read_text())["models"]
    assert models["df"]["worth_of_rotation"] is None
    twin = models["twin"]["worth_of_rotation"]
    assert twin["si_sdr"]["items"] == models["twin"]["mixtures"]
    assert twin["si_sdr"]["difference"] == 0.0 and twin["pesq_wb"]["difference"] == 0.0
    turned = models["turned"]["worth_of_rotation"]
    assert turned["si_sdr"]["difference"] < -3.0
    fresh = models["fresh"]["worth_of_rotation"]  # heads start near the identity: little rotation
    assert abs(fresh["si_sdr"]["difference"]) < abs(turned["si_sdr"]["difference"])
    text = (out / "band-gains.md").read_text()
    assert text.count("What the complex mask's rotation is worth") == 3


def test_band_limited_speech_is_scored_below_its_bandwidth_only(tmp_path, setup):
    from scipy.signal import ellip, sosfilt

    _, ckpt = setup
    data = tmp_path / "data"
    (data / "speech/val/narrow").mkdir(parents=True)
    (data / "noise/val").mkdir(parents=True)
    rng = np.random.default_rng(7)
    sos = ellip(12, 0.1, 80, 7000, fs=SR, output="sos")  # content to 7 kHz, as in a 16 kHz recording resampled
    for i, f0 in enumerate((120.0, 210.0)):
        sf.write(data / f"speech/val/narrow/n{i}.flac", sosfilt(sos, _voice(rng, f0, 3.5)).astype(np.float32), SR)
    sf.write(data / "noise/val/hiss.flac", 0.02 * rng.standard_normal(5 * SR).astype(np.float32), SR)
    mod = _module()
    out = tmp_path / "out"
    assert mod.main(["--checkpoint", f"fresh={ckpt}", "--data-dir", str(data), "--items", "4", "--band-limited",
                     "--out-dir", str(out), "--name", "bl"]) == 0
    res = json.loads((out / "bl.json").read_text())["models"]["fresh"]
    assert res["mixtures"] >= 1
    regions = {tuple(r["region_hz"]) for r in res["rows"] if r["snr_bucket_db"] is None}
    assert (0, 1000) in regions and (3000, 6000) in regions and (6000, 8000) in regions
    assert not any(lo >= 8000 for lo, _ in regions)  # nothing above the speech's bandwidth
    assert "bins up to each one's bandwidth" in (out / "bl.md").read_text()
    # the default takes fullband speech only: these mixtures are all left out
    assert mod.collect(ckpt, data, 4, 0)["mixtures"] == 0
