"""The ``hance-plugin`` command line.

    hance-plugin process IN OUT [--model NAME|PATH] [--attenuation-limit-db X] [--mix X] [--quiet]
    hance-plugin models list

Exit codes: 0 success, 1 processing failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hance-plugin", description="Phase-aware neural speech denoiser.")
    sub = parser.add_subparsers(dest="command", required=True)
    proc = sub.add_parser("process", help="denoise one audio file")
    proc.add_argument("input", type=Path)
    proc.add_argument("output", type=Path)
    proc.add_argument("--model", default="default", help="bundled model name or path to an .onnx file")
    proc.add_argument("--attenuation-limit-db", type=float, default=100.0, help="max attenuation in dB (100 = unlimited)")
    proc.add_argument("--mix", type=float, default=1.0, help="dry/wet mix in [0, 1]")
    proc.add_argument("--quiet", action="store_true", help="no progress bar")
    models = sub.add_parser("models", help="bundled models")
    models.add_argument("action", choices=["list"])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .card import list_models, resolve_model

    if args.command == "models":
        for name in list_models():
            card = resolve_model(name)
            print(f"{name}\t{card.description}")
        return 0
    from .denoiser import Denoiser
    from .fileio import denoise_file

    try:
        denoiser = Denoiser(args.model, attenuation_limit_db=args.attenuation_limit_db, mix=args.mix)
    except (TypeError, ValueError, FileNotFoundError) as exc:
        print(f"hance-plugin: {exc}", file=sys.stderr)
        return 2
    if not args.input.is_file():
        print(f"hance-plugin: input file not found: {args.input}", file=sys.stderr)
        return 2
    try:
        out = denoise_file(denoiser, args.input, args.output, progress=not args.quiet)
    except Exception as exc:  # report any failure on this file with its name
        print(f"hance-plugin: failed to process {args.input}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
