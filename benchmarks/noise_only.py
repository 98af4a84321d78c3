"""Noise-only input: how deep each model attenuates pure noise, below and above the mask split.

Run from the repository root (``[eval]`` extra for the data helpers; no torch)::

    python benchmarks/noise_only.py --model hance-base --model hance-twin [--model runs/m/x.onnx] \
        [--split val] [--seconds 10] [--level-dbfs -30] [--skip-seconds 2] [--data-dir ../shared/data]

Why: a denoiser must suppress pure noise (the issue's noise-only training items exist for that),
and how far it can is a property of the mask: the phase-aware model's complex mask is two linear
outputs per bin, so a bin is off only where both land on exactly 0, while the twin's softplus
magnitude mask reaches 0 by saturating one output. Residual noise between words is what DNSMOS
BAK hears.

Items: every noise file of ``noise/<split>/`` (first ``--seconds``) and two synthetic noises
(white, and brown: integrated white with its 10 ms moving average removed), each scaled to
``--level-dbfs`` RMS. Each goes through ``Denoiser(model, num_threads=1).process(x, 48000)`` (the
product path, time-aligned; ``--level-normalization`` turns the Denoiser's level normalisation
on); the first ``--skip-seconds`` are left out (the recurrent state
settles). Power spectra of input and output with the engine's own STFT (``hance_plugin.stft``).
Metrics per item: attenuation = 10·log10(Σ|Y|² / Σ|X|²) over bins 1 … split−1 (``< split``, the
complex-mask region) and split … Nyquist (``> split``, the band gains), and the median and 10th
percentile over all (frame, bin) cells below the split of 10·log10(|Y|² / |X|²) (cells with input
power above −120 dB re full scale). More negative = deeper suppression. Writes
``benchmarks/results/<name>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import shlex
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402
from attenuation_limit import _label, check_models  # noqa: E402

SR = 48000
CELL_FLOOR_DB = -120.0


def synthetic_noises(n_samples: int, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n_samples)
    brown = np.cumsum(rng.standard_normal(n_samples))
    brown -= np.convolve(brown, np.ones(480) / 480, mode="same")
    return [("synthetic/white", white.astype(np.float32)), ("synthetic/brown", brown.astype(np.float32))]


def collect_noises(data_dir: Path, split: str, seconds: float, level_dbfs: float) -> list[tuple[str, np.ndarray]]:
    """(name, noise at ``level_dbfs`` RMS) for every file of ``noise/<split>/`` plus the synthetic ones."""
    from hance_plugin.training.signals import list_audio_files, load_mono_48k

    n = int(round(seconds * SR))
    root = data_dir / "noise" / split
    items = [(f.relative_to(root).as_posix(), load_mono_48k(f)[:n]) for f in (list_audio_files(root) if root.is_dir() else [])]
    items += synthetic_noises(n)
    out = []
    for name, x in items:
        rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        if rms > 0:
            out.append((name, (x * (10 ** (level_dbfs / 20) / rms)).astype(np.float32)))
    return out


def attenuation(x: np.ndarray, y: np.ndarray, skip_frames: int) -> dict[str, float]:
    """The metrics of the module docstring for input ``x`` and output ``y`` (1-D, same length)."""
    from hance_plugin.config import StftConfig
    from hance_plugin.stft import stft

    cfg = StftConfig()
    px = np.abs(stft(x[None], cfg)[0, skip_frames:]) ** 2
    py = np.abs(stft(y[None], cfg)[0, skip_frames:]) ** 2
    low, high = slice(1, cfg.split_bin), slice(cfg.split_bin, None)

    def ratio_db(s: slice) -> float:
        return float(10 * np.log10(max(py[:, s].sum(), 1e-30) / max(px[:, s].sum(), 1e-30)))

    cells_x, cells_y = px[:, low], py[:, low]
    keep = cells_x > 10 ** (CELL_FLOOR_DB / 10)
    cell_db = 10 * np.log10(np.maximum(cells_y[keep], 1e-30) / cells_x[keep])
    return {
        "atten_low_db": ratio_db(low),
        "atten_high_db": ratio_db(high),
        "cell_median_low_db": float(np.median(cell_db)) if cell_db.size else float("nan"),
        "cell_p10_low_db": float(np.percentile(cell_db, 10)) if cell_db.size else float("nan"),
    }


def _markdown(report: dict) -> str:
    cfg = report["config"]
    lines = [
        "# Noise-only attenuation (benchmarks/noise_only.py)",
        "",
        f"- command: `{cfg['command']}` (from the repository root)",
        f"- {cfg['date']}; noise from `noise/{cfg['split']}/` plus synthetic white and brown, first "
        f"{cfg['seconds']:g} s at {cfg['level_dbfs']:g} dBFS RMS, first {cfg['skip_seconds']:g} s not scored; "
        f"split bin {cfg['split_bin']}",
        "- attenuation = output / input energy below and above the split; cells = (frame, bin) ratios below "
        "the split (median, 10th percentile); more negative = deeper suppression",
        "",
        "| noise | model | < split (dB) | > split (dB) | cells < split, median (dB) | cells < split, 10th pct (dB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['noise']} | {row['model']} | {row['atten_low_db']:.1f} | {row['atten_high_db']:.1f} | "
            f"{row['cell_median_low_db']:.1f} | {row['cell_p10_low_db']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="bundled model name or path to an .onnx with its card (repeatable)")
    parser.add_argument("--split", default="val", help="noise split (val for choices; test only to report)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--level-dbfs", type=float, default=-30.0)
    parser.add_argument("--skip-seconds", type=float, default=2.0)
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--name", default="noise-only")
    parser.add_argument("--level-normalization", action="store_true",
                        help="Denoiser(level_normalization=True): quiet input analysed at the card's level")
    args = parser.parse_args(argv)
    if not 0 <= args.skip_seconds < args.seconds:
        parser.error("--skip-seconds must be >= 0 and below --seconds")
    labels = check_models(parser, args.model)

    from hance_plugin import Denoiser
    from hance_plugin.config import StftConfig

    cfg = StftConfig()
    noises = collect_noises(Path(args.data_dir), args.split, args.seconds, args.level_dbfs)
    skip_frames = int(round(args.skip_seconds * SR / cfg.hop_samples))
    rows = []
    for name, x in noises:
        for model, label in zip(args.model, labels):
            y = Denoiser(model=model, num_threads=1, level_normalization=args.level_normalization).process(x, SR)
            rows.append({"noise": name, "model": label, **attenuation(x, y, skip_frames)})
    report = {
        "config": {
            "command": "python benchmarks/noise_only.py " + " ".join(shlex.quote(a) for a in argv),
            "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "split": args.split, "seconds": args.seconds, "level_dbfs": args.level_dbfs,
            "skip_seconds": args.skip_seconds, "split_bin": cfg.split_bin, "models": labels,
            "level_normalization": args.level_normalization,
        },
        "rows": rows,
    }
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
