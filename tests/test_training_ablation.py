"""benchmarks/training_ablation.py: paired val table of runs branching from one checkpoint."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

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
