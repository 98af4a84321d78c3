"""Where a streaming block's time goes: per-stage cost of one Denoiser block, as shares of the whole.

The speed benchmark (``benchmarks/speed.py``) times whole files; this script times the stages of one
block of the 48 kHz engine (``hance_plugin/engine.py``: framing, FFT, features, the noise-floor
tracker for models that read it, the onnxruntime call, mask application, inverse FFT, overlap-add,
dry/wet delay line) in tight loops, one thread, so that a speed-up can be aimed at the stage that
costs. Every stage runs on the same preallocated buffers as in ``StreamingEngine._process``; the
whole block (``Denoiser`` stream, and the engine with a constant-mask stand-in for the network) is
timed in the same run, and every row is reported as a ratio to the whole block, so the table does
not depend on how fast the machine is that day. Stages timed alone run with warm caches, so their
sum is below the whole block; the difference is listed. The onnxruntime call is also timed at T = 2,
4, 8 and 100 frames per call (per-frame cost), which separates its fixed per-call cost from the
per-frame work.

    python benchmarks/stream_profile.py [--model hance-base] [--block 480] [--calls 3000] [--rounds 5]

Writes ``benchmarks/results/stream-profile.md`` and ``.json`` (``--name``, ``--out-dir``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_results  # noqa: E402

from hance_plugin import Denoiser  # noqa: E402
from hance_plugin.kernels.delay import delay_mix  # noqa: E402
from hance_plugin.kernels.floor import track_band_floor  # noqa: E402
from hance_plugin.kernels.masks import apply_hybrid_mask, band_energy_db  # noqa: E402
from hance_plugin.kernels.modified import modified_stft  # noqa: E402
from hance_plugin.kernels.stft import frame_block, overlap_add_block  # noqa: E402

RATE_HZ = 48000


class _ConstantMask:
    """Stand-in estimator: a fixed mask of the right shapes (the engine without the network)."""

    def __init__(self, mask_low: np.ndarray, gains_high: np.ndarray, real) -> None:
        self.mask_low, self.gains_high = mask_low, gains_high
        self.feature_inputs = real.feature_inputs  # the engine then tracks the floor for it, as for the network
        self.noise_floor_settings = getattr(real, "noise_floor_settings", None)

    def reset(self, batch: int) -> None:
        pass

    def run(self, spec_low: np.ndarray, band_db: np.ndarray,
            band_floor_db: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.mask_low, self.gains_high


def _per_call_us(fn, calls: int) -> float:
    for _ in range(max(10, calls // 20)):
        fn()
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e6


def profile(model: str, block: int, calls: int, rounds: int) -> dict:
    """Median over ``rounds`` interleaved rounds of each stage's CPU time per call (us)."""
    if block != 480:
        raise ValueError("the stage rows assume one frame per block: use --block 480 (one hop)")
    rng = np.random.default_rng(0)
    denoiser = Denoiser(model=model, num_threads=1)
    denoiser.process(np.zeros((1, 10 * block), np.float32), RATE_HZ, buffer_size=block, reset=True)
    stream = denoiser._stream
    engine, cfg = stream.engine, stream.engine.config
    x = (rng.standard_normal((1, block)) * 0.05).astype(np.float32)
    out = np.zeros_like(x)
    buf = engine._work(1)
    real = engine.estimator
    reads_floor = engine._floor is not None  # models with the band_floor_db input (kernels/floor.py)
    floor = buf.band_floor_db if reads_floor else None
    mask_low, gains_high = real.run(buf.spec_low, buf.band_db, floor)
    constant = _ConstantMask(np.ascontiguousarray(mask_low), np.ascontiguousarray(gains_high), real)
    spec_copy = buf.spec.copy()
    session, names = real._session, real._output_names

    def engine_without_network() -> None:
        engine.estimator = constant
        try:
            engine._process(x, out)
        finally:
            engine.estimator = real

    def onnx_frames(t: int):
        inputs = {"spec_low": buf.spec_low, "band_db": buf.band_db, "band_floor_db": buf.band_floor_db}
        feeds = {k: np.ascontiguousarray(np.repeat(v, t, axis=1)) for k, v in inputs.items()
                 if k in real.feature_inputs}  # the graph's own inputs (a model may omit one)
        for s in real.state_names:
            feeds["state_in_" + s] = real._states[s]
        return lambda: session.run(names, feeds)

    # the floor tracker (models that read it) runs between the features and the network, as in engine._process
    floor_stage = {}
    if reads_floor:
        floor_state = tuple(a.copy() for a in engine._floor_state)
        floor_stage["track_band_floor"] = lambda: track_band_floor(buf.band_db, *floor_state, *engine._floor,
                                                                   buf.band_floor_db)
    stages = {
        "whole block (Denoiser stream)": lambda: stream.process(x, out, 0.0, 1.0, 0.0),
        "engine without the network (constant mask)": engine_without_network,
        "frame_block": lambda: frame_block(x, engine._ring, 0, 0, cfg.hop_samples, engine._wa, buf.frames),
        "rfft": lambda: np.fft.rfft(buf.frames, axis=-1, out=buf.spec),
        "modified_stft": lambda: modified_stft(buf.spec, 0, engine._table, cfg.compression_exponent, buf.spec_low),
        "band_energy_db": lambda: band_energy_db(buf.spec, engine._edges, buf.band_db),
        **floor_stage,
        "onnxruntime call (T = 1)": lambda: real.run(buf.spec_low, buf.band_db, floor),
        "apply_hybrid_mask": lambda: apply_hybrid_mask(spec_copy, constant.mask_low, constant.gains_high,
                                                       engine._hi_idx0, engine._hi_idx1, engine._hi_w,
                                                       np.float32(0), np.float32(0)),
        "irfft": lambda: np.fft.irfft(buf.spec, n=cfg.window_samples, axis=-1, out=buf.frames),
        "overlap_add_block": lambda: overlap_add_block(buf.frames, 0, engine._ws, engine._acc, engine._ready, out),
        "delay_mix (dry/wet)": lambda: delay_mix(x, stream.dry_ring, 0, out, np.float32(1.0), out),
    }
    frames = (1, 2, 4, 8, 100)
    per_round: dict[str, list[float]] = {k: [] for k in stages}
    per_frame: dict[int, list[float]] = {t: [] for t in frames}
    for _ in range(rounds):
        for name, fn in stages.items():
            per_round[name].append(_per_call_us(fn, calls))
        for t in frames:
            per_frame[t].append(_per_call_us(onnx_frames(t), max(20, calls // t)) / t)
    median = {k: float(np.median(v)) for k, v in per_round.items()}
    whole = median["whole block (Denoiser stream)"]
    alone = sum(v for k, v in median.items() if k not in ("whole block (Denoiser stream)",
                                                          "engine without the network (constant mask)"))
    rows = [{"stage": k, "us_per_call": v, "share_of_block": v / whole} for k, v in median.items()]
    rows.append({"stage": "sum of the stages timed alone", "us_per_call": alone, "share_of_block": alone / whole})
    rows.append({"stage": "whole block - sum (interference, Python glue)", "us_per_call": whole - alone,
                 "share_of_block": (whole - alone) / whole})
    onnx_rows = [{"frames_per_call": t, "us_per_frame": float(np.median(v)),
                  "ratio_to_t1": float(np.median(v)) / float(np.median(per_frame[1]))} for t, v in per_frame.items()]
    return {
        "command": "python benchmarks/stream_profile.py " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": f"{platform.node()} ({os.cpu_count()} CPUs), Python {platform.python_version()}",
        "model": model, "block_samples": block, "calls": calls, "rounds": rounds,
        "stages": rows, "onnx_frames": onnx_rows,
    }


def _markdown(report: dict) -> str:
    lines = ["# Where a streaming block's time goes (benchmarks/stream_profile.py)", "",
             f"- command: `{report['command']}` (from the repository root)",
             f"- date: {report['date']}; host: {report['host']}; one thread (CPU time, `time.process_time`)",
             f"- model `{report['model']}`, blocks of {report['block_samples']} samples at 48 kHz (one frame); "
             f"each row: median over {report['rounds']} interleaved rounds of {report['calls']} calls",
             "- stages timed alone run with warm caches: their sum is below the whole block", "",
             "| stage | CPU us per call | share of the whole block |", "|---|---:|---:|"]
    lines += [f"| {r['stage']} | {r['us_per_call']:.1f} | {r['share_of_block']:.2f} |" for r in report["stages"]]
    lines += ["", "## The onnxruntime call by frames per call", "",
              "| frames per call | CPU us per frame | ratio to T = 1 |", "|---:|---:|---:|"]
    lines += [f"| {r['frames_per_call']} | {r['us_per_frame']:.1f} | {r['ratio_to_t1']:.2f} |" for r in report["onnx_frames"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="hance-base", help="bundled model name or .onnx path")
    parser.add_argument("--block", type=int, default=480, help="block size in samples (480: one hop)")
    parser.add_argument("--calls", type=int, default=3000, help="calls per stage and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is reported)")
    parser.add_argument("--out-dir", default="benchmarks/results")
    parser.add_argument("--name", default="stream-profile")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rounds < 1:
        parser.error("--calls and --rounds must be >= 1")
    try:
        report = profile(args.model, args.block, args.calls, args.rounds)
    except ValueError as exc:
        parser.error(str(exc))
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
