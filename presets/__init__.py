"""Presets: named processing chains stored as TOML (``hance_plugin.presets``).

This package holds both the bundled preset files (``presets/*.toml`` in the repository, installed
as package data) and the code that reads, validates and writes them. (It is the package
``hance_plugin.presets`` itself, not a ``hance_plugin/presets.py`` module: a module of that name
would be shadowed by this package.) The file format is documented in ``presets/README.md``.

    >>> from hance_plugin import load_preset
    >>> board = load_preset("podcast-voice")          # a bundled name, a user preset, or a path
    >>> clean = board(noisy, 48000)                   # doctest: +SKIP
    >>> save_preset(board, "my-preset.toml")          # doctest: +SKIP

A preset is a chain, in order: pedalboard built-in plugins with their parameters, VST3 plugins by
path with parameter values, :class:`~hance_plugin.Denoiser` stages, then an optional loudness
stage (``[loudness]``: integrated loudness target and true-peak ceiling, a
:class:`~hance_plugin.loudness.LoudnessNormalizer` at the end of the chain) and optional output
file options (``[output]``: sample rate, bit depth, format).

Loading validates everything and raises :class:`PresetError` naming the file, the key and the
allowed values. ``save_preset`` writes every parameter explicitly, so a chain saved and loaded
again processes audio identically.

Where presets are found (``load_preset("name")``): the folders in ``$HANCE_PLUGIN_PRESETS``
(separated by ``os.pathsep``), then ``$XDG_CONFIG_HOME/hance-plugin/presets`` (default
``~/.config/hance-plugin/presets``), then the bundled presets. A user preset with a bundled name
overrides the bundled one.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import os
import sys
import weakref
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pedalboard

from hance_plugin.chain import Pedalboard
from hance_plugin.denoiser import (
    DEFAULT_PAUSE_POST_FILTER_BETA,
    DEFAULT_POST_FILTER_BETA,
    MAX_ATTENUATION_LIMIT_DB,
    MAX_POST_FILTER_BETA,
    MAX_SPEECH_GUARD_DB,
    Denoiser,
)
from hance_plugin.loudness import LoudnessNormalizer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PresetChain",
    "PresetError",
    "PresetInfo",
    "OutputOptions",
    "SCHEMA_VERSION",
    "builtin_plugin_names",
    "dumps_preset",
    "find_preset",
    "list_presets",
    "load_preset",
    "load_vst3",
    "preset_fingerprint",
    "preset_to_dict",
    "save_preset",
    "user_preset_dirs",
]

SCHEMA_VERSION = 1
TOP_LEVEL_KEYS = ("schema", "name", "description", "chain", "loudness", "output")
DENOISER_KEYS = ("model", "attenuation_limit_db", "mix", "num_threads", "resampler_quality", "post_filter_beta",
                 "pause_post_filter_beta", "level_normalization", "speech_guard_db")
RESAMPLER_QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")
VST3_KEYS = ("path", "plugin_name", "parameters")
LOUDNESS_KEYS = ("integrated_lufs", "true_peak_dbtp", "lookahead_ms", "release_ms", "max_gain_db")
OUTPUT_KEYS = ("sample_rate", "bit_depth", "format", "dither")
OUTPUT_FORMATS = ("wav", "flac", "ogg", "mp3", "aiff")
OUTPUT_BIT_DEPTHS = (16, 24, 32)
OUTPUT_SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000)
_NOT_SAVED = ("is_effect", "is_instrument", "reported_latency_samples", "impulse_response")
_CONSTRUCTOR_ONLY = {"Convolution": ("impulse_response_filename",)}  # read-only, set at construction
_UNSUPPORTED = ("Chain", "Mix", "Pedalboard", "PluginContainer", "ExternalPlugin", "VST3Plugin", "AudioUnitPlugin", "IIRFilter", "Plugin")
_VST3_SEARCH_DIRS = (
    "~/.vst3", "/usr/lib/vst3", "/usr/local/lib/vst3", "/Library/Audio/Plug-Ins/VST3",
    "~/Library/Audio/Plug-Ins/VST3", "C:/Program Files/Common Files/VST3",
)

# paths of VST3 plugins loaded through this module, so save_preset can write them back
_VST3_PATHS: "weakref.WeakKeyDictionary[Any, tuple[str, str | None]]" = weakref.WeakKeyDictionary()


class PresetError(ValueError):
    """An invalid preset: the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class OutputOptions:
    """The ``[output]`` section: what to write. ``None`` keeps the input's property."""

    sample_rate: int | None = None
    bit_depth: int | None = None  # 16 or 24 (integer PCM) or 32 (32-bit float)
    format: str | None = None  # wav, flac, ogg, mp3, aiff
    dither: bool = True  # TPDF dither when writing 16 bits or fewer

    def as_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.sample_rate is not None:
            out["sample_rate"] = self.sample_rate
        if self.bit_depth is not None:
            out["bit_depth"] = self.bit_depth
        if self.format is not None:
            out["format"] = self.format
        if not self.dither:
            out["dither"] = False
        return out


class PresetChain(Pedalboard):
    """A :class:`hance_plugin.Pedalboard` that also carries its preset's name and output options."""

    def __init__(
        self,
        plugins: Iterable | None = None,
        name: str = "",
        description: str = "",
        output: OutputOptions | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(plugins)
        self.name = name
        self.description = description
        self.output = output or OutputOptions()
        self.source = source

    @property
    def loudness(self) -> LoudnessNormalizer | None:
        """The loudness stage (the last element) or ``None``."""
        if len(self) and isinstance(self[-1], LoudnessNormalizer):
            return self[-1]
        return None

    def __repr__(self) -> str:
        count = len(self)
        return f"<hance_plugin.PresetChain {self.name!r} with {count} plugin{'' if count == 1 else 's'}: {list(self)!r}>"


@dataclass(frozen=True)
class PresetInfo:
    """A preset file that ``list_presets`` found."""

    name: str
    path: Path
    origin: str  # "bundled" or "user"
    description: str = ""


# ------------------------------------------------------------------------------ where presets are
def bundled_presets_dir() -> Path:
    return Path(str(resources.files("hance_plugin.presets")))


def user_preset_dirs() -> list[Path]:
    """User preset folders, highest priority first (see the module docstring)."""
    dirs = [Path(p).expanduser() for p in os.environ.get("HANCE_PLUGIN_PRESETS", "").split(os.pathsep) if p]
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    dirs.append(config / "hance-plugin" / "presets")
    return dirs


def list_presets() -> list[PresetInfo]:
    """Every preset by name (user presets shadow bundled ones of the same name), sorted by name."""
    found: dict[str, PresetInfo] = {}
    sources = [(d, "user") for d in user_preset_dirs()] + [(bundled_presets_dir(), "bundled")]
    for folder, origin in sources:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.stem in found:
                continue
            description = ""
            try:
                description = str(tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                description = "(invalid preset file)"
            found[path.stem] = PresetInfo(path.stem, path, origin, description)
    return [found[name] for name in sorted(found)]


def _looks_like_path(name_or_path: str | os.PathLike) -> bool:
    text = os.fspath(name_or_path)
    return text.endswith(".toml") or os.sep in text or "/" in text or Path(text).is_file()


def find_preset(name_or_path: str | os.PathLike) -> Path:
    """The file of a preset name (user folders, then bundled) or a path to a ``.toml`` file."""
    if _looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise PresetError(f"preset file not found: {path}")
        return path
    name = os.fspath(name_or_path)
    for folder in [*user_preset_dirs(), bundled_presets_dir()]:
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return candidate
    names = ", ".join(p.name for p in list_presets()) or "(none)"
    raise PresetError(f"unknown preset {name!r}; available presets: {names} (or give a path to a .toml file)")


# -------------------------------------------------------------------------- built-in plugin table
@dataclass(frozen=True)
class _Param:
    name: str
    kind: str  # "float", "bool", "enum", "str"
    enum_type: Any = None

    def allowed(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(repr(n) for n in self.enum_type.__members__)
        return {"float": "a number", "bool": "true or false", "str": "a string"}[self.kind]


def _param_kind(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return "bool", None
    if isinstance(value, (int, float)):
        return "float", None
    if hasattr(type(value), "__members__"):
        return "enum", type(value)
    return "str", None


_BUILTINS: dict[str, dict[str, _Param]] | None = None


def _builtin_table() -> dict[str, dict[str, _Param]]:
    """pedalboard's built-in effects and their settable parameters, by introspection."""
    global _BUILTINS
    if _BUILTINS is not None:
        return _BUILTINS
    table: dict[str, dict[str, _Param]] = {}
    for name in sorted(dir(pedalboard)):
        cls = getattr(pedalboard, name)
        if not (isinstance(cls, type) and issubclass(cls, pedalboard.Plugin)) or name in _UNSUPPORTED or name.startswith("_"):
            continue
        params: dict[str, _Param] = {}
        try:
            instance = cls()
        except Exception:
            instance = None
        for attr in dir(cls):
            prop = getattr(cls, attr, None)
            if attr.startswith("_") or attr in _NOT_SAVED or not isinstance(prop, property):
                continue
            if prop.fset is None and attr not in _CONSTRUCTOR_ONLY.get(name, ()):
                continue
            if instance is not None:
                kind, enum_type = _param_kind(getattr(instance, attr))
            else:
                kind, enum_type = ("str", None) if attr in _CONSTRUCTOR_ONLY.get(name, ()) else ("float", None)
            params[attr] = _Param(attr, kind, enum_type)
        if instance is None and name not in _CONSTRUCTOR_ONLY:
            continue  # cannot be built from keyword parameters
        table[name] = params
    _BUILTINS = table
    return table


def builtin_plugin_names() -> list[str]:
    """Names allowed as ``plugin = "..."`` besides ``Denoiser`` and ``VST3``."""
    return sorted(_builtin_table())


def _range_problem(name: str, value: float) -> str | None:
    """Sanity ranges pedalboard itself does not check (it accepts a -5 Hz high-pass, for one)."""
    if name.endswith("_hz") or name == "target_sample_rate":
        return None if 0.0 < value <= 400_000.0 else "must be a positive frequency in Hz"
    if name.endswith("_ms"):
        return None if 0.0 <= value <= 60_000.0 else "must be between 0 and 60000 ms"
    if name == "q":
        return None if 0.0 < value <= 100.0 else "must be between 0 (exclusive) and 100"
    if name == "ratio":
        return None if 1.0 <= value <= 1000.0 else "must be between 1 and 1000"
    if name in ("mix", "depth", "damping", "room_size", "width", "dry_level", "wet_level", "freeze_mode", "resonance"):
        return None if 0.0 <= value <= 1.0 else "must be between 0 and 1"
    if name.endswith("_db"):
        return None if -200.0 <= value <= 100.0 else "must be between -200 and 100 dB"
    if name in ("delay_seconds",):
        return None if 0.0 <= value <= 60.0 else "must be between 0 and 60 s"
    return None


# ---------------------------------------------------------------------------------- validation
class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source

    def beside_preset(self, path: str | Path) -> Path | None:
        """A relative ``path`` named in a preset file, made absolute against that file's folder (so a
        chain dumped with ``dumps_preset`` and reloaded elsewhere finds it); ``None`` for absolute
        paths and for presets without a file (text, dict), whose paths stay relative to the cwd."""
        path = Path(path)
        if path.is_absolute() or self.source in ("<dict>", "<string>"):
            return None
        return Path(os.path.abspath(Path(self.source).parent / path))

    def error(self, key: str, message: str) -> PresetError:
        return PresetError(f"{self.source}: {key}: {message}" if key else f"{self.source}: {message}")

    def check_keys(self, table: dict, allowed: Iterable[str], where: str) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                prefix = f"{where}." if where else ""
                raise self.error(
                    f"{prefix}{key}", f"unknown key; allowed keys{' in ' + where if where else ''}: {', '.join(allowed)}"
                )

    def number(self, table: dict, key: str, where: str, low: float, high: float, default: Any = ..., integer: bool = False):
        if key not in table:
            if default is ...:
                raise self.error(f"{where}.{key}", f"required (a number from {low:g} to {high:g})")
            return default
        value = table[key]
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise self.error(f"{where}.{key}", f"expected {kind} from {low:g} to {high:g}, got {value!r}")
        if not (math.isfinite(value) and low <= value <= high):
            raise self.error(f"{where}.{key}", f"{value!r} is out of range; allowed: {low:g} to {high:g}")
        return int(value) if integer else float(value)

    def choice(self, table: dict, key: str, where: str, allowed: tuple, default: Any = ...):
        if key not in table:
            if default is ...:
                raise self.error(f"{where}.{key}", f"required; allowed values: {', '.join(map(repr, allowed))}")
            return default
        value = table[key]
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            raise self.error(f"{where}.{key}", f"{value!r} is not allowed; allowed values: {', '.join(map(repr, allowed))}")
        return value


def _build_denoiser(ctx: _Ctx, entry: dict, where: str) -> Denoiser:
    ctx.check_keys(entry, ("plugin", *DENOISER_KEYS), where)
    model = entry.get("model", "default")
    if not isinstance(model, str) or not model:
        raise ctx.error(f"{where}.model", f"expected a model name or a path to an .onnx file, got {model!r}")
    kwargs = {
        "attenuation_limit_db": ctx.number(entry, "attenuation_limit_db", where, 0.0, MAX_ATTENUATION_LIMIT_DB, MAX_ATTENUATION_LIMIT_DB),
        "mix": ctx.number(entry, "mix", where, 0.0, 1.0, 1.0),
        "num_threads": ctx.number(entry, "num_threads", where, 1, 256, 1, integer=True),
        "resampler_quality": ctx.choice(entry, "resampler_quality", where, RESAMPLER_QUALITIES, "HQ"),
        "post_filter_beta": ctx.number(entry, "post_filter_beta", where, 0.0, MAX_POST_FILTER_BETA, DEFAULT_POST_FILTER_BETA),
        "pause_post_filter_beta": ctx.number(entry, "pause_post_filter_beta", where, 0.0, MAX_POST_FILTER_BETA,
                                             DEFAULT_PAUSE_POST_FILTER_BETA),
        "level_normalization": ctx.choice(entry, "level_normalization", where, (True, False), False),
        "speech_guard_db": ctx.number(entry, "speech_guard_db", where, 0.0, MAX_SPEECH_GUARD_DB, None),
    }
    candidate = ctx.beside_preset(model) if model.endswith(".onnx") else None
    if candidate is not None and candidate.is_file():  # else a bundled name or a path from the cwd
        model = str(candidate)
    try:
        return Denoiser(model, **kwargs)
    except (ValueError, FileNotFoundError, TypeError) as exc:
        from hance_plugin.card import list_models

        message = str(exc) if "bundled models" in str(exc) else f"{exc} (bundled models: default, {', '.join(list_models())})"
        raise ctx.error(f"{where}.model", message) from None


def _set_parameter(ctx: _Ctx, plugin: Any, param: _Param, value: Any, key: str) -> None:
    if param.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ctx.error(key, f"expected a number, got {value!r}")
        problem = _range_problem(param.name, float(value))
        if problem:
            raise ctx.error(key, f"{value!r}: {problem}")
        value = float(value)
    elif param.kind == "bool":
        if not isinstance(value, bool):
            raise ctx.error(key, f"expected true or false, got {value!r}")
    elif param.kind == "enum":
        members = param.enum_type.__members__
        if not isinstance(value, str) or value not in members:
            raise ctx.error(key, f"{value!r} is not allowed; {param.allowed()}")
        value = members[value]
    elif not isinstance(value, str):
        raise ctx.error(key, f"expected a string, got {value!r}")
    try:
        setattr(plugin, param.name, value)
    except Exception as exc:
        raise ctx.error(key, f"{value!r} rejected: {exc}") from None


def _build_builtin(ctx: _Ctx, entry: dict, where: str, name: str) -> pedalboard.Plugin:
    params = _builtin_table()[name]
    ctx.check_keys(entry, ("plugin", *params), where)
    cls = getattr(pedalboard, name)
    constructor_only = _CONSTRUCTOR_ONLY.get(name, ())
    kwargs = {}
    for key in constructor_only:
        if key not in entry or not isinstance(entry[key], str):
            raise ctx.error(f"{where}.{key}", f"required: a file path string for {name}")
        kwargs[key] = str(ctx.beside_preset(entry[key]) or entry[key])
    try:
        plugin = cls(**kwargs)
    except Exception as exc:
        raise ctx.error(where, f"cannot create {name}: {exc}") from None
    for key, value in entry.items():
        if key == "plugin" or key in constructor_only:
            continue
        _set_parameter(ctx, plugin, params[key], value, f"{where}.{key}")
    return plugin


def _vst3_params(plugin: Any) -> dict[str, _Param]:
    out = {}
    for name, param in plugin.parameters.items():
        if not getattr(param, "is_automatable", True):
            continue  # meters and host-internal values
        kind = {bool: "bool", str: "str"}.get(getattr(param, "type", float), "float")
        out[name] = _Param(name, kind)
    return out


def load_vst3(path: str | os.PathLike, plugin_name: str | None = None, **parameters: Any) -> Any:
    """``pedalboard.load_plugin`` that remembers the path, so :func:`save_preset` can write it."""
    plugin = pedalboard.load_plugin(os.fspath(path), parameter_values=parameters, plugin_name=plugin_name)
    _VST3_PATHS[plugin] = (os.fspath(path), plugin_name)
    return plugin


def _build_vst3(ctx: _Ctx, entry: dict, where: str) -> Any:
    ctx.check_keys(entry, ("plugin", *VST3_KEYS), where)
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise ctx.error(f"{where}.path", "required: the path to a .vst3 plugin bundle")
    full = Path(path).expanduser()
    full = ctx.beside_preset(full) or full
    if not full.exists():
        raise ctx.error(f"{where}.path", f"VST3 plugin not found: {full}")
    plugin_name = entry.get("plugin_name")
    if plugin_name is not None and not isinstance(plugin_name, str):
        raise ctx.error(f"{where}.plugin_name", f"expected a string, got {plugin_name!r}")
    try:
        plugin = pedalboard.load_plugin(str(full), plugin_name=plugin_name)
    except Exception as exc:
        raise ctx.error(f"{where}.path", f"cannot load VST3 plugin {full}: {exc}") from None
    _VST3_PATHS[plugin] = (str(full), plugin_name)
    parameters = entry.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ctx.error(f"{where}.parameters", "expected a table of parameter = value")
    allowed = _vst3_params(plugin)
    # programs first: selecting a program resets the other parameters
    ordered = sorted(parameters.items(), key=lambda kv: 0 if kv[0] in allowed and allowed[kv[0]].kind == "str" else 1)
    for key, value in ordered:
        if key not in allowed:
            raise ctx.error(
                f"{where}.parameters.{key}",
                f"{plugin.name} has no such parameter; allowed: {', '.join(allowed) or '(none)'}",
            )
        param = allowed[key]
        if param.kind == "str":
            valid = [str(v) for v in getattr(plugin.parameters[key], "valid_values", [])]
            if not isinstance(value, str) or (valid and value not in valid):
                raise ctx.error(f"{where}.parameters.{key}", f"{value!r} is not allowed; allowed values: {', '.join(map(repr, valid))}")
        _set_parameter(ctx, plugin, param, value, f"{where}.parameters.{key}")
    return plugin


def _build_loudness(ctx: _Ctx, table: Any) -> LoudnessNormalizer:
    if not isinstance(table, dict):
        raise ctx.error("loudness", "expected a table ([loudness])")
    ctx.check_keys(table, LOUDNESS_KEYS, "loudness")
    return LoudnessNormalizer(
        integrated_lufs=ctx.number(table, "integrated_lufs", "loudness", -70.0, -5.0),
        true_peak_dbtp=ctx.number(table, "true_peak_dbtp", "loudness", -20.0, 0.0, -1.0),
        lookahead_ms=ctx.number(table, "lookahead_ms", "loudness", 0.5, 50.0, 5.0),
        release_ms=ctx.number(table, "release_ms", "loudness", 1.0, 5000.0, 100.0),
        max_gain_db=ctx.number(table, "max_gain_db", "loudness", 0.0, 80.0, None),
    )


def _build_output(ctx: _Ctx, table: Any) -> OutputOptions:
    if not isinstance(table, dict):
        raise ctx.error("output", "expected a table ([output])")
    ctx.check_keys(table, OUTPUT_KEYS, "output")
    rate = ctx.choice(table, "sample_rate", "output", OUTPUT_SAMPLE_RATES, None)
    bits = ctx.choice(table, "bit_depth", "output", OUTPUT_BIT_DEPTHS, None)
    fmt = ctx.choice(table, "format", "output", OUTPUT_FORMATS, None)
    dither = ctx.choice(table, "dither", "output", (True, False), True)
    if fmt in ("ogg", "mp3") and bits is not None:
        raise ctx.error("output.bit_depth", f"{fmt} is a lossy format without a bit depth; remove bit_depth or use wav/flac")
    if fmt == "flac" and bits == 32:
        raise ctx.error("output.bit_depth", "FLAC holds 16 or 24 bits; allowed values with format = 'flac': 16, 24")
    if fmt == "mp3" and rate is not None and rate > 48000:
        raise ctx.error("output.sample_rate", f"MP3 holds at most 48000 Hz; allowed values: {[r for r in OUTPUT_SAMPLE_RATES if r <= 48000]}")
    return OutputOptions(rate, bits, fmt, dither)


def preset_from_dict(data: dict, source: str = "<dict>", default_name: str = "") -> PresetChain:
    """Validate a parsed preset and build its chain (raises :class:`PresetError`)."""
    ctx = _Ctx(source)
    if not isinstance(data, dict):
        raise ctx.error("", "a preset must be a TOML table")
    ctx.check_keys(data, TOP_LEVEL_KEYS, "")
    schema = data.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION or isinstance(schema, bool):
        raise ctx.error("schema", f"unsupported preset schema {schema!r}; allowed values: {SCHEMA_VERSION}")
    name = data.get("name", default_name)
    description = data.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            raise ctx.error(key, f"expected a string, got {value!r}")
    chain = data.get("chain", [])
    if not isinstance(chain, list):
        raise ctx.error("chain", "expected an array of tables ([[chain]] entries)")
    allowed_plugins = ["Denoiser", "VST3", *builtin_plugin_names()]
    plugins: list[Any] = []
    for index, entry in enumerate(chain):
        where = f"chain[{index}]"
        if not isinstance(entry, dict):
            raise ctx.error(where, "expected a table with a 'plugin' key")
        kind = entry.get("plugin")
        if kind is None:
            raise ctx.error(f"{where}.plugin", f"required; allowed values: {', '.join(allowed_plugins)}")
        if kind == "Denoiser":
            plugins.append(_build_denoiser(ctx, entry, where))
        elif kind == "VST3":
            plugins.append(_build_vst3(ctx, entry, where))
        elif isinstance(kind, str) and kind in _builtin_table():
            plugins.append(_build_builtin(ctx, entry, where, kind))
        else:
            raise ctx.error(f"{where}.plugin", f"unknown plugin {kind!r}; allowed values: {', '.join(allowed_plugins)}")
    if "loudness" in data:
        plugins.append(_build_loudness(ctx, data["loudness"]))
    output = _build_output(ctx, data["output"]) if "output" in data else OutputOptions()
    return PresetChain(plugins, name=name, description=description, output=output, source=source)


def loads_preset(text: str, source: str = "<string>", default_name: str = "") -> PresetChain:
    """Parse and validate preset TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{source}: invalid TOML: {exc}") from None
    return preset_from_dict(data, source, default_name)


def load_preset(name_or_path: str | os.PathLike) -> PresetChain:
    """Load a preset by name (user folders, then bundled) or from a ``.toml`` path; a ready chain.

    The chain is a :class:`PresetChain` (a :class:`hance_plugin.Pedalboard`) whose last element
    is a :class:`~hance_plugin.loudness.LoudnessNormalizer` when the preset has a ``[loudness]``
    section; ``.output`` holds the ``[output]`` options. Raises :class:`PresetError`.
    """
    path = find_preset(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot read: {exc}") from None
    return loads_preset(text, str(path), default_name=path.stem)


# ------------------------------------------------------------------------------------- saving
def _flatten(chain: Any) -> list[Any]:
    if isinstance(chain, (Pedalboard, list, tuple)):
        items = list(chain)
    elif isinstance(chain, pedalboard.Mix):
        raise PresetError("pedalboard.Mix (parallel branches) cannot be stored in a preset; presets are serial chains")
    elif isinstance(chain, (pedalboard.Pedalboard, pedalboard.Chain)):
        items = list(chain)
    else:
        return [chain]
    out: list[Any] = []
    for item in items:
        if isinstance(item, (Pedalboard, pedalboard.Pedalboard, pedalboard.Chain, pedalboard.Mix, list, tuple)):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _find_vst3_path(plugin: Any) -> tuple[str, str | None]:
    if plugin in _VST3_PATHS:
        return _VST3_PATHS[plugin]
    for folder in _VST3_SEARCH_DIRS:  # plugins loaded elsewhere: find the bundle by name
        candidate = Path(folder).expanduser() / f"{plugin.name}.vst3"
        if candidate.exists():
            try:
                probe = pedalboard.load_plugin(str(candidate), plugin_name=plugin.name)
            except Exception:
                continue
            if getattr(probe, "identifier", None) == getattr(plugin, "identifier", None):
                return str(candidate), None
    raise PresetError(
        f"cannot tell the file of VST3 plugin {plugin.name!r}; load it with "
        "hance_plugin.presets.load_vst3(path) so save_preset can record its path"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum) or hasattr(type(value), "__members__"):
        return value.name
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value)
    return str(value)


def _entry_for(plugin: Any, index: int) -> dict:
    if isinstance(plugin, Denoiser):
        model = getattr(plugin, "_model", None)
        model = os.fspath(model) if isinstance(model, (str, os.PathLike)) else plugin.model
        entry: dict[str, Any] = {
            "plugin": "Denoiser",
            "model": model,
            "attenuation_limit_db": float(plugin.attenuation_limit_db),
            "mix": float(plugin.mix),
            "resampler_quality": getattr(plugin, "resampler_quality", getattr(plugin, "_quality", "HQ")),
            "post_filter_beta": float(plugin.post_filter_beta),
        }
        pause = float(getattr(plugin, "pause_post_filter_beta", DEFAULT_PAUSE_POST_FILTER_BETA))
        if pause != DEFAULT_PAUSE_POST_FILTER_BETA:  # written only when not the default: presets dump as before
            entry["pause_post_filter_beta"] = pause
        if getattr(plugin, "level_normalization", False):  # written only when on: default presets dump as before
            entry["level_normalization"] = True
        guard = getattr(plugin, "speech_guard_db", None)
        if guard is not None:  # written only when on: default presets dump as before
            entry["speech_guard_db"] = float(guard)
        if plugin.num_threads != 1:
            entry["num_threads"] = int(plugin.num_threads)
        return entry
    if isinstance(plugin, getattr(pedalboard, "VST3Plugin", ())):
        path, plugin_name = _find_vst3_path(plugin)
        fresh = pedalboard.load_plugin(path, plugin_name=plugin_name)
        params = {}
        for name, param in _vst3_params(plugin).items():
            value = getattr(plugin, name)
            default = getattr(fresh, name)
            value = str(value) if param.kind == "str" else (bool(value) if param.kind == "bool" else float(value))
            default = str(default) if param.kind == "str" else (bool(default) if param.kind == "bool" else float(default))
            if value != default:
                params[name] = value
        entry = {"plugin": "VST3", "path": path}
        if plugin_name:
            entry["plugin_name"] = plugin_name
        if params:
            entry["parameters"] = params
        return entry
    name = type(plugin).__name__
    if isinstance(plugin, pedalboard.Plugin) and name in _builtin_table():
        entry = {"plugin": name}
        for param in _builtin_table()[name]:
            entry[param] = _plain(getattr(plugin, param))
        return entry
    raise PresetError(
        f"chain element {index} ({type(plugin).__module__}.{type(plugin).__qualname__}) cannot be stored in a "
        f"preset; allowed: Denoiser, VST3 plugins, pedalboard built-ins ({', '.join(builtin_plugin_names())})"
    )


def preset_to_dict(
    chain: Any, name: str | None = None, description: str | None = None, output: OutputOptions | None = None
) -> dict:
    """The preset table for ``chain`` (every parameter explicit)."""
    plugins = _flatten(chain)
    data: dict[str, Any] = {"schema": SCHEMA_VERSION}
    data["name"] = name if name is not None else getattr(chain, "name", "") or ""
    description = description if description is not None else getattr(chain, "description", "")
    if description:
        data["description"] = description
    entries = []
    loudness = None
    for index, plugin in enumerate(plugins):
        if isinstance(plugin, LoudnessNormalizer):
            if index != len(plugins) - 1:
                raise PresetError(f"the loudness stage must be the last element of a preset chain (it is element {index})")
            loudness = plugin
            continue
        entries.append(_entry_for(plugin, index))
    data["chain"] = entries
    if loudness is not None:
        table = {
            "integrated_lufs": loudness.integrated_lufs,
            "true_peak_dbtp": loudness.true_peak_dbtp,
            "lookahead_ms": loudness.lookahead_ms,
            "release_ms": loudness.release_ms,
        }
        if loudness.max_gain_db is not None:
            table["max_gain_db"] = loudness.max_gain_db
        data["loudness"] = table
    output = output if output is not None else getattr(chain, "output", None)
    if output is not None and output.as_dict():
        data["output"] = output.as_dict()
    return data


def dumps_preset(
    chain: Any, name: str | None = None, description: str | None = None, output: OutputOptions | None = None
) -> str:
    """Preset TOML text for ``chain`` (see :func:`save_preset`)."""
    import tomli_w

    from hance_plugin import __version__

    data = preset_to_dict(chain, name, description, output)
    header = [f"# {data['name'] or 'preset'}: saved by hance-plugin {__version__}"]
    if data.get("description"):
        header += [f"# {line}" for line in data["description"].splitlines()]
    header.append("# Format reference: presets/README.md in the hance-plugin repository.")
    return "\n".join(header) + "\n\n" + tomli_w.dumps(data)


def save_preset(
    chain: Any,
    path: str | os.PathLike,
    name: str | None = None,
    description: str | None = None,
    output: OutputOptions | None = None,
) -> Path:
    """Write ``chain`` (a Pedalboard, list, or :class:`PresetChain`) as a preset file.

    ``name`` defaults to the chain's preset name, else the file's stem. The file is written to a
    temporary name and renamed, so an existing preset is never left half-written.
    """
    path = Path(path)
    if name is None and not getattr(chain, "name", ""):
        name = path.stem
    text = dumps_preset(chain, name, description, output)
    loads_preset(text, str(path))  # never write a file that would not load
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def preset_fingerprint(chain: Any, output: OutputOptions | None = None) -> str:
    """A short hash of everything in a preset that changes the output (for batch manifests).

    That is the chain with every parameter, the loudness stage and the output options (``output``,
    by default the chain's own ``.output``); not the name or the description.
    """
    data = preset_to_dict(chain, output=output)
    data.pop("name", None)
    data.pop("description", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
