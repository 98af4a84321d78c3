"""Shared fixtures: tiny contract-conforming ONNX models built with onnx.helper."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from onnx_models import constant_model, stateful_model  # noqa: E402

from hance_plugin.config import StftConfig  # noqa: E402

SUPPORTED_STFTS = [
    # (window_samples, hop_samples, window): the default and the latency variants we support
    (960, 480, "vorbis"),
    (960, 480, "sqrt_hann"),
    (960, 240, "vorbis"),
    (480, 240, "vorbis"),
    (1920, 480, "sqrt_hann"),
    (960, 320, "vorbis"),
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def identity_model(model_dir) -> Path:
    return constant_model(model_dir / "identity.onnx", name="identity")


@pytest.fixture(scope="session")
def stateful_model_path(model_dir) -> Path:
    return stateful_model(model_dir / "stateful.onnx")


@pytest.fixture(scope="session")
def rotating_model(model_dir) -> Path:
    """Unbounded complex mask 1.2·e^{j·0.5} below the split, gain 0.25 above."""
    import cmath

    return constant_model(model_dir / "rotating.onnx", mask=1.2 * cmath.exp(0.5j), gain=0.25, name="rotating")


@pytest.fixture(scope="session")
def default_config() -> StftConfig:
    return StftConfig()
