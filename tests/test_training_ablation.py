"""benchmarks/training_ablation.py: paired val table of runs branching from one checkpoint."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "training_ablation.py"


@pytest.fixture(scope="module")
def ablation():
    spec = importlib.util.spec_from_file_location("training_ablation_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _log(path: Path, records: list[dict]) -> Path:
    path.mkdir(parents=True)
    (path / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _val(step: int, sdr: float, pesq: float) -> dict:
    return {"kind": "val", "step": step, "val_si_sdr": sdr, "val_si_sdr_noisy": 5.0, "val_pesq_wb": pesq,
            "val_pesq_wb_noisy": 1.5, "val_pesq_items": 4, "val_si_sdr_items": 4}


def test_table_pairs_runs_by_step_and_uses_the_baseline_at_the_branch_point(tmp_path, ablation, monkeypatch):
    a = _log(tmp_path / "a", [_val(100, 1.0, 1.0), {"kind": "train", "step": 150}, _val(200, 8.0, 2.0),
                              _val(200, 9.0, 2.5), _val(300, 9.5, 2.6)])  # step 200 logged twice (resume)
    b = _log(tmp_path / "b", [_val(100, 1.0, 1.0), _val(200, 7.0, 2.75)])
    baseline = tmp_path / "base.jsonl"
    baseline.write_text(json.dumps({"checkpoint": "x", "step": 100, **_val(100, 6.0, 1.9)}) + "\n")
    monkeypatch.setattr(ablation, "RESULTS", tmp_path / "results")
    assert ablation.main(["--name", "t", "--run", f"ref={a}", "--run", f"other={b}",
                          "--baseline", str(baseline), "--from-step", "100", "--to-step", "250"]) == 0
    result = json.loads((tmp_path / "results" / "t.json").read_text())
    rows = {(r["step"], r["run"]): r for r in result["rows"]}
    assert set(rows) == {(100, "ref"), (100, "other"), (200, "ref"), (200, "other")}  # 300 is past --to-step
    assert rows[(100, "ref")]["val_si_sdr"] == 6.0  # the baseline replaces the logged step-100 record
    assert rows[(200, "ref")]["val_si_sdr"] == 9.0  # the last record of a step wins
    assert rows[(200, "other")]["val_si_sdr_minus_first"] == pytest.approx(-2.0)
    assert rows[(200, "other")]["val_pesq_wb_minus_first"] == pytest.approx(0.25)
    assert "| 200 | other | 7.00 | -2.00 | 2.750 | 0.250 | 4 |" in (tmp_path / "results" / "t.md").read_text()


def test_bad_run_spec_is_a_usage_error(tmp_path, ablation):
    with pytest.raises(SystemExit) as err:
        ablation.main(["--name", "t", "--run", str(tmp_path)])
    assert err.value.code == 2


def _per_item(path: Path, step: int, sdr: list[float], pesq: list, val_mix: str = "") -> Path:
    items = [{"index": 10 * i, "si_sdr": s, "si_sdr_noisy": 0.5, "pesq_wb": p, "pesq_wb_noisy": None if p is None else 1.0,
              "speech_subset": "nist" if i < 2 else "kde", "noise_kinds": "corpus" if i % 2 else "babble+corpus"}
             for i, (s, p) in enumerate(zip(sdr, pesq))]
    path.write_text(json.dumps({"checkpoint": "x", "step": step, "val_mix": val_mix, "per_item": items}) + "\n")
    return path


def test_final_checkpoints_are_compared_per_item_with_a_confidence_interval(tmp_path, ablation, monkeypatch, capsys):
    a = _log(tmp_path / "a", [_val(100, 1.0, 1.0)])
    b = _log(tmp_path / "b", [_val(100, 2.0, 1.5)])
    ref = _per_item(tmp_path / "ref.json", 100, [1.0, 2.0, 3.0, 4.0], [1.5, 2.0, None, 2.5])
    other = _per_item(tmp_path / "other.json", 100, [2.0, 3.0, 5.0, 4.0], [1.75, 2.25, 3.0, None])
    plain = _per_item(tmp_path / "plain.json", 100, [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], "augment=false")
    monkeypatch.setattr(ablation, "RESULTS", tmp_path / "results")
    assert ablation.main(["--name", "f", "--run", f"ref={a}", "--run", f"other={b}",
                          "--final", f"val/ref={ref}", "--final", f"val/other={other}",
                          "--final", f"plain/ref={plain}"]) == 0
    rows = json.loads((tmp_path / "results" / "f.json").read_text())["final"]
    assert [(r["set"], r["run"]) for r in rows] == [("val", "ref"), ("val", "other"), ("plain", "ref")]
    r = rows[1]
    assert r["si_sdr"] == pytest.approx(3.5) and r["si_sdr_minus_first"] == pytest.approx(1.0)
    # paired differences 1, 1, 2, 0: sd = sqrt(2/3), half-width 1.96 sd / sqrt(4)
    assert r["si_sdr_minus_first_ci95"] == pytest.approx(1.96 * (2 / 3) ** 0.5 / 2)
    # PESQ is paired on the items both runs scored (0 and 1): differences 0.25, 0.25
    assert r["pesq_wb_paired_items"] == 2 and r["pesq_wb_minus_first"] == pytest.approx(0.25)
    assert r["pesq_wb_minus_first_ci95"] == pytest.approx(0.0)
    assert "si_sdr_minus_first" not in rows[0] and "si_sdr_minus_first" not in rows[2]  # references
    assert rows[2]["val_mix"] == "augment=false"
    groups = r["groups"]  # items 0, 1 are "nist", 2, 3 "kde"; odd items real noise only
    assert groups["speech nist"]["si_sdr"] == {"mean": 1.0, "ci95": 0.0, "n": 2}
    assert groups["speech kde"]["si_sdr"]["mean"] == pytest.approx(1.0) and groups["speech kde"]["si_sdr"]["n"] == 2
    assert groups["noise real only"]["si_sdr"]["mean"] == pytest.approx(0.5)  # items 1, 3: 1 and 0
    assert groups["noise incl. synthetic"]["si_sdr"]["mean"] == pytest.approx(1.5)  # items 0, 2: 1 and 2
    assert groups["speech kde"]["pesq_wb"] is None  # no item scored by both
    assert "| val | other | speech nist | +1.00 ± 0.00 (2) | +0.250 ± 0.000 (2) |" in (tmp_path / "results" / "f.md").read_text()
    assert "| val | other | 100 | 3.50 | +1.00 ± 0.80 |" in (tmp_path / "results" / "f.md").read_text()
    # what the judge.sh rules read: the same paired delta from the written report
    assert ablation.paired_delta(tmp_path / "results" / "f.json", "val", "other", "si_sdr") == (
        r["si_sdr_minus_first"], r["si_sdr_minus_first_ci95"], 4)
    assert ablation.paired_delta(tmp_path / "results" / "f.json", "val", "other", "pesq_wb")[2] == 2
    with pytest.raises(KeyError, match="first run"):
        ablation.paired_delta(tmp_path / "results" / "f.json", "val", "ref", "si_sdr")
    with pytest.raises(KeyError, match="no final row"):
        ablation.paired_delta(tmp_path / "results" / "f.json", "plain", "other", "si_sdr")
    # a branch experiment's four sets, read and printed in one call
    row = {"pesq_wb_minus_first": 0.01, "pesq_wb_minus_first_ci95": 0.002, "pesq_wb_paired_items": 5,
           "si_sdr_minus_first": -0.1, "si_sdr_minus_first_ci95": 0.05, "si_sdr_paired_items": 6}
    report = {"final": [{"set": name, "run": "b", **row} for name in ablation.BRANCH_SETS.values()]}
    d = ablation.branch_deltas(report, "b")
    assert len(d) == 8 and d["control", "room", "si_sdr"] == (-0.1, 0.05, 6)
    assert d["release", "plain", "pesq_wb"] == (0.01, 0.002, 5)
    # any named sets, read and printed in one call
    d = ablation.set_deltas(report, ["plain val", "reverberant val"], "b", "ctl")
    assert d == {("plain val", "pesq_wb"): (0.01, 0.002, 5), ("plain val", "si_sdr"): (-0.1, 0.05, 6),
                 ("reverberant val", "pesq_wb"): (0.01, 0.002, 5), ("reverberant val", "si_sdr"): (-0.1, 0.05, 6)}
    assert "plain val       si_sdr   b - ctl -0.1000 +- 0.0500 (n=6)" in capsys.readouterr().out
    with pytest.raises(KeyError, match="no final row"):
        ablation.set_deltas(report, ["missing"], "b", "ctl")
    # pass-through: each model against the release (paired) and against the control (difference)
    rows = [{"form": f, "group": "all", "model": "release"} for f in ablation.PASSTHROUGH_FORMS]
    rows += [{"form": f, "group": g, "model": m, "sdr_db_delta": {"mean": v + (5.0 if g != "all" else 0.0) + k}}
             for k, f in enumerate(ablation.PASSTHROUGH_FORMS) for g in ("all", "nist")
             for m, v in (("ctl", -1.0), ("new", 0.5))]
    pt = ablation.passthrough_deltas({"rows": rows}, "new", "ctl")
    assert pt["single", "release"] == 0.5 and pt["single", "control"] == 1.5
    assert pt["reverberant", "release"] == 2.5 and pt["reverberant", "control"] == 1.5
    with pytest.raises(KeyError, match="no paired"):
        ablation.passthrough_deltas({"rows": rows}, "new", "release")
    alone = ablation.passthrough_deltas({"rows": rows}, "new", None)  # no control: against the release only
    assert alone == {(f, "release"): pt[f, "release"] for f in ablation.PASSTHROUGH_FORMS}
    with pytest.raises(KeyError, match="no paired"):
        ablation.passthrough_deltas({"rows": rows}, "missing", None)
    # DNSMOS deltas of one model against another, one bucket
    mrows = [{"bucket": b, "model": "new", "against": a, "dnsmos_bak_delta": v, "dnsmos_bak_ci95": 0.1,
              "dnsmos_ovrl_delta": -v, "dnsmos_ovrl_ci95": 0.2}
             for b, a, v in (("all", "ctl", 0.3), ("all", "release", 0.5), ("<0 dB", "ctl", 0.9))]
    assert ablation.dnsmos_delta({"model_rows": mrows}, "new", "ctl") == {
        "bak": 0.3, "bak_ci95": 0.1, "ovrl": -0.3, "ovrl_ci95": 0.2}
    assert ablation.dnsmos_delta({"model_rows": mrows}, "new", "ctl", bucket="<0 dB")["bak"] == 0.9
    with pytest.raises(KeyError, match="expected one"):
        ablation.dnsmos_delta({"model_rows": mrows}, "ctl", "new")
    # criterion 2 of the speech-only rules: mean PESQ-WB >= -0.01, mean SI-SDR >= -0.3 dB, pass-through >= +1 dB x3
    rel = {("release", "plain", "pesq_wb"): (0.0, 0, 1), ("release", "room", "pesq_wb"): (-0.02, 0, 1),
           ("release", "plain", "si_sdr"): (0.0, 0, 1), ("release", "room", "si_sdr"): (-0.6, 0, 1)}
    ok = {(f, "release"): 1.0 for f in ablation.PASSTHROUGH_FORMS}
    assert ablation.passthrough_release_rule(rel, ok)  # means exactly -0.01 and -0.3 hold
    assert not ablation.passthrough_release_rule(rel, {**ok, ("reverberant", "release"): 0.99})
    assert not ablation.passthrough_release_rule({**rel, ("release", "room", "pesq_wb"): (-0.0201, 0, 1)}, ok)
    assert not ablation.passthrough_release_rule({**rel, ("release", "room", "si_sdr"): (-0.61, 0, 1)}, ok)
    # S1-S3 of the release rules (floor-release, running-floor, extend-21000): at their boundaries
    d = {"pesq_wb": (0.010, 0.0, 1), "si_sdr": (-0.10, 0.0, 1)}
    bak = {"bak": -0.02}
    pt_ok = {(f, "release"): -0.5 for f in ablation.PASSTHROUGH_FORMS}
    assert ablation.floor_release_criteria(d, bak, pt_ok) == (True, True, True)
    assert ablation.floor_release_criteria({**d, "pesq_wb": (0.0099, 0.0, 1)}, bak, pt_ok) == (False, True, True)
    assert ablation.floor_release_criteria({**d, "si_sdr": (-0.11, 0.0, 1)}, bak, pt_ok)[0] is False
    assert ablation.floor_release_criteria(d, {"bak": -0.021}, pt_ok) == (True, False, True)
    assert ablation.floor_release_criteria(d, bak, {**pt_ok, ("running", "release"): -0.51}) == (True, True, False)
    # criteria 1 and 2 of the equal-steps rules (loss-pesq, mask-gate, subband): at their boundaries
    ctl = {("control", "plain", "pesq_wb"): (0.010, 0.009, 1), ("control", "plain", "si_sdr"): (-0.1, 0, 1),
           ("control", "room", "pesq_wb"): (0.0, 0, 1)}
    assert ablation.control_gain_rule(ctl, 0.010, -0.1, 0.0)
    assert not ablation.control_gain_rule({**ctl, ("control", "plain", "pesq_wb"): (0.0099, 0.001, 1)}, 0.010, -0.1, 0.0)
    assert not ablation.control_gain_rule({**ctl, ("control", "plain", "pesq_wb"): (0.010, 0.010, 1)}, 0.010, -0.1, 0.0)
    assert not ablation.control_gain_rule({**ctl, ("control", "plain", "si_sdr"): (-0.11, 0, 1)}, 0.010, -0.1, 0.0)
    assert not ablation.control_gain_rule({**ctl, ("control", "room", "pesq_wb"): (-0.001, 0, 1)}, 0.010, -0.1, 0.0)
    rel2 = {("release", "plain", "pesq_wb"): (0.005, 0, 1), ("release", "room", "pesq_wb"): (0.006, 0, 1),
            ("release", "plain", "si_sdr"): (0.0, 0, 1), ("release", "room", "si_sdr"): (-0.2, 0, 1)}
    assert ablation.release_rule(rel2, 0.005, -0.1)  # the smaller PESQ-WB and the SI-SDR mean exactly at the limits
    assert not ablation.release_rule({**rel2, ("release", "room", "pesq_wb"): (0.0049, 0, 1)}, 0.005, -0.1)
    assert not ablation.release_rule({**rel2, ("release", "room", "si_sdr"): (-0.21, 0, 1)}, 0.005, -0.1)


def test_gains_over_noisy_by_talker(tmp_path, ablation, monkeypatch):
    """--talker: a regular expression on each item's speech_file adds talker sub-groups, and every
    final row lists its gain over the noisy input per sub-group (a held-out talker next to the others)."""
    a = _log(tmp_path / "a", [_val(100, 1.0, 1.0)])
    items = [{"index": i, "si_sdr": s, "si_sdr_noisy": 1.0, "pesq_wb": 2.0, "pesq_wb_noisy": 1.5,
              "sdr_low": s + 1.0, "sdr_low_noisy": 1.0, "sdr_high": None, "sdr_high_noisy": None,
              "speech_subset": "nist", "speech_file": f"val/nist/{t}_b41_w{i}.flac", "noise_kinds": "corpus"}
             for i, (t, s) in enumerate([("F1", 3.0), ("F1", 5.0), ("M4", 1.0), ("M4", 2.0), ("M4", 0.0)])]
    items.append({"index": 9, "si_sdr": 4.0, "si_sdr_noisy": 2.0, "pesq_wb": None, "pesq_wb_noisy": None,
                  "speech_subset": "kde", "speech_file": "val/kde/ca/a.ogg", "noise_kinds": "corpus"})
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"checkpoint": "x", "step": 100, "per_item": items}) + "\n")
    monkeypatch.setattr(ablation, "RESULTS", tmp_path / "results")
    assert ablation.main(["--name", "g", "--run", f"ref={a}", "--final", f"val/ref={path}",
                          "--talker", "nist/([A-Z][0-9])_"]) == 0
    gains = json.loads((tmp_path / "results" / "g.json").read_text())["final"][0]["gains"]
    assert set(gains) == {"all", "speech nist", "speech kde", "noise real only", "talker F1", "talker M4"}
    assert gains["talker F1"]["si_sdr"] == {"mean": 3.0, "ci95": pytest.approx(1.96 * 2 ** 0.5 / 2 ** 0.5), "n": 2,
                                            "noisy": 1.0}
    assert gains["talker M4"]["si_sdr"]["mean"] == pytest.approx(0.0) and gains["talker M4"]["si_sdr"]["n"] == 3
    assert gains["all"]["si_sdr"]["n"] == 6 and gains["all"]["pesq_wb"]["n"] == 5  # unscored PESQ left out
    assert gains["speech kde"]["si_sdr"] is None  # one item: no interval
    text = (tmp_path / "results" / "g.md").read_text()
    assert gains["talker M4"]["sdr_low"]["mean"] == pytest.approx(1.0) and gains["talker M4"]["sdr_high"] is None
    assert "| val | ref | talker M4 | +0.00 ± 1.13 (3) | +0.500 ± 0.000 (3) | +1.00 ± 1.13 (3; noisy 1.0) | – |" in text
    assert "--talker 'nist/([A-Z][0-9])_'" in text
    for bad in ("nist/[", "nist/M4"):  # not a regex / no group
        with pytest.raises(SystemExit) as err:
            ablation.main(["--name", "g", "--run", f"ref={a}", "--final", f"val/ref={path}", "--talker", bad])
        assert err.value.code == 2


def test_final_without_per_item_scores_is_a_usage_error(tmp_path, ablation, monkeypatch, capsys):
    a = _log(tmp_path / "a", [_val(100, 1.0, 1.0)])
    plain = tmp_path / "v.json"
    plain.write_text(json.dumps({"checkpoint": "x", "step": 100, "val_si_sdr": 1.0}) + "\n")
    monkeypatch.setattr(ablation, "RESULTS", tmp_path / "results")
    for spec in (f"val/ref={plain}", f"ref={plain}", f"val/ref={tmp_path / 'missing.json'}"):
        with pytest.raises(SystemExit) as err:
            ablation.main(["--name", "t", "--run", f"ref={a}", "--final", spec])
        assert err.value.code == 2
    # runs scored on other val mixtures cannot be paired by item index
    default = _per_item(tmp_path / "d.json", 100, [1.0, 2.0], [1.0, 1.0])
    other_mix = _per_item(tmp_path / "o.json", 100, [1.0, 2.0], [1.0, 1.0], "augment=false")
    with pytest.raises(SystemExit) as err:
        ablation.main(["--name", "t", "--run", f"ref={a}", "--final", f"val/ref={default}", "--final", f"val/b={other_mix}"])
    assert err.value.code == 2
    # ... nor runs scored on the speech or noise other runs held out of training (validate --holdout)
    # ... nor runs scored on val mixtures put through rooms (validate --val-rir-split)
    for key, value in (("val_speech", "held out of training: nist/M4_*"),
                       ("val_noise", "held out of training: 0ad_ambient_weather/wind*"),
                       ("val_rir", "rooms of rir/train")):
        held = dict(json.loads(default.read_text()), **{key: value})
        (tmp_path / "h.json").write_text(json.dumps(held) + "\n")
        with pytest.raises(SystemExit) as err:
            ablation.main(["--name", "t", "--run", f"ref={a}", "--final", f"val/ref={default}",
                           "--final", f"val/b={tmp_path / 'h.json'}"])
        assert err.value.code == 2 and key in capsys.readouterr().err


def test_finals_whose_indices_name_other_mixtures_are_refused(tmp_path, ablation, monkeypatch, capsys):
    """A run validated on mixtures of another length (``validate --segment-seconds``) has the same
    item indices for other mixtures: pairing them would compare unrelated items, so the set is
    refused with the first mismatching item named; the same files under the same index still pair."""
    a = _log(tmp_path / "a", [_val(100, 1.0, 1.0)])
    monkeypatch.setattr(ablation, "RESULTS", tmp_path / "results")

    def write(name: str, files: list[str]) -> Path:
        items = [{"index": i, "si_sdr": 1.0 + i, "si_sdr_noisy": 0.5, "pesq_wb": 1.5, "pesq_wb_noisy": 1.0,
                  "speech_file": f, "noise_kinds": "corpus"} for i, f in enumerate(files)]
        path = tmp_path / name
        path.write_text(json.dumps({"checkpoint": "x", "step": 100, "per_item": items}) + "\n")
        return path

    ref = write("ref.json", ["val/a.flac", "val/b.flac", "val/c.flac"])
    same = write("same.json", ["val/a.flac", "val/b.flac", "val/c.flac"])
    other = write("other.json", ["val/a.flac", "val/c.flac", "val/e.flac"])
    assert ablation.main(["--name", "ok", "--run", f"ref={a}", "--final", f"val/ref={ref}",
                          "--final", f"val/same={same}"]) == 0
    with pytest.raises(SystemExit) as err:
        ablation.main(["--name", "bad", "--run", f"ref={a}", "--final", f"val/ref={ref}",
                       "--final", f"val/other={other}"])
    assert err.value.code == 2
    assert "val item 1 is 'val/c.flac'" in capsys.readouterr().err


def test_level_gap_is_the_paired_change_of_the_single_file_gap(ablation, capsys):
    """Single files only; gap = first level minus second, per file; arm gap minus control gap."""
    def report(ctl: list[float], arm: list[float]) -> dict:
        items = [{"form": "single"}, {"form": "running"}, {"form": "single"}]
        return {"items": items, "per_item": {"ctl": [{"sdr_db": v} for v in ctl], "arm": [{"sdr_db": v} for v in arm]}}

    quiet = report([10.0, 99.0, 12.0], [14.0, -99.0, 17.0])
    mid = report([16.0, 0.0, 18.0], [17.0, 0.0, 19.0])
    shrink = ablation.level_gap({45: quiet, 26: mid}, "ctl", "arm")
    # control gaps -6, -6; arm gaps -3, -2: the arm's gap is 3 and 4 dB smaller
    assert shrink["mean"] == pytest.approx(3.5) and shrink["n"] == 2
    out = capsys.readouterr().out
    assert "single-file SDR at -45 / -26 dBFS: 11.00 / 17.00 dB; gap -45 minus -26 -6.00 dB" in out


def test_gap_change_is_the_paired_difference_in_differences(ablation):
    """Items missing the key in any record drop out; did = base gain - twin gain = after - before."""
    def record(values):
        return {"per_item": [{"index": i, "pesq_wb": v} for i, v in enumerate(values)]}

    base_rel, base_after = record([2.0, 2.0, 1.0]), record([2.5, 2.1, 9.0])
    twin_rel, twin_after = record([1.8, 1.9, 1.0]), record([2.4, 2.0, None])
    g = ablation.gap_change(base_rel, base_after, twin_rel, twin_after, "pesq_wb")
    assert g["did"]["n"] == 2  # item 2 has no twin score after
    assert g["before"]["mean"] == pytest.approx((0.2 + 0.1) / 2)
    assert g["after"]["mean"] == pytest.approx((0.1 + 0.1) / 2)
    assert g["base_gain"]["mean"] == pytest.approx((0.5 + 0.1) / 2)
    assert g["twin_gain"]["mean"] == pytest.approx((0.6 + 0.1) / 2)
    assert g["did"]["mean"] == pytest.approx(g["after"]["mean"] - g["before"]["mean"]) == pytest.approx(-0.05)
    assert g["did"]["ci95"] == pytest.approx(1.96 * np.std([-0.1, 0.0], ddof=1) / np.sqrt(2))


def test_gap_change_refuses_records_of_other_mixtures(ablation):
    """Four records are paired by index only if the index names the same mixture in each."""
    def record(files):
        return {"per_item": [{"index": i, "speech_file": f, "pesq_wb": 2.0} for i, f in enumerate(files)]}

    same, other = record(["a.flac", "b.flac"]), record(["a.flac", "c.flac"])
    assert ablation.gap_change(same, same, same, same, "pesq_wb")["did"]["mean"] == 0.0
    with pytest.raises(ValueError, match="twin after.*cannot be paired"):
        ablation.gap_change(same, same, same, other, "pesq_wb")
