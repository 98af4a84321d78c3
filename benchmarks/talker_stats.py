"""Per-talker statistics of a speech folder: what makes one talker harder to denoise than another?

Run from the repository root (needs the ``[bench]`` extra for librosa)::

    python benchmarks/talker_stats.py [--data-dir ../shared/data] [--split val] \
        [--subset nist_mrt_fullband] [--talker-regex '([A-Z][0-9])_'] [--files 40] [--mixtures 40]

Why: held out of training, talker M4 gains almost nothing on val while F1 gains as much as the
training talkers (``benchmarks/results/talker-holdout.md``). This script lists, per talker of the
``--subset`` folder of ``speech/<split>`` (``--split`` train or val; **test is refused**: these
numbers guide training choices):

* recording: active speech level (dBFS, ``signals.active_level_db``), the 5th percentile of 10 ms
  frame levels relative to it (the recording's noise floor), the long-term spectrum's centroid
  and its energy shares below 300 Hz and above 4 and 8 kHz (Welch, 2048 points);
* voice: median f0 of voiced frames (probabilistic YIN, Mauch & Dixon, ICASSP 2014,
  ``librosa.pyin`` at 16 kHz, 60-400 Hz) and, from it, the harmonic spacing in bins of the
  model's STFT (960 points at 48 kHz, 50 Hz per bin): below about 2 bins, neighbouring harmonics
  share the main lobe of the analysis window and a per-bin mask cannot separate speech from
  noise between them;
* mask ceilings on ``--mixtures`` plain mixtures of that talker (``MixtureSource`` of the split,
  ``augment=false``, the split's own noise; target = the possibly reverberant speech):
  SI-SDR of the noisy input, of the oracle IRM and of the oracle magnitude ratio |S|/|Y| with the
  noisy phase (``oracle_masks.oracle_reconstructions``). The complex ratio mask reconstructs
  exactly and is left out; the real-mask ceilings show how well the model's time-frequency grid
  separates this voice from noise at all.

``--files`` files per talker (evenly spaced in sorted order) feed the recording and voice columns.
Writes ``benchmarks/results/<name>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import re
import shlex
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402

BIN_HZ = 48000 / 960


def _evenly(items: list, n: int) -> list:
    if len(items) <= n:
        return list(items)
    return [items[int(i)] for i in np.round(np.linspace(0, len(items) - 1, n)).astype(int)]


def recording_stats(paths: list[Path]) -> dict:
    import librosa
    import soxr
    from scipy.signal import welch

    from hance_plugin.training.signals import active_level_db, load_mono_48k

    level, floor, centroid, low, high4, high8, f0 = [], [], [], [], [], [], []
    for path in paths:
        x = load_mono_48k(path)
        lvl = active_level_db(x)
        frames = x[: x.size // 480 * 480].reshape(-1, 480)
        frame_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
        level.append(lvl)
        floor.append(float(np.percentile(frame_db, 5)) - lvl)
        freqs, psd = welch(x, 48000, nperseg=2048)
        share = psd / max(float(psd.sum()), 1e-30)
        centroid.append(float((freqs * share).sum()))
        low.append(float(share[freqs < 300].sum()))
        high4.append(float(share[freqs > 4000].sum()))
        high8.append(float(share[freqs > 8000].sum()))
        y = soxr.resample(x, 48000, 16000)
        track, voiced, _ = librosa.pyin(y, fmin=60, fmax=400, sr=16000, frame_length=1024)
        f0.extend(track[voiced & np.isfinite(track)].tolist())
    f0_med = float(np.median(f0)) if f0 else float("nan")
    return {
        "files": len(paths),
        "level_dbfs": float(np.median(level)),
        "floor_rel_db": float(np.median(floor)),
        "centroid_hz": float(np.median(centroid)),
        "share_below_300hz": float(np.median(low)),
        "share_above_4khz": float(np.median(high4)),
        "share_above_8khz": float(np.median(high8)),
        "f0_median_hz": f0_med,
        "f0_p10_hz": float(np.percentile(f0, 10)) if f0 else float("nan"),
        "harmonic_spacing_bins": f0_med / BIN_HZ,
        "voiced_frames": len(f0),
    }


def mask_ceilings(data_dir: Path, split: str, files: tuple[str, ...], n: int, seed: int) -> dict:
    from oracle_masks import oracle_reconstructions

    from hance_plugin.training.mixing import MixConfig, MixtureSource
    from hance_plugin.training.signals import si_sdr_db

    source = MixtureSource.from_shared_data(
        data_dir, split=split, config=MixConfig(augment=False), seed=seed, speech_include=files
    )
    scores: dict[str, list[float]] = {"noisy": [], "irm": [], "iam": []}
    for index in _evenly(list(range(len(source))), n):
        m = source[index]
        clean, noisy = np.asarray(m.clean, np.float32), np.asarray(m.noisy, np.float32)
        if not np.any(clean) or not np.isfinite(getattr(m, "snr_db", np.nan)):
            continue  # speech-only / noise-only items
        out = oracle_reconstructions(clean, noisy - clean, noisy)
        for key in scores:
            scores[key].append(si_sdr_db(clean, out[key]))
    result = {"mixtures": len(scores["noisy"])}
    for key, values in scores.items():
        result[f"si_sdr_{key}"] = float(np.mean(values)) if values else float("nan")
    return result


def _markdown(report: dict) -> str:
    lines = [
        "# Per-talker statistics (benchmarks/talker_stats.py)",
        "",
        f"- command: `{report['command']}` (from the repository root)",
        f"- date: {report['date']}; speech: `speech/{report['split']}/{report['subset']}`, talker = "
        f"first group of `{report['talker_regex']}` on the file name",
        "- level: median active speech level; floor: 5th percentile of 10 ms frame levels re the active level; "
        "shares: of the long-term power spectrum; f0: pYIN median over voiced frames (p10 in brackets); "
        "spacing: f0 in bins of the model's 50 Hz STFT grid",
        "- SI-SDR: means over plain mixtures of the talker with the split's noise; IRM / |S|/|Y| = oracle real masks, noisy phase",
        "",
        "| talker | files | level (dBFS) | floor (dB) | centroid (Hz) | <300 Hz | >4 kHz | >8 kHz | f0 (Hz) | spacing (bins) "
        "| mixtures | SI-SDR noisy | SI-SDR IRM | SI-SDR \\|S\\|/\\|Y\\| |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for talker, r in report["talkers"].items():
        lines.append(
            f"| {talker} | {r['files']} | {r['level_dbfs']:.1f} | {r['floor_rel_db']:.1f} | {r['centroid_hz']:.0f} "
            f"| {100 * r['share_below_300hz']:.1f} % | {100 * r['share_above_4khz']:.1f} % | {100 * r['share_above_8khz']:.2f} % "
            f"| {r['f0_median_hz']:.0f} ({r['f0_p10_hz']:.0f}) | {r['harmonic_spacing_bins']:.2f} "
            f"| {r['mixtures']} | {r['si_sdr_noisy']:.2f} | {r['si_sdr_irm']:.2f} | {r['si_sdr_iam']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--split", default="val", choices=["train", "val"], help="test is never used here")
    parser.add_argument("--subset", default="nist_mrt_fullband")
    parser.add_argument("--talker-regex", default=r"([A-Z][0-9])_")
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mixtures", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="talker-stats")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if args.files < 1 or args.mixtures < 1:
        parser.error("--files and --mixtures must be >= 1")
    folder = Path(args.data_dir) / "speech" / args.split / args.subset
    if not folder.is_dir():
        parser.error(f"no speech folder {folder}")
    try:
        pattern = re.compile(args.talker_regex)
    except re.error as exc:
        parser.error(f"--talker-regex: {exc}")
    by_talker: dict[str, list[Path]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".flac", ".wav")):
        match = pattern.search(path.name)
        if match:
            by_talker.setdefault(match.group(1) if match.groups() else match.group(0), []).append(path)
    if not by_talker:
        parser.error(f"--talker-regex {args.talker_regex!r} matches no file name under {folder}")
    talkers = {}
    for talker, paths in sorted(by_talker.items()):
        stats = recording_stats(_evenly(paths, args.files))
        files = tuple(glob.escape(str(p.relative_to(folder.parent).as_posix())) for p in paths)
        stats.update(mask_ceilings(Path(args.data_dir), args.split, files, args.mixtures, args.seed))
        talkers[talker] = stats
        print(talker, {k: round(v, 3) if isinstance(v, float) else v for k, v in stats.items()}, flush=True)
    report = {
        "command": "python benchmarks/talker_stats.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "split": args.split,
        "subset": args.subset,
        "talker_regex": args.talker_regex,
        "talkers": talkers,
    }
    write_results(args.out_dir, args.name, _markdown(report), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
