"""Shared by the benchmark scripts: a hance system given as a model with Denoiser options.

``"hance-base[speech_guard_db=35]"`` names the bundled model run by a ``Denoiser`` with that
option, so one run can pair a model with and without an inference option on the same items
(``quality.py --systems``, ``passthrough.py --model``). Options are comma-separated key=value pairs
of ``DENOISER_OPTIONS``; the bracketed text stays in the system's report name.

``lead_in=restart`` is not a Denoiser option but what file processing does
(``hance_plugin.fileio.process_file``): each input is looked at for a quiet lead-in
(``hance_plugin.lead_in.find_quiet_lead_in``) and the Denoiser's noise floor starts after it
(``noise_floor_start_samples``); ``lead_in=off`` (the default) processes the array as it is.
"""

from __future__ import annotations

from pathlib import Path

DENOISER_OPTIONS = {"attenuation_limit_db": float, "post_filter_beta": float, "pause_post_filter_beta": float,
                    "speech_guard_db": float, "level_normalization": lambda v: {"true": True, "false": False}[v.lower()],
                    "lead_in": lambda v: {"restart": True, "off": False}[v.lower()]}


class LeadInDenoiser:
    """A ``Denoiser`` whose one-shot ``process`` first looks for a quiet lead-in and starts the noise
    floor after it, as file processing does (``lead_in=restart``). ``last_lead_in`` is what the last
    call found (None: nothing)."""

    def __init__(self, denoiser) -> None:
        self.denoiser = denoiser
        self.last_lead_in = None

    def process(self, input_array, sample_rate, buffer_size: int = 8192, reset: bool = True):
        from hance_plugin.lead_in import find_quiet_lead_in

        if not reset:
            raise ValueError("lead_in=restart looks ahead: one-shot processing (reset=True) only")
        x = input_array if input_array.ndim == 2 else input_array[None, :]
        self.last_lead_in = find_quiet_lead_in(x, sample_rate)
        self.denoiser.noise_floor_start_samples = None if self.last_lead_in is None else self.last_lead_in.end_samples
        return self.denoiser.process(input_array, sample_rate, buffer_size=buffer_size, reset=True)

    __call__ = process

    def __getattr__(self, name):  # only called for names the wrapper lacks; never for its own while unpickling
        if name == "denoiser":
            raise AttributeError(name)
        return getattr(self.denoiser, name)


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
    lead_in = options.pop("lead_in", False)
    denoiser = Denoiser(model=model, num_threads=num_threads, **options)
    return LeadInDenoiser(denoiser) if lead_in else denoiser


def system_label(spec: str) -> str:
    """A system's report name: a bundled model's name or an .onnx file's stem, with its options."""
    model, _ = split_system_options(spec)
    return (Path(model).stem if model.endswith(".onnx") else model) + spec[len(model):]
