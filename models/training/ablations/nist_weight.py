"""Print the draw weight of the NIST fullband talkers that keeps their share of the train speech seconds
in DATA at BASE's share (default ../data-voices5, the shipped stage's data), for
``--speech-weights 'nist_mrt_fullband/*=W'``.

Speech is drawn per second, so with N seconds of NIST speech and O of other speech the share is
W·N / (W·N + O); holding it at BASE's p gives W = p / (1 − p) · O / N. Experiments that add talkers use it
so that the new voices replace draws of the other band-limited speech, not of the fullband talkers.

    .venv/bin/python models/training/ablations/nist_weight.py DATA [BASE]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def seconds(folder: str | Path) -> tuple[float, float]:
    """(NIST seconds, all seconds) of the train speech in ``folder``'s MANIFEST.csv."""
    nist = total = 0.0
    with (Path(folder) / "MANIFEST.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "speech" and row["split"] == "train":
                total += float(row["seconds"])
                nist += float(row["seconds"]) * row["subset"].startswith("nist_mrt_fullband")
    return nist, total


def weight(data: str | Path, base: str | Path = "../data-voices5") -> float:
    base_nist, base_total = seconds(base)
    nist, total = seconds(data)
    p = base_nist / base_total
    return p / (1 - p) * (total - nist) / nist


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    print(f"{weight(*sys.argv[1:]):.4f}")
