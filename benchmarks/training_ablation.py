"""Validation table of training runs that branch from one checkpoint (an ablation on ``val``).

Each run is a ``log.jsonl`` written by ``python -m hance_plugin.training train`` (its ``val``
records: SI-SDR on the val mixtures, PESQ-WB on the first ``--pesq-items``); the optional baseline
is the JSON printed by ``python -m hance_plugin.training validate`` for the checkpoint the runs
branched from, so every row is measured on the same val mixtures. Differences are taken against
the first run at equal steps (paired: same start, same data order, same seed). Prints a Markdown
table and writes ``benchmarks/results/<name>.md`` and ``.json``.

    python benchmarks/training_ablation.py --name loss-weights \\
        --baseline models/training/ablations/loss-weights/step6000-validate.jsonl \\
        --run "mr 0.1, complex 0.3 (default)=runs/pa_oldloss" \\
        --run "mr 0.02, complex 0.5=models/training/ablations/loss-weights/mr0.02-cw0.5" --from-step 6000

No test split is read: this compares training choices on ``val`` only.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("val_si_sdr", "val_pesq_wb")


def read_val(run_dir: Path, from_step: int, to_step: int | None) -> dict[int, dict]:
    """step -> last val record of that step in ``run_dir/log.jsonl`` (a resumed run may log twice)."""
    records: dict[int, dict] = {}
    for line in (run_dir / "log.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("kind") == "val" and rec["step"] >= from_step and (to_step is None or rec["step"] <= to_step):
            records[int(rec["step"])] = rec
    return records


def _fmt(value, digits: int) -> str:
    return "–" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.{digits}f}"


def build(runs: list[tuple[str, Path]], baseline: list[dict], from_step: int, to_step: int | None) -> dict:
    table = {label: read_val(path, from_step, to_step) for label, path in runs}
    for rec in baseline:  # the branch point, measured once with the runs' val settings
        for label in table:
            table[label][int(rec["step"])] = dict(rec, kind="val")
    steps = sorted({s for recs in table.values() for s in recs})
    first = runs[0][0]
    rows = []
    for step in steps:
        for label, _ in runs:
            rec = table[label].get(step)
            if rec is None:
                continue
            row = {"step": step, "run": label, **{k: rec.get(k) for k in METRICS},
                   "val_pesq_items": rec.get("val_pesq_items"), "val_si_sdr_items": rec.get("val_si_sdr_items")}
            ref = table[first].get(step)
            if label != first and ref is not None:
                for k in METRICS:
                    if rec.get(k) is not None and ref.get(k) is not None:
                        row[f"{k}_minus_first"] = rec[k] - ref[k]
            rows.append(row)
    noisy = next((r for recs in table.values() for r in recs.values() if "val_si_sdr_noisy" in r), {})
    return {"runs": {label: str(path) for label, path in runs}, "rows": rows,
            "noisy": {k: noisy.get(f"{k}_noisy") for k in METRICS}}


def markdown(result: dict, command: str) -> str:
    lines = [f"- command: `{command}`",
             f"- noisy input on the same val items: SI-SDR {_fmt(result['noisy']['val_si_sdr'], 2)} dB, "
             f"PESQ-WB {_fmt(result['noisy']['val_pesq_wb'], 3)}",
             "- Δ = this run − the first run at the same step", "",
             "| step | run | val SI-SDR (dB) | Δ SI-SDR | val PESQ-WB | Δ PESQ | PESQ items |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(
            f"| {r['step']} | {r['run']} | {_fmt(r['val_si_sdr'], 2)} | {_fmt(r.get('val_si_sdr_minus_first'), 2)} | "
            f"{_fmt(r['val_pesq_wb'], 3)} | {_fmt(r.get('val_pesq_wb_minus_first'), 3)} | {r['val_pesq_items'] or '–'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, help="LABEL=RUN_DIR (the first is the reference)")
    parser.add_argument("--baseline", type=Path, default=None, help="JSON lines from `hance_plugin.training validate`")
    parser.add_argument("--from-step", type=int, default=0)
    parser.add_argument("--to-step", type=int, default=None)
    parser.add_argument("--name", required=True, help="writes benchmarks/results/<name>.md and .json")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    runs = []
    for spec in args.run:
        label, sep, path = spec.rpartition("=")
        if not sep or not label:
            parser.error(f"--run wants LABEL=RUN_DIR, got {spec!r}")
        if not (Path(path) / "log.jsonl").is_file():
            parser.error(f"no log.jsonl in {path}")
        runs.append((label, Path(path)))
    baseline = []
    if args.baseline is not None:
        baseline = [json.loads(x) for x in args.baseline.read_text().splitlines() if x.strip()]
    result = build(runs, baseline, args.from_step, args.to_step)
    command = "python benchmarks/training_ablation.py " + " ".join(
        [f"--name {args.name}"] + [f'--run "{s}"' for s in args.run]
        + ([f"--baseline {args.baseline}"] if args.baseline else []) + [f"--from-step {args.from_step}"]
        + ([f"--to-step {args.to_step}"] if args.to_step is not None else [])
    )
    text = f"# {args.title or 'Training ablation on val: ' + args.name}\n\n" + markdown(result, command)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(text)
    (RESULTS / f"{args.name}.json").write_text(json.dumps({"command": command, **result}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
