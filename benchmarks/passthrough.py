"""Clean-speech pass-through: how much of clean speech a model leaves intact, by speech group.

Run from the repository root (needs the ``[eval]`` extra for the data helpers; no torch)::

    python benchmarks/passthrough.py --model hance-base [--model runs/m/other.onnx] \
        [--split val] [--rir-split train] [--seconds 8] [--level-dbfs -26] [--max-files 200] [--data-dir ../shared/data]

Why: a denoiser must pass clean speech untouched (the issue's speech-only training items exist for
that), and intrusive scores on noisy mixtures mix two failures, noise left in and speech taken out.
Fed clean speech, a model can only do the second. The step-15000 ``hance-base`` passes its four
training talkers' unseen words at about 21 dB SDR but the test split's unseen talkers at 7–9 dB
(this script with ``--split test``), removing 7–18 dB of energy even in loud speech frames: it
treats unfamiliar voices partly as noise. Val has no unseen fullband talker, but its multilingual
voices (other languages, mostly other people) are a proxy, so model choices are made on ``--split
val``; ``--split test`` is for reporting, like ``quality.py``, never for choosing.

Items, per subset folder of ``speech/<split>/`` (``--max-files`` files, evenly spaced in sorted
order), each scaled to ``--level-dbfs`` active speech level (``signals.active_level_db``) and cut
to ``--seconds``:

* ``single``: each file as recorded (the training corpora are isolated words and short phrases);
* ``running``: consecutive files of the same folder with their leading and trailing silence (below
  −40 dB of the loudest 10 ms frame) trimmed, joined with 50 ms gaps until ``--seconds`` are
  filled: running speech, which the test set's unseen talkers are (read sentences) and the training
  items mostly are not. Files already longer than ``--seconds`` are one item on their own;
* ``reverberant``: each ``single`` item convolved with a room impulse response of
  ``rir/<--rir-split>/`` (default ``train``: val has none; the RIRs in turn, trimmed as in training,
  direct path aligned, ``signals.apply_rir``). The reference is the reverberant speech, as in
  training: the model should denoise, not dereverberate, so on clean input it should change
  nothing. The test set is half reverberant and the unseen talkers' recordings are roomy; val
  mixtures have no reverb at all, so this is the only val-side look at it.

Each item goes through ``Denoiser(model, num_threads=1).process(x, 48000, reset=True)`` (the product
path, output time-aligned). Metrics, output ``y`` against input ``x`` (the reference; plain, not
scale-invariant, since identity is the target): SDR = 10·log10(Σx² / Σ(x − y)²); the same below and
above ``--split-hz`` (``signals.band_sdr_db``; the upper band only where the file has content there,
bandwidth > 1.1 × split); level change 10·log10(Σy² / Σx²). Rows: mean per group (subset, and
talkers picked out by ``--talker REGEX`` on the file's path) and the paired difference of every
model to the first (± 95 % CI). Writes ``benchmarks/results/<name>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import re
import shlex
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402
from _systems import denoiser_for  # noqa: E402  (MODEL[key=value] systems, shared)
from attenuation_limit import _label, check_models  # noqa: E402  (--model checks and report names, shared)
from training_ablation import _mean_ci  # noqa: E402  (the paired-difference CI of the ablation tables)

SR = 48000
FORMS = ("single", "running", "reverberant")
GAP_SECONDS = 0.05
TRIM_BELOW_DB = -40.0
METRICS = (  # key, label
    ("sdr_db", "SDR (dB)"),
    ("sdr_low_db", "SDR < split (dB)"),
    ("sdr_high_db", "SDR > split (dB)"),
    ("gain_db", "level change (dB)"),
)
DEFAULT_TALKER = r"nist_mrt_fullband/([A-Z][0-9])_"


def trim_silence(x: np.ndarray, below_db: float = TRIM_BELOW_DB) -> np.ndarray:
    """``x`` without the leading and trailing 10 ms frames quieter than ``below_db`` under its
    loudest frame (the whole of ``x`` if it has fewer than one frame; ``signals.trim_silence``)."""
    from hance_plugin.training.signals import trim_silence as trim

    return trim(x, SR, below_db)


def running_items(clips: list[tuple[str, np.ndarray]], seconds: float) -> list[tuple[list[str], np.ndarray]]:
    """Consecutive clips trimmed (``trim_silence``) and joined with ``GAP_SECONDS`` of silence until
    each item reaches ``seconds`` (cut there); a clip at least that long is an item alone. A last
    item shorter than half of ``seconds`` is dropped (too short to say anything about running speech)."""
    n = int(round(seconds * SR))
    gap = np.zeros(int(round(GAP_SECONDS * SR)), dtype=np.float32)
    items, names, parts, length = [], [], [], 0
    for name, x in clips:
        if x.shape[0] >= n:
            items.append(([name], x[:n]))
            continue
        t = trim_silence(x)
        names.append(name)
        parts.extend([t, gap])
        length += t.shape[0] + gap.shape[0]
        if length >= n:
            items.append((names, np.concatenate(parts)[:n]))
            names, parts, length = [], [], 0
    if names and length >= n // 2:
        items.append((names, np.concatenate(parts)[:-gap.shape[0]]))
    return items


def load_rirs(data_dir: Path, rir_split: str | None) -> list[tuple[str, np.ndarray]]:
    """(name, trimmed RIR) of every file under ``rir/<rir_split>/`` in sorted order (``None``: none)."""
    if rir_split is None:
        return []
    from hance_plugin.training.mixing import _trim_rir
    from hance_plugin.training.signals import list_audio_files, load_mono_48k

    root = data_dir / "rir" / rir_split
    files = list_audio_files(root) if root.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no room impulse responses for split {rir_split!r} under {data_dir} (rir/{rir_split})")
    return [(f.relative_to(root).as_posix(), _trim_rir(load_mono_48k(f))) for f in files]


def collect_items(
    data_dir: Path, split: str, seconds: float, level_dbfs: float, max_files: int, rir_split: str | None = "train"
) -> list[dict]:
    """The items of every form: ``{"form", "subset", "files", "audio", "bandwidth_hz"}`` (audio
    float32 at ``level_dbfs`` active level; reverberant items also name their ``"rir"``)."""
    from hance_plugin.training.signals import (
        active_level_db,
        apply_rir,
        effective_bandwidth_hz,
        list_audio_files,
        load_mono_48k,
    )

    root = data_dir / "speech" / split
    if not root.is_dir():
        raise FileNotFoundError(f"no speech for split {split!r} under {data_dir}")
    rirs = load_rirs(data_dir, rir_split)
    n = int(round(seconds * SR))
    items = []
    for subset in sorted(p for p in root.iterdir() if p.is_dir()):
        files = list_audio_files(subset)
        if not files:
            continue
        picks = np.unique(np.round(np.linspace(0, len(files) - 1, min(max_files, len(files)))).astype(int))
        clips = [(files[i].relative_to(root).as_posix(), load_mono_48k(files[i])) for i in picks]
        folders: dict[str, list] = {}
        for name, x in clips:
            folders.setdefault(name.rpartition("/")[0], []).append((name, x))
        forms = {"single": [([name], x[:n], None) for name, x in clips],
                 "running": [(*item, None) for group in folders.values() for item in running_items(group, seconds)],
                 "reverberant": [([name], apply_rir(x[:n], rirs[k % len(rirs)][1]), rirs[k % len(rirs)][0])
                                 for k, (name, x) in enumerate(clips)] if rirs else []}
        for form in FORMS:
            for names, x, rir in forms[form]:
                if not np.any(x):
                    continue  # a silent file: nothing to pass through, and no level to set
                x = x * np.float32(10 ** ((level_dbfs - active_level_db(x)) / 20))
                item = {"form": form, "subset": subset.name, "files": names,
                        "audio": np.ascontiguousarray(x, dtype=np.float32), "bandwidth_hz": effective_bandwidth_hz(x)}
                if rir is not None:
                    item["rir"] = rir
                items.append(item)
    if not items:
        raise FileNotFoundError(f"no speech files under {root}")
    return items


def passthrough_metrics(x: np.ndarray, y: np.ndarray, bandwidth_hz: float, split_hz: float) -> dict:
    """SDR of ``y`` against ``x`` overall, below and above ``split_hz`` (None where ``x`` has no
    content there), and the level change, all in dB."""
    from hance_plugin.training.signals import band_sdr_db

    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    err = float(np.sum((x64 - y64) ** 2))
    ref = float(np.sum(x64**2))
    low, high = band_sdr_db(x64, y64, split_hz)

    def finite(v: float, keep: bool = True) -> float | None:
        return float(v) if keep and math.isfinite(v) else None

    return {
        "sdr_db": finite(10 * math.log10(ref / err)) if err > 0 else None,
        "sdr_low_db": finite(low),
        "sdr_high_db": finite(high, bandwidth_hz > 1.1 * split_hz),
        "gain_db": 10 * math.log10(max(float(np.sum(y64**2)), 1e-30) / ref),
    }


def run_model(model: str, items: list[dict], split_hz: float, progress: bool = True) -> list[dict]:
    """Per-item metrics of ``model`` (the ``Denoiser`` with one onnxruntime thread, and the options of
    a ``MODEL[key=value,...]`` spec, ``_systems.split_system_options``)."""
    denoiser = denoiser_for(model)
    iterator = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc=_label(model), unit="item", file=sys.stderr)
    out = []
    for item in iterator:
        y = denoiser.process(item["audio"][None, :], SR, reset=True)[0]
        out.append(passthrough_metrics(item["audio"], y, item["bandwidth_hz"], split_hz))
        if hasattr(denoiser, "last_lead_in"):  # a lead_in=restart system: where it found a lead-in
            out[-1]["lead_in_s"] = None if denoiser.last_lead_in is None else denoiser.last_lead_in.end_s
    return out


def groups_of(item: dict, talker: re.Pattern | None) -> list[str]:
    """The rows an item counts in: ``all``, its subset, and ``subset/<talker>`` when every file of
    the item names the same talker under ``talker`` (group 1 of the regex)."""
    out = ["all", item["subset"]]
    if talker is not None:
        matches = [talker.search(f) for f in item["files"]]
        names = {m.group(1) for m in matches if m}
        if all(matches) and len(names) == 1:
            out.append(f"{item['subset']}/{names.pop()}")
    return out


def summarise(items: list[dict], scores: dict[str, list[dict]], talker: re.Pattern | None) -> list[dict]:
    """Rows (form, group, model): means of each metric, and for models after the first the paired
    difference to the first with its 95 % CI."""
    labels = list(scores)
    rows = []
    for form in FORMS:
        index: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            if item["form"] == form:
                for g in groups_of(item, talker):
                    index.setdefault(g, []).append(i)
        for group, members in index.items():
            for label in labels:
                row = {"form": form, "group": group, "model": label, "items": len(members)}
                for key, _ in METRICS:
                    vals = np.array([scores[label][i][key] for i in members if scores[label][i][key] is not None])
                    row[key] = float(vals.mean()) if vals.size else None
                    if label != labels[0]:
                        pairs = [(scores[label][i][key], scores[labels[0]][i][key]) for i in members]
                        diff = np.array([a - b for a, b in pairs if a is not None and b is not None])
                        row[f"{key}_delta"] = _mean_ci(diff) if diff.size >= 2 else None
                rows.append(row)
    return rows


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _fmt_delta(delta: dict | None) -> str:
    return "–" if delta is None else f"{delta['mean']:+.2f} ± {delta['ci95']:.2f}"


def _markdown(report: dict) -> str:
    labels = report["models"]
    lines = [
        f"# Clean-speech pass-through ({report['split']} split, {report['seconds']:g} s items at "
        f"{report['level_dbfs']:g} dBFS active level)",
        "",
        f"- command: `{report['command']}`",
        f"- {report['date']}; models: {', '.join(labels)}; split frequency {report['split_hz']:g} Hz",
        "- SDR = 10·log10(Σx² / Σ(x − y)²) of the output y against the clean input x (identity is the "
        "target; higher is better); level change = output / input energy",
        "- `single`: each file as recorded; `running`: consecutive files trimmed and joined with "
        f"{GAP_SECONDS * 1000:g} ms gaps (running speech); `reverberant`: each single file through a room "
        f"impulse response of rir/{report['rir_split']} (reference: the reverberant speech)",
    ]
    if len(labels) > 1:
        lines.append(f"- Δ = model − {labels[0]}, paired per item, mean ± 95 % CI")
    for form in FORMS:
        rows = [r for r in report["rows"] if r["form"] == form]
        if not rows:
            continue
        lines += ["", f"## {form}", "", "| group | model | items | SDR (dB) | SDR < split | SDR > split | level change (dB) |"
                  + (" Δ SDR | Δ SDR < split | Δ level |" if len(labels) > 1 else ""),
                  "|---|---|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if len(labels) > 1 else "")]
        for r in rows:
            line = (f"| {r['group']} | {r['model']} | {r['items']} | {_fmt(r['sdr_db'])} | {_fmt(r['sdr_low_db'])} | "
                    f"{_fmt(r['sdr_high_db'])} | {_fmt(r['gain_db'], 2)} |")
            if len(labels) > 1:
                line += (" – | – | – |" if r["model"] == labels[0] else
                         f" {_fmt_delta(r['sdr_db_delta'])} | {_fmt_delta(r['sdr_low_db_delta'])} | {_fmt_delta(r['gain_db_delta'])} |")
            lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="bundled model name or path to an .onnx with its card, optionally with Denoiser options, "
                        "e.g. hance-base[speech_guard_db=35] (repeatable; the first is the reference)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--split", default="val", choices=("train", "val", "test"),
                        help="speech split; choose models on val, test is for reporting only")
    parser.add_argument("--rir-split", default="train", choices=("train", "val", "test", "none"),
                        help="room impulse responses of the reverberant items ('none' = no reverberant items)")
    parser.add_argument("--seconds", type=float, default=8.0, help="item length (s)")
    parser.add_argument("--level-dbfs", type=float, default=-26.0, help="active speech level of every item")
    parser.add_argument("--max-files", type=int, default=200, help="files per subset folder (evenly spaced)")
    parser.add_argument("--split-hz", type=float, default=6000.0, help="band split of the SDR columns")
    parser.add_argument("--talker", default=DEFAULT_TALKER,
                        help="regex on a file's path whose group 1 names its talker ('' = no talker rows)")
    parser.add_argument("--name", default="passthrough")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not 0.5 <= args.seconds <= 60:
        parser.error(f"--seconds must be in 0.5..60, got {args.seconds:g}")
    if not -60 <= args.level_dbfs <= -3:
        parser.error(f"--level-dbfs must be in -60..-3, got {args.level_dbfs:g}")
    if args.max_files < 1:
        parser.error("--max-files must be >= 1")
    if not 1000 <= args.split_hz <= 20000:
        parser.error(f"--split-hz must be in 1000..20000, got {args.split_hz:g}")
    try:
        talker = re.compile(args.talker) if args.talker else None
    except re.error as exc:
        parser.error(f"--talker: {exc}")
    if talker is not None and talker.groups < 1:
        parser.error("--talker needs a capturing group (the talker's name)")
    labels = check_models(parser, args.model, options=True)
    try:
        items = collect_items(Path(args.data_dir), args.split, args.seconds, args.level_dbfs, args.max_files,
                              None if args.rir_split == "none" else args.rir_split)
    except FileNotFoundError as exc:
        parser.error(str(exc))
    scores = {label: run_model(model, items, args.split_hz, progress=not args.no_progress)
              for label, model in zip(labels, args.model)}
    report = {
        "command": "python benchmarks/passthrough.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "split": args.split,
        "rir_split": args.rir_split,
        "seconds": args.seconds,
        "level_dbfs": args.level_dbfs,
        "split_hz": args.split_hz,
        "models": labels,
        "items": [{k: v for k, v in item.items() if k != "audio"} for item in items],
        "per_item": scores,
        "rows": summarise(items, scores, talker),
    }
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
