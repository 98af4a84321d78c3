"""Oracle (ideal) mask benchmark: how good can each mask *type* possibly be?

What
----
hance-plugin's central design claim is that a *phase-aware* mask -- a complex, unbounded ratio mask
below 6 kHz and real gains above -- can reach much higher quality than the classic real-valued,
[0, 1]-bounded magnitude masks that reuse the noisy phase. Before any network is trained, this
claim can be checked with *oracle* masks: masks computed from the known clean speech S and noise N
of a synthetic mixture Y = S + N. An oracle mask is the best a perfect estimator of that mask type
could do, so its score is the ceiling of the mask type, independent of any model.

This script builds reproducible mixtures from the corpus' **test split only** (fullband speech,
test noise families never used in training), computes every mask with the project's own STFT
(``hance_plugin.stft``: the engine's exact frames, windows and overlap-add, time-aligned) and
applies the hybrid masks with the project's own kernel (``hance_plugin.kernels.masks.
apply_hybrid_mask``, the function the streaming engine calls), so the numbers describe the real
signal path, including the per-band high-frequency gains the model actually outputs.

Masks (all computed per time-frequency bin of the 48 kHz, 20 ms / 10 ms vorbis STFT):

* ``IRM``: ideal ratio mask in its square-root power form (Wang et al.; beta = 0.5),
  sqrt(|S|^2 / (|S|^2 + |N|^2)), in [0, 1], applied to the noisy STFT (noisy phase).
* ``|S|/|Y|``: unbounded ideal amplitude mask (magnitude ratio), noisy phase.
* ``PSM``: phase-sensitive mask of Erdogan et al., "Phase-sensitive and recognition-boosted speech
  separation using deep recurrent neural networks", ICASSP 2015: |S|/|Y| cos(theta_S - theta_Y)
  = Re(S/Y). Reported untruncated (real, may be negative or > 1) and truncated to [0, 1] (the
  classic form used as a training target).
* ``cIRM``: complex ideal ratio mask S/Y of Williamson, Wang & Wang, "Complex ratio masking for
  monaural speech separation", IEEE/ACM TASLP 24(3), 2016; unbounded and uncompressed, so it
  reconstructs S exactly (up to float32 rounding).
* ``hybrid``: what the plugin can express. cIRM below the split bin (6 kHz), real gains above,
  applied through ``apply_hybrid_mask``: (a) the per-bin IRM above 6 kHz, (b) the band IRM
  sqrt(sum|S|^2 / (sum|S|^2 + sum|N|^2)) over each ERB band above 6 kHz, interpolated between
  band centres by the kernel exactly as the Denoiser does (``StftConfig.high_interpolation``) --
  the model's real output resolution -- and (c) the per-bin |S|/|Y| above 6 kHz (the best
  noisy-phase real gain, for reference).

Metrics: SI-SDR (Le Roux et al., "SDR -- half-baked or well done?", ICASSP 2019; zero-mean,
scale-invariant) on the 48 kHz signals; PESQ-WB (ITU-T P.862.2, ``pesq`` package) and ESTOI
(Jensen & Taal 2016, ``pystoi``) at 16 kHz after resampling both reference and estimate with soxr.

Why
---
If the shape "cIRM ~ perfect >> IRM, hybrid close to cIRM" does not hold on real speech and real
noise, the hybrid design (and the extra cost of predicting complex masks) is not justified; if it
holds, it bounds what training can gain and tells how much the band-resolution high gains cost.

Usage
-----
    python benchmarks/oracle_masks.py                  # 48 mixtures, writes benchmarks/results/
    python benchmarks/oracle_masks.py --quick          # 8 mixtures, prints only (smoke test)
    python benchmarks/oracle_masks.py --data-dir /path/to/data --jobs 2

The functions (``oracle_reconstructions``, ``si_sdr``, ``compute_metrics`` ...) are importable;
``tests/test_oracle_masks.py`` checks them on a synthetic mixture.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import multiprocessing as mp
import os
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hance_plugin.config import StftConfig
from hance_plugin.kernels.masks import apply_hybrid_mask
from hance_plugin.stft import istft, stft
from hance_plugin.training.signals import active_level_db, load_mono_48k, perceptual_metrics, read_manifest
from hance_plugin.training.signals import si_sdr_db as si_sdr

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT_DIR = REPO_ROOT / "benchmarks" / "results"

FS = 48000
SNRS_DB = (-5.0, 0.0, 5.0, 10.0)
SPEECH_LEVEL_DBFS = -26.0
MIN_SECONDS, MAX_SECONDS = 4.0, 8.0
DEFAULT_SEED = 20240611
SPEECH_SUBSETS = ("nist_mrt_fullband", "unseen_talkers_fullband")
EPS = 1e-20  # only guards exact zeros; masks are computed in float64

# (key, label) in table order
MASKS: tuple[tuple[str, str], ...] = (
    ("noisy", "noisy input (reference)"),
    ("irm", "IRM sqrt(\\|S\\|²/(\\|S\\|²+\\|N\\|²)), [0,1], noisy phase"),
    ("iam", "magnitude ratio \\|S\\|/\\|Y\\| (unbounded), noisy phase"),
    ("psm", "PSM \\|S\\|/\\|Y\\|·cos(θS−θY), untruncated"),
    ("psm_trunc", "PSM truncated to [0,1]"),
    ("cirm", "cIRM S/Y (unbounded complex)"),
    ("hybrid_bins", "hybrid: cIRM <6 kHz + per-bin IRM above"),
    ("hybrid_bands", "hybrid: cIRM <6 kHz + band IRM above (model's output resolution)"),
    ("hybrid_bins_iam", "hybrid: cIRM <6 kHz + per-bin \\|S\\|/\\|Y\\| above"),
)
MASK_KEYS = tuple(k for k, _ in MASKS)


# --------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------
def compute_metrics(clean: np.ndarray, estimate: np.ndarray, fs: int = FS, with_perceptual: bool = True) -> dict:
    """SI-SDR (at ``fs``), and PESQ-WB / ESTOI at 16 kHz; a failed PESQ/ESTOI is NaN with a note."""
    out: dict = {"si_sdr": si_sdr(clean, estimate)}
    if not with_perceptual:
        return out
    scores, errors = perceptual_metrics(clean, estimate, fs)  # NaN + a note on failure, never a crash
    out.update(scores)
    for key, note in (("pesq_wb", "pesq_error"), ("estoi", "estoi_error")):
        if key in errors:
            out[note] = f"{type(errors[key]).__name__}: {errors[key]}"
    return out


# --------------------------------------------------------------------------------------------
# oracle masks
# --------------------------------------------------------------------------------------------
def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return num / np.maximum(den, EPS)


def oracle_masks(S: np.ndarray, N: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Full-band oracle masks (complex128 or float64, shape of the STFTs) from clean/noise/mixture STFTs."""
    S = S.astype(np.complex128)
    N = N.astype(np.complex128)
    Y = Y.astype(np.complex128)
    ps = np.abs(S) ** 2
    pn = np.abs(N) ** 2
    py = np.abs(Y) ** 2
    irm = np.sqrt(_ratio(ps, ps + pn))
    cirm = S * np.conj(Y) / np.maximum(py, EPS)  # S / Y
    iam = np.abs(cirm)  # |S| / |Y|
    psm = cirm.real  # |S|/|Y| cos(theta_S - theta_Y)
    return {
        "irm": irm,
        "iam": iam,
        "psm": psm,
        "psm_trunc": np.clip(psm, 0.0, 1.0),
        "cirm": cirm,
    }


def band_irm(S: np.ndarray, N: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(C, T, B) band IRM sqrt(sum|S|^2 / (sum|S|^2 + sum|N|^2)) for the bands given by ``edges``."""
    ps = np.abs(S.astype(np.complex128)) ** 2
    pn = np.abs(N.astype(np.complex128)) ** 2
    es = np.add.reduceat(ps, edges[:-1], axis=-1)
    en = np.add.reduceat(pn, edges[:-1], axis=-1)
    return np.sqrt(_ratio(es, es + en))


def apply_hybrid(Y: np.ndarray, mask_low: np.ndarray, gains_high: np.ndarray, config: StftConfig) -> np.ndarray:
    """Apply a hybrid mask with the engine's kernel: complex ``mask_low`` (C,T,F) + real gains (C,T,G)."""
    spec = np.ascontiguousarray(Y, dtype=np.complex64).copy()
    ml = np.ascontiguousarray(np.stack([mask_low.real, mask_low.imag], axis=-1), dtype=np.float32)
    gh = np.ascontiguousarray(gains_high, dtype=np.float32)
    idx0, idx1, w = config.high_interpolation()
    if ml.shape[2] != config.split_bin or gh.shape[2] != config.n_high_gains:
        raise ValueError(f"mask shapes {ml.shape}/{gh.shape} do not fit the config")
    bad = apply_hybrid_mask(spec, ml, gh, idx0, idx1, w, np.float32(0.0))
    if bad:
        raise RuntimeError(f"{bad} non-finite oracle mask values")
    return spec


def oracle_reconstructions(clean: np.ndarray, noise: np.ndarray, mixture: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Time-domain (n,) float32 reconstruction for every mask in ``MASK_KEYS`` (and "noisy").

    ``clean`` and ``noise`` are 48 kHz mono (n,) signals; ``mixture`` defaults to clean + noise.
    Full-band masks are multiplied onto the project's STFT of the mixture and inverted with the
    project's ISTFT; hybrid masks go through ``apply_hybrid_mask`` like in the engine.
    """
    clean = np.asarray(clean, dtype=np.float32)
    noise = np.asarray(noise, dtype=np.float32)
    mix = (clean + noise) if mixture is None else np.asarray(mixture, dtype=np.float32)
    n = mix.shape[-1]
    cfg_bands = StftConfig()
    cfg_bins = StftConfig(high_gains="bins")
    S, N, Y = stft(clean, cfg_bands), stft(noise, cfg_bands), stft(mix, cfg_bands)
    masks = oracle_masks(S, N, Y)
    out: dict[str, np.ndarray] = {"noisy": mix.copy()}
    Y128 = Y.astype(np.complex128)
    for key in ("irm", "iam", "psm", "psm_trunc", "cirm"):
        out[key] = istft((Y128 * masks[key]).astype(np.complex64), n, cfg_bands)[0]

    F = cfg_bands.split_bin
    low = masks["cirm"][:, :, :F]
    spec = apply_hybrid(Y, low, masks["irm"][:, :, F:], cfg_bins)
    out["hybrid_bins"] = istft(spec, n, cfg_bins)[0]
    spec = apply_hybrid(Y, low, masks["iam"][:, :, F:], cfg_bins)
    out["hybrid_bins_iam"] = istft(spec, n, cfg_bins)[0]
    edges = cfg_bands.band_edges.astype(np.int64)
    gains = band_irm(S, N, edges)[:, :, edges[:-1] >= F]
    spec = apply_hybrid(Y, low, gains, cfg_bands)
    out["hybrid_bands"] = istft(spec, n, cfg_bands)[0]
    return out


# --------------------------------------------------------------------------------------------
# data and mixtures
# --------------------------------------------------------------------------------------------
@dataclass
class MixtureSpec:
    index: int
    snr_db: float
    seconds: float
    talker: str
    speech_files: list
    speech_offset_s: float
    noise_file: str
    noise_family: str
    noise_offset_s: float
    noise_looped: bool
    speech_gain_db: float = 0.0
    noise_gain_db: float = 0.0
    peak_scale_db: float = 0.0
    noise_retries: int = 0


def load_manifest(data_dir: Path) -> list[dict]:
    manifest = data_dir / "MANIFEST.csv"
    if not data_dir.is_dir() or not manifest.is_file():
        raise SystemExit(
            f"error: data directory {data_dir} not found or has no MANIFEST.csv.\n"
            f"Pass --data-dir pointing at the shared corpus (default: {DEFAULT_DATA_DIR})."
        )
    return read_manifest(data_dir)


def _frame_rms_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        return np.array([10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)])
    f = x[: n * frame].astype(np.float64).reshape(n, frame)
    return 10 * np.log10(np.mean(f**2, axis=1) + 1e-20)


def noise_is_usable(x: np.ndarray, fs: int = FS) -> bool:
    """Reject (near-)silent noise segments, which scaling to the SNR would only turn into amplified
    codec/dither floor: overall RMS below -70 dBFS, or more than 20 % of 50 ms frames below -80 dBFS.
    (The game-ambience recordings are legitimately quiet, e.g. a -70 dBFS bed with bird calls, so the
    thresholds are absolute and low rather than relative.)"""
    rms_db = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)
    db = _frame_rms_db(x, int(0.05 * fs))
    return bool(rms_db > -70.0 and np.mean(db < -80.0) <= 0.20)


def _fade(x: np.ndarray, ms: float = 10.0) -> np.ndarray:
    n = min(int(ms * 1e-3 * FS), len(x) // 2)
    if n > 0:
        ramp = np.sin(0.5 * np.pi * np.linspace(0.0, 1.0, n, dtype=np.float32)) ** 2
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def _tile(x: np.ndarray, n: int) -> np.ndarray:
    reps = int(np.ceil(n / len(x)))
    return np.tile(x, reps)[:n] if reps > 1 else x[:n]


class Corpus:
    """Test-split speech (by talker) and noise (by family) from the shared data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        rows = load_manifest(data_dir)
        test = [r for r in rows if r["split"] == "test"]
        self.talkers: dict[str, list[str]] = {}
        for r in test:
            if r["kind"] != "speech" or r["subset"] not in SPEECH_SUBSETS:
                continue
            if r["subset"] == "nist_mrt_fullband":
                talker = "nist_" + Path(r["path"]).name.split("_")[0]
            else:
                talker = "unseen"  # 5 single-utterance talkers; one file = one talker
            self.talkers.setdefault(talker, []).append(r["path"])
        self.noise_families: dict[str, list[str]] = {}
        for r in test:
            if r["kind"] == "noise":
                self.noise_families.setdefault(r["subset"], []).append(r["path"])
        if not self.talkers or not self.noise_families:
            raise SystemExit(f"error: no test speech/noise found in {data_dir / 'MANIFEST.csv'}")
        for d in (self.talkers, self.noise_families):
            for k in d:
                d[k].sort()
        self._cache: dict[str, np.ndarray] = {}

    def audio(self, rel: str) -> np.ndarray:
        if rel not in self._cache:
            path = self.data_dir / rel
            if not path.is_file():
                raise SystemExit(f"error: {path} listed in MANIFEST.csv but missing")
            self._cache[rel] = load_mono_48k(path)
        return self._cache[rel]


def build_mixtures(corpus: Corpus, n_mixtures: int, seed: int) -> list[tuple[MixtureSpec, np.ndarray, np.ndarray]]:
    """Deterministic mixtures: SNR cycles over SNRS_DB, noise family and talker cycle too.

    Returns (spec, clean, noise) with clean at SPEECH_LEVEL_DBFS active level and noise scaled to
    the SNR (active speech level vs noise RMS); mixture = clean + noise.
    """
    rng = np.random.default_rng(seed)
    talkers = sorted(corpus.talkers)
    families = sorted(corpus.noise_families)
    out = []
    for i in range(n_mixtures):
        snr = SNRS_DB[i % len(SNRS_DB)]
        # (i + i // 4) % 6 crosses SNR x family evenly (2 each for 48) and spreads the first few
        family = families[(i + i // len(SNRS_DB)) % len(families)]
        talker = talkers[i % len(talkers)]
        seconds = float(rng.uniform(MIN_SECONDS, MAX_SECONDS))
        n = int(round(seconds * FS))

        # speech: one talker; NIST clips (~1.6 s) are concatenated, unseen-talker files cropped
        files = corpus.talkers[talker]
        if talker == "unseen":
            f = files[int(rng.integers(len(files)))]
            x = corpus.audio(f)
            if len(x) < n:  # shorter than the target: repeat the utterance
                x = _tile(x, n)
                offset = 0
            else:
                offset = int(rng.integers(0, len(x) - n + 1))
            clean = _fade(x[offset : offset + n])
            used = [f]
        else:
            order = rng.permutation(len(files))
            parts, used, total = [], [], 0
            for j in order:
                parts.append(corpus.audio(files[j]))
                used.append(files[j])
                total += len(parts[-1])
                if total >= n:
                    break
            clean = _fade(_tile(np.concatenate(parts), n))
            offset = 0

        # noise: a random file of the family at a random offset; skip silent segments
        fam_files = corpus.noise_families[family]
        for retry in range(50):
            nf = fam_files[int(rng.integers(len(fam_files)))]
            y = corpus.audio(nf)
            looped = len(y) < n
            if looped:
                noff = 0
                seg = _tile(y, n)
            else:
                noff = int(rng.integers(0, len(y) - n + 1))
                seg = y[noff : noff + n]
            if noise_is_usable(seg):
                break
        else:
            raise RuntimeError(f"no usable noise segment found in family {family}")

        sg = SPEECH_LEVEL_DBFS - active_level_db(clean)
        clean = (clean * 10 ** (sg / 20)).astype(np.float32)
        noise_rms_db = 10 * np.log10(np.mean(seg.astype(np.float64) ** 2))
        ng = SPEECH_LEVEL_DBFS - snr - noise_rms_db
        noise = (seg * 10 ** (ng / 20)).astype(np.float32)
        peak = float(np.max(np.abs(clean + noise)))
        scale_db = 0.0
        if peak > 0.99:  # avoid clipping: scale both, keeping the SNR
            scale = 0.99 / peak
            clean = (clean * scale).astype(np.float32)
            noise = (noise * scale).astype(np.float32)
            scale_db = 20 * np.log10(scale)
        spec = MixtureSpec(
            index=i,
            snr_db=snr,
            seconds=n / FS,
            talker=talker,
            speech_files=used,
            speech_offset_s=offset / FS,
            noise_file=nf,
            noise_family=family,
            noise_offset_s=noff / FS,
            noise_looped=looped,
            speech_gain_db=float(sg),
            noise_gain_db=float(ng),
            peak_scale_db=float(scale_db),
            noise_retries=retry,
        )
        out.append((spec, clean, noise))
    return out


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------
def evaluate_mixture(item: tuple[MixtureSpec, np.ndarray, np.ndarray]) -> dict:
    spec, clean, noise = item
    t0 = time.perf_counter()
    recon = oracle_reconstructions(clean, noise)
    metrics = {k: compute_metrics(clean, recon[k]) for k in MASK_KEYS}
    return {"mixture": asdict(spec), "metrics": metrics, "seconds_compute": time.perf_counter() - t0}


def _mean(values: list[float]) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def aggregate(results: list[dict]) -> dict:
    agg: dict = {"overall": {}, "by_snr": {}}
    for key in MASK_KEYS:
        row = {}
        for m in ("si_sdr", "pesq_wb", "estoi"):
            vals = [r["metrics"][key][m] for r in results]
            arr = np.asarray(vals, dtype=np.float64)
            fin = arr[np.isfinite(arr)]
            row[m] = _mean(vals)
            row[m + "_std"] = float(fin.std(ddof=1)) if fin.size > 1 else float("nan")
            row[m + "_n"] = int(fin.size)
        agg["overall"][key] = row
    for snr in sorted({r["mixture"]["snr_db"] for r in results}):
        sub = [r for r in results if r["mixture"]["snr_db"] == snr]
        agg["by_snr"][f"{snr:g}"] = {
            key: {m: _mean([r["metrics"][key][m] for r in sub]) for m in ("si_sdr", "pesq_wb", "estoi")}
            | {"n": len(sub)}
            for key in MASK_KEYS
        }
    return agg


def markdown_tables(agg: dict) -> str:
    labels = dict(MASKS)
    lines = [
        "| mask | SI-SDR (dB) | PESQ-WB | ESTOI |",
        "|---|---:|---:|---:|",
    ]
    for key in MASK_KEYS:
        r = agg["overall"][key]
        lines.append(f"| {labels[key]} | {r['si_sdr']:.2f} | {r['pesq_wb']:.3f} | {r['estoi']:.3f} |")
    snrs = list(agg["by_snr"])
    for metric, title, fmt in (("pesq_wb", "PESQ-WB", "{:.3f}"), ("si_sdr", "SI-SDR (dB)", "{:.2f}")):
        lines += ["", f"{title} by input SNR:", ""]
        lines.append("| mask | " + " | ".join(f"{s} dB (n={agg['by_snr'][s][MASK_KEYS[0]]['n']})" for s in snrs) + " |")
        lines.append("|---|" + "---:|" * len(snrs))
        for key in MASK_KEYS:
            cells = " | ".join(fmt.format(agg["by_snr"][s][key][metric]) for s in snrs)
            lines.append(f"| {labels[key]} | {cells} |")
    return "\n".join(lines)


def _json_safe(obj):
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="shared corpus directory with MANIFEST.csv (default: ../shared/data from the repo root)")
    p.add_argument("--n-mixtures", type=int, default=48, help="number of mixtures (default 48, 12 per SNR)")
    p.add_argument("--quick", action="store_true", help="8 mixtures, print only (does not overwrite results)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--jobs", type=int, default=2, help="worker processes (PESQ is slow; default 2)")
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    p.add_argument("--no-write", action="store_true", help="print only, write no result files")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    data_dir = args.data_dir.resolve()
    corpus = Corpus(data_dir)
    n_mix = 8 if args.quick else args.n_mixtures
    if n_mix < 1:
        raise SystemExit("error: --n-mixtures must be >= 1")
    write = not (args.quick or args.no_write)

    items = build_mixtures(corpus, n_mix, args.seed)
    t_built = time.perf_counter()
    # compile / load the numba kernel once in the parent so forked workers inherit it
    oracle_reconstructions(np.zeros(FS // 10, np.float32) + 1e-3, np.full(FS // 10, 1e-3, np.float32))

    jobs = max(1, min(args.jobs, len(items)))
    if jobs == 1:
        results = [evaluate_mixture(it) for it in items]
    else:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(jobs) as pool:
            results = pool.map(evaluate_mixture, items, chunksize=1)
    elapsed = time.perf_counter() - t_start

    agg = aggregate(results)
    tables = markdown_tables(agg)
    cli = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join([sys.executable, "benchmarks/oracle_masks.py", *cli])
    date = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    n_errors = sum(1 for r in results for k in MASK_KEYS for e in ("pesq_error", "estoi_error") if e in r["metrics"][k])
    talker_counts = {}
    family_counts = {}
    for r in results:
        talker_counts[r["mixture"]["talker"]] = talker_counts.get(r["mixture"]["talker"], 0) + 1
        family_counts[r["mixture"]["noise_family"]] = family_counts.get(r["mixture"]["noise_family"], 0) + 1
    snr_counts = ", ".join(f"{k} dB: {v['noisy']['n']}" for k, v in agg["by_snr"].items())
    cfg = StftConfig()
    header = [
        "# Oracle-mask ceilings (benchmarks/oracle_masks.py)",
        "",
        f"- command: `{command}` (run from the repository root)",
        f"- date: {date}; host: {platform.node()} ({os.cpu_count()} CPUs), {jobs} jobs, {elapsed:.0f} s",
        f"- mixtures: {len(results)} ({snr_counts}), "
        f"{MIN_SECONDS:g}–{MAX_SECONDS:g} s each, seed {args.seed}, speech active level {SPEECH_LEVEL_DBFS:g} dBFS, "
        "SNR = active speech level vs noise RMS",
        f"- data: `{data_dir}` test split only. Speech: {', '.join(SPEECH_SUBSETS)} "
        f"(talkers: {', '.join(f'{k}×{v}' for k, v in sorted(talker_counts.items()))}). "
        f"Noise families: {', '.join(f'{k}×{v}' for k, v in sorted(family_counts.items()))} "
        "(stereo downmixed to mono, 44.1 kHz resampled to 48 kHz with soxr)",
        f"- STFT: project STFT (`hance_plugin.stft`), {cfg.sample_rate_hz} Hz, window {cfg.window_samples} "
        f"({cfg.window}), hop {cfg.hop_samples}; split {cfg.split_hz:g} Hz = bin {cfg.split_bin}; "
        f"{cfg.n_high_bands} ERB bands above the split; hybrid masks applied with "
        "`hance_plugin.kernels.masks.apply_hybrid_mask` (attenuation limit off)",
        "- IRM form: square-root power ratio sqrt(\\|S\\|²/(\\|S\\|²+\\|N\\|²)) (β = 0.5), band IRM the same over band sums",
        "- metrics: SI-SDR (zero-mean, Le Roux 2019) at 48 kHz; PESQ-WB (`pesq` 0.0.4, P.862.2) and ESTOI "
        "(`pystoi`, extended) at 16 kHz after soxr resampling; means over mixtures. PESQ-WB's ceiling is "
        "4.644 (clean vs clean); cIRM's SI-SDR is limited only by float32 rounding"
        + (f"; {n_errors} PESQ/ESTOI failures left out (see JSON)" if n_errors else ""),
        "",
    ]
    md = "\n".join(header) + "\n" + tables + "\n"
    print(md)
    print(f"[{len(results)} mixtures, built in {t_built - t_start:.1f} s, total {elapsed:.1f} s]")
    if write:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "oracle_masks.md").write_text(md)
        payload = {
            "command": command,
            "date": date,
            "runtime_s": elapsed,
            "seed": args.seed,
            "n_mixtures": len(results),
            "data_dir": str(data_dir),
            "stft": cfg.to_card_fields(),
            "masks": {k: v.replace("\\|", "|") for k, v in MASKS},
            "aggregate": agg,
            "per_mixture": results,
        }
        (args.out_dir / "oracle_masks.json").write_text(json.dumps(_json_safe(payload), indent=1) + "\n")
        print(f"wrote {args.out_dir / 'oracle_masks.md'} and {args.out_dir / 'oracle_masks.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
