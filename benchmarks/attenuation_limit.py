"""What the Denoiser's attenuation limit and post-filter buy or cost, per model, on val mixtures.

Run from the repository root (needs the ``[eval]`` extra, and ``[bench]``'s ``speechmos`` for DNSMOS
unless ``--dnsmos-items 0``; no torch)::

    python benchmarks/attenuation_limit.py --model hance-base [--model hance-twin] \
        [--limits 100,40,30,24,18,12] [--post-filters 0] [--pause-post-filters 0] [--items 203] [--dnsmos-items 60] \
        [--data-dir ../shared/data]

Why: the ``Denoiser`` applies Y = (lim + (1 − lim)·M)·X with lim = 10^(−attenuation_limit_db/20)
(``kernels/masks.py``), so a limit lifts every gain to at least −limit dB. Speech that a model
removed together with the noise comes back partly, and so does the noise floor. Noise-reduction
tools commonly cap attenuation this way (e.g. DeepFilterNet's ``--atten-lim``, RNNoise-based
plugins' "reduction amount"). The presets use 9 dB ("light") to 100 dB (unlimited). This script
measures what each limit does to the intrusive scores (PESQ-WB, ESTOI, SI-SDR) and, on a subset,
to DNSMOS BAK/OVRL (which reward noise removal). It gives that table to users and to whoever sets
a preset's limit or the default.

The same question for the post-filter (``Denoiser(post_filter_beta=...)``, Valin et al. 2020, see
``kernels/masks.py``), which goes the other way: it deepens the attenuation of bins the model
already turned down. ``--post-filters 0,0.02,0.05`` adds that axis: the settings are every
(limit, beta) pair, limits outer, and the first pair is the reference of the paired differences.
``--pause-post-filters 0,0.3,1`` adds the pause post-filter (``Denoiser(pause_post_filter_beta=P)``:
the same post-filter only in frames where the mask keeps little of the input, ``kernels/masks.py``)
as the innermost axis of the settings.

With two or more ``--model``s (e.g. two checkpoints exported from a training ablation) the report
adds the models paired against the first, mixture by mixture at every setting: the same val
mixtures scored by DNSMOS as well as the intrusive metrics, which ``training_ablation.py`` lacks.

Mixtures: ``--items`` val mixtures of ``hance_plugin.training.mixing.MixtureSource`` (val split,
seed 0, 3 s, the training run's val source), by default ``augment=false`` (real val noise only,
"plain val"), evenly spaced; speech-only and noise-only items are skipped (no finite SNR). Each
mixture goes through ``Denoiser(model, attenuation_limit_db=L, num_threads=1).process(...,
reset=True)`` (with ``post_filter_beta=B``), the product path users get, once per setting. Metrics are ``benchmarks/quality.py``'s
``compute_metrics`` (PESQ-WB and ESTOI at 16 kHz, SI-SDR at 48 kHz, DNSMOS P.835 from
``speechmos`` on ``--dnsmos-items`` of them, spread evenly over the set). Rows: mean per
setting and the paired difference to the first setting (± 95 % CI), overall and by input SNR
bucket. Writes ``benchmarks/results/<name>.md`` and ``.json``. Never reads the test
split: choosing a setting on test would be tuning on it.
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
from _systems import split_system_options, system_label  # noqa: E402  (MODEL[key=value] systems, shared)
from training_ablation import _mean_ci  # noqa: E402  (the paired-difference CI of the ablation tables)

DEFAULT_LIMITS_DB = (100.0, 40.0, 30.0, 24.0, 18.0, 12.0)
DEFAULT_POST_FILTERS = (0.0,)
DEFAULT_PAUSE_POST_FILTERS = (0.0,)
SNR_BUCKETS_DB = ((-100.0, 0.0), (0.0, 10.0), (10.0, 100.0))
METRICS = (  # key, label, digits
    ("pesq_wb", "PESQ-WB", 3),
    ("estoi", "ESTOI", 3),
    ("si_sdr", "SI-SDR (dB)", 2),
    ("dnsmos_bak", "DNSMOS BAK", 3),
    ("dnsmos_ovrl", "DNSMOS OVRL", 3),
)


def _parse_list(text: str, flag: str, what: str, high: float, unit: str = "") -> list[float]:
    """Comma-separated numbers of ``flag``, each in [0, high], none repeated; ValueError otherwise."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{flag} wants comma-separated numbers{unit and ' in ' + unit}, got {text!r}") from None
    if not values:
        raise ValueError(f"{flag} is empty")
    bad = [v for v in values if not 0.0 <= v <= high]
    if bad:
        raise ValueError(f"{what} must be in [0, {high:g}]{unit and ' ' + unit}, got {bad}")
    if len(set(values)) != len(values):
        raise ValueError(f"{flag} repeats a value: {text!r}")
    return values


def parse_limits(text: str) -> list[float]:
    """``"100,30,12"`` -> [100.0, 30.0, 12.0]; each in [0, 100], no repeats."""
    from hance_plugin.denoiser import MAX_ATTENUATION_LIMIT_DB

    return _parse_list(text, "--limits", "attenuation limits", MAX_ATTENUATION_LIMIT_DB, "dB")


def parse_post_filters(text: str) -> list[float]:
    """``"0,0.02,0.1"`` -> [0.0, 0.02, 0.1]; each a post-filter beta in [0, 1], no repeats."""
    from hance_plugin.denoiser import MAX_POST_FILTER_BETA

    return _parse_list(text, "--post-filters", "post-filter betas", MAX_POST_FILTER_BETA)


def parse_pause_post_filters(text: str) -> list[float]:
    """``"0,0.3,1"`` -> [0.0, 0.3, 1.0]; each a pause post-filter beta in [0, 1], no repeats."""
    from hance_plugin.denoiser import MAX_POST_FILTER_BETA

    return _parse_list(text, "--pause-post-filters", "pause post-filter betas", MAX_POST_FILTER_BETA)


def settings_of(limits_db: list[float], betas: list[float],
                pauses: list[float] | tuple[float, ...] = (0.0,)) -> list[tuple[float, float, float]]:
    """Every (limit dB, post-filter beta, pause post-filter beta) setting, limits outer, pauses inner;
    the first is the reference setting."""
    return [(lim, beta, pause) for lim in limits_db for beta in betas for pause in pauses]


def setting_key(limit_db: float, beta: float, pause: float = 0.0) -> str:
    """Key of a setting in ``per_item``: "30", "30/pf0.02" with the post-filter on, "30/pp0.5" with the
    pause post-filter on (both: "30/pf0.02/pp0.5")."""
    return f"{limit_db:g}" + (f"/pf{beta:g}" if beta else "") + (f"/pp{pause:g}" if pause else "")


def collect(model: str, data_dir: Path, settings: list[tuple[float, float, float]], items: int, dnsmos_items: int,
            mix: str, seed: int = 0, progress: bool = True) -> dict:
    """Per-mixture metrics of ``model`` at every (limit dB, post-filter beta, pause beta) setting:
    {"mixtures": [...], "per_item": {setting_key: [...]}}."""
    from quality import FS, _Dnsmos, compute_metrics, select_entries

    from hance_plugin import Denoiser
    from hance_plugin.training.mixing import MixConfig, MixtureSource, parse_mix_overrides

    source = MixtureSource.from_shared_data(data_dir, split="val", config=MixConfig(**parse_mix_overrides(mix)),
                                            seed=seed)
    picks = select_entries(range(len(source)), items)
    dnsmos = _Dnsmos() if dnsmos_items > 0 else None
    # DNSMOS on a subset spread evenly over the set (val is ordered by talker and file)
    with_dnsmos = set(select_entries(range(len(picks)), dnsmos_items)) if dnsmos_items > 0 else set()
    denoisers = {setting_key(*s): Denoiser(model=model, attenuation_limit_db=s[0], post_filter_beta=s[1],
                                           pause_post_filter_beta=s[2], num_threads=1) for s in settings}
    mixtures: list[dict] = []
    per_item: dict[str, list[dict]] = {key: [] for key in denoisers}
    iterator = picks
    if progress:
        from tqdm import tqdm

        iterator = tqdm(picks, desc=f"{model}", unit="mix", file=sys.stderr)
    for position, index in enumerate(iterator):
        m = source[int(index)]
        snr = float(m.snr_db)
        if not math.isfinite(snr) or not np.any(m.clean):
            continue
        use_dnsmos = dnsmos if position in with_dnsmos else None
        noisy = np.ascontiguousarray(m.noisy, dtype=np.float32)
        clean = np.asarray(m.clean, dtype=np.float32)
        bandwidth_hz = float(m.bandwidth_hz)
        mixtures.append({"index": int(index), "snr_db": snr, "bandwidth_hz": bandwidth_hz,
                         "noisy": compute_metrics(clean, noisy, speech_bandwidth_hz=bandwidth_hz, dnsmos=use_dnsmos)})
        for key, denoiser in denoisers.items():
            out = denoiser.process(noisy[None, :], FS, reset=True)[0]
            per_item[key].append(compute_metrics(clean, out, speech_bandwidth_hz=bandwidth_hz, dnsmos=use_dnsmos))
    return {"model": model, "mixtures": mixtures, "per_item": per_item}


def _values(rows: list[dict], key: str, keep: list[bool]) -> np.ndarray:
    return np.array([r.get(key) if isinstance(r.get(key), (int, float)) and keep[i] else np.nan
                     for i, r in enumerate(rows)], dtype=float)


def _paired_rows(mixtures: list[dict], reference: list[dict], compared: list[tuple[dict, list[dict]]]) -> list[dict]:
    """Rows (bucket, then each of ``compared``'s (fields, per-item metrics)): the mean, and the paired
    difference to ``reference`` (per-item metrics of the same mixtures) with its 95 % CI."""
    buckets = [("all", [True] * len(mixtures))]
    for lo, hi in SNR_BUCKETS_DB:
        buckets.append((snr_bucket_label(lo, hi), [lo <= m["snr_db"] < hi for m in mixtures]))
    rows = []
    noisy_rows = [m["noisy"] for m in mixtures]
    for bucket, keep in buckets:
        # the reference's and the noisy input's values, once per bucket
        refs = {key: (_values(reference, key, keep), _values(noisy_rows, key, keep)) for key, _, _ in METRICS}
        for fields, per_item in compared:
            row = {"bucket": bucket, **fields, "mixtures": int(sum(keep))}
            for key, _, _ in METRICS:
                vals = _values(per_item, key, keep)
                base, noisy = refs[key]
                ok = np.isfinite(vals) & np.isfinite(base)
                row[key] = float(vals[ok].mean()) if ok.any() else None
                row[f"{key}_noisy"] = float(noisy[ok & np.isfinite(noisy)].mean()) if (ok & np.isfinite(noisy)).any() else None
                row[f"{key}_items"] = int(ok.sum())
                diff = _mean_ci(vals[ok] - base[ok]) if ok.sum() > 1 else None
                row[f"{key}_delta"] = None if diff is None else diff["mean"]
                row[f"{key}_ci95"] = None if diff is None else diff["ci95"]
            rows.append(row)
    return rows


def _setting_fields(setting: tuple[float, ...]) -> dict:
    """Row fields of a (limit, post-filter[, pause post-filter]) setting (a pair means no pause post-filter)."""
    return {"limit_db": setting[0], "post_filter_beta": setting[1],
            "pause_post_filter_beta": setting[2] if len(setting) > 2 else 0.0}


def summarise(result: dict, settings: list[tuple[float, float, float]]) -> list[dict]:
    """Rows (bucket, setting, metric): mean, and paired difference to the first setting with its CI."""
    per_item = result["per_item"]
    compared = [(_setting_fields(s), per_item[setting_key(*s)]) for s in settings]
    return _paired_rows(result["mixtures"], per_item[setting_key(*settings[0])], compared)


def compare_models(models: dict, settings: list[tuple[float, float, float]]) -> list[dict]:
    """Rows (model, setting, bucket): each model after the first, paired against the first on the
    same mixtures at the same setting (``collect`` picks the mixtures from the data alone)."""
    labels = list(models)
    first = models[labels[0]]
    indices = [m["index"] for m in first["mixtures"]]
    rows = []
    for label in labels[1:]:
        res = models[label]
        if [m["index"] for m in res["mixtures"]] != indices:
            raise ValueError(f"{label}: not the same mixtures as {labels[0]}")
        for s in settings:
            key = setting_key(*s)
            fields = {"model": label, "against": labels[0], **_setting_fields(s)}
            rows += _paired_rows(first["mixtures"], first["per_item"][key], [(fields, res["per_item"][key])])
    return rows


def _fmt(row: dict, key: str, digits: int, first: bool) -> str:
    if row[key] is None:
        return "–"
    text = f"{row[key]:.{digits}f}"
    if not first and row[f"{key}_delta"] is not None:
        text += f" ({row[f'{key}_delta']:+.{digits}f} ± {row[f'{key}_ci95']:.{digits}f})"
    return text


def _setting_name(limit_db: float, beta: float, pause: float = 0.0) -> str:
    name = f"{limit_db:g}" + (" (unlimited)" if limit_db >= 100 else "")
    return name + (f", post-filter {beta:g}" if beta > 0.0 else "") + (f", pause post-filter {pause:g}" if pause > 0.0 else "")


def _row_name(row: dict) -> str:
    return _setting_name(row["limit_db"], row.get("post_filter_beta", 0.0), row.get("pause_post_filter_beta", 0.0))


def _markdown(report: dict) -> str:
    betas = report.get("post_filters", [0.0])
    pauses = report.get("pause_post_filters", [0.0])
    settings = settings_of(report["limits_db"], betas, pauses)
    with_pf = betas != [0.0] or pauses != [0.0]
    lines = [
        "# Attenuation limit" + (" and post-filter" if with_pf else "") + " on val (benchmarks/attenuation_limit.py)",
        "",
        f"- command: `{report['command']}` (from the repository root)",
        f"- date: {report['date']}; val split, mixtures with `{report['mix'] or 'default mixing'}` (3 s, seed 0); "
        "each through `Denoiser(model, attenuation_limit_db=L" + (", post_filter_beta=B" if betas != [0.0] else "")
        + (", pause_post_filter_beta=P" if pauses != [0.0] else "")
        + ", num_threads=1)`",
        f"- cells: mean over the mixtures (in parentheses: paired difference to {settings[0][0]:g} dB"
        + (f", post-filter {settings[0][1]:g}" if settings[0][1] > 0 else "")
        + (f", pause post-filter {settings[0][2]:g}" if settings[0][2] > 0 else "") + " "
        "± 95 % CI); "
        "DNSMOS only on a subset spread evenly over the set (count in the header)",
        "",
    ]
    for label, res in report["models"].items():
        rows = res["rows"]
        lines += [f"## {label}", ""]
        for bucket in dict.fromkeys(r["bucket"] for r in rows):
            sub = [r for r in rows if r["bucket"] == bucket]
            head = sub[0]
            lines += [
                f"### input SNR {bucket} ({head['mixtures']} mixtures; DNSMOS on {head['dnsmos_bak_items']})",
                "",
                "| limit (dB)" + (", post-filter beta" if with_pf else "") + " | " + " | ".join(lab for _, lab, _ in METRICS) + " |",
                "|---:|" + "---:|" * len(METRICS),
                "| noisy input | " + " | ".join(
                    "–" if head[f"{k}_noisy"] is None else f"{head[f'{k}_noisy']:.{d}f}" for k, _, d in METRICS) + " |",
            ]
            for i, row in enumerate(sub):
                lines.append(f"| {_row_name(row)} | " + " | ".join(_fmt(row, k, d, i == 0) for k, _, d in METRICS) + " |")
            lines.append("")
    if report.get("model_rows"):
        against = report["model_rows"][0]["against"]
        lines += [f"## Models paired against {against}", "",
                  f"- cells: mean over the mixtures (in parentheses: paired difference to {against} on the same "
                  "mixtures at the same setting ± 95 % CI)", "",
                  "| model | limit (dB)" + (", post-filter beta" if with_pf else "") + " | input SNR | mixtures | "
                  + " | ".join(lab for _, lab, _ in METRICS) + " |",
                  "|---|---:|---|---:|" + "---:|" * len(METRICS)]
        for row in report["model_rows"]:
            lines.append(f"| {row['model']} | {_row_name(row)} | {row['bucket']} | {row['mixtures']} | "
                         + " | ".join(_fmt(row, k, d, False) for k, _, d in METRICS) + " |")
        lines.append("")
    return "\n".join(lines)


_label = system_label  # a model's name in the report (``_systems.system_label``)


def check_models(parser: argparse.ArgumentParser, models: list[str], options: bool = False) -> list[str]:
    """Each ``--model`` resolved (bundled name or .onnx with its card; with ``options``, also
    ``MODEL[key=value,...]``, Denoiser options) and named uniquely, else a usage error; returns their
    report names (``_label``)."""
    from hance_plugin.card import resolve_model

    for model in models:
        try:
            path, extra = split_system_options(model)
            if extra and not options:
                raise ValueError("this script takes no Denoiser options")
            resolve_model(path)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            parser.error(f"--model {model!r}: {exc}")
    labels = [_label(m) for m in models]
    if len(set(labels)) < len(labels):
        parser.error(f"--model: two models with the same name in {labels}")
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="bundled model name or path to an .onnx with its card (repeatable)")
    parser.add_argument("--limits", default=",".join(f"{v:g}" for v in DEFAULT_LIMITS_DB),
                        help="attenuation limits in dB; the first is the reference of the paired differences")
    parser.add_argument("--post-filters", default=",".join(f"{v:g}" for v in DEFAULT_POST_FILTERS),
                        help="post-filter betas (0 = off), crossed with --limits (limits outer)")
    parser.add_argument("--pause-post-filters", default=",".join(f"{v:g}" for v in DEFAULT_PAUSE_POST_FILTERS),
                        help="pause post-filter betas (0 = off), crossed with the others (innermost)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--items", type=int, default=203)
    parser.add_argument("--dnsmos-items", type=int, default=60, help="mixtures that also get DNSMOS (0 = none)")
    parser.add_argument("--mix", default="augment=false", help="MixConfig overrides of the val mixtures")
    parser.add_argument("--name", default="attenuation-limit")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.items < 1 or args.dnsmos_items < 0:
        parser.error("--items must be >= 1 and --dnsmos-items >= 0")
    from hance_plugin.training.mixing import parse_mix_overrides

    try:
        limits = parse_limits(args.limits)
        betas = parse_post_filters(args.post_filters)
        pauses = parse_pause_post_filters(args.pause_post_filters)
        parse_mix_overrides(args.mix)
    except ValueError as exc:
        parser.error(str(exc))
    if not (Path(args.data_dir) / "speech" / "val").is_dir():
        parser.error(f"no val speech under {args.data_dir} (speech/val)")
    if args.dnsmos_items > 0:
        try:
            import speechmos  # noqa: F401
        except ImportError:
            parser.error("DNSMOS needs speechmos (pip install -e '.[bench]'); or pass --dnsmos-items 0")
    check_models(parser, args.model)
    settings = settings_of(limits, betas, pauses)
    models = {}
    for model in args.model:
        res = collect(model, Path(args.data_dir), settings, args.items, args.dnsmos_items, args.mix,
                      progress=not args.no_progress)
        models[_label(model)] = {**res, "rows": summarise(res, settings)}
    report = {
        "command": "python benchmarks/attenuation_limit.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "mix": args.mix,
        "limits_db": limits,
        "post_filters": betas,
        "pause_post_filters": pauses,
        "models": models,
    }
    if len(models) > 1:
        report["model_rows"] = compare_models(models, settings)
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
