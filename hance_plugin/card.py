"""Model cards: the JSON file beside every ``models/<name>.onnx`` and how models are found.

A card records what the engine needs (the "stft" section, see ``StftConfig``) and what a user
should know (latency, size, cost, training data, scores). The optional ``analysis_level_dbfs`` is the
level the engine's feature normalisation moves quiet input up to for this model
(``kernels/level.py``; calibrated on val by ``benchmarks/level_normalization.py``; absent = no
normalisation, e.g. for the Wiener baseline). Models are looked up by name in the
package's bundled ``models/`` folder, or given as a path to an ``.onnx`` file with its card beside
it (same stem, ``.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .config import StftConfig

__all__ = ["ModelCard", "bundled_models_dir", "list_models", "resolve_model", "DEFAULT_MODEL"]

DEFAULT_MODEL = "default"
REQUIRED_FIELDS = ("name", "stft", "latency_samples")


def bundled_models_dir() -> Path:
    """The folder holding the models shipped with the package."""
    return Path(str(resources.files("hance_plugin.models")))


@dataclass(frozen=True)
class ModelCard:
    """A parsed model card. ``extra`` keeps every other field (params, MACs, data, scores)."""

    name: str
    onnx_path: Path
    stft: StftConfig
    latency_samples: int
    description: str = ""
    analysis_level_dbfs: float | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def load(cls, onnx_path: str | Path) -> "ModelCard":
        onnx_path = Path(onnx_path)
        card_path = onnx_path.with_suffix(".json")
        if not onnx_path.is_file():
            raise FileNotFoundError(f"model file not found: {onnx_path}")
        if not card_path.is_file():
            raise FileNotFoundError(
                f"model card not found: {card_path} (every .onnx model needs a JSON card beside it; "
                "see models/README.md)"
            )
        try:
            data = json.loads(card_path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{card_path}: invalid JSON: {exc}") from None
        missing = [k for k in REQUIRED_FIELDS if k not in data]
        if missing:
            raise ValueError(f"{card_path}: missing required field(s) {missing}")
        try:
            stft = StftConfig.from_card_fields(data["stft"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{card_path}: invalid 'stft' section: {exc}") from None
        if stft.sample_rate_hz != 48000:
            raise ValueError(f"{card_path}: models must run at 48000 Hz, card says {stft.sample_rate_hz}")
        latency = int(data["latency_samples"])
        if latency != stft.latency_samples:
            raise ValueError(
                f"{card_path}: latency_samples={latency} but the STFT implies {stft.latency_samples} "
                "(one window; look-ahead is not supported)"
            )
        level = data.get("analysis_level_dbfs")
        if level is not None and (isinstance(level, bool) or not isinstance(level, (int, float))
                                  or not -60.0 <= float(level) <= 0.0):
            raise ValueError(f"{card_path}: analysis_level_dbfs must be a number in -60..0 dBFS, got {level!r}")
        extra = {k: v for k, v in data.items()
                 if k not in ("name", "stft", "latency_samples", "description", "analysis_level_dbfs")}
        return cls(
            name=str(data["name"]),
            onnx_path=onnx_path,
            stft=stft,
            latency_samples=latency,
            description=str(data.get("description", "")),
            analysis_level_dbfs=None if level is None else float(level),
            extra=extra,
        )


def list_models() -> list[str]:
    """Names of the bundled models (``default`` is an alias, see ``resolve_model``)."""
    return sorted(p.stem for p in bundled_models_dir().glob("*.onnx"))


def resolve_model(model: str | Path) -> ModelCard:
    """Load the card of a bundled model name, ``"default"``, or a path to an ``.onnx`` file."""
    path = Path(model)
    if path.suffix == ".onnx" or path.is_file():
        return ModelCard.load(path)
    name = str(model)
    folder = bundled_models_dir()
    if name == DEFAULT_MODEL:
        alias = folder / "DEFAULT"
        if not alias.is_file():
            raise FileNotFoundError(f"no default model is bundled ({alias} is missing)")
        name = alias.read_text().strip()
    candidate = folder / f"{name}.onnx"
    if not candidate.is_file():
        raise ValueError(f"unknown model {model!r}; bundled models: {list_models()} (or pass a path to an .onnx file)")
    return ModelCard.load(candidate)
