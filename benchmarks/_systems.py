"""Shared by the benchmark scripts: a hance system given as a model with Denoiser options.

``"hance-base[speech_guard_db=35]"`` names the bundled model run by a ``Denoiser`` with that
option, so one run can pair a model with and without an inference option on the same items
(``quality.py --systems``, ``passthrough.py --model``). Options are comma-separated key=value pairs
of ``DENOISER_OPTIONS``; the bracketed text stays in the system's report name.
"""

from __future__ import annotations

from pathlib import Path

DENOISER_OPTIONS = {"attenuation_limit_db": float, "post_filter_beta": float, "pause_post_filter_beta": float,
                    "speech_guard_db": float, "level_normalization": lambda v: {"true": True, "false": False}[v.lower()]}


def split_system_options(spec: str) -> tuple[str, dict]:
    """``"hance-base[speech_guard_db=35]"`` -> ``("hance-base", {"speech_guard_db": 35.0})``; a spec
    without brackets -> ``(spec, {})``. ValueError names a bad option."""
    if not spec.endswith("]") or "[" not in spec:
        return spec, {}
    model, _, inner = spec[:-1].partition("[")
    options: dict = {}
    for part in filter(None, (p.strip() for p in inner.split(","))):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in DENOISER_OPTIONS:
            raise ValueError(f"system {spec!r}: option {part!r} is not key=value with a key of {', '.join(DENOISER_OPTIONS)}")
        try:
            options[key.strip()] = DENOISER_OPTIONS[key.strip()](value.strip())
        except (KeyError, ValueError):
            raise ValueError(f"system {spec!r}: bad value in {part!r}") from None
    return model, options


def denoiser_for(spec: str, num_threads: int = 1):
    """The ``Denoiser`` a system spec names: its model with its options, ``num_threads`` threads."""
    from hance_plugin import Denoiser

    model, options = split_system_options(spec)
    return Denoiser(model=model, num_threads=num_threads, **options)


def system_label(spec: str) -> str:
    """A system's report name: a bundled model's name or an .onnx file's stem, with its options."""
    model, _ = split_system_options(spec)
    return (Path(model).stem if model.endswith(".onnx") else model) + spec[len(model):]
