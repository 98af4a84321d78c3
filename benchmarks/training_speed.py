"""Training-step speed: where a CPU training step spends its time, and what the closed-form loss buys.

Run from the repository root (needs the ``[train]`` extra)::

    python benchmarks/training_speed.py [--threads 2] [--batch 8] [--seconds 3] [--repeats 5]

One training step of ``hance_plugin.training`` is: engine DSP (STFT, features) -> network ->
mask application and inverse STFT -> ``EnhancementLoss`` -> backward -> AdamW. This script times,
in one process, on the same batch (noisy = speech-like harmonic signal + white noise, seeded;
the signal content does not change the cost):

* ``network fwd+bwd``: the mask estimator alone on precomputed features;
* ``loss fwd+bwd (autograd reference)``: ``losses.reference_loss``, the plain autograd form;
* ``loss fwd+bwd (closed form)``: ``EnhancementLoss`` as used in training;
* ``loss fwd+bwd (closed form, autograd STFTs)``: the same with its STFTs differentiated by
  autograd instead of their written-out adjoint (``training.framed_stft``): what the adjoint buys;
* ``training step (autograd reference loss)`` / ``training step (closed form)``: the whole
  ``Trainer.step`` (optimizer included) with either loss;
* ``training step (closed form, autograd STFTs)``: the closed-form step with autograd STFTs;
* ``training step (closed form, --residual-noise-weight 1)``: the same with the residual-noise
  term on (``losses.py`` term 4), which adds the noise's pass through the mask.

Every configuration runs once untimed, then ``--repeats`` rounds that visit all configurations
in turn (interleaved, so background load hits all of them alike); the table reports the median
and the best round. Ratios are against the ``training step (autograd reference loss)`` row of
the same run (``speedup`` = its time / this row's time): machines here are shared and noisy, so
compare ratios, not seconds. Writes ``benchmarks/results/<name>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402
BASELINE = "training step (autograd reference loss)"
RESIDUAL = "training step (closed form, --residual-noise-weight 1)"
PLAIN_STFT_STEP = "training step (closed form, autograd STFTs)"


def _batch(batch: int, n_samples: int, seed: int = 0):
    import torch

    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / 48000.0
    clean = np.zeros((batch, n_samples), dtype=np.float32)
    for b in range(batch):
        f0 = rng.uniform(90, 250)
        x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 60) if f0 * k < 20000)
        clean[b] = 0.05 * x / np.std(x)
    noisy = clean + (0.02 * rng.standard_normal(clean.shape)).astype(np.float32)
    bandwidth = torch.tensor([24000.0 if b % 2 == 0 else 8000.0 for b in range(batch)])
    return torch.from_numpy(noisy), torch.from_numpy(clean), bandwidth


def measure(threads: int, batch: int, seconds: float, repeats: int) -> dict:
    import torch

    from hance_plugin.training.losses import EnhancementLoss, reference_loss
    from hance_plugin.training.train import TrainConfig, Trainer, enhance

    torch.manual_seed(0)
    noisy, clean, bw = _batch(batch, int(round(seconds * 48000)))
    items = [
        SimpleNamespace(noisy=noisy[b].numpy(), clean=clean[b].numpy(), bandwidth_hz=float(bw[b]), snr_db=10.0, meta={})
        for b in range(batch)
    ]

    def sources(cfg):  # the batch itself; the corpus is not needed to time a step
        return items, items[:1]

    out = tempfile.mkdtemp(prefix="hance-training-speed-")
    cfg = TrainConfig(out=out, threads=threads, workers=0, batch_size=batch, segment_seconds=seconds, stats_items=batch)
    trainer = Trainer(cfg, source_factory=sources)
    model, dsp, loss_fn = trainer.model, trainer.dsp, trainer.loss_fn
    with torch.no_grad():
        spec_low, band_db = dsp.features(dsp.stft(noisy))
        est_fixed = enhance(model, dsp, noisy)
    state = model.initial_state(batch)

    def network():
        mask, gains, _ = model(spec_low, band_db, state)
        (mask.square().mean() + gains.mean()).backward()

    def loss_reference():
        est = est_fixed.clone().requires_grad_()
        reference_loss(loss_fn, est, clean, bw)[0].backward()

    def loss_closed():
        est = est_fixed.clone().requires_grad_()
        loss_fn(est, clean, bw)[0].backward()

    class _Reference:  # the Trainer's loss interface, computed by the reference
        residual_noise_weight = loss_fn.residual_noise_weight

        def __call__(self, est, ref, bandwidth, residual_noise=None):
            loss, (lc, lm) = reference_loss(loss_fn, est, ref, bandwidth, residual_noise)
            return loss, {"complex": float(lc.detach()), "magnitude": float(lm.detach())}

    reference = _Reference()
    # the same loss plus the residual-noise term: the noise's STFT, mask application, inverse STFT
    # and the residual's STFT in the loss (the estimate's STFT is shared with the compressed term)
    with_residual = EnhancementLoss(dsp.config, mr_weight=loss_fn.mr_weight, complex_weight=loss_fn.complex_weight,
                                    over_suppression_weight=loss_fn.over_suppression_weight, residual_noise_weight=1.0)

    def step_with(fn):
        def run():
            saved = trainer.loss_fn
            trainer.loss_fn = fn
            try:
                trainer.step(noisy, clean, bw)
            finally:
                trainer.loss_fn = saved

        return run

    def plain_stfts(fn):  # the same loss, its STFTs differentiated by autograd
        def run():
            loss_fn.plain_autograd_stft = True
            try:
                fn()
            finally:
                loss_fn.plain_autograd_stft = False

        return run

    configs = {
        "network fwd+bwd": network,
        "loss fwd+bwd (autograd reference)": loss_reference,
        "loss fwd+bwd (closed form)": loss_closed,
        "loss fwd+bwd (closed form, autograd STFTs)": plain_stfts(loss_closed),
        BASELINE: step_with(reference),
        "training step (closed form)": step_with(loss_fn),
        PLAIN_STFT_STEP: plain_stfts(step_with(loss_fn)),
        RESIDUAL: step_with(with_residual),
    }
    times: dict[str, list[float]] = {k: [] for k in configs}
    for fn in configs.values():
        fn()  # warm-up
    for _ in range(repeats):
        for name, fn in configs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    shutil.rmtree(out, ignore_errors=True)
    base = statistics.median(times[BASELINE])
    rows = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        rows[name] = {"median_s": med, "best_s": min(ts), "runs_s": ts, "speedup_vs_baseline": base / med}
    audio_s = batch * seconds
    for name in ("training step (closed form)", PLAIN_STFT_STEP, BASELINE):
        rows[name]["audio_s_per_s"] = audio_s / rows[name]["median_s"]
    return rows


def _markdown(report: dict) -> str:
    lines = [
        "# Training-step speed (benchmarks/training_speed.py)",
        "",
        f"- command: `{report['command']}` (from the repository root)",
        f"- date: {report['date']}; host: {report['host']}; torch {report['torch']}; "
        f"{report['threads']} thread(s); batch {report['batch']} x {report['seconds']:g} s at 48 kHz; "
        f"{report['repeats']} interleaved rounds; load average before/after {report['load_before']} / {report['load_after']}",
        f"- speedup = median time of `{BASELINE}` / this row's median time, same run",
        "",
        "| configuration | median (s) | best (s) | speedup |",
        "|---|---:|---:|---:|",
    ]
    for name, row in report["rows"].items():
        lines.append(f"| {name} | {row['median_s']:.3f} | {row['best_s']:.3f} | {row['speedup_vs_baseline']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--name", default="training-speed", help="file stem of the results")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if args.threads < 1 or args.batch < 1 or args.seconds <= 0 or args.repeats < 1:
        parser.error("--threads, --batch, --repeats must be >= 1 and --seconds > 0")
    try:
        import torch
    except ImportError:
        parser.error("needs torch: pip install -e '.[train]'")
    load_before = [round(v, 2) for v in os.getloadavg()]
    rows = measure(args.threads, args.batch, args.seconds, args.repeats)
    report = {
        "command": "python benchmarks/training_speed.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "host": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.processor() or platform.machine()})",
        "torch": torch.__version__,
        "threads": args.threads,
        "batch": args.batch,
        "seconds": args.seconds,
        "repeats": args.repeats,
        "load_before": load_before,
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "rows": rows,
    }
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
