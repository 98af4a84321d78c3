"""Run ``python -m hance_plugin.training ...`` with the network's floor input from a noise estimator.

floor-reliance round 4 (rule.md): ``TorchDsp.band_floor_db`` (the only place the trainer and
``validate`` compute the floor a ``noise_floor`` network reads) is replaced by the frozen
``estimator.py`` network applied to band_db and the tracked floor. Everything else runs unchanged.

    FR_ESTIMATOR=models/training/ablations/floor-reliance/estimator-q20.pt \\
        .venv/bin/python models/training/ablations/floor-reliance/with_estimator.py -m hance_plugin.training validate ...

``branch-stage.sh`` takes it as ``TRAIN_PY``. An experiment's wrapper: the engine has no such input.
"""

from __future__ import annotations

import os
import runpy
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estimator import load  # noqa: E402

from hance_plugin.training.dsp_torch import TorchDsp  # noqa: E402


def main() -> None:
    path = os.environ.get("FR_ESTIMATOR")
    if not path:
        raise SystemExit("set FR_ESTIMATOR to an estimator.py checkpoint")
    if len(sys.argv) < 3 or sys.argv[1] != "-m":
        raise SystemExit("usage: with_estimator.py -m MODULE ARGS...")
    net = load(path)
    for p in net.parameters():
        p.requires_grad_(False)
    tracked = TorchDsp.band_floor_db

    def band_floor_db(self, band_db: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            est, _ = net(band_db.detach().cpu().float(), tracked(self, band_db).cpu())
        return est.to(band_db.device)

    TorchDsp.band_floor_db = band_floor_db
    module, sys.argv = sys.argv[2], [sys.argv[2]] + sys.argv[3:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
