"""Digital silence in the input: what a stretch of exact zeros (or a quiet lead-in) before or inside a recording costs.

Run from the repository root (``[eval]`` extra for the data helpers; no torch)::

    python benchmarks/digital_silence.py [--model hance-base] [--model 'hance-base[speech_guard_db=35]'] \
        [--items 60] [--lead-seconds 1] [--gap-seconds 0.5] [--data-dir ../shared/data] [--name digital-silence]

Why: files often start with digital silence (a DAW export's pre-roll, a track that starts late) or
hold edited gaps of it (silenced breaths, a gate). The engine's noise-floor tracker
(``kernels/floor.py``), which the default model reads and the speech guard uses, follows the input
down to its quietest frames and rises only 5 dB/s, so after digital silence it may sit far under the
recording's real noise, and the noise then stands far above "the floor", like speech.

Items: ``--items`` val mixtures of ``MixtureSource`` (val split, ``augment=false``, seed 0, evenly
spaced), each run in every one of these conditions through
``Denoiser(model, num_threads=1).process(x, 48000)``:

* ``plain``: the mixture as it is;
* ``lead``: ``--lead-seconds`` of zeros, then the mixture; the output after the zeros is scored;
* ``gap``: the mixture, ``--gap-seconds`` of zeros, the mixture again; the second copy is scored,
  paired with ``repeat``: the mixture twice with no gap (the same history minus the zeros);
* ``lead_dither``: like ``lead``, with 16-bit TPDF dither (±1 LSB, seeded) instead of zeros: a
  dithered export's silence, quiet but not digital silence;
* ``lead_hum``: like ``lead``, with a 50 Hz hum at −80 dBFS peak and nothing else (a muted
  microphone's mains pickup; the window's leakage reaches the other bands);
* ``lead_quiet_noise``: like ``lead``, with the mixture's own noise (noisy − clean, its first
  ``--lead-seconds``) 30 dB down: a fade-in, or a microphone gain raised after the first second.

``--segment-seconds`` sets the val mixtures' length (3 s as in training by default): a tracker that
needs a second or two to recover shows only over longer items.

``--lowpass-hz F`` first low-passes noisy and clean alike (soxr, 48 kHz -> 2F -> 48 kHz): material
whose upper bands are empty, like Ogg-coded noise or 16-kHz speech.

Metrics against the clean target (PESQ-WB, SI-SDR; ``quality.compute_metrics``; DNSMOS BAK of the
``plain`` output on ``--dnsmos-items`` of them, evenly spaced); rows give each
condition's mean and its paired difference to ``plain`` (``lead``) or ``repeat`` (``gap``), ± 95 % CI.
Writes ``benchmarks/results/<name>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import shlex
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402
from _systems import denoiser_for  # noqa: E402
from attenuation_limit import _label, check_models  # noqa: E402
from training_ablation import _mean_ci  # noqa: E402

SR = 48000
METRICS = ("pesq_wb", "si_sdr")
PAIRS = (("lead", "plain"), ("gap", "repeat"), ("lead_dither", "plain"), ("lead_hum", "plain"),
         ("lead_quiet_noise", "plain"))
CONDITIONS = ("plain", "lead", "repeat", "gap", "lead_dither", "lead_hum", "lead_quiet_noise")
LSB_16 = 1.0 / 32768.0


def conditions(noisy: np.ndarray, lead_samples: int, gap_samples: int, seed: int = 0,
               noise: np.ndarray | None = None) -> dict[str, tuple[np.ndarray, int]]:
    """{condition: (input, start of the scored stretch)}; the scored stretch is ``len(noisy)`` long.
    ``noise`` (the mixture's noise) makes ``lead_quiet_noise`` from its start, 30 dB down."""
    n = noisy.size
    zeros_lead = np.zeros(lead_samples, np.float32)
    zeros_gap = np.zeros(gap_samples, np.float32)
    rng = np.random.default_rng(seed)
    dither = ((rng.random(lead_samples) - rng.random(lead_samples)) * LSB_16).astype(np.float32)
    hum = (1e-4 * np.sin(2 * np.pi * 50.0 * np.arange(lead_samples) / SR)).astype(np.float32)
    return {
        "plain": (noisy, 0),
        "lead": (np.concatenate([zeros_lead, noisy]), lead_samples),
        "repeat": (np.concatenate([noisy, noisy]), n),
        "gap": (np.concatenate([noisy, zeros_gap, noisy]), n + gap_samples),
        "lead_dither": (np.concatenate([dither, noisy]), lead_samples),
        "lead_hum": (np.concatenate([hum, noisy]), lead_samples),
    } | ({} if noise is None else {
        "lead_quiet_noise": (np.concatenate([np.resize(noise, lead_samples).astype(np.float32) * np.float32(10 ** (-30 / 20)),
                                             noisy]), lead_samples)})


def lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """``x`` (48 kHz) through soxr to 2 x ``cutoff_hz`` and back: empty above the cutoff."""
    import soxr

    rate = 2.0 * cutoff_hz
    y = soxr.resample(soxr.resample(x.astype(np.float64), SR, rate, quality="VHQ"), rate, SR, quality="VHQ")
    out = np.zeros_like(x)
    out[: min(x.size, y.size)] = y[: x.size]
    return out.astype(np.float32)


def collect(model: str, data_dir: Path, items: int, lead_s: float, gap_s: float, progress: bool = True,
            lowpass_hz: float | None = None, segment_s: float = 3.0, dnsmos_items: int = 0) -> list[dict]:
    """Per-mixture metrics of ``model`` in every condition."""
    from quality import _Dnsmos, compute_metrics, select_entries

    from hance_plugin.training.mixing import MixConfig, MixtureSource, parse_mix_overrides

    config = MixConfig(segment_seconds=segment_s, **parse_mix_overrides("augment=false"))
    source = MixtureSource.from_shared_data(data_dir, split="val", config=config, seed=0)
    picks = select_entries(range(len(source)), items)
    dnsmos = _Dnsmos() if dnsmos_items > 0 else None
    with_dnsmos = set(select_entries(range(len(picks)), dnsmos_items)) if dnsmos else set()
    denoiser = denoiser_for(model)
    iterator = picks
    if progress:
        from tqdm import tqdm

        iterator = tqdm(picks, desc=_label(model), unit="mix", file=sys.stderr)
    rows = []
    for position, index in enumerate(iterator):
        m = source[int(index)]
        if not math.isfinite(float(m.snr_db)) or not np.any(m.clean):
            continue
        noisy = np.ascontiguousarray(m.noisy, dtype=np.float32)
        clean = np.asarray(m.clean, dtype=np.float32)
        if lowpass_hz:
            noisy, clean = lowpass(noisy, lowpass_hz), lowpass(clean, lowpass_hz)
        row = {"index": int(index), "snr_db": float(m.snr_db)}
        noise = noisy - clean  # augment=false: the input is speech plus noise
        for name, (x, start) in conditions(noisy, int(round(lead_s * SR)), int(round(gap_s * SR)), int(index),
                                           noise).items():
            y = denoiser.process(x[None, :], SR, reset=True)[0][start : start + noisy.size]
            use = dnsmos if name == "plain" and position in with_dnsmos else None
            scores = compute_metrics(clean, y, speech_bandwidth_hz=float(m.bandwidth_hz), dnsmos=use)
            row[name] = {k: scores.get(k) for k in METRICS + (("dnsmos_bak",) if use else ())}
            if hasattr(denoiser, "last_lead_in"):  # a lead_in=restart system: where it found a lead-in
                row[name]["lead_in_s"] = None if denoiser.last_lead_in is None else denoiser.last_lead_in.end_s
        rows.append(row)
    return rows


def summarise(rows: list[dict]) -> dict:
    """{condition: {metric: mean}} and {pair: {metric: paired stats}}."""
    means = {c: {k: float(np.mean([r[c][k] for r in rows if r[c][k] is not None])) for k in METRICS}
             for c in CONDITIONS if c in rows[0]}
    deltas = {}
    for a, b in PAIRS:
        if a not in rows[0]:
            continue
        deltas[f"{a} - {b}"] = {}
        for k in METRICS:
            d = np.array([r[a][k] - r[b][k] for r in rows if r[a][k] is not None and r[b][k] is not None], float)
            deltas[f"{a} - {b}"][k] = _mean_ci(d) if d.size > 1 else None
    return {"means": means, "deltas": deltas}


def markdown(report: dict) -> str:
    lines = [f"# {report['name']}: digital silence before and inside the input",
             "", f"- command: `{report['command']}`", f"- date: {report['date']}",
             f"- {report['items']} val mixtures (augment=false, {report.get('segment_seconds', 3.0):g} s"
             f"{', low-passed at %g Hz' % report['lowpass_hz'] if report.get('lowpass_hz') else ''}); lead-in "
             f"{report['lead_seconds']:g} s (zeros, 16-bit dither, a −80 dBFS 50 Hz hum, or the mixture's noise 30 dB "
             f"down), gap {report['gap_seconds']:g} s of exact zeros; ± = 95 % CI of the paired mean", "",
             "| model | condition | paired with | PESQ-WB | its reference | Δ PESQ-WB | SI-SDR (dB) | its reference | Δ SI-SDR (dB) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for label, s in report["models"].items():
        m = s["means"]
        for a, b in PAIRS:
            if f"{a} - {b}" not in s["deltas"]:
                continue
            cells = []
            for k, fmt in (("pesq_wb", "{:.3f}"), ("si_sdr", "{:.2f}")):
                d = s["deltas"][f"{a} - {b}"][k]
                cells += [fmt.format(m[a][k]), fmt.format(m[b][k]), "–" if d is None else f"{d['mean']:+.3f} ± {d['ci95']:.3f}"]
            lines.append(f"| {label} | {a} | {b} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", default=None,
                        help="bundled model, .onnx path, or MODEL[key=value] with Denoiser options (repeatable; default hance-base)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--lead-seconds", type=float, default=1.0)
    parser.add_argument("--gap-seconds", type=float, default=0.5)
    parser.add_argument("--segment-seconds", type=float, default=3.0, help="length of the val mixtures (s)")
    parser.add_argument("--dnsmos-items", type=int, default=0, help="DNSMOS BAK of the plain output on this many mixtures")
    parser.add_argument("--lowpass-hz", type=float, default=None,
                        help="low-pass noisy and clean first (empty upper bands, like Ogg noise or 16-kHz speech)")
    parser.add_argument("--name", default="digital-silence")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    models = args.model or ["hance-base"]
    labels = check_models(parser, models, options=True)
    bad_lowpass = args.lowpass_hz is not None and not 0 < args.lowpass_hz < SR / 2
    if args.items < 2 or not args.lead_seconds > 0 or not args.gap_seconds > 0 or bad_lowpass or not args.segment_seconds > 0:
        parser.error("--items must be >= 2, --lead-seconds, --gap-seconds and --segment-seconds > 0, --lowpass-hz in (0, 24000)")
    data_dir = Path(args.data_dir)
    if not (data_dir / "speech" / "val").is_dir():
        parser.error(f"--data-dir {data_dir}: no speech/val")
    report = {"name": args.name, "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "command": "python benchmarks/digital_silence.py " + shlex.join(sys.argv[1:] if argv is None else argv),
              "lead_seconds": args.lead_seconds, "gap_seconds": args.gap_seconds, "segment_seconds": args.segment_seconds,
              "lowpass_hz": args.lowpass_hz, "models": {}, "per_item": {}}
    for label, model in zip(labels, models):
        rows = collect(model, data_dir, args.items, args.lead_seconds, args.gap_seconds, progress=not args.no_progress,
                       lowpass_hz=args.lowpass_hz, segment_s=args.segment_seconds, dnsmos_items=args.dnsmos_items)
        report["items"] = len(rows)
        report["models"][label] = summarise(rows)
        report["per_item"][label] = rows
    write_results(args.out_dir, args.name, markdown(report), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
