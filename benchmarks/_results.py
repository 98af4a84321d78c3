"""Shared output step of the benchmark scripts: print the Markdown table, write ``<name>.md`` and
``<name>.json`` into the results folder (created if missing), and label input-SNR buckets alike."""

from __future__ import annotations

import json
from pathlib import Path


def write_results(out_dir: str | Path, name: str, markdown: str, report: dict) -> None:
    print(markdown)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(markdown)
    (out / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")


def snr_bucket_label(lo_db: float, hi_db: float, unit: str = "dB") -> str:
    """Row label of an input-SNR (or other dB-valued) bucket [lo, hi); +-100 stand for open ends."""
    if lo_db <= -100:
        return f"< {hi_db:g} {unit}"
    if hi_db >= 100:
        return f">= {lo_db:g} {unit}"
    return f"{lo_db:g}..{hi_db:g} {unit}"
