"""The ``hance-plugin`` command line.

    hance-plugin process IN OUT [--preset NAME|FILE] [--model NAME|PATH] [--attenuation-limit-db X]
                                [--post-filter-beta X] [--pause-post-filter-beta X] [--level-normalization]
                                [--speech-guard-db DB|off] [--mix X]
    hance-plugin batch IN_DIR OUT_DIR --preset NAME|FILE [--jobs N] [--recursive] [--format FMT]
                       [--dask-scheduler ADDRESS | --dask-local-workers N] [--allow-nested-output]
    hance-plugin presets list | show NAME | validate FILE
    hance-plugin models list
    hance-plugin info FILE...

Every command takes ``--quiet`` (no progress bars, no messages) and ``--json`` (one JSON document
on stdout, nothing else there; implies no progress bars).

Exit codes: 0 all done, 1 some files failed (listed on stderr, and in the JSON with ``--json``) or
stdout was closed early (``| head``) or ``presets validate`` found the file invalid, 2 usage error
(bad arguments, missing input, an invalid preset given to ``process`` or ``batch``), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or messages")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout (for scripts)")


def _speech_guard_arg(text: str) -> float | str:
    """``--speech-guard-db``: a number of dB, or ``off``."""
    from .batch import SPEECH_GUARD_OFF

    if text.strip().lower() == SPEECH_GUARD_OFF:
        return SPEECH_GUARD_OFF
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of dB or {SPEECH_GUARD_OFF!r}, got {text!r}") from None


def _denoiser_overrides(parser: argparse.ArgumentParser, with_mix: bool = True) -> None:
    parser.add_argument("--model", default=None, help="bundled model name or path to an .onnx file (default: the preset's, else 'default')")
    parser.add_argument(
        "--attenuation-limit-db", type=float, default=None,
        help="max attenuation in dB, 0-100 (100 = unlimited; default: the preset's, else 100)",
    )
    parser.add_argument(
        "--post-filter-beta", type=float, default=None,
        help="post-filter strength in [0, 1], less residual noise (0 = off; default: the preset's, else the Denoiser's)",
    )
    parser.add_argument(
        "--pause-post-filter-beta", type=float, default=None,
        help="extra post-filter strength in [0, 1] between words only, less residual noise in pauses "
        "(0 = off; default: the preset's, else the Denoiser's)",
    )
    parser.add_argument(
        "--level-normalization", action="store_true",
        help="let the model analyse quiet input as if it were louder (for quiet, continuously spoken recordings; "
        "default: the preset's, else off)",
    )
    parser.add_argument(
        "--speech-guard-db", type=_speech_guard_arg, default=None, metavar="DB|off",
        help="for clean recordings (noise 15 dB or more under the voice): bands more than DB above the tracked "
        "noise floor are not removed (35 is the measured setting; 'off' turns a preset's guard off; "
        "default: the preset's, else off)",
    )
    parser.add_argument(
        "--no-lead-in-restart", dest="lead_in", action="store_false",
        help="keep the noise floor that a quiet lead-in (dither, hum, a fade-in) leaves behind; by default the "
        "Denoiser's noise floor starts after it",
    )
    if with_mix:
        parser.add_argument("--mix", type=float, default=None, help="dry/wet mix in [0, 1] (default: the preset's, else 1)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hance-plugin",
        description="Phase-aware neural speech denoiser: process files through presets (denoise, dynamics, loudness).",
        epilog="Exit codes: 0 all done, 1 some files failed, 2 usage error.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    proc = sub.add_parser("process", help="process one audio file (WAV, FLAC, OGG, MP3)")
    proc.add_argument("input", type=Path)
    proc.add_argument("output", type=Path, help="output file; its suffix sets the format (.wav .flac .ogg .mp3 .aiff)")
    proc.add_argument("--preset", default=None, help="preset name or .toml file (default: the Denoiser alone)")
    _denoiser_overrides(proc)
    _common(proc)

    batch = sub.add_parser("batch", help="process every audio file of a folder (resumable, parallel)")
    batch.add_argument("in_dir", type=Path)
    batch.add_argument("out_dir", type=Path)
    batch.add_argument("--preset", required=True, help="preset name or .toml file")
    batch.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    batch.add_argument("--recursive", "-r", action="store_true", help="include sub-folders (mirrored in OUT_DIR)")
    batch.add_argument("--format", choices=["wav", "flac", "ogg", "mp3", "aiff"], default=None,
                       help="output format (default: the preset's, else each input's)")
    dask = batch.add_mutually_exclusive_group()
    dask.add_argument("--dask-scheduler", metavar="ADDRESS", default=None,
                      help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786); paths must be shared")
    dask.add_argument("--dask-local-workers", metavar="N", type=int, default=None,
                      help="start a local Dask cluster with N worker processes for this run")
    batch.add_argument("--allow-nested-output", action="store_true", help="allow OUT_DIR inside IN_DIR")
    _denoiser_overrides(batch, with_mix=False)
    _common(batch)

    presets = sub.add_parser("presets", help="list, show or validate presets")
    presets_sub = presets.add_subparsers(dest="action", required=True)
    p_list = presets_sub.add_parser("list", help="bundled and user presets")
    _common(p_list)
    p_show = presets_sub.add_parser("show", help="print a preset file")
    p_show.add_argument("name")
    _common(p_show)
    p_validate = presets_sub.add_parser("validate", help="check a preset file (exit 1 if invalid)")
    p_validate.add_argument("file", type=Path)
    _common(p_validate)

    models = sub.add_parser("models", help="bundled models")
    models.add_argument("action", choices=["list"])
    _common(models)

    info = sub.add_parser("info", help="rate, channels, duration, loudness and peaks of audio files")
    info.add_argument("files", type=Path, nargs="+")
    _common(info)
    return parser


def _error(message: str) -> None:
    print(f"hance-plugin: {message}", file=sys.stderr)


def _emit_json(data) -> None:
    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    print(json.dumps(clean(data), indent=2))


def _db(value, unit: str) -> str:
    return "-inf " + unit if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.1f} {unit}"


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        code = {
            "process": _cmd_process, "batch": _cmd_batch, "presets": _cmd_presets, "models": _cmd_models, "info": _cmd_info,
        }[args.command](args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``hance-plugin models list | head -1``): stop quietly, as the Python
        # docs recommend (docs.python.org/3/library/signal.html#note-on-sigpipe): point stdout at
        # devnull so the interpreter's final flush does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


# ------------------------------------------------------------------------------------ commands
def _cmd_models(args) -> int:
    from .card import list_models, resolve_model

    rows = [{"name": name, "description": resolve_model(name).description} for name in list_models()]
    if args.json:
        _emit_json(rows)
    elif not args.quiet:
        for row in rows:
            print(f"{row['name']}\t{row['description']}")
    return EXIT_OK


def _cmd_presets(args) -> int:
    from .presets import PresetError, find_preset, list_presets, load_preset, preset_to_dict

    if args.action == "list":
        rows = [{"name": p.name, "origin": p.origin, "path": str(p.path), "description": p.description} for p in list_presets()]
        if args.json:
            _emit_json(rows)
        elif not args.quiet:
            width = max((len(r["name"]) for r in rows), default=4)
            for row in rows:
                origin = "" if row["origin"] == "bundled" else f" [{row['origin']}: {row['path']}]"
                print(f"{row['name']:<{width}}  {row['description']}{origin}")
        return EXIT_OK
    if args.action == "show":
        try:
            path = find_preset(args.name)
            chain = load_preset(path)
        except PresetError as exc:
            _error(str(exc))
            return EXIT_USAGE
        if args.json:
            _emit_json({"path": str(path), "preset": preset_to_dict(chain)})
        else:
            print(f"# {path}")
            print(path.read_text(encoding="utf-8"), end="")
        return EXIT_OK
    # validate
    if not args.file.is_file():
        _error(f"preset file not found: {args.file}")
        return EXIT_USAGE
    try:
        chain = load_preset(args.file)
    except PresetError as exc:
        if args.json:
            _emit_json({"file": str(args.file), "valid": False, "error": str(exc)})
        else:
            _error(str(exc))
        return EXIT_FAILED
    stages = [type(p).__name__ for p in chain]
    if args.json:
        _emit_json({"file": str(args.file), "valid": True, "name": chain.name, "stages": stages, "output": chain.output.as_dict()})
    elif not args.quiet:
        print(f"{args.file}: OK: {chain.name or args.file.stem}: {' -> '.join(stages) or '(empty chain)'}")
    return EXIT_OK


def _cmd_info(args) -> int:
    from .audio_files import AudioFileError
    from .fileio import file_info

    results, failed = [], 0
    for path in args.files:
        try:
            info = file_info(path)
        except (AudioFileError, OSError) as exc:
            failed += 1
            results.append({"path": str(path), "error": str(exc)})
            if not args.json:
                _error(str(exc))
            continue
        results.append(info)
        if args.json or args.quiet:
            continue
        minutes, seconds = divmod(info["duration_s"], 60.0)
        hours, minutes = divmod(int(minutes), 60)
        print(f"{info['path']}")
        print(f"  format       {info['format'].upper()} {info['subtype']}")
        print(f"  sample rate  {info['sample_rate']} Hz")
        print(f"  channels     {info['num_channels']}")
        print(f"  duration     {hours}:{minutes:02d}:{seconds:06.3f} ({info['num_frames']} frames)")
        print(f"  loudness     {_db(info['integrated_lufs'], 'LUFS')} integrated (ITU-R BS.1770-4)")
        print(f"  true peak    {_db(info['true_peak_dbtp'], 'dBTP')}")
        print(f"  sample peak  {_db(info['sample_peak_dbfs'], 'dBFS')}")
    if args.json:
        _emit_json(results)  # always a list, one entry per FILE in order, so scripts need no special case
    return EXIT_FAILED if failed else EXIT_OK


def _load_chain(preset, model, attenuation_limit_db, mix, post_filter_beta=None, level_normalization=None,
                pause_post_filter_beta=None, speech_guard_db=None):
    """The chain for ``process``: a preset with overrides, or a lone Denoiser. Raises PresetError."""
    from .batch import SPEECH_GUARD_OFF, apply_overrides
    from .denoiser import DEFAULT_PAUSE_POST_FILTER_BETA, DEFAULT_POST_FILTER_BETA, Denoiser
    from .presets import PresetChain, PresetError, load_preset

    if preset is None:
        try:
            denoiser = Denoiser(
                model or "default",
                attenuation_limit_db=100.0 if attenuation_limit_db is None else attenuation_limit_db,
                mix=1.0 if mix is None else mix,
                post_filter_beta=DEFAULT_POST_FILTER_BETA if post_filter_beta is None else post_filter_beta,
                level_normalization=False if level_normalization is None else level_normalization,
                pause_post_filter_beta=(DEFAULT_PAUSE_POST_FILTER_BETA if pause_post_filter_beta is None
                                        else pause_post_filter_beta),
                speech_guard_db=None if speech_guard_db in (None, SPEECH_GUARD_OFF) else speech_guard_db,
            )
        except (TypeError, ValueError, FileNotFoundError) as exc:
            raise PresetError(str(exc)) from None
        return PresetChain([denoiser], name="denoiser")
    chain = load_preset(preset)
    chain = apply_overrides(chain, model=model, attenuation_limit_db=attenuation_limit_db, post_filter_beta=post_filter_beta,
                            level_normalization=level_normalization, pause_post_filter_beta=pause_post_filter_beta,
                            speech_guard_db=speech_guard_db)
    if mix is not None:
        from .denoiser import Denoiser as _D

        for plugin in chain:
            if isinstance(plugin, _D):
                try:
                    plugin.mix = mix
                except (TypeError, ValueError) as exc:
                    raise PresetError(f"--mix: {exc}") from None
    return chain


def _cmd_process(args) -> int:
    from .audio_files import AudioFileError, format_for_path
    from .fileio import process_file
    from .presets import PresetError

    try:
        chain = _load_chain(args.preset, args.model, args.attenuation_limit_db, args.mix, args.post_filter_beta,
                            True if args.level_normalization else None, args.pause_post_filter_beta,
                            args.speech_guard_db)
    except PresetError as exc:
        _error(str(exc))
        return EXIT_USAGE
    if not args.input.is_file():
        _error(f"input file not found: {args.input}")
        return EXIT_USAGE
    try:
        format_for_path(args.output)
    except AudioFileError as exc:
        _error(str(exc))
        return EXIT_USAGE
    if args.output.exists() and os.path.samefile(args.output, args.input):
        _error(f"refusing to overwrite the input file {args.input}")
        return EXIT_USAGE
    show = not (args.quiet or args.json)
    try:
        result = process_file(chain, args.input, args.output, progress=show, lead_in=args.lead_in)
    except Exception as exc:  # report any failure on this file with its name
        if args.json:
            _emit_json({"ok": False, "input": str(args.input), "error": f"{type(exc).__name__}: {exc}"})
        _error(f"failed to process {args.input}: {exc}")
        return EXIT_FAILED
    if args.json:
        _emit_json({"ok": True, **result})
    elif show:
        stats = result["output_stats"]
        print(
            f"wrote {result['output']} ({result['duration_s']:.1f} s, {result['sample_rate']} Hz, "
            f"{result['subtype']}; {_db(stats['integrated_lufs'], 'LUFS')}, "
            f"true peak {_db(stats['true_peak_dbtp'], 'dBTP')}) in {result['seconds']:.1f} s"
        )
        lead = result.get("quiet_lead_in")
        if lead:
            print(f"quiet lead-in: the first {lead['end_s']:.2f} s (at most {lead['lead_dbfs']:.0f} dBFS, the recording's "
                  f"floor after it {lead['after_floor_dbfs']:.0f} dBFS); the noise floor starts after it "
                  "(--no-lead-in-restart: keep it)")
        if result.get("clipped_samples"):
            print(f"warning: {result['clipped_samples']} samples clipped at full scale", file=sys.stderr)
    return EXIT_OK


def _cmd_batch(args) -> int:
    from .batch import BatchOptions, BatchUsageError, run_batch

    options = BatchOptions(
        in_dir=args.in_dir, out_dir=args.out_dir, preset=args.preset, jobs=args.jobs, recursive=args.recursive,
        format=args.format, allow_nested_output=args.allow_nested_output, dask_scheduler=args.dask_scheduler,
        dask_local_workers=args.dask_local_workers, model=args.model, attenuation_limit_db=args.attenuation_limit_db,
        post_filter_beta=args.post_filter_beta, pause_post_filter_beta=args.pause_post_filter_beta,
        level_normalization=True if args.level_normalization else None, speech_guard_db=args.speech_guard_db,
        progress=not (args.quiet or args.json), lead_in=args.lead_in,
    )
    try:
        report = run_batch(options)
    except BatchUsageError as exc:
        if args.json:
            _emit_json({"ok": False, "error": str(exc)})
        _error(str(exc))
        return EXIT_USAGE
    if args.json:
        _emit_json(report.as_dict())
    elif not args.quiet:
        counts = report.as_dict()["counts"]
        print(
            f"{counts['processed']} processed, {counts['skipped']} already done, {counts['failed']} failed, "
            f"{counts['ignored']} ignored (not audio) in {report.seconds:.1f} s [{report.executor}] -> {args.out_dir}"
        )
    for failure in report.failed:  # always on stderr, with --json too (stdout stays one JSON document)
        print(f"failed: {failure['input']}: {failure['error']}", file=sys.stderr)
    return report.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
