"""What the Denoiser's input level normalisation does, per model, on val mixtures and clean speech.

Run from the repository root (needs the ``[eval]`` extra; no torch)::

    python benchmarks/level_normalization.py --model hance-base [--model hance-twin] \
        [--items 203] [--pass-levels=-45,-26,-10] [--long-form=-40:5,-30:5,-25:10,-20:15] \
        [--data-dir ../shared/data] [--name level-normalization]

Why: the models were trained on speech at -40..-10 dBFS active level and take quiet speech partly
for noise (clean val speech at -45 dBFS passes at 9.5 dB SDR, at -26 dBFS at 17.7 dB). With
``Denoiser(level_normalization=True)`` (off by default) a causal level meter moves the estimator's
*features* of quiet input up to the model card's ``analysis_level_dbfs`` (``kernels/level.py``); the
audio path is not scaled. This script measures it against ``level_normalization=False`` on the
same inputs, so that the card's target, and the default, rest on numbers. The 3 s val mixtures are
speech from start to end; the long-form part is what decided the default (off): in long pauses the
meter falls and the model, which also takes loud noise for speech, passes more of the noise.

Noisy: ``--items`` plain val mixtures (``MixtureSource`` val split, seed 0, 3 s, ``augment=false``:
real val noise only), as in ``attenuation_limit.py``; speech-only and noise-only items skipped.
Metrics are ``quality.py``'s ``compute_metrics`` (PESQ-WB and ESTOI at 16 kHz, SI-SDR at 48 kHz).
Rows: mean with normalisation off, and the paired difference on - off (± 95 % CI), overall and by
the clean speech's active level (``signals.active_level_db``), the quantity the normalisation acts on.

Clean: ``passthrough.py``'s val items (``single`` form: each val speech file, 8 s at most) scaled to
each of ``--pass-levels`` dBFS active level; SDR of the output against the input and level change,
off and on. A level-robust denoiser passes clean speech the same at every level.

Long-form: ``LONG_FILES`` val speech files (seeded pick; at most 4 s each) joined with pauses of
0.5-4 s (seeded), about a minute, in each val noise file (looped), for each ``level:snr`` pair of
``--long-form``: speech at that active level, noise RMS at level - snr. Off and on: SI-SDR and
PESQ-WB of the whole file, and the residual noise in the pauses, 10·log10(Σ_pause y² / Σ_pause n²).

Writes ``benchmarks/results/<name>.md`` and ``.json``. Never reads the test split.
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

from _results import snr_bucket_label, write_results  # noqa: E402
from attenuation_limit import _label, check_models  # noqa: E402  (--model checks and report names, shared)
from training_ablation import _mean_ci  # noqa: E402  (the paired-difference CI of the ablation tables)

LEVEL_BUCKETS_DB = ((-100.0, -35.0), (-35.0, -25.0), (-25.0, 100.0))
LONG_FILES = 12
LONG_FILE_SECONDS = 4.0
PAUSE_RANGE_S = (0.5, 4.0)
METRICS = (("pesq_wb", "PESQ-WB", 3), ("estoi", "ESTOI", 3), ("si_sdr", "SI-SDR (dB)", 2))
SR = 48000


def _bucket_label(lo: float, hi: float) -> str:
    return "clean speech " + snr_bucket_label(lo, hi, unit="dBFS")


def _off_and_on(model: str) -> dict:
    """The two Denoisers every part compares: ``{"off": ..., "on": ...}`` (one onnxruntime thread)."""
    from hance_plugin import Denoiser

    return {key: Denoiser(model=model, level_normalization=key == "on", num_threads=1) for key in ("off", "on")}


def _off_on_arrays(rows: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    """``key`` off and on over the rows where both are finite numbers (not None)."""
    pairs = [(r["off"].get(key), r["on"].get(key)) for r in rows]
    pairs = [p for p in pairs if p[0] is not None and p[1] is not None]
    return np.array([p[0] for p in pairs], dtype=float), np.array([p[1] for p in pairs], dtype=float)


def collect_noisy(model: str, data_dir: Path, items: int, progress: bool) -> list[dict]:
    """Per-mixture metrics with normalisation off and on: [{"index", "snr_db", "level_dbfs", "off", "on"}]."""
    from quality import FS, compute_metrics, select_entries

    from hance_plugin.training.mixing import MixConfig, MixtureSource, parse_mix_overrides
    from hance_plugin.training.signals import active_level_db

    source = MixtureSource.from_shared_data(data_dir, split="val", config=MixConfig(**parse_mix_overrides("augment=false")),
                                            seed=0)
    denoisers = _off_and_on(model)
    picks = select_entries(range(len(source)), items)
    if progress:
        from tqdm import tqdm

        picks = tqdm(picks, desc=f"{model} noisy", unit="mix", file=sys.stderr)
    rows = []
    for index in picks:
        m = source[int(index)]
        if not math.isfinite(float(m.snr_db)) or not np.any(m.clean):
            continue
        noisy = np.ascontiguousarray(m.noisy, dtype=np.float32)
        clean = np.asarray(m.clean, dtype=np.float32)
        row = {"index": int(index), "snr_db": float(m.snr_db), "level_dbfs": float(active_level_db(clean))}
        for key, denoiser in denoisers.items():
            out = denoiser.process(noisy[None, :], FS, reset=True)[0]
            row[key] = compute_metrics(clean, out, speech_bandwidth_hz=float(m.bandwidth_hz))
        rows.append(row)
    return rows


def collect_clean(model: str, data_dir: Path, levels_dbfs: list[float], progress: bool) -> list[dict]:
    """Clean val speech at each level through the model, off and on: [{"level", "file", "off": {...}, "on": {...}}]."""
    from passthrough import collect_items, passthrough_metrics

    denoisers = _off_and_on(model)
    rows = []
    for level in levels_dbfs:
        items = [it for it in collect_items(data_dir, "val", 8.0, level, 200, rir_split=None) if it["form"] == "single"]
        if progress:
            from tqdm import tqdm

            items = tqdm(items, desc=f"{model} clean {level:g} dBFS", unit="file", file=sys.stderr)
        for it in items:
            row = {"level_dbfs": level, "file": it["files"][0]}
            for key, denoiser in denoisers.items():
                y = denoiser.process(it["audio"][None, :], SR, reset=True)[0]
                row[key] = passthrough_metrics(it["audio"], y, it["bandwidth_hz"], 6000.0)
            rows.append(row)
    return rows


def long_form_items(data_dir: Path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(speech, active) of the long-form item: val speech files with pauses, at unit scale."""
    from hance_plugin.training.signals import list_audio_files, load_mono_48k

    rng = np.random.default_rng(seed)
    files = list_audio_files(data_dir / "speech" / "val")
    if not files:
        raise FileNotFoundError(f"no val speech under {data_dir}")
    picks = rng.choice(len(files), min(LONG_FILES, len(files)), replace=False)
    parts, active = [], []
    for i in picks:
        x = load_mono_48k(files[int(i)])[: int(LONG_FILE_SECONDS * SR)]
        pause = np.zeros(int(rng.uniform(*PAUSE_RANGE_S) * SR), np.float32)
        parts += [x, pause]
        active += [np.ones(x.size, bool), np.zeros(pause.size, bool)]
    return np.concatenate(parts).astype(np.float32), np.concatenate(active)


def collect_long_form(model: str, data_dir: Path, settings: list[tuple[float, float]], progress: bool) -> list[dict]:
    """Off and on for every val noise and (speech level, SNR): [{"noise", "level_dbfs", "snr_db", "off", "on"}]."""
    if not settings:
        return []
    from quality import compute_metrics

    from hance_plugin.training.signals import active_level_db, list_audio_files, load_mono_48k

    speech, active = long_form_items(data_dir)
    noises = list_audio_files(data_dir / "noise" / "val")
    denoisers = _off_and_on(model)
    jobs = [(f, level, snr) for f in noises for level, snr in settings]
    if progress:
        from tqdm import tqdm

        jobs = tqdm(jobs, desc=f"{model} long-form", unit="file", file=sys.stderr)
    rows = []
    pause = ~active
    for noise_file, level, snr in jobs:
        noise = load_mono_48k(noise_file).astype(np.float64)
        noise = np.tile(noise, int(np.ceil(speech.size / noise.size)))[: speech.size]
        clean = (speech * 10 ** ((level - active_level_db(speech)) / 20)).astype(np.float32)
        noise = noise * 10 ** ((level - snr - 10 * math.log10(np.mean(noise**2) + 1e-30)) / 20)
        noisy = (clean + noise).astype(np.float32)
        row = {"noise": noise_file.name, "level_dbfs": level, "snr_db": snr}
        for key, denoiser in denoisers.items():
            y = denoiser.process(noisy[None, :], SR, reset=True)[0]
            metrics = compute_metrics(clean, y, speech_bandwidth_hz=24000.0)
            residual = 10 * math.log10(np.sum(y[pause].astype(np.float64) ** 2) / np.sum(noise[pause] ** 2))
            row[key] = {"si_sdr": metrics["si_sdr"], "pesq_wb": metrics["pesq_wb"], "pause_residual_db": residual}
        rows.append(row)
    return rows


def summarise(noisy: list[dict], clean: list[dict]) -> dict:
    groups = [("all", lambda r: True)] + [(_bucket_label(lo, hi), lambda r, lo=lo, hi=hi: lo <= r["level_dbfs"] < hi)
                                         for lo, hi in LEVEL_BUCKETS_DB]
    noisy_rows = []
    for label, keep in groups:
        sel = [r for r in noisy if keep(r)]
        if len(sel) < 2:
            continue
        row = {"group": label, "n": len(sel)}
        for key, _, _ in METRICS:
            off, on = _off_on_arrays(sel, key)
            row[key] = {"off": float(off.mean()), "delta": _mean_ci(on - off)}
        noisy_rows.append(row)
    clean_rows = []
    for level in sorted({r["level_dbfs"] for r in clean}):
        sel = [r for r in clean if r["level_dbfs"] == level]
        row = {"level_dbfs": level, "n": len(sel)}
        for key in ("sdr_db", "gain_db"):
            off, on = _off_on_arrays(sel, key)
            row[key] = {"off": float(off.mean()), "on": float(on.mean()), "delta": _mean_ci(on - off)}
        clean_rows.append(row)
    return {"noisy": noisy_rows, "clean": clean_rows}


def _num(value, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _markdown(report: dict) -> str:
    lines = [
        "# Input level normalisation (benchmarks/level_normalization.py)",
        "",
        f"- command: `{report['command']}`",
        f"- date: {report['date']}",
        "- each input through `Denoiser(model, level_normalization=False/True, num_threads=1).process(x, 48000, "
        "reset=True)`; Δ = on − off, paired per item, ± 95 % CI",
        f"- noisy: {report['items']} plain val mixtures (seed 0, 3 s, real val noise only), grouped by the clean "
        "speech's active level",
        "- clean: val speech files (`passthrough.py`'s single form, ≤ 8 s) scaled to each active level; SDR of the "
        "output against the input (identity is the target) and level change (output / input energy)",
    ]
    for model, summary in report["models"].items():
        lines += ["", f"## {model} (card analysis_level_dbfs: {report['targets'][model]})", "",
                  "| noisy val group | n | " + " | ".join(f"{label} off | Δ {label}" for _, label, _ in METRICS) + " |",
                  "|---|---:|" + "---:|---:|" * len(METRICS)]
        for row in summary["noisy"]:
            cells = []
            for key, _, digits in METRICS:
                d = row[key]["delta"]
                cells += [f"{row[key]['off']:.{digits}f}", f"{d['mean']:+.{digits}f} ± {d['ci95']:.{digits}f}"]
            lines.append(f"| {row['group']} | {row['n']} | " + " | ".join(cells) + " |")
        lines += ["", "| clean speech level | files | SDR off (dB) | SDR on (dB) | Δ SDR | level change off | "
                  "level change on |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for row in summary["clean"]:
            d = row["sdr_db"]["delta"]
            lines.append(f"| {row['level_dbfs']:g} dBFS | {row['n']} | {row['sdr_db']['off']:.1f} | {row['sdr_db']['on']:.1f} "
                         f"| {d['mean']:+.2f} ± {d['ci95']:.2f} | {row['gain_db']['off']:+.2f} | {row['gain_db']['on']:+.2f} |")
        long_rows = report["per_item"][model].get("long_form", [])
        if long_rows:
            lines += ["", f"Long-form ({LONG_FILES} val speech files with 0.5–4 s pauses, about a minute, one item per "
                      "row, so no interval): off → on", "",
                      "| val noise | speech level | SNR | SI-SDR (dB) | PESQ-WB | noise left in pauses (dB) |",
                      "|---|---:|---:|---:|---:|---:|"]
            for r in long_rows:
                lines.append(f"| {r['noise']} | {r['level_dbfs']:g} dBFS | {r['snr_db']:g} dB "
                             f"| {r['off']['si_sdr']:.2f} → {r['on']['si_sdr']:.2f} "
                             f"| {_num(r['off']['pesq_wb'], 3)} → {_num(r['on']['pesq_wb'], 3)} "
                             f"| {r['off']['pause_residual_db']:.1f} → {r['on']['pause_residual_db']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, help="bundled model name or .onnx path (repeatable)")
    parser.add_argument("--items", type=int, default=203, help="plain val mixtures")
    parser.add_argument("--pass-levels", default="-45,-26,-10", help="clean speech levels in dBFS (comma-separated)")
    parser.add_argument("--long-form", default="-40:5,-30:5,-25:10,-20:15",
                        help="speech level dBFS : SNR dB pairs of the long-form items (comma-separated; '' = none)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--name", default="level-normalization")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    check_models(parser, args.model)
    if args.items < 2:
        parser.error(f"--items must be at least 2, got {args.items}")
    try:
        levels = [float(v) for v in args.pass_levels.split(",") if v.strip()] if args.pass_levels.strip() else []
    except ValueError:
        parser.error(f"--pass-levels must be comma-separated numbers in dBFS, got {args.pass_levels!r}")
    if any(not -60 <= v <= -3 for v in levels):
        parser.error(f"--pass-levels must be in -60..-3 dBFS, got {args.pass_levels!r}")
    try:
        long_form = [tuple(float(v) for v in pair.split(":")) for pair in args.long_form.split(",") if pair.strip()]
    except ValueError:
        long_form = [()]
    if any(len(p) != 2 or not -60 <= p[0] <= -3 for p in long_form):
        parser.error(f"--long-form must be LEVEL:SNR pairs with levels in -60..-3 dBFS, got {args.long_form!r}")
    from hance_plugin import Denoiser

    data_dir = Path(args.data_dir)
    report = {"command": "python benchmarks/level_normalization.py " + shlex.join(argv if argv is not None else sys.argv[1:]),
              "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "items": args.items,
              "models": {}, "targets": {}, "per_item": {}}
    for model in args.model:
        label = _label(model)
        report["targets"][label] = Denoiser(model).card.analysis_level_dbfs
        noisy = collect_noisy(model, data_dir, args.items, not args.no_progress)
        clean = collect_clean(model, data_dir, levels, not args.no_progress)
        report["models"][label] = summarise(noisy, clean)
        report["per_item"][label] = {"noisy": noisy, "clean": clean,
                                     "long_form": collect_long_form(model, data_dir, long_form, not args.no_progress)}
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
