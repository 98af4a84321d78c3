"""Noise floor of the "clean" training speech, per folder (train split only; numpy, no torch).

Why: the training target is the clean clip as recorded. A clip with a noise floor 20-30 dB below
its loudest frame teaches the model to keep that noise, while the same kind of noise in the noise
track must be removed: contradictory targets. DNS-Challenge practice is to filter the clean corpus
by quality (Reddy et al., Interspeech 2020, "The INTERSPEECH 2020 Deep Noise Suppression
Challenge"); this script measures the floor so that such a filter can be set before training.

Measure, per file (48 kHz mono, ``signals.load_mono_48k``): floor_db = 5th percentile of the
10 ms frame energies (``signals.frame_energies``) minus their maximum, in dB. A clip with pauses
and a quiet background reads -40 dB or lower; a clip with a floor 25 dB below its peak reads about
-25 dB. A clip trimmed to its word with no pause also reads high (no quiet frame to measure), so
the decision is per folder (one recording set-up per language pack): the folder's median floor.

Usage, from the repository root:
    python models/training/ablations/clean-targets/floors.py [--data-dir ../shared/data] [--above-db -30]
Prints the table (folder, files, median floor, share of files above the threshold) and the
``--holdout-speech`` patterns of the folders whose median is above ``--above-db``.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))

from hance_plugin.training.signals import AUDIO_SUFFIXES, frame_energies, load_mono_48k  # noqa: E402


def floor_db(x: np.ndarray) -> float:
    """5th percentile minus maximum of the 10 ms frame energies, dB (see the module docstring)."""
    e = 10.0 * np.log10(frame_energies(x) + 1e-12)
    return float(np.percentile(e, 5) - e.max())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/data")
    p.add_argument("--above-db", type=float, default=-30.0)
    args = p.parse_args(argv)
    root = Path(args.data_dir) / "speech" / "train"
    by_folder: dict[str, list[float]] = defaultdict(list)
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        x = load_mono_48k(path)
        if x.shape[0] < 4800:  # under 0.1 s: no percentile to speak of
            continue
        by_folder[str(path.parent.relative_to(root))].append(floor_db(x))
    print(f"| folder | files | median floor (dB) | files above {args.above_db:g} dB |")
    print("|---|---:|---:|---:|")
    chosen = []
    for folder, values in sorted(by_folder.items()):
        v = np.array(values)
        med = float(np.median(v))
        print(f"| {folder} | {len(v)} | {med:.1f} | {np.mean(v > args.above_db):.0%} |")
        if med > args.above_db:
            chosen.append(f"{folder}/*")
    print()
    print("--holdout-speech " + ",".join(chosen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
