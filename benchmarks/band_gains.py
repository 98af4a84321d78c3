"""Where does a model attenuate speech it should keep? Per-bin gains and phase against the ideal, on val.

Run from the repository root (needs the ``[train]`` extra)::

    python benchmarks/band_gains.py --checkpoint "hance-base=models/training/hance-base/last.pt" \
        [--checkpoint "LABEL=PATH" ...] [--data-dir ../shared/data] [--items 203]

Why: per-item val scores (``validate --per-item``) show plain SDR above the 6 kHz split falling
from 30-46 dB at the noisy input to 12-18 dB at the output on the real val noises, which carry
little energy up there, and PESQ-WB gaining nothing on val mixtures below 0 dB SNR while SI-SDR
gains 6 dB: both are signs of speech attenuated along with the noise (over-suppression). This
script measures it per frequency region.

For each checkpoint and each of ``--items`` plain val mixtures (``MixtureSource`` of the val
split, ``augment=false``, evenly spaced; ``--split train --mix ""`` looks at the training
distribution instead; fullband speech only, i.e. bandwidth >= 20 kHz, so that every region has
speech to keep; ``--band-limited`` takes every mixture and leaves out each one's bins above its
speech's measured bandwidth, e.g. for the 16-kHz-content held-out voices of
``models/training/ablations/voices/``), the model runs exactly as in training (``train.enhance``'s steps), and for every
STFT bin, in frames where the clean speech in that bin's region is active (its power within
``--active-range-db``, default 20 dB, of the region's loudest frame in that mixture; the "clean"
NIST recordings carry their own noise floor 30-36 dB below the speech, which a wider range would
count as speech to keep):

* ``gain``: the gain magnitude the engine applies to the bin: |complex mask| below the 6 kHz
  split, the band gains interpolated by ``TorchDsp.high_gains_per_bin`` above it;
* ``ideal``: the ideal ratio mask sqrt(|S|^2 / (|S|^2 + |N|^2)) of that bin (how much of the bin
  is speech; phase left aside);
* ``over``: the share of those bins where the model attenuates at least 6 dB more than the ideal
  (gain < ideal / 2): speech removed with the noise;
* ``phase error``: |angle(Y conj(S))| of the output bin Y against the clean bin S, in degrees,
  weighted by |S|^2, next to the same for the noisy bin X: what the complex mask's rotation buys
  where the noise shifted the phase (a real mask, as above the split and in the magnitude-only twin,
  keeps the noisy phase, so there the two are equal).

And what the band gains cost overall: SI-SDR (48 kHz) and PESQ-WB (16 kHz) of the model's output
against the same output with the ideal band gains (band IRM sqrt(sum|S|^2 / (sum|S|^2 +
sum|N|^2)) per ERB band above the split, interpolated as the engine does) in place of the model's,
paired per mixture. A small difference says the high band is not where the scores are lost.

And what the complex mask's rotation is worth: the same scores against the output with each
low-band bin's complex mask M replaced by |M| (the same gain, the noisy phase kept; a one-tap
mask only, so not a deep filter's), paired per mixture. For a magnitude-only model the two are the
same output; for the phase-aware one a positive difference is the part of its score that comes
from turning phase, not from gains.

Rows: frequency regions 0-1, 1-3, 3-6 kHz (complex mask) and 6-8, 8-12, 12-18, 18-24 kHz (band
gains), overall and by input SNR (the mixture's ``snr_db``). Writes
``benchmarks/results/<name>.md`` and ``.json``. Never reads the test split.
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

from _results import snr_bucket_label, write_results  # noqa: E402
from training_ablation import _mean_ci  # noqa: E402  (the paired-difference CI of the ablation tables)
REGIONS_HZ = ((0, 1000), (1000, 3000), (3000, 6000), (6000, 8000), (8000, 12000), (12000, 18000), (18000, 24001))
SNR_BUCKETS_DB = ((-100.0, 0.0), (0.0, 5.0), (5.0, 10.0), (10.0, 15.0), (15.0, 100.0))
ACTIVE_RANGE_DB = 20.0  # default --active-range-db


def collect(
    checkpoint: Path,
    data_dir: Path,
    items: int,
    seed: int,
    split: str = "val",
    mix: str = "augment=false",
    active_range_db: float = ACTIVE_RANGE_DB,
    band_limited: bool = False,
) -> dict:
    """Per region and SNR bucket: gains, ideal masks and over-attenuation counts (summed).
    ``band_limited``: every mixture, each one's bins above its ``bandwidth_hz`` left out."""
    import torch

    from hance_plugin.config import StftConfig
    from hance_plugin.training.dsp_torch import TorchDsp
    from hance_plugin.training.mixing import MixConfig, MixtureSource, parse_mix_overrides
    from hance_plugin.training.signals import si_sdr_db
    from hance_plugin.training.train import _pesq_wb, load_checkpoint, model_from_checkpoint

    model = model_from_checkpoint(load_checkpoint(checkpoint)).eval()
    dsp = TorchDsp(StftConfig())
    first = dsp.split_bin  # first bin of the band-gain region
    freqs = dsp.bin_frequencies().numpy()
    config = MixConfig(**parse_mix_overrides(mix))
    source = MixtureSource.from_shared_data(data_dir, split=split, config=config, seed=seed)
    picks = np.unique(np.round(np.linspace(0, len(source) - 1, min(items, len(source)))).astype(int))
    keys = [(r, b) for r in range(len(REGIONS_HZ)) for b in [None, *range(len(SNR_BUCKETS_DB))]]
    acc = {k: {"n": 0, "gain": 0.0, "ideal": 0.0, "over": 0, "gains": [], "w": 0.0, "err_y": 0.0, "err_x": 0.0}
           for k in keys}
    edges = dsp.config.band_edges
    high_bands = torch.from_numpy(np.flatnonzero(edges[:-1] >= first))  # the bands that have a gain
    scores: dict[str, list[float]] = {k: [] for k in ("si_sdr", "si_sdr_oracle", "pesq_wb", "pesq_wb_oracle")}
    unrotated: dict[str, list[float]] = {k: [] for k in ("si_sdr", "si_sdr_model", "pesq_wb", "pesq_wb_model")}
    used = 0
    for index in picks:
        m = source[int(index)]
        snr = float(getattr(m, "snr_db", math.nan))
        if (float(m.bandwidth_hz) < 20000 and not band_limited) or not np.any(m.clean) or not math.isfinite(snr):
            continue
        used += 1
        noisy = torch.from_numpy(np.asarray(m.noisy, np.float32))[None]
        clean = torch.from_numpy(np.asarray(m.clean, np.float32))[None]
        with torch.no_grad():
            spec = dsp.stft(noisy)
            spec_low, band_db = dsp.features(spec)
            floor = dsp.band_floor_db(band_db) if model.config.noise_floor else None
            mask, gains, _ = model(spec_low, band_db, model.initial_state(1), floor)
            masked = dsp.apply_mask(spec, mask, gains)
            # per-bin gain magnitude as applied: |complex mask| below the split (a deep filter's
            # mask [B,T,F,N,2] has no one gain: its effective |Y|/|X|), band gains above
            if mask.dim() == 5:
                x_low = spec[0, :, : dsp.split_bin]
                low_gain = masked[0, :, : dsp.split_bin].abs() / x_low.abs().clamp_min(1e-12)
            else:
                low_gain = torch.linalg.vector_norm(mask[0], dim=-1)
            g = torch.cat((low_gain, dsp.high_gains_per_bin(gains)[0]), dim=-1).numpy()
            s_full = dsp.stft(clean)
            power_s, power_n = s_full.abs() ** 2, (spec - s_full).abs() ** 2  # speech, noise
            # the same low band with the ideal band gains above the split (oracle band IRM)
            es, en = power_s @ dsp.band_matrix, power_n @ dsp.band_matrix
            oracle = torch.sqrt(es / (es + en).clamp_min(1e-30))[..., high_bands]
            n_samples = noisy.shape[-1]
            y_model = dsp.istft(masked, n_samples)[0].numpy()
            s_conj = s_full[0].conj()
            err_y = torch.angle(masked[0] * s_conj).abs().numpy()  # phase error of the output, rad
            err_x = torch.angle(spec[0] * s_conj).abs().numpy()  # ... and of the noisy input
            y_oracle = dsp.istft(dsp.apply_mask(spec, mask, oracle), n_samples)[0].numpy()
            y_unrotated = None
            if mask.dim() == 4:  # |M| in place of M: the same gains, the noisy phase
                norm = torch.linalg.vector_norm(mask, dim=-1)
                y_unrotated = dsp.istft(dsp.apply_mask(spec, torch.stack((norm, torch.zeros_like(norm)), dim=-1), gains),
                                        n_samples)[0].numpy()
        ref = np.asarray(m.clean, np.float32)
        scores["si_sdr"].append(si_sdr_db(ref, y_model))
        scores["si_sdr_oracle"].append(si_sdr_db(ref, y_oracle))
        p_model, p_oracle = _pesq_wb(ref, y_model), _pesq_wb(ref, y_oracle)
        if p_model is not None and p_oracle is not None:
            scores["pesq_wb"].append(p_model)
            scores["pesq_wb_oracle"].append(p_oracle)
        if y_unrotated is not None:
            unrotated["si_sdr"].append(si_sdr_db(ref, y_unrotated))
            unrotated["si_sdr_model"].append(scores["si_sdr"][-1])
            p_unrotated = _pesq_wb(ref, y_unrotated)
            if p_model is not None and p_unrotated is not None:
                unrotated["pesq_wb"].append(p_unrotated)
                unrotated["pesq_wb_model"].append(p_model)
        ps, pn = power_s[0].numpy(), power_n[0].numpy()
        ideal = np.sqrt(ps / np.maximum(ps + pn, 1e-30))
        bucket = next(i for i, (lo, hi) in enumerate(SNR_BUCKETS_DB) if lo <= snr < hi)
        for r, (lo, hi) in enumerate(REGIONS_HZ):
            cols = (freqs >= lo) & (freqs < hi)
            if band_limited:  # no speech to keep above the item's bandwidth
                cols &= freqs <= float(m.bandwidth_hz)
            region = ps[:, cols].sum(axis=1)
            if not np.any(cols) or not np.any(region > 0):
                continue
            active = 10 * np.log10(region + 1e-30) >= 10 * np.log10(region.max()) - active_range_db
            gg, ii = g[active][:, cols].ravel(), ideal[active][:, cols].ravel()
            ww = ps[active][:, cols].ravel()
            ey, ex = err_y[active][:, cols].ravel(), err_x[active][:, cols].ravel()
            for key in ((r, None), (r, bucket)):
                a = acc[key]
                a["n"] += gg.size
                a["gain"] += float(gg.sum())
                a["ideal"] += float(ii.sum())
                a["over"] += int(np.count_nonzero(gg < 0.5 * ii))
                a["gains"].append(gg)
                a["w"] += float(ww.sum())
                a["err_y"] += float((ww * ey).sum())
                a["err_x"] += float((ww * ex).sum())
    rows = []
    for (r, b), a in acc.items():
        if a["n"] == 0:
            continue
        gains_all = np.concatenate(a["gains"])
        rows.append({
            "region_hz": list(REGIONS_HZ[r]),
            "snr_bucket_db": None if b is None else list(SNR_BUCKETS_DB[b]),
            "bins": a["n"],
            "gain_mean": a["gain"] / a["n"],
            "gain_p10": float(np.percentile(gains_all, 10)),
            "gain_median": float(np.median(gains_all)),
            "ideal_mean": a["ideal"] / a["n"],
            "over_attenuated_share": a["over"] / a["n"],
            "phase_error_deg": math.degrees(a["err_y"] / a["w"]) if a["w"] > 0 else math.nan,
            "phase_error_noisy_deg": math.degrees(a["err_x"] / a["w"]) if a["w"] > 0 else math.nan,
        })
    cost = {m: _paired_means(scores[m], scores[f"{m}_oracle"], "model", "oracle_high_band") for m in ("si_sdr", "pesq_wb")}
    worth = None
    if unrotated["si_sdr"]:  # difference: the model minus its unrotated output
        worth = {m: _paired_means(unrotated[m], unrotated[f"{m}_model"], "unrotated", "model") for m in ("si_sdr", "pesq_wb")}
    return {"checkpoint": str(checkpoint), "mixtures": used, "rows": rows, "cost_of_band_gains": cost,
            "worth_of_rotation": worth}


def _paired_means(first: list[float], second: list[float], first_key: str, second_key: str) -> dict:
    """Means of two paired score lists and their paired difference (second - first) with its 95 % CI."""
    a, b = np.array(first), np.array(second)
    d = b - a
    return {
        "items": int(a.size),
        first_key: float(a.mean()) if a.size else math.nan,
        second_key: float(b.mean()) if b.size else math.nan,
        "difference": float(d.mean()) if d.size else math.nan,
        "ci95": _mean_ci(d)["ci95"] if d.size > 1 else math.nan,
    }


def _paired_table(intro: str, other_label: str, stats: dict, other_key: str) -> list[str]:
    """Markdown lines: SI-SDR and PESQ-WB rows of ``_paired_means`` results, the model first."""
    lines = [intro, "", f"| metric | items | model | {other_label} | difference |", "|---|---:|---:|---:|---:|"]
    for metric, label, digits in (("si_sdr", "SI-SDR (dB)", 2), ("pesq_wb", "PESQ-WB", 3)):
        c = stats[metric]
        lines.append(
            f"| {label} | {c['items']} | {c['model']:.{digits}f} | {c[other_key]:.{digits}f} "
            f"| {c['difference']:+.{digits}f} ± {c['ci95']:.{digits}f} |"
        )
    return lines + [""]


def _markdown(report: dict) -> str:
    speech = "all speech, bins up to each one's bandwidth" if report.get("band_limited") else "fullband speech only"
    lines = [
        "# Per-bin gains against the ideal ratio mask (benchmarks/band_gains.py)",
        "",
        f"- command: `{report['command']}` (from the repository root)",
        f"- date: {report['date']}; {report['split']} split, mixtures with `{report['mix'] or 'default mixing'}`, "
        f"{speech}; "
        f"bins of speech-active frames (region power within {report['active_range_db']:g} dB of its maximum in the mixture)",
        "- gain: the gain magnitude the engine applies (|complex mask| below 6 kHz, |Y|/|X| for a deep filter's bins, "
        "interpolated band gains above); "
        "ideal: sqrt(|S|²/(|S|²+|N|²)); "
        "over-attenuated: gain < ideal / 2 (6 dB or more below the ideal); "
        "phase error: |angle(Y conj(S))| in degrees, weighted by the clean bin's power, output (noisy input)",
        "",
    ]
    for label, res in report["models"].items():
        lines += [
            f"## {label} ({res['mixtures']} mixtures, `{res['checkpoint']}`)",
            "",
            "| region | input SNR | bins | gain mean | gain p10 | gain median | ideal mean | over-attenuated "
            "| phase error, deg (noisy) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in res["rows"]:
            lo, hi = row["region_hz"]
            snr = "all" if row["snr_bucket_db"] is None else snr_bucket_label(*row["snr_bucket_db"])
            lines.append(
                f"| {lo / 1000:g}-{min(hi, 24000) / 1000:g} kHz | {snr} | {row['bins']} | {row['gain_mean']:.3f} "
                f"| {row['gain_p10']:.3f} | {row['gain_median']:.3f} | {row['ideal_mean']:.3f} "
                f"| {100 * row['over_attenuated_share']:.1f} % "
                f"| {row['phase_error_deg']:.1f} ({row['phase_error_noisy_deg']:.1f}) |"
            )
        lines.append("")
        lines += _paired_table(
            "What the band gains cost: the same outputs with the model's low band and the ideal band gains above "
            "the split (band IRM per ERB band, interpolated as the engine does); mean over the mixtures, "
            "paired difference ± 95 % CI:", "model + ideal band gains", res["cost_of_band_gains"], "oracle_high_band")
        if res.get("worth_of_rotation"):
            lines += _paired_table(
                "What the complex mask's rotation is worth: the model's output against the same output with |M| "
                "in place of each low-band complex mask M (same gains, noisy phase); paired difference ± 95 % CI:",
                "model, rotation removed", res["worth_of_rotation"], "unrotated")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", action="append", required=True, metavar="LABEL=PATH")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--items", type=int, default=203)
    parser.add_argument("--split", default="val", choices=["val", "train"], help="test is never used here")
    parser.add_argument("--mix", default="augment=false", help="MixConfig overrides (default: plain mixtures)")
    parser.add_argument("--active-range-db", type=float, default=ACTIVE_RANGE_DB,
                        help="a region's frame counts as speech when its clean power is within this many dB of the "
                             "region's loudest frame (default 20: the NIST recordings' own noise floor, 30-36 dB "
                             "below the speech, stays out)")
    parser.add_argument("--band-limited", action="store_true",
                        help="take band-limited speech too, each mixture's bins above its speech's bandwidth left out "
                             "(default: fullband speech only, every bin)")
    parser.add_argument("--seed", type=int, default=0, help="the val source's seed (training runs use 0)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--name", default="band-gains")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if args.items < 1 or not 0 < args.active_range_db <= 120:
        parser.error("--items must be >= 1 and --active-range-db in (0, 120]")
    from hance_plugin.training.mixing import parse_mix_overrides

    try:
        parse_mix_overrides(args.mix)
    except ValueError as exc:
        parser.error(f"--mix: {exc}")
    models = {}
    for spec in args.checkpoint:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            parser.error(f"--checkpoint wants LABEL=PATH, got {spec!r}")
        if not Path(path).is_file():
            parser.error(f"no checkpoint {path}")
        models[label] = Path(path)
    try:
        import torch
    except ImportError:
        parser.error("needs torch: pip install -e '.[train]'")
    torch.set_num_threads(max(1, args.threads))
    report = {
        "command": "python benchmarks/band_gains.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "split": args.split,
        "mix": args.mix,
        "active_range_db": args.active_range_db,
        "band_limited": args.band_limited,
        "models": {
            label: collect(path, Path(args.data_dir), args.items, args.seed, args.split, args.mix, args.active_range_db,
                           args.band_limited)
            for label, path in models.items()
        },
    }
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
