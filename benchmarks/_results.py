"""Shared output step of the benchmark scripts: print the Markdown table, write ``<name>.md`` and
``<name>.json`` into the results folder (created if missing)."""

from __future__ import annotations

import json
from pathlib import Path


def write_results(out_dir: str | Path, name: str, markdown: str, report: dict) -> None:
    print(markdown)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(markdown)
    (out / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")
