"""State drift: does a model keep passing clean speech as the recurrent state runs on?

Run from the repository root (needs the ``[eval]`` extra for the data helpers; no torch)::

    python benchmarks/state_drift.py --model hance-base [--model runs/m/other.onnx] \
        [--split val] [--seconds 30] [--reset-every 3] [--level-dbfs -26] [--max-files 400]

Why: the models are trained on 3 s segments from a zero state (``--segment-seconds 3``) but run on
files of minutes, whose state never resets. Nothing in training constrains what a recurrent network
does past the number of frames it was trained on (a length-generalisation question, not a DSP
one). Fed clean running speech, a model whose state drifts passes less and less of it as it runs on.

Items: the ``running`` items of ``benchmarks/passthrough.py`` (consecutive clean files of one
folder, trimmed, joined with 50 ms gaps) of ``--seconds`` each, at ``--level-dbfs`` active level;
no noise, no rooms. Each goes through ``Denoiser(model, num_threads=1)`` twice: in one piece
(``process(x, reset=True)``, the product path) and cut into ``--reset-every`` pieces each processed
from a fresh state (``reset=True`` per piece), which keeps the state within the trained length at the
cost of a cold start at every cut. Metric: SDR = 10·log10(Σx² / Σ(x − y)²) of the output against the
input in consecutive 1 s windows (windows with less than 1 % of the item's mean power are skipped),
averaged per window position over the items of a speech subset. Summary per model and subset:
mean SDR in the first ``--reset-every`` seconds (where both runs are the same) and after them, one
piece and cut; ``drift`` = after − first of the one-piece run (negative: it passes less as it runs
on), ``cut − one piece`` = what resetting buys after the first piece. Writes
``benchmarks/results/<name>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import shlex
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402
from attenuation_limit import check_models  # noqa: E402  (--model checks and report names, shared)
from passthrough import SR, collect_items  # noqa: E402  (the running-speech items, shared)

WINDOW_SECONDS = 1.0
MIN_WINDOW_POWER = 0.01  # a window with less than this fraction of the item's mean power is skipped


def window_sdr_db(x: np.ndarray, y: np.ndarray, window_samples: int) -> list[float | None]:
    """SDR (dB) of ``y`` against ``x`` in consecutive windows of ``window_samples`` (a trailing
    partial window is dropped); ``None`` where ``x`` is nearly silent or ``y`` equals it exactly."""
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    mean_power = float(np.mean(x64**2))
    out: list[float | None] = []
    for start in range(0, x64.shape[0] - window_samples + 1, window_samples):
        ref = x64[start : start + window_samples]
        err = float(np.sum((ref - y64[start : start + window_samples]) ** 2))
        power = float(np.sum(ref**2))
        if power < MIN_WINDOW_POWER * mean_power * window_samples or err == 0.0:
            out.append(None)
        else:
            out.append(10 * math.log10(power / err))
    return out


def process_pieces(denoiser, x: np.ndarray, piece_samples: int) -> np.ndarray:
    """``x`` through ``denoiser`` in consecutive pieces of ``piece_samples``, each from a fresh
    state (``reset=True``), joined (each piece is time-aligned by the Denoiser itself)."""
    return np.concatenate([denoiser.process(x[None, i : i + piece_samples], SR, reset=True)[0]
                           for i in range(0, x.shape[0], piece_samples)])


def run_model(model: str, items: list[dict], reset_every_s: float, progress: bool = True) -> list[dict]:
    """Per item: window SDRs of the one-piece run (``whole``) and of the cut run (``cut``)."""
    from hance_plugin import Denoiser

    denoiser = Denoiser(model=model, num_threads=1)
    window = int(round(WINDOW_SECONDS * SR))
    piece = int(round(reset_every_s * SR))
    iterator = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc=Path(model).stem, unit="item", file=sys.stderr)
    out = []
    for item in iterator:
        x = item["audio"]
        whole = denoiser.process(x[None, :], SR, reset=True)[0]
        cut = process_pieces(denoiser, x, piece)
        out.append({"whole": window_sdr_db(x, whole, window), "cut": window_sdr_db(x, cut, window)})
    return out


def _mean(values: list) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def summarise(items: list[dict], scores: dict[str, list[dict]], reset_every_s: float) -> tuple[list[dict], list[dict]]:
    """(summary rows per model and subset, per-window rows per model, subset and window)."""
    first = int(round(reset_every_s / WINDOW_SECONDS))
    summary, windows = [], []
    subsets = sorted({item["subset"] for item in items})
    for model, per_item in scores.items():
        for subset in subsets + ["all"]:
            picked = [s for item, s in zip(items, per_item) if subset in ("all", item["subset"])]
            if not picked:
                continue
            n_windows = max(len(s["whole"]) for s in picked)
            for k in range(n_windows):
                windows.append({"model": model, "subset": subset, "second": k * WINDOW_SECONDS,
                                "whole_sdr_db": _mean([s["whole"][k] for s in picked if k < len(s["whole"])]),
                                "cut_sdr_db": _mean([s["cut"][k] for s in picked if k < len(s["cut"])])})
            early = _mean([v for s in picked for v in s["whole"][:first]])
            late = _mean([v for s in picked for v in s["whole"][first:]])
            late_cut = _mean([v for s in picked for v in s["cut"][first:]])
            summary.append({
                "model": model, "subset": subset, "items": len(picked),
                "first_sdr_db": early, "after_whole_sdr_db": late, "after_cut_sdr_db": late_cut,
                "drift_db": None if early is None or late is None else late - early,
                "cut_minus_whole_db": None if late is None or late_cut is None else late_cut - late,
            })
    return summary, windows


def _fmt(v: float | None, signed: bool = False) -> str:
    return "–" if v is None else (f"{v:+.1f}" if signed else f"{v:.1f}")


def _markdown(report: dict) -> str:
    r = report["reset_every_s"]
    lines = [
        f"# State drift: clean running speech, one piece vs cut every {r:g} s ({report['split']} split)", "",
        f"- command: `{report['command']}`",
        f"- {report['date']}; models: {', '.join(report['models'])}; items of {report['seconds']:g} s at "
        f"{report['level_dbfs']:g} dBFS active level",
        "- SDR of the output against the clean input in 1 s windows, mean over items; `one piece`: "
        "`process(x, reset=True)`; `cut`: pieces processed from a fresh state each; drift = SDR after "
        f"the first {r:g} s − SDR in them (one piece)", "",
        f"| model | subset | items | SDR 0–{r:g} s | SDR after, one piece | SDR after, cut | drift | cut − one piece |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["summary"]:
        lines.append(f"| {s['model']} | {s['subset']} | {s['items']} | {_fmt(s['first_sdr_db'])} | "
                     f"{_fmt(s['after_whole_sdr_db'])} | {_fmt(s['after_cut_sdr_db'])} | "
                     f"{_fmt(s['drift_db'], True)} | {_fmt(s['cut_minus_whole_db'], True)} |")
    lines += ["", "## SDR (dB) per second, all subsets (one piece / cut)", ""]
    models = report["models"]
    lines += ["| second | " + " | ".join(models) + " |", "|---:|" + "---:|" * len(models)]
    rows: dict[float, dict] = {}
    for w in report["windows"]:
        if w["subset"] == "all":
            rows.setdefault(w["second"], {})[w["model"]] = w
    for second in sorted(rows):
        cells = [f"{_fmt(rows[second][m]['whole_sdr_db'])} / {_fmt(rows[second][m]['cut_sdr_db'])}"
                 if m in rows[second] else "–" for m in models]
        lines.append(f"| {second:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="bundled model name or path to an .onnx with its card (repeatable)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--split", default="val", choices=("train", "val", "test"),
                        help="speech split; choose models on val, test is for reporting only")
    parser.add_argument("--seconds", type=float, default=30.0, help="item length (s)")
    parser.add_argument("--reset-every", type=float, default=3.0,
                        help="piece length of the cut run (s); the training segment length by default")
    parser.add_argument("--level-dbfs", type=float, default=-26.0, help="active speech level of every item")
    parser.add_argument("--max-files", type=int, default=400, help="files per subset folder (evenly spaced)")
    parser.add_argument("--name", default="state-drift")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not 2 <= args.seconds <= 600:
        parser.error(f"--seconds must be in 2..600, got {args.seconds:g}")
    if not WINDOW_SECONDS <= args.reset_every < args.seconds:
        parser.error(f"--reset-every must be at least {WINDOW_SECONDS:g} s and below --seconds, got {args.reset_every:g}")
    if not -60 <= args.level_dbfs <= -3:
        parser.error(f"--level-dbfs must be in -60..-3, got {args.level_dbfs:g}")
    if args.max_files < 1:
        parser.error("--max-files must be >= 1")
    labels = check_models(parser, args.model)
    try:
        items = [i for i in collect_items(Path(args.data_dir), args.split, args.seconds, args.level_dbfs,
                                          args.max_files, None) if i["form"] == "running"]
    except FileNotFoundError as exc:
        parser.error(str(exc))
    items = [i for i in items if i["audio"].shape[0] >= int(round(args.seconds * SR))]  # full-length only
    if not items:
        parser.error(f"no running-speech item of {args.seconds:g} s under {args.data_dir} ({args.split} split)")
    scores = {label: run_model(model, items, args.reset_every, progress=not args.no_progress)
              for label, model in zip(labels, args.model)}
    summary, windows = summarise(items, scores, args.reset_every)
    report = {
        "command": "python benchmarks/state_drift.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "split": args.split, "seconds": args.seconds, "reset_every_s": args.reset_every,
        "level_dbfs": args.level_dbfs, "models": labels,
        "items": [{k: v for k, v in item.items() if k != "audio"} for item in items],
        "per_item": scores, "summary": summary, "windows": windows,
    }
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
