"""Pass-through SDR of the running clean val speech items by position in the item (2 s windows).

The floor release failed its running-speech pass-through criterion (../floor-release/); this
diagnostic asks whether the loss grows with time into an item, as a noise floor that creeps up
through continuous speech (kernels/floor.py: it rises 5 dB/s while the smoothed band energy has no
dip) would make it. Items are ``benchmarks/passthrough.py``'s (``collect_items``: val, 8 s, -26 dBFS,
<= 200 files per folder); each model runs through the product ``Denoiser`` (one thread). For every
window: SDR = 10 log10(sum x^2 / sum (x - y)^2) of the output y against the input x; then the
per-item paired difference of each model against the first, mean +- 1.96 standard errors.

    .venv/bin/python models/training/ablations/running-floor/windows.py MODEL [MODEL ...] [--json PATH]

The first model is the reference (e.g. ``hance-base``). Report only: no rule uses it as a criterion.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))
from passthrough import SR, collect_items  # noqa: E402

WINDOW_S = 2.0
SECONDS = 8.0


def window_sdr_db(x: np.ndarray, y: np.ndarray, n_windows: int, window: int) -> list[float | None]:
    out = []
    for k in range(n_windows):
        a = x[k * window : (k + 1) * window].astype(np.float64)
        b = y[k * window : (k + 1) * window].astype(np.float64)
        ref = float(np.sum(a**2))
        out.append(10 * math.log10(ref / max(float(np.sum((a - b) ** 2)), 1e-30)) if a.size >= window // 2 and ref > 0 else None)
    return out


def main(argv: list[str] | None = None) -> int:
    from hance_plugin import Denoiser

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model names or .onnx paths; the first is the reference")
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--json", type=Path, help="write the table here too")
    args = parser.parse_args(argv)
    items = [it for it in collect_items(args.data_dir, "val", SECONDS, -26.0, 200) if it["form"] == "running"]
    window, n_windows = int(WINDOW_S * SR), int(SECONDS / WINDOW_S)
    scores = {}
    for model in args.models:
        denoiser = Denoiser(model=model, num_threads=1)
        scores[model] = np.array([[np.nan if v is None else v for v in window_sdr_db(
            it["audio"], denoiser.process(it["audio"][None], SR, reset=True)[0], n_windows, window)] for it in items])
    ref = args.models[0]
    rows = []
    print(f"running val items: {len(items)}; SDR (dB) by window, and paired difference against {ref}")
    for model in args.models:
        for k in range(n_windows):
            col = scores[model][:, k]
            row = {"model": model, "window_s": [k * WINDOW_S, (k + 1) * WINDOW_S], "n": int(np.isfinite(col).sum()),
                   "sdr_db": float(np.nanmean(col))}
            if model != ref:
                diff = col - scores[ref][:, k]
                diff = diff[np.isfinite(diff)]
                row["delta_db"] = float(diff.mean())
                row["ci95_db"] = float(1.96 * diff.std(ddof=1) / math.sqrt(diff.size))
            rows.append(row)
            delta = f"  {row['delta_db']:+.2f} +- {row['ci95_db']:.2f}" if "delta_db" in row else ""
            print(f"{model:45s} {k * WINDOW_S:3.0f}-{(k + 1) * WINDOW_S:.0f} s  n={row['n']:3d}  {row['sdr_db']:6.2f}{delta}")
    if args.json:
        args.json.write_text(json.dumps({"items": len(items), "reference": ref, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
