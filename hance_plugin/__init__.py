"""hance-plugin: a phase-aware neural speech denoiser for Python audio pipelines.

    >>> from hance_plugin import Denoiser, Pedalboard
    >>> from pedalboard import HighpassFilter, Compressor
    >>> board = Pedalboard([HighpassFilter(80), Denoiser(), Compressor(threshold_db=-18)])

``Denoiser`` is a pedalboard-style effect; ``Pedalboard`` is a list-like chain that hosts it next to
pedalboard's built-in and VST3 plugins (pedalboard itself cannot host Python plugins).
``load_preset("podcast-voice")`` returns a ready chain from a preset (``hance_plugin.presets``); the
``hance-plugin`` command line processes files and folders with them (``hance_plugin.cli``).
"""

from .card import ModelCard, list_models, resolve_model
from .chain import Pedalboard
from .denoiser import Denoiser
from .protocol import PythonPlugin
from .presets import load_preset

__all__ = ["Denoiser", "ModelCard", "Pedalboard", "PythonPlugin", "list_models", "load_preset", "resolve_model", "__version__"]

__version__ = "0.1.0"
