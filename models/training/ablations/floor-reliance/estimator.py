"""A small causal network that predicts the noise's band levels per frame (floor-reliance round 2).

``probe.py`` found that ``hance-base``, fed the true per-frame noise band levels as its "floor"
instead of the engine's slow minimum tracker (``kernels/floor.py``), gains +0.13 PESQ-WB and +2.9 dB
SI-SDR under unheard noise. This trains a separate estimator of that quantity (rule.md, round 2):

    inputs   per frame: band_db (32) and band_db - tracked floor (32), each normalised by fixed
             statistics of the first training batch (stored in the checkpoint)
    network  Linear(64 -> 96) + ReLU, GRU(96), Linear(96 -> 32) = z
    output   noise_hat_db = band_db - softplus(z): never above the mixture's own band level
    target   the noise (noisy - training target: a kept recording floor is not noise) as band_db,
             clamped to [band_db - 40, band_db]; loss L1 in dB over all frames and bands (round 2), or
             with ``--quantile q`` the pinball loss of quantile q (Koenker and Bassett, Econometrica
             1978): an estimate above the target costs (1 - q)·e, one below it q·e, so q < 0.5 asks for
             a conservative estimate that errs low (round 3)

Training mixtures are the shipped stage's (``branch-stage.sh``'s --mix) from a train-split data folder
(default ``../data-voices5``), drawn by the same seeded ``PositionDataset`` the trainer uses. Resumable:
``--out`` holds ``last.pt`` (weights, optimiser, step) and ``log.jsonl``; a call goes on from there.

    .venv/bin/python models/training/ablations/floor-reliance/estimator.py --out runs/fr-est \\
        --steps 3000 --max-minutes 25

An experiment's code, not the product's: if rule.md's round 2 holds, the estimator moves into
``hance_plugin/`` with tests; until then it lives here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from hance_plugin.training.dsp_torch import TorchDsp
from hance_plugin.training.train import (PositionDataset, TrainConfig, _collate, _make_sources,
                                         _RangeSampler, _ignore_stop_signals)
from hance_plugin.stft import StftConfig

MIX = ("p_noise_lowpass=0.3,p_noise_only=0.15,p_speech_only=0.25,level_of_mixture=true,level_dbfs_range=-55:-5,"
       "p_speech_floor=0.3,speech_floor_db_range=-45:-20,p_running_speech=0.5")
TARGET_RANGE_DB = 40.0


class NoiseEstimator(torch.nn.Module):
    """(band_db, band_floor_db) (B, T, nb) -> noise_hat_db (B, T, nb), causal, with GRU state."""

    def __init__(self, n_bands: int = 32, hidden: int = 96) -> None:
        super().__init__()
        self.n_bands, self.hidden = n_bands, hidden
        self.inp = torch.nn.Linear(2 * n_bands, hidden)
        self.gru = torch.nn.GRU(hidden, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, n_bands)
        self.register_buffer("mean", torch.zeros(2 * n_bands))
        self.register_buffer("inv_std", torch.ones(2 * n_bands))

    def features(self, band_db: torch.Tensor, band_floor_db: torch.Tensor) -> torch.Tensor:
        return torch.cat((band_db, band_db - band_floor_db), dim=-1)

    def set_stats(self, band_db: torch.Tensor, band_floor_db: torch.Tensor) -> None:
        x = self.features(band_db, band_floor_db).reshape(-1, 2 * self.n_bands)
        self.mean.copy_(x.mean(0))
        self.inv_std.copy_(1.0 / x.std(0).clamp_min(1e-3))

    def forward(self, band_db: torch.Tensor, band_floor_db: torch.Tensor, state: torch.Tensor | None = None):
        x = (self.features(band_db, band_floor_db) - self.mean) * self.inv_std
        h, state = self.gru(F.relu(self.inp(x)), state)
        return band_db - F.softplus(self.out(h)), state


def target_db(band_db: torch.Tensor, noise_band_db: torch.Tensor) -> torch.Tensor:
    """The estimator's target: the noise's band_db clamped to [band_db - 40, band_db]."""
    return torch.minimum(torch.maximum(noise_band_db, band_db - TARGET_RANGE_DB), band_db)


def load(path: str | Path) -> NoiseEstimator:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    net = NoiseEstimator(**ck["config"])
    net.load_state_dict(ck["model"])
    return net.eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--data-dir", default="../data-voices5")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--segment-seconds", type=float, default=3.0)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, default=96)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-minutes", type=float, default=0.0)
    p.add_argument("--quantile", type=float, default=0.5, help="pinball-loss quantile (0.5: plain L1, round 2's loss)")
    args = p.parse_args()
    if not 0.0 < args.quantile < 1.0:
        p.error("--quantile must be in (0, 1)")
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = TrainConfig(data_dir=args.data_dir, out=str(out), segment_seconds=args.segment_seconds, mix=MIX, seed=args.seed)
    train_src, _ = _make_sources(cfg)
    n = int(round(args.segment_seconds * 48000))
    dataset = PositionDataset(train_src, args.seed, n)
    dsp = TorchDsp(StftConfig())
    torch.manual_seed(args.seed)
    net = NoiseEstimator(hidden=args.hidden)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 200) * (0.05 + 0.95 * 0.5 * (1 + torch.cos(torch.tensor(torch.pi * min(1.0, s / args.steps))).item())))
    step = 0
    if (out / "last.pt").is_file():
        ck = torch.load(out / "last.pt", map_location="cpu", weights_only=False)
        net.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
        step = ck["step"]
    b = args.batch_size
    loader = DataLoader(dataset, batch_size=b, sampler=_RangeSampler(step * b, args.steps * b), num_workers=1,
                        collate_fn=_collate, drop_last=True, prefetch_factor=4, multiprocessing_context="fork",
                        worker_init_fn=_ignore_stop_signals)
    t0, saved = time.time(), time.time()

    def save() -> None:
        torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step,
                    "config": {"n_bands": net.n_bands, "hidden": net.hidden}, "args": vars(args)}, out / "tmp.pt")
        (out / "tmp.pt").replace(out / "last.pt")

    log = open(out / "log.jsonl", "a")
    for noisy, clean, _, _ in loader:
        with torch.no_grad():
            band_db = dsp.band_db(dsp.stft(noisy))
            noise_db = dsp.band_db(dsp.stft(noisy - clean))
            floor = dsp.band_floor_db(band_db)
            if step == 0:
                net.set_stats(band_db, floor)
            tgt = target_db(band_db, noise_db)
        est, _ = net(band_db, floor)
        e = tgt - est
        loss = (e.abs().mean() if args.quantile == 0.5 else torch.maximum(args.quantile * e, (args.quantile - 1.0) * e).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step(); sched.step()
        step += 1
        if step % 20 == 0:
            base = (floor.clamp_max(band_db) - tgt).abs().mean()  # the tracked floor against the same target
            log.write(json.dumps({"step": step, "loss": loss.item(), "l1_db": e.abs().mean().item(), "tracked_l1_db": base.item(),
                                  "lr": sched.get_last_lr()[0], "s": round(time.time() - t0, 1)}) + "\n"); log.flush()
        if time.time() - saved > 120 or step >= args.steps:
            save(); saved = time.time()
        if args.max_minutes and time.time() - t0 > 60 * args.max_minutes:
            break
    save()
    print(f"{out}: step {step}")


if __name__ == "__main__":
    main()
