"""hance-plugin: a phase-aware neural speech denoiser for Python audio pipelines.

    >>> from hance_plugin import Denoiser, Pedalboard
    >>> from pedalboard import HighpassFilter, Compressor
    >>> board = Pedalboard([HighpassFilter(80), Denoiser(), Compressor(threshold_db=-18)])

``Denoiser`` is a pedalboard-style effect; ``Pedalboard`` is a list-like chain that hosts it next to
pedalboard's built-in and VST3 plugins (pedalboard itself cannot host Python plugins).
"""

from .card import ModelCard, list_models, resolve_model
from .denoiser import Denoiser

__all__ = ["Denoiser", "ModelCard", "list_models", "resolve_model", "__version__"]

try:  # the chain is developed alongside; keep the package importable without it
    from .chain import Pedalboard  # noqa: F401

    __all__.append("Pedalboard")
except ImportError:  # pragma: no cover
    pass

__version__ = "0.1.0"
