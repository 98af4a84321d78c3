"""Validation table of training runs that branch from one checkpoint (an ablation on ``val``).

Each run is a ``log.jsonl`` written by ``python -m hance_plugin.training train`` (its ``val``
records: SI-SDR on the val mixtures, PESQ-WB on the first ``--pesq-items``); the optional baseline
is the JSON printed by ``python -m hance_plugin.training validate`` for the checkpoint the runs
branched from, so every row is measured on the same val mixtures. Differences are taken against
the first run at equal steps (paired: same start, same data order, same seed). Prints a Markdown
table and writes ``benchmarks/results/<name>.md`` and ``.json``.

    python benchmarks/training_ablation.py --name loss-weights \\
        --baseline models/training/ablations/loss-weights/step6000-validate.jsonl \\
        --run "mr 0.1, complex 0.3 (default)=runs/pa_oldloss" \\
        --run "mr 0.02, complex 0.5=models/training/ablations/loss-weights/mr0.02-cw0.5" --from-step 6000

Runs trained from scratch (an augmentation ablation: ``train --mix ...``) use ``--from-step 0``
and no baseline. ``--final SET/LABEL=FILE`` adds a paired comparison of final checkpoints: FILE is
the JSON printed by ``python -m hance_plugin.training validate <ckpt> --per-item`` (optionally on
more items or other val mixtures, ``--val-mix``); within each SET the first LABEL is the reference
and each other row gets the mean per-item difference with a 95 % confidence interval
(1.96 x standard error of the paired differences), so a difference can be told from noise.
Each final row also gets its gain over the noisy input, overall and by sub-group (speech subset,
noise kind, and with ``--talker REGEX`` the talker named in each item's ``speech_file``): a held-out
talker's gain next to the training talkers' gains on the same val set.

No test split is read: this compares training choices on ``val`` only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("val_si_sdr", "val_pesq_wb")
FINAL_METRICS = ("si_sdr", "pesq_wb")
# gains over the noisy input: also plain SDR below / above the model's split frequency
# (``validate --per-item``: complex-mask region vs band-gain region)
GAIN_METRICS = (*FINAL_METRICS, "sdr_low", "sdr_high")


def read_val(run_dir: Path, from_step: int, to_step: int | None) -> dict[int, dict]:
    """step -> last val record of that step in ``run_dir/log.jsonl`` (a resumed run may log twice)."""
    records: dict[int, dict] = {}
    for line in (run_dir / "log.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("kind") == "val" and rec["step"] >= from_step and (to_step is None or rec["step"] <= to_step):
            records[int(rec["step"])] = rec
    return records


def _fmt(value, digits: int) -> str:
    return "–" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.{digits}f}"


def build(runs: list[tuple[str, Path]], baseline: list[dict], from_step: int, to_step: int | None) -> dict:
    table = {label: read_val(path, from_step, to_step) for label, path in runs}
    for rec in baseline:  # the branch point, measured once with the runs' val settings
        for label in table:
            table[label][int(rec["step"])] = dict(rec, kind="val")
    steps = sorted({s for recs in table.values() for s in recs})
    first = runs[0][0]
    rows = []
    for step in steps:
        for label, _ in runs:
            rec = table[label].get(step)
            if rec is None:
                continue
            row = {"step": step, "run": label, **{k: rec.get(k) for k in METRICS},
                   "val_pesq_items": rec.get("val_pesq_items"), "val_si_sdr_items": rec.get("val_si_sdr_items")}
            ref = table[first].get(step)
            if label != first and ref is not None:
                for k in METRICS:
                    if rec.get(k) is not None and ref.get(k) is not None:
                        row[f"{k}_minus_first"] = rec[k] - ref[k]
            rows.append(row)
    noisy = next((r for recs in table.values() for r in recs.values() if "val_si_sdr_noisy" in r), {})
    return {"runs": {label: str(path) for label, path in runs}, "rows": rows,
            "noisy": {k: noisy.get(f"{k}_noisy") for k in METRICS}}


def _final_metric(items: list[dict], key: str, group: str | None = None,
                  talker: re.Pattern | None = None) -> dict[int, float]:
    return {int(r["index"]): float(r[key]) for r in items
            if r.get(key) is not None and math.isfinite(r[key]) and (group is None or group in _groups(r, talker))}


def _groups(item: dict, talker: re.Pattern | None = None) -> list[str]:
    """Sub-groups of a per-item record: its speech subset, its talker (``talker``: a regular
    expression whose first group, searched in the record's ``speech_file``, names the talker),
    and real-only vs synthetic noise."""
    out = []
    if item.get("speech_subset"):
        out.append(f"speech {item['speech_subset']}")
    found = talker.search(str(item.get("speech_file", ""))) if talker is not None else None
    if found:
        out.append(f"talker {found.group(1)}")
    kinds = [k for k in str(item.get("noise_kinds", "")).split("+") if k]
    if kinds:
        out.append("noise real only" if kinds == ["corpus"] else "noise incl. synthetic")
    return out


def _mean_ci(diff: np.ndarray) -> dict:
    """Mean of per-item differences with its 95 % CI half-width (1.96 x standard error)."""
    return {"mean": float(diff.mean()), "ci95": 1.96 * float(np.std(diff, ddof=1)) / math.sqrt(diff.size),
            "n": int(diff.size)}


def _paired(mine: dict[int, float], theirs: dict[int, float]) -> dict | None:
    common = sorted(set(mine) & set(theirs))
    if len(common) < 2:
        return None
    return _mean_ci(np.array([mine[i] - theirs[i] for i in common]))


def _gain(items: list[dict], key: str) -> dict | None:
    """Mean per-item gain over the noisy input (``key`` − ``key_noisy``) with its 95 % CI, and the
    noisy input's own mean (a gain means little without where it starts)."""
    pairs = np.array([(r[key], r[f"{key}_noisy"]) for r in items
                      if r.get(key) is not None and r.get(f"{key}_noisy") is not None
                      and math.isfinite(r[key]) and math.isfinite(r[f"{key}_noisy"])]).reshape(-1, 2)
    if pairs.shape[0] < 2:
        return None
    return {**_mean_ci(pairs[:, 0] - pairs[:, 1]), "noisy": float(pairs[:, 1].mean())}


def _check_same_mixtures(set_name: str, label: str, items: list[dict], ref_items: list[dict]) -> None:
    """Per-item records are paired by their index in the val source, which names the same mixture
    only for the same val settings (a run validated with another ``--segment-seconds`` has other
    mixtures under the same indices): refuse a set whose shared indices name other speech files or
    noise kinds."""
    theirs = {int(r["index"]): (r.get("speech_file"), r.get("noise_kinds")) for r in ref_items}
    for r in items:
        i = int(r["index"])
        if i in theirs and (r.get("speech_file"), r.get("noise_kinds")) != theirs[i]:
            raise ValueError(f"{set_name}/{label}: val item {i} is {r.get('speech_file')!r} "
                             f"({r.get('noise_kinds')}), the set's first run has {theirs[i][0]!r} "
                             f"({theirs[i][1]}) there: other mixtures (another --segment-seconds?), "
                             "they cannot be paired")


def build_final(finals: list[tuple[str, str, dict]], talker: re.Pattern | None = None) -> list[dict]:
    """Rows (set, run, metric means, paired differences against the set's first run with a 95 % CI,
    gains over the noisy input overall and by sub-group)."""
    rows = []
    reference: dict[str, dict] = {}
    for set_name, label, result in finals:
        items = result.get("per_item")
        if items is None:
            raise ValueError(f"{set_name}/{label}: no per_item scores (run `validate --per-item`)")
        row = {"set": set_name, "run": label, "step": result.get("step"), "val_mix": result.get("val_mix", "")}
        for key in ("val_speech", "val_noise", "val_rir"):
            if result.get(key):
                row[key] = result[key]
        ref = reference.setdefault(set_name, result)
        for key in ("val_mix", "val_speech", "val_noise", "val_rir"):  # per-item indices would name other mixtures
            if result.get(key, "") != ref.get(key, ""):
                raise ValueError(f"{set_name}/{label}: {key} {result.get(key, '')!r} differs from the set's "
                                 f"first run ({ref.get(key, '')!r}); put it in another set")
        if ref is not result:
            _check_same_mixtures(set_name, label, items, ref["per_item"])
        for key in FINAL_METRICS:
            mine = _final_metric(items, key)
            row[key] = float(np.mean(list(mine.values()))) if mine else None
            row[f"{key}_items"] = len(mine)
            noisy = _final_metric(items, f"{key}_noisy")
            row[f"{key}_noisy"] = float(np.mean(list(noisy.values()))) if noisy else None
            if ref is result:
                continue
            pair = _paired(mine, _final_metric(ref["per_item"], key))
            if pair is None:
                continue
            row[f"{key}_minus_first"] = pair["mean"]
            row[f"{key}_minus_first_ci95"] = pair["ci95"]
            row[f"{key}_paired_items"] = pair["n"]
        groups = sorted({g for r in items for g in _groups(r, talker)})
        row["gains"] = {"all": {key: _gain(items, key) for key in GAIN_METRICS}}
        for group in groups:
            members = [r for r in items if group in _groups(r, talker)]
            row["gains"][group] = {key: _gain(members, key) for key in GAIN_METRICS}
        if ref is not result:
            row["groups"] = {}
            for group in groups:
                row["groups"][group] = {
                    key: _paired(_final_metric(items, key, group, talker),
                                 _final_metric(ref["per_item"], key, group, talker))
                    for key in FINAL_METRICS
                }
        rows.append(row)
    return rows


def paired_delta(report: dict | str | Path, set_name: str, run: str, key: str) -> tuple[float, float, int]:
    """(mean, 95 % CI half-width, items) of ``run`` - the first run of ``set_name`` for ``key``
    (``pesq_wb``, ``si_sdr``, ...), read from a written report (its ``final`` rows); what the pre-set
    rules of ``models/training/ablations/*/judge.sh`` are judged on."""
    if not isinstance(report, dict):
        report = json.loads(Path(report).read_text())
    for row in report["final"]:
        if row["set"] == set_name and row["run"] == run:
            if row.get(f"{key}_minus_first") is None:
                raise KeyError(f"{set_name!r}/{run!r} has no paired {key} delta (is it the set's first run?)")
            return row[f"{key}_minus_first"], row[f"{key}_minus_first_ci95"], row[f"{key}_paired_items"]
    raise KeyError(f"no final row {set_name!r}/{run!r} in the report")


def set_deltas(report: dict | str | Path, sets: list[str] | tuple[str, ...], run: str, against: str,
               keys: tuple[str, ...] = ("pesq_wb", "si_sdr")) -> dict[tuple[str, str], tuple[float, float, int]]:
    """``paired_delta`` of ``run`` for each of ``sets`` and ``keys``, printed one per line as
    ``SET KEY RUN - AGAINST mean +- ci (n=items)`` (``against``: the label of the sets' first run, for
    the print only); keyed ``(set, key)``. What the judges' verdicts read."""
    if not isinstance(report, dict):
        report = json.loads(Path(report).read_text())
    width = max(len(s) for s in sets)
    d = {}
    for s in sets:
        for k in keys:
            d[s, k] = m, ci, n = paired_delta(report, s, run, k)
            print(f"{s:{width}s} {k:8s} {run} - {against} {m:+.4f} +- {ci:.4f} (n={n})")
    return d


BRANCH_SETS = {("release", "plain"): "plain val", ("release", "room"): "reverberant val",
               ("control", "plain"): "plain val vs control", ("control", "room"): "reverberant val vs control"}


def branch_deltas(report: dict | str | Path, run: str) -> dict[tuple[str, str, str], tuple[float, float, int]]:
    """``paired_delta`` of ``run`` for PESQ-WB and SI-SDR in the four sets a branch experiment's
    report has (against the release and against a same-steps control, on plain and room val:
    ``BRANCH_SETS``), printed one per line; keyed ``(reference, "plain" | "room", metric)``."""
    if not isinstance(report, dict):
        report = json.loads(Path(report).read_text())
    d = {}
    for (ref_name, s), set_name in BRANCH_SETS.items():
        for k in ("pesq_wb", "si_sdr"):
            d[ref_name, s, k] = paired_delta(report, set_name, run, k)
            m, ci, n = d[ref_name, s, k]
            print(f"vs {ref_name:7s} {s:5s} {k:8s} {m:+.4f} +- {ci:.4f} (n={n})")
    return d


PASSTHROUGH_FORMS = ("single", "running", "reverberant")


def passthrough_deltas(report: dict | str | Path, model: str, control: str | None) -> dict[tuple[str, str], float]:
    """Clean-speech pass-through SDR deltas of ``model`` from a ``benchmarks/passthrough.py`` report
    whose first model is the release: against the release (its paired mean, "all" rows) and, unless
    ``control`` is None, against ``control`` (the difference of the two paired means), per form
    (``PASSTHROUGH_FORMS``), printed one per line; keyed ``(form, "release" | "control")``. What the
    speech-only and long-segments judge.sh rules read."""
    if not isinstance(report, dict):
        report = json.loads(Path(report).read_text())
    means = {(r["form"], r["model"]): r["sdr_db_delta"]["mean"] for r in report["rows"]
             if r["group"] == "all" and "sdr_db_delta" in r}
    d = {}
    for form in PASSTHROUGH_FORMS:
        if (form, model) not in means or (control is not None and (form, control) not in means):
            raise KeyError(f"no paired 'all' row for {model!r} and {control!r} in {form!r}")
        d[form, "release"] = means[form, model]
        line = f"pass-through {form:11s} vs release {d[form, 'release']:+.2f} dB"
        if control is not None:
            d[form, "control"] = means[form, model] - means[form, control]
            line += f", vs control {d[form, 'control']:+.2f} dB"
        print(line)
    return d


def dnsmos_delta(report: dict | str | Path, model: str, against: str, bucket: str = "all") -> dict[str, float]:
    """DNSMOS BAK and OVRL of ``model`` - ``against``, paired per mixture, from a
    ``benchmarks/attenuation_limit.py --model A --model B`` report (its ``model_rows``, one
    ``bucket``), printed on one line: ``{"bak": .., "bak_ci95": .., "ovrl": .., "ovrl_ci95": ..}``.
    What the judge.sh scripts report (not decide on) since noise-floor/."""
    if not isinstance(report, dict):
        report = json.loads(Path(report).read_text())
    rows = [r for r in report["model_rows"]
            if r["bucket"] == bucket and r.get("against") == against and r["model"] == model]
    if len(rows) != 1:
        raise KeyError(f"expected one {bucket!r} row of {model!r} against {against!r}, found {len(rows)}")
    r = rows[0]
    d = {"bak": r["dnsmos_bak_delta"], "bak_ci95": r["dnsmos_bak_ci95"],
         "ovrl": r["dnsmos_ovrl_delta"], "ovrl_ci95": r["dnsmos_ovrl_ci95"]}
    print(f"DNSMOS {model} - {against} ({bucket}): BAK {d['bak']:+.3f} +- {d['bak_ci95']:.3f}, "
          f"OVRL {d['ovrl']:+.3f} +- {d['ovrl_ci95']:.3f}")
    return d


def passthrough_release_rule(d: dict, pt: dict) -> bool:
    """Criterion 2 of the speech-only branch rules (`models/training/ablations/speech-only-pesq/`,
    `speech-only-40/`, `soup-end/` rule.md), against the release: the mean of the plain and room
    PESQ-WB deltas >= -0.01, the mean of their SI-SDR deltas >= -0.3 dB, and pass-through SDR
    >= +1 dB in every form. ``d`` from :func:`branch_deltas`, ``pt`` from :func:`passthrough_deltas`."""
    return ((d["release", "plain", "pesq_wb"][0] + d["release", "room", "pesq_wb"][0]) / 2 >= -0.01
            and (d["release", "plain", "si_sdr"][0] + d["release", "room", "si_sdr"][0]) / 2 >= -0.3
            and all(pt[form, "release"] >= 1.0 for form in PASSTHROUGH_FORMS))


def floor_release_criteria(d: dict, dn: dict, pt: dict) -> tuple[bool, bool, bool]:
    """S1-S3 of the release rules against the shipped ``hance-base`` (`models/training/ablations/
    floor-release/`, `running-floor/`, `extend-21000/` rule.md): S1 plain val PESQ-WB >= +0.010 and
    SI-SDR >= -0.10 dB, S2 DNSMOS BAK >= -0.02, S3 clean-speech pass-through SDR >= -0.5 dB in every
    form. ``d`` maps ``pesq_wb`` and ``si_sdr`` to :func:`paired_delta` tuples, ``dn`` is from
    :func:`dnsmos_delta`, ``pt`` from :func:`passthrough_deltas` (control None). Prints one line per
    criterion."""
    s1 = d["pesq_wb"][0] >= 0.010 and d["si_sdr"][0] >= -0.10
    s2 = dn["bak"] >= -0.02
    s3 = all(pt[form, "release"] >= -0.5 for form in PASSTHROUGH_FORMS)
    print(f"S1 plain val PESQ-WB >= +0.010 and SI-SDR >= -0.10 dB: {'holds' if s1 else 'FAILS'}")
    print(f"S2 DNSMOS BAK >= -0.02: {'holds' if s2 else 'FAILS'}")
    print(f"S3 pass-through >= -0.5 dB in each form: {'holds' if s3 else 'FAILS'}")
    return s1, s2, s3


def level_gap(reports: dict[int, dict | str | Path], control: str, arm: str) -> dict:
    """The level gap of clean single files (the mixture-level, level-range and level-speech rule.md):
    ``reports`` maps levels in -dBFS (e.g. {45: ..., 26: ...}; the first two make the gap) to
    ``benchmarks/passthrough.py`` reports of ``control`` and ``arm``. Prints each model's mean SDR per
    level and its gap (first level minus second), returns the paired ``_mean_ci`` of arm gap minus
    control gap over the files (> 0: the arm's gap is smaller)."""
    sdr = {}
    for level, report in reports.items():
        if not isinstance(report, dict):
            report = json.loads(Path(report).read_text())
        keep = [i for i, it in enumerate(report["items"]) if it["form"] == "single"]
        sdr[level] = {m: np.array([report["per_item"][m][i]["sdr_db"] for i in keep], dtype=float) for m in (control, arm)}
    first, second = list(reports)[:2]
    gap = {m: sdr[first][m] - sdr[second][m] for m in (control, arm)}
    levels = " / ".join(f"-{level}" for level in reports)
    for m in (control, arm):
        means = " / ".join(f"{sdr[level][m].mean():.2f}" for level in reports)
        print(f"{m:14s} single-file SDR at {levels} dBFS: {means} dB; gap -{first} minus -{second} {gap[m].mean():+.2f} dB")
    shrink = _mean_ci(gap[arm] - gap[control])
    print(f"gap, arm - control: {shrink['mean']:+.2f} +- {shrink['ci95']:.2f} dB (n={shrink['n']})")
    return shrink


def gap_change(base_release: dict | str | Path, base_after: dict | str | Path, twin_release: dict | str | Path,
               twin_after: dict | str | Path, key: str) -> dict[str, dict]:
    """The phase-aware - twin gap before and after a recipe, paired per item (the twin-loss-pesq and
    twin-speech-only judge.sh): four ``validate --per-item`` records of one val set (checked to be
    the same mixtures, as ``build_final`` does), items kept where all four have a finite ``key``.
    Returns ``_mean_ci`` dicts: ``before`` (base - twin at the releases), ``after``, ``base_gain``,
    ``twin_gain`` and ``did``, the change of the gap (base gain - twin gain; < 0: the recipe helped
    the twin more)."""
    records = [json.loads(Path(r).read_text()) if not isinstance(r, dict) else r
               for r in (base_release, base_after, twin_release, twin_after)]
    for label, record in zip(("base after", "twin release", "twin after"), records[1:]):
        _check_same_mixtures("gap_change", label, record["per_item"], records[0]["per_item"])
    br, ba, tr, ta = (_final_metric(record["per_item"], key) for record in records)
    common = [i for i in br if i in ba and i in tr and i in ta]

    def stat(f):
        return _mean_ci(np.array([f(i) for i in common], dtype=np.float64))

    return {"before": stat(lambda i: br[i] - tr[i]), "after": stat(lambda i: ba[i] - ta[i]),
            "base_gain": stat(lambda i: ba[i] - br[i]), "twin_gain": stat(lambda i: ta[i] - tr[i]),
            "did": stat(lambda i: (ba[i] - br[i]) - (ta[i] - tr[i]))}


def control_gain_rule(d: dict, plain_pesq_min: float, plain_si_sdr_min: float, room_pesq_min: float) -> bool:
    """Criterion 1 of the branch rules that ask whether a change pays at equal steps
    (`models/training/ablations/loss-pesq/`, `mask-gate/`, `subband/`, `subband-10/` rule.md), against
    the same-steps control: plain val PESQ-WB delta >= ``plain_pesq_min`` with its 95 % interval above
    0, plain val SI-SDR delta >= ``plain_si_sdr_min`` dB, rooms PESQ-WB delta >= ``room_pesq_min``.
    ``d`` from :func:`branch_deltas`."""
    p, ci, _ = d["control", "plain", "pesq_wb"]
    return (p >= plain_pesq_min and p - ci > 0 and d["control", "plain", "si_sdr"][0] >= plain_si_sdr_min
            and d["control", "room", "pesq_wb"][0] >= room_pesq_min)


def release_rule(d: dict, pesq_min: float, mean_si_sdr_min: float) -> bool:
    """Criterion 2 of the same rules, against the release: the plain and the rooms PESQ-WB deltas
    both >= ``pesq_min`` and the mean of their SI-SDR deltas >= ``mean_si_sdr_min`` dB."""
    return (min(d["release", "plain", "pesq_wb"][0], d["release", "room", "pesq_wb"][0]) >= pesq_min
            and (d["release", "plain", "si_sdr"][0] + d["release", "room", "si_sdr"][0]) / 2 >= mean_si_sdr_min)


def markdown_final(rows: list[dict]) -> str:
    lines = ["", "## Final checkpoints, paired per item", "",
             "- Δ = this run − the set's first run, mean over the same val items ± 95 % CI (paired)", "",
             "| val set | run | step | SI-SDR (dB) | Δ SI-SDR | PESQ-WB | Δ PESQ | items (SI-SDR / PESQ) | noisy SI-SDR / PESQ |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        def delta(key: str, digits: int) -> str:
            if r.get(f"{key}_minus_first") is None:
                return "–"
            return f"{r[f'{key}_minus_first']:+.{digits}f} ± {r[f'{key}_minus_first_ci95']:.{digits}f}"

        lines.append(
            f"| {r['set']} | {r['run']} | {r['step']} | {_fmt(r['si_sdr'], 2)} | {delta('si_sdr', 2)} | "
            f"{_fmt(r['pesq_wb'], 3)} | {delta('pesq_wb', 3)} | {r['si_sdr_items']} / {r['pesq_wb_items']} | "
            f"{_fmt(r['si_sdr_noisy'], 2)} / {_fmt(r['pesq_wb_noisy'], 3)} |"
        )
    grouped = [r for r in rows if r.get("groups")]
    if grouped:
        lines += ["", "### Δ by val sub-group (paired, ± 95 % CI, items)", "",
                  "| val set | run | sub-group | Δ SI-SDR (dB) | Δ PESQ-WB |", "|---|---|---|---:|---:|"]
        for r in grouped:
            for group, pairs in r["groups"].items():
                def cell(key: str, digits: int) -> str:
                    pair = pairs.get(key)
                    return "–" if pair is None else f"{pair['mean']:+.{digits}f} ± {pair['ci95']:.{digits}f} ({pair['n']})"

                lines.append(f"| {r['set']} | {r['run']} | {group} | {cell('si_sdr', 2)} | {cell('pesq_wb', 3)} |")
    if any(r.get("gains") for r in rows):
        lines += ["", "### Gain over the noisy input by sub-group (per item, ± 95 % CI, items)", "",
                  "- SDR < / ≥ split: plain SDR of the bins below / above the model's 6 kHz split (complex mask /"
                  " band gains), gain (noisy input's own SDR in brackets); ≥ split only on items whose target has"
                  " content there", "",
                  "| val set | run | sub-group | SI-SDR gain (dB) | PESQ-WB gain | SDR gain < split (dB) | SDR gain ≥ split (dB) |",
                  "|---|---|---|---:|---:|---:|---:|"]
        for r in rows:
            for group, gains in (r.get("gains") or {}).items():
                def gain_cell(key: str, digits: int, start: bool = False) -> str:
                    g = gains.get(key)
                    if g is None:
                        return "–"
                    where = f"; noisy {g['noisy']:.1f}" if start else ""
                    return f"{g['mean']:+.{digits}f} ± {g['ci95']:.{digits}f} ({g['n']}{where})"

                lines.append(f"| {r['set']} | {r['run']} | {group} | {gain_cell('si_sdr', 2)} | "
                             f"{gain_cell('pesq_wb', 3)} | {gain_cell('sdr_low', 2, True)} | {gain_cell('sdr_high', 2, True)} |")
    return "\n".join(lines) + "\n"


def markdown(result: dict, command: str) -> str:
    lines = [f"- command: `{command}`",
             f"- noisy input on the same val items: SI-SDR {_fmt(result['noisy']['val_si_sdr'], 2)} dB, "
             f"PESQ-WB {_fmt(result['noisy']['val_pesq_wb'], 3)}",
             "- Δ = this run − the first run at the same step", "",
             "| step | run | val SI-SDR (dB) | Δ SI-SDR | val PESQ-WB | Δ PESQ | PESQ items |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(
            f"| {r['step']} | {r['run']} | {_fmt(r['val_si_sdr'], 2)} | {_fmt(r.get('val_si_sdr_minus_first'), 2)} | "
            f"{_fmt(r['val_pesq_wb'], 3)} | {_fmt(r.get('val_pesq_wb_minus_first'), 3)} | {r['val_pesq_items'] or '–'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, help="LABEL=RUN_DIR (the first is the reference)")
    parser.add_argument("--baseline", type=Path, default=None, help="JSON lines from `hance_plugin.training validate`")
    parser.add_argument("--from-step", type=int, default=0)
    parser.add_argument("--to-step", type=int, default=None)
    parser.add_argument("--name", required=True, help="writes benchmarks/results/<name>.md and .json")
    parser.add_argument("--title", default=None)
    parser.add_argument("--final", action="append", default=[],
                        help="SET/LABEL=FILE: `validate --per-item` JSON of a run's final checkpoint")
    parser.add_argument("--talker", default=None,
                        help="regular expression whose first group names the talker in a per-item speech_file, "
                        "e.g. 'nist_mrt_fullband/([A-Z][0-9])_' (adds talker sub-groups)")
    args = parser.parse_args(argv)
    talker = None
    if args.talker is not None:
        try:
            talker = re.compile(args.talker)
        except re.error as exc:
            parser.error(f"--talker is not a regular expression: {exc}")
        if talker.groups < 1:
            parser.error("--talker needs one (group) that names the talker")
    runs = []
    for spec in args.run:
        label, sep, path = spec.rpartition("=")
        if not sep or not label:
            parser.error(f"--run wants LABEL=RUN_DIR, got {spec!r}")
        if not (Path(path) / "log.jsonl").is_file():
            parser.error(f"no log.jsonl in {path}")
        runs.append((label, Path(path)))
    baseline = []
    if args.baseline is not None:
        baseline = [json.loads(x) for x in args.baseline.read_text().splitlines() if x.strip()]
    result = build(runs, baseline, args.from_step, args.to_step)
    finals = []
    for spec in args.final:
        name, sep, path = spec.rpartition("=")
        set_name, slash, label = name.partition("/")
        if not sep or not slash or not set_name or not label:
            parser.error(f"--final wants SET/LABEL=FILE, got {spec!r}")
        if not Path(path).is_file():
            parser.error(f"no such file: {path}")
        lines = [x for x in Path(path).read_text().splitlines() if x.strip()]
        finals.append((set_name, label, json.loads(lines[-1])))
    try:
        result["final"] = build_final(finals, talker)
    except ValueError as exc:
        parser.error(str(exc))
    command = "python benchmarks/training_ablation.py " + " ".join(
        [f"--name {args.name}"] + [f'--run "{s}"' for s in args.run]
        + ([f"--baseline {args.baseline}"] if args.baseline else []) + [f"--from-step {args.from_step}"]
        + ([f"--to-step {args.to_step}"] if args.to_step is not None else [])
        + [f'--final "{s}"' for s in args.final]
        + ([f"--talker '{args.talker}'"] if args.talker else [])
    )
    text = f"# {args.title or 'Training ablation on val: ' + args.name}\n\n" + markdown(result, command)
    if result["final"]:
        text += markdown_final(result["final"])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(text)
    (RESULTS / f"{args.name}.json").write_text(json.dumps({"command": command, **result}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
