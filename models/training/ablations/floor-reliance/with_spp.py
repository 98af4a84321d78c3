"""Run ``python -m hance_plugin.training ...`` with the network's floor input from the SPP noise estimate.

floor-reliance round 7 (rule.md): ``TorchDsp.band_floor_db`` (the only place the trainer and
``validate`` compute the floor a ``noise_floor`` network reads) returns ``probe.spp_noise_db``, the
MMSE-SPP noise estimate of Gerkmann and Hendriks (IEEE TASLP 2012) on the band powers, with round 5's
settings, instead of the engine's minimum tracker. No gradient, as for the tracked floor. Everything
else runs unchanged.

    .venv/bin/python models/training/ablations/floor-reliance/with_spp.py -m hance_plugin.training validate ...

``branch-stage.sh`` takes it as ``TRAIN_PY`` (``run.sh spp-ft``). An experiment's wrapper: the engine
has no such floor.
"""

from __future__ import annotations

import os
import runpy
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import spp_noise_db  # noqa: E402

from hance_plugin.training.dsp_torch import TorchDsp  # noqa: E402


def band_floor_db(self: TorchDsp, band_db: torch.Tensor) -> torch.Tensor:
    """The SPP noise estimate (B, T, n_bands) in dB of ``band_db``, from reset (no gradient)."""
    x = band_db.detach().to("cpu", torch.float32).numpy()
    floor = spp_noise_db(x.reshape((-1,) + x.shape[-2:]), self.hop / self.config.sample_rate_hz)
    return torch.from_numpy(floor.reshape(x.shape)).to(band_db.device)


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] != "-m":
        raise SystemExit("usage: with_spp.py -m MODULE ARGS...")
    TorchDsp.band_floor_db = band_floor_db
    module, sys.argv = sys.argv[2], [sys.argv[2]] + sys.argv[3:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
