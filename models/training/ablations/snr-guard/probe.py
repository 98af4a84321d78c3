"""snr-guard probe (rule.md): a gain floor from the tracked noise floor, paired against no guard.

    .venv/bin/python models/training/ablations/snr-guard/probe.py --data-dir ../data-voices-ru --items 201 \
        --name snr-guard-ru [--dnsmos-items 60] [--noise-include 'music/*,...'] [--margins 10,15]

For each val mixture (``MixtureSource`` of ``--data-dir``'s val split, ``augment=false``, evenly spaced,
as ``benchmarks/band_gains.py`` picks them) the model runs once, exactly as ``train.enhance`` runs it;
the output without the guard and with it at each margin are scored against the clean target (PESQ-WB,
SI-SDR; DNSMOS on ``--dnsmos-items`` of them). ``--noise-include`` mixes the val speech with training
noises of those globs instead of the val noise (``noise_split=train``): a report of what the guard
lets through where the floor cannot follow the noise. Writes benchmarks/results/<name>.json (per item
and paired means with 95 % CIs) and prints the paired means. Never reads the test split.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "benchmarks"))


def speech_mixtures(data_dir, items: int, split: str = "val", mix: str = "augment=false", **source_kw):
    """(count, iterator of (position, index, mixture)): ``items`` mixtures of ``data_dir``'s ``split``
    (mix settings ``mix``, by default ``augment=false``; seed 0), evenly spaced over the source, as
    ``benchmarks/band_gains.py`` picks them; those without speech or without a finite SNR are skipped
    (positions keep counting them)."""
    from hance_plugin.training.mixing import MixConfig, MixtureSource, parse_mix_overrides

    source = MixtureSource.from_shared_data(Path(data_dir), split=split, seed=0,
                                            config=MixConfig(**parse_mix_overrides(mix)), **source_kw)
    picks = np.unique(np.round(np.linspace(0, len(source) - 1, min(items, len(source)))).astype(int))

    def walk():
        for position, index in enumerate(picks):
            m = source[int(index)]
            if np.any(m.clean) and math.isfinite(float(getattr(m, "snr_db", math.nan))):
                yield position, int(index), m

    return len(picks), walk()


def run_model(model, dsp, noisy):
    """(spec, band_db, floor_db, mask_low, gains_high) of ``noisy`` (1, n): the model run from reset
    exactly as ``train.enhance`` runs it, with the tracked floor it reads (no gradient)."""
    import torch

    with torch.no_grad():
        spec = dsp.stft(noisy)
        spec_low, band_db = dsp.features(spec)
        floor = dsp.band_floor_db(band_db)
        mask, gains, _ = model(spec_low, band_db, model.initial_state(1), floor)
    return spec, band_db, floor, mask, gains


def guard_per_bin(dsp, band_db, floor_db, margin_db: float, spec=None):
    """(B, T, K) lower bound of every bin's gain magnitude: sqrt(max(0, 1 - 10^(-(X - N - margin)/10)))
    with X its band's energy (dB, mean power per bin) or, given ``spec``, the bin's own power (round 3),
    and N its band's tracked floor; 0 for bins in no band."""
    import torch

    member = dsp.band_matrix > 0  # (K, nb): each bin in at most one band
    index = member.float().argmax(dim=1)
    level = band_db[..., index] if spec is None else 10.0 * torch.log10(spec.abs() ** 2 + 1e-12)
    g = torch.sqrt(torch.clamp(1.0 - 10.0 ** (-(level - floor_db[..., index] - margin_db) / 10.0), min=0.0))
    return g * member.any(dim=1).float()


def guarded_mask(dsp, mask, gains, guard, region: str = "all"):
    """(mask_low, per-bin high gains) with every gain magnitude raised to at least ``guard``; ``region``
    "low" / "high" guards only the complex-mask bins below the split / the band gains above it (round 4)."""
    import torch

    f = dsp.split_bin
    if region != "all":
        keep = torch.zeros_like(guard)
        keep[..., :f] = 1.0 if region == "low" else 0.0
        keep[..., f:] = 1.0 if region == "high" else 0.0
        guard = guard * keep
    mag = torch.linalg.vector_norm(mask, dim=-1)
    lift = torch.where(mag > 1e-12, torch.clamp_min(guard[..., :f], 0.0).maximum(mag) / mag.clamp_min(1e-12),
                       torch.zeros_like(mag))
    low = mask * lift.unsqueeze(-1)
    low = torch.where((mag <= 1e-12).unsqueeze(-1), torch.stack((guard[..., :f], torch.zeros_like(mag)), -1), low)
    high = torch.maximum(dsp.high_gains_per_bin(gains), guard[..., f:])
    return low, high


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=str(ROOT / "models/training/hance-base/last.pt"))
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--items", type=int, default=203)
    p.add_argument("--margins", default="10,15")
    p.add_argument("--dnsmos-items", type=int, default=0)
    p.add_argument("--noise-include", default="")
    p.add_argument("--per-bin", action="store_true", help="each bin's own power against its band's floor (round 3)")
    p.add_argument("--region", choices=("all", "low", "high"), default="all",
                   help="guard the bins below the 6 kHz split only (low), above it only (high), or all (round 4)")
    p.add_argument("--name", required=True)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    import torch

    from hance_plugin.config import StftConfig
    from hance_plugin.training.dsp_torch import TorchDsp
    from hance_plugin.training.mixing import parse_patterns
    from hance_plugin.training.signals import si_sdr_db
    from hance_plugin.training.train import _pesq_wb, load_checkpoint, model_from_checkpoint
    from quality import _Dnsmos, select_entries, to_16k
    from training_ablation import _mean_ci

    torch.set_num_threads(max(1, args.threads))
    margins = [float(m) for m in args.margins.split(",")]
    model = model_from_checkpoint(load_checkpoint(args.checkpoint)).eval()
    if not model.config.noise_floor:
        raise SystemExit("the guard needs the tracked floor; this model does not read it (any model could, later)")
    dsp = TorchDsp(StftConfig())
    noise = dict(noise_split="train", noise_include=parse_patterns(args.noise_include)) if args.noise_include else {}
    n_picks, mixtures = speech_mixtures(args.data_dir, args.items, **noise)
    dnsmos = _Dnsmos() if args.dnsmos_items > 0 else None
    with_dnsmos = set(select_entries(range(n_picks), args.dnsmos_items)) if dnsmos else set()
    labels = ["off"] + [f"margin {m:g} dB" for m in margins]
    items = []
    for position, index, m in mixtures:
        noisy = torch.from_numpy(np.asarray(m.noisy, np.float32))[None]
        ref = np.asarray(m.clean, np.float32)
        n = noisy.shape[-1]
        spec, band_db, floor, mask, gains = run_model(model, dsp, noisy)
        with torch.no_grad():
            outs = {"off": dsp.istft(dsp.apply_mask(spec, mask, gains), n)[0].numpy()}
            for margin, label in zip(margins, labels[1:]):
                guard = guard_per_bin(dsp, band_db, floor, margin, spec if args.per_bin else None)
                low, high = guarded_mask(dsp, mask, gains, guard, args.region)
                y = torch.cat((spec[..., : dsp.split_bin] * torch.complex(low[..., 0], low[..., 1]),
                               spec[..., dsp.split_bin :] * high), dim=-1)
                outs[label] = dsp.istft(y, n)[0].numpy()
        record = {"index": index, "snr_db": float(m.snr_db), "speech_file": m.meta.get("speech_file", "")}
        for label, y in outs.items():
            record[label] = {"si_sdr": float(si_sdr_db(ref, y)), "pesq_wb": _pesq_wb(ref, y)}
            if position in with_dnsmos:
                record[label]["dnsmos_bak"] = dnsmos(to_16k(y))["dnsmos_bak"]
        items.append(record)
        print(f"\r{position + 1}/{n_picks}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    summary = {}
    for label in labels[1:]:
        summary[label] = {}
        for key in ("pesq_wb", "si_sdr", "dnsmos_bak"):
            d = [r[label][key] - r["off"][key] for r in items
                 if r[label].get(key) is not None and r["off"].get(key) is not None]
            if d:
                stats = _mean_ci(np.asarray(d, float))
                mean, ci = stats["mean"], stats["ci95"]
                summary[label][key] = {"delta": mean, "ci95": ci, "items": len(d)}
                print(f"{args.name}: {label} - off {key:10s} {mean:+.4f} +- {ci:.4f} (n={len(d)})")
    for key in ("pesq_wb", "si_sdr"):
        vals = [r["off"][key] for r in items if r["off"][key] is not None]
        print(f"{args.name}: off {key} mean {np.mean(vals):.4f}")
    out = ROOT / "benchmarks" / "results" / f"{args.name}.json"
    out.write_text(json.dumps({"command": "python models/training/ablations/snr-guard/probe.py " + " ".join(
        sys.argv[1:] if argv is None else argv), "checkpoint": args.checkpoint, "data_dir": args.data_dir,
        "noise_include": args.noise_include, "per_bin": args.per_bin, "region": args.region, "summary": summary, "items": items}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
