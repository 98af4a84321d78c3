"""Training loop for the mask estimator (needs torch; CPU-friendly, exactly resumable).

One step: a batch of mixtures -> ``TorchDsp`` features (as the engine computes them) -> network
(whole segment, T = N frames, zero initial state as after ``reset()``) -> mask application ->
inverse STFT -> ``EnhancementLoss`` against the clean target (bandwidth-aware) -> AdamW step
(gradient clipping, linear warm-up then cosine decay).

Data order is a pure function of (seed, position): position p of the training stream is item
``perm_e[p mod len]`` of the source with ``perm_e`` a permutation seeded by (seed, epoch e =
p div len), and ``source[i]`` is itself deterministic. Batch s holds positions s·B .. s·B + B - 1,
so resuming at step s only needs s: the DataLoader's sampler restarts there. Together with the
model/optimizer/scheduler/RNG states in the checkpoint, N straight steps and N/2 + resume + N/2
give bit-identical parameters (same thread count; tested).

Checkpoints (``last.pt``; ``best.pt`` by the chosen validation metric) are written atomically
(temporary file + rename) every ``checkpoint_minutes``, at the end, before a ``max_minutes``
limit, and on SIGTERM/SIGINT. ``log.jsonl`` gets one JSON object per line: train records
(``"kind": "train"``) every ``log_every`` steps and validation records (``"kind": "val"``: loss,
SI-SDR, SI-SDR of the noisy input, PESQ-WB on a few items when ``pesq`` is installed).
``run(progress=...)`` also shows a progress bar (tqdm, on stderr: steps, rate, time left, the last
logged loss and val scores); by default only where stderr is a terminal, so logs and pipes stay clean.

Talker generalisation: the val split has the same four fullband talkers as train (unseen words
only). ``holdout_speech`` (glob patterns, e.g. ``nist_mrt_fullband/M4_*``) keeps matching train
files out of training; ``validate_checkpoint(..., holdout=True)`` then scores exactly those files
mixed with the val split's noise: a talker-disjoint val set, never the test split.

Noise generalisation: the val split's real noise is two recordings (a river, a snowstorm), while
the test split's noise families are all unseen in training. ``holdout_noise`` (glob patterns under
``noise/train/``, e.g. ``0ad_ambient_weather/wind*``) keeps matching train noise files out of
training (corpus noise and second noises); ``holdout=True`` then mixes val speech (or the held-out
speech, if the run held both out) with exactly those noises: a noise-family-disjoint val set.

Knowledge distillation: ``teacher="deepfilternet3"`` (teacher.py) adds, on the items where the
teacher's task is ours, the loss against a pretrained enhancer's output of the same noisy input;
the data order is unchanged, so a run with it pairs with one without.

Regularisation against memorising the few training talkers: ``dropout`` (on each GRU layer's
input) and ``feature_noise`` (on the normalised input features), both training-only and off by
default (model.py ``set_regularisation``). They draw from torch's RNG, which the checkpoint keeps,
so a run with them resumes exactly too, and they can be switched on when branching (``--resume``).

``train_only`` (comma-separated parameter-name prefixes, e.g. ``guard_head``) trains only those
parameters and freezes the rest (no gradient, so AdamW neither steps nor decays them): a head grown
onto a trained network can then learn without the network taking its work over.

Reverb: the val split has no rooms, so val mixtures are dry while the test set is half
reverberant. ``val_rir_split="train"`` reverbs the val mixtures (their ``p_reverb``) in the
training rooms: it shows whether reverberant speech is kept (the target is the reverberant speech).
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import sys
import threading
import time
import dataclasses
import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm import tqdm

from ..config import StftConfig
from .dsp_torch import TorchDsp
from .losses import EnhancementLoss
from .model import MaskEstimatorNet, ModelConfig, check_regularisation, count_params_and_macs
from .mixing import parse_mix_overrides, parse_weights
from .signals import band_sdr_db, perceptual_metrics, si_sdr_db
from .teacher import TEACHERS, make_teacher, teacher_eligible

__all__ = ["TrainConfig", "Trainer", "TeacherPositionDataset", "train", "validate_checkpoint", "checkpoint_trainer", "enhance", "enhance_components", "load_checkpoint", "model_from_checkpoint", "read_log", "plot_log"]

SAMPLE_RATE = 48000
CHECKPOINT_VERSION = 1
VAL_RIR_SPLITS = ("", "train", "val")  # val_rir_split's choices: "" = the val split's own rooms (none); never "test"


@dataclass
class TrainConfig:
    """All knobs of a run (stored in every checkpoint)."""

    data_dir: str = "../shared/data"
    out: str = "runs/default"
    variant: str = "phase_aware"
    size: str = "base"
    subband_hidden: int = 0  # > 0: train with the per-bin sub-band refinement of that width from step 0 (model.py)
    noise_floor: bool = False  # the network also reads band_db - the tracked noise floor (model.py, kernels/floor.py)
    df_order: int = 1  # > 1: a deep filter of that many taps on the lowest df_bins bins from step 0 (model.py)
    df_bins: int = 0
    twin_mask: str = "softplus"  # magnitude_twin's mask: softplus or abs (model.py), from step 0
    steps: int = 10000
    batch_size: int = 8
    segment_seconds: float = 3.0
    seed: int = 0
    init_seed: int = -1  # >= 0: initialise the weights from this seed instead (data order, val and RNG state after init unchanged)
    lr: float = 1e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 500
    weight_decay: float = 1e-2
    grad_clip: float = 1.0
    threads: int = 2
    workers: int = 1
    log_every: int = 20
    val_every: int = 500
    val_items: int = 32
    pesq_items: int = 8
    best_metric: str = "val_si_sdr"
    checkpoint_minutes: float = 5.0
    max_minutes: float = 0.0  # 0 = no limit
    stats_items: int = 32
    mr_weight: float = 0.1  # compressed ~0.2 vs 0.1 x MR ~2.5 on noisy shared-data mixtures
    complex_weight: float = 0.3
    over_suppression_weight: float = 0.0  # gamma of the asymmetric over-suppression term (losses.py); 0 = off
    residual_noise_weight: float = 0.0  # delta of the residual-noise (components) term (losses.py); 0 = off
    stop_at_step: int = 0  # stop (with a checkpoint) at this step; 0 = run to ``steps``
    mix: str = ""  # MixConfig overrides of the *training* mixtures, "key=value,key=value"
    val_mix: str = ""  # MixConfig overrides of the val mixtures (default: MixConfig's defaults)
    holdout_speech: str = ""  # glob patterns of train speech kept out of training, e.g. "nist_mrt_fullband/M4_*"
    holdout_noise: str = ""  # glob patterns of train noise kept out of training, e.g. "0ad_ambient_weather/wind*"
    speech_weights: str = ""  # "glob=weight,..." draw weights of train speech, e.g. "nist_mrt_fullband/*=1.2"
    val_rir_split: str = ""  # rooms of the val mixtures' reverb: "" = the val split's (none), "train" = the training rooms
    teacher: str = ""  # knowledge-distillation teacher (teacher.py): "" = none, "deepfilternet3"
    teacher_weight: float = 1.0  # weight of the loss against the teacher's output, on its eligible items
    dropout: float = 0.0  # training-only dropout on each GRU layer's input (model.py set_regularisation); 0 = off
    feature_noise: float = 0.0  # training-only Gaussian noise (std) on the normalised input features; 0 = off
    train_only: str = ""  # comma-separated parameter-name prefixes that train, all others frozen; "" = all train
    resume: bool = False

    def __post_init__(self) -> None:
        parse_mix_overrides(self.mix)  # fail at start-up, not in a DataLoader worker
        parse_mix_overrides(self.val_mix)
        parse_weights(self.speech_weights)
        if self.val_rir_split not in VAL_RIR_SPLITS:
            raise ValueError(f"val_rir_split must be '', 'train' or 'val' (never test), got {self.val_rir_split!r}")
        if self.subband_hidden < 0:
            raise ValueError(f"subband_hidden must be >= 0, got {self.subband_hidden}")
        if self.teacher not in TEACHERS:
            raise ValueError(f"teacher must be one of {TEACHERS}, got {self.teacher!r}")
        if not (math.isfinite(self.teacher_weight) and self.teacher_weight >= 0):
            raise ValueError(f"teacher_weight must be finite and >= 0, got {self.teacher_weight}")
        check_regularisation(self.dropout, self.feature_noise)
        if self.train_only and not all(p.strip() for p in self.train_only.split(",")):
            raise ValueError(f"train_only must be comma-separated parameter-name prefixes, got {self.train_only!r}")


# --- data --------------------------------------------------------------------------------------
def _make_sources(cfg: TrainConfig, holdout_val: bool = False):
    """(train, val) MixtureSource objects from the shared data (``hance_plugin.training.mixing``).

    Train speech matching ``cfg.holdout_speech`` and train noise matching ``cfg.holdout_noise``
    are left out of training. ``holdout_val=True`` makes the val source of exactly those files
    (train split): held-out speech (else val speech) mixed with held-out noise (else val noise),
    a talker- and/or noise-disjoint validation set (the val split has the same four fullband
    talkers as train and only two real noise recordings).
    """
    from .mixing import MixConfig, MixtureSource, parse_patterns, parse_weights

    held_out = parse_patterns(cfg.holdout_speech)
    held_noise = parse_patterns(cfg.holdout_noise)
    train_mix = MixConfig(segment_seconds=cfg.segment_seconds, **parse_mix_overrides(cfg.mix))
    # val keeps MixConfig's defaults unless asked (``val_mix``): runs that change the training
    # mixtures (``mix``, an augmentation ablation) are still scored on the same val mixtures
    val_mix = MixConfig(segment_seconds=cfg.segment_seconds, **parse_mix_overrides(cfg.val_mix))
    rooms = cfg.val_rir_split or None  # val reverb (p_reverb of val_mix) in another split's rooms
    train_src = MixtureSource.from_shared_data(
        cfg.data_dir, split="train", config=train_mix, seed=cfg.seed, speech_exclude=held_out,
        noise_exclude=held_noise, speech_weights=parse_weights(cfg.speech_weights),
    )
    held: dict = {}
    if holdout_val:
        if not held_out and not held_noise:
            raise ValueError("this run held no speech or noise out of training "
                             "(holdout_speech and holdout_noise are empty)")
        if held_out:
            held.update(speech_split="train", speech_include=held_out)
        if held_noise:
            held.update(noise_split="train", noise_include=held_noise)
    val_src = MixtureSource.from_shared_data(
        cfg.data_dir, split="val", config=val_mix, seed=cfg.seed, rir_split=rooms, **held
    )
    return train_src, val_src


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    if x.shape[0] >= n:
        return x[:n]
    return np.pad(x, (0, n - x.shape[0]))


def _item(source, index: int, n: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    return _fields(source[int(index)], n)


def _describe(m) -> dict:
    """What a per-item val record says about its mixture: the speech subset (the first folder
    under the split, e.g. ``nist_mrt_fullband``) and the kinds of its noises (``corpus``, ``pink``,
    ``babble`` ...), so paired differences can be split by voice set and by real vs synthetic noise;
    ``speech_file`` is the segment's first speech file (``val/nist_mrt_fullband/M4_b41_w1_orig.flac``)."""
    meta = getattr(m, "meta", None) or {}
    pieces = (meta.get("speech") or {}).get("pieces") or []
    parts = Path(str(pieces[0][0])).parts if pieces else ()
    subset = parts[1] if len(parts) > 2 else ""  # <split>/<subset>/.../<file>; none for <split>/<file>
    kinds = sorted({str(c.get("kind", "")) for c in meta.get("noise", []) if isinstance(c, dict)})
    first = Path(str(pieces[0][0])).as_posix() if pieces else ""  # e.g. the talker, from its file name
    return {"speech_subset": subset, "speech_file": first, "noise_kinds": "+".join(kinds)}


def _fields(m, n: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    bw = float(getattr(m, "bandwidth_hz", SAMPLE_RATE / 2) or SAMPLE_RATE / 2)
    return _fit(m.noisy, n), _fit(m.clean, n), bw, float(getattr(m, "snr_db", 0.0))


class PositionDataset(Dataset):
    """Training stream position -> (noisy, clean, bandwidth_hz, snr_db); see the module docstring.

    Position p maps to source index ``perm_e[p mod L] + e * L`` (e = p div L, L = len(source)):
    every epoch visits the nominal epoch in a new order, and ``MixtureSource`` gives new mixtures
    for indices beyond its length (other noises, augmentations), so epochs differ.
    """

    def __init__(self, source, seed: int, n_samples: int) -> None:
        self.source = source
        self.seed = int(seed)
        self.n_samples = int(n_samples)
        self.length = len(source)
        if self.length < 1:
            raise ValueError("the training source is empty")
        self._perms: dict[int, np.ndarray] = {}

    def index(self, position: int) -> int:
        epoch, offset = divmod(int(position), self.length)
        perm = self._perms.get(epoch)
        if perm is None:
            if len(self._perms) > 4:
                self._perms.clear()
            perm = self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.length)
        return int(perm[offset]) + epoch * self.length

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, position: int):
        return _item(self.source, self.index(position), self.n_samples)


class TeacherPositionDataset(PositionDataset):
    """``PositionDataset`` whose items also carry a teacher's target (teacher.py):
    (noisy, clean, bandwidth_hz, snr_db, teacher_target, eligible). The teacher runs only on the
    eligible items (``teacher_eligible``); the others carry zeros and ``eligible=False``."""

    def __init__(self, source, seed: int, n_samples: int, teacher: Callable[[np.ndarray], np.ndarray]) -> None:
        super().__init__(source, seed, n_samples)
        self.teacher = teacher

    def __getitem__(self, position: int):
        m = self.source[self.index(position)]
        noisy, clean, bw, snr = _fields(m, self.n_samples)
        use = teacher_eligible(getattr(m, "meta", None) or {})
        target = _fit(self.teacher(noisy), self.n_samples) if use else np.zeros_like(noisy)
        return noisy, clean, bw, snr, target, use


class _RangeSampler(Sampler):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = int(start), int(stop)

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


def _collate(items):
    noisy = torch.from_numpy(np.stack([i[0] for i in items]))
    clean = torch.from_numpy(np.stack([i[1] for i in items]))
    bw = torch.tensor([i[2] for i in items], dtype=torch.float32)
    snr = torch.tensor([i[3] for i in items], dtype=torch.float32)
    if len(items[0]) > 4:  # TeacherPositionDataset: the teacher's targets and which items they charge
        teacher = torch.from_numpy(np.stack([i[4] for i in items]))
        eligible = torch.tensor([bool(i[5]) for i in items], dtype=torch.bool)
        return noisy, clean, bw, snr, teacher, eligible
    return noisy, clean, bw, snr


def _ignore_stop_signals(worker_id: int) -> None:
    """DataLoader worker init: leave SIGINT / SIGTERM to the main process.

    Ctrl-C in a terminal, ``pkill -f`` and batch schedulers signal every process of the job. A
    worker killed that way makes the DataLoader raise in the main process in the middle of a step,
    instead of the clean stop-and-checkpoint the main process does on its own. Workers still end
    with the main process (the DataLoader shuts them down; its watchdog ends orphans).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


# --- model application -------------------------------------------------------------------------
def enhance(model: MaskEstimatorNet, dsp: TorchDsp, noisy: torch.Tensor) -> torch.Tensor:
    """What the engine outputs for ``noisy`` (B, n) from reset, time-aligned: (B, n)."""
    return enhance_components(model, dsp, noisy)[0]


def enhance_components(
    model: MaskEstimatorNet, dsp: TorchDsp, noisy: torch.Tensor, noise: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(output, residual noise): ``enhance(noisy)`` and, when ``noise`` (B, n) is given, the part
    of that output that is ``noise`` (the mask estimated from ``noisy`` applied to ``noise``'s STFT,
    inverted the same way; None otherwise). Mask application and the inverse STFT are linear, so
    output - residual is exactly the target's own filtered component (Xu et al.'s components loss,
    ``losses.py`` term 4)."""
    n = noisy.shape[-1]
    with torch.no_grad():
        spec = dsp.stft(noisy)
        spec_low, band_db = dsp.features(spec)
        floor = dsp.band_floor_db(band_db) if model.config.noise_floor else None
        noise_spec = None if noise is None else dsp.stft(noise)
    mask, gains, _ = model(spec_low, band_db, model.initial_state(noisy.shape[0], noisy.device), floor)
    out = dsp.istft(dsp.apply_mask(spec, mask, gains), n)
    residual = None if noise_spec is None else dsp.istft(dsp.apply_mask(noise_spec, mask, gains), n)
    return out, residual


def _lr_lambda(cfg: TrainConfig) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / max(1, cfg.warmup_steps)
        span = max(1, cfg.steps - cfg.warmup_steps)
        progress = min(1.0, (step - cfg.warmup_steps) / span)
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(str(path), map_location="cpu", weights_only=False)


def model_from_checkpoint(ckpt: dict) -> MaskEstimatorNet:
    model = MaskEstimatorNet(ModelConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    return model.eval()


def _pesq_wb(ref: np.ndarray, deg: np.ndarray) -> float | None:
    """PESQ-WB, or None where it is undefined (silent reference) or ``pesq`` is not installed."""
    scores, errors = perceptual_metrics(ref, deg, SAMPLE_RATE, estoi=False)
    return None if errors else scores["pesq_wb"]


# --- the trainer -------------------------------------------------------------------------------
@dataclass
class _Progress:
    step: int = 0
    train_seconds: float = 0.0
    audio_seconds: float = 0.0
    best_value: float | None = None
    best_step: int = -1
    last_val: dict = field(default_factory=dict)


class Trainer:
    """Owns model, optimiser, data and checkpoints of one run directory."""

    def __init__(
        self,
        cfg: TrainConfig,
        source_factory: Callable[[TrainConfig], tuple] | None = None,
        checkpoint: str | Path | None = None,
        teacher: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        """``checkpoint``: restore this file instead of ``<out>/last.pt`` (to validate it; ``run``
        would then continue from it into ``cfg.out``). ``teacher``: a callable noisy -> enhanced
        (time-aligned) used instead of ``cfg.teacher``'s (tests pass a cheap one)."""
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.set_num_threads(max(1, int(cfg.threads)))
        self.stft = StftConfig()
        self.n_samples = int(round(cfg.segment_seconds * SAMPLE_RATE))
        self.dsp = TorchDsp(self.stft)
        self.loss_fn = EnhancementLoss(
            self.stft,
            mr_weight=cfg.mr_weight,
            complex_weight=cfg.complex_weight,
            over_suppression_weight=cfg.over_suppression_weight,
            residual_noise_weight=cfg.residual_noise_weight,
        )
        self.train_src, self.val_src = (source_factory or _make_sources)(cfg)
        self.teacher = teacher
        if self.teacher is None and cfg.teacher:
            self.teacher = make_teacher(cfg.teacher)
        if self.teacher is not None:
            # the loss against the teacher: the compressed complex + magnitude terms only (teacher.py
            # says why the multi-resolution, over-suppression and residual-noise terms are left out)
            self.teacher_loss_fn = EnhancementLoss(self.stft, complex_weight=cfg.complex_weight, mr_ffts=(), mr_weight=0.0)
            self.dataset = TeacherPositionDataset(self.train_src, cfg.seed, self.n_samples, self.teacher)
        else:
            self.dataset = PositionDataset(self.train_src, cfg.seed, self.n_samples)
        self.progress = _Progress()
        self._stop_reason: str | None = None
        self._val_cache: list | None = None
        self._val_about: list[dict] = []  # per val item: its index in the source and ``_describe``
        resume_path = self.out / "last.pt"
        if checkpoint is not None:
            self._restore(load_checkpoint(checkpoint))
        elif cfg.resume and resume_path.is_file():
            self._restore(load_checkpoint(resume_path))
        else:
            self._fresh()

    # --- setup -------------------------------------------------------------------------------
    def _build(self, model_config: ModelConfig) -> None:
        self.model = MaskEstimatorNet(model_config)
        self.model.set_regularisation(self.cfg.dropout, self.cfg.feature_noise)  # train() mode only
        self.budget = count_params_and_macs(self.model)
        if self.cfg.train_only:  # freeze the rest: AdamW skips parameters without a gradient (no step, no decay)
            prefixes = tuple(p.strip() for p in self.cfg.train_only.split(","))
            names = [n for n, _ in self.model.named_parameters()]
            unmatched = [x for x in prefixes if not any(n.startswith(x) for n in names)]
            if unmatched:
                raise ValueError(f"train_only: no parameter of this network starts with {unmatched}")
            for n, p in self.model.named_parameters():
                p.requires_grad_(n.startswith(prefixes))
        decay = [p for n, p in self.model.named_parameters() if p.dim() > 1]
        no_decay = [p for n, p in self.model.named_parameters() if p.dim() <= 1]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=self.cfg.lr,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _lr_lambda(self.cfg))

    def _fresh(self) -> None:
        cfg = self.cfg
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        model_config = ModelConfig.for_stft(self.stft, variant=cfg.variant, size=cfg.size,
                                            subband_hidden=cfg.subband_hidden, noise_floor=cfg.noise_floor,
                                            df_order=cfg.df_order, df_bins=cfg.df_bins, twin_mask=cfg.twin_mask)
        self._build(model_config)
        if cfg.init_seed >= 0:  # other initial weights; every RNG is left as the default run leaves it
            after_init = torch.get_rng_state()
            torch.manual_seed(cfg.init_seed)
            self._build(model_config)
            torch.set_rng_state(after_init)
        # fixed input normalisation from the first training items (deterministic)
        n = min(cfg.stats_items, len(self.train_src))
        items = [self.dataset[p] for p in range(n)]
        noisy = torch.from_numpy(np.stack([i[0] for i in items]))
        with torch.no_grad():
            spec_low, band_db = self.dsp.features(self.dsp.stft(noisy))
            floor = self.dsp.band_floor_db(band_db) if cfg.noise_floor else None
        self.model.set_input_stats(spec_low, band_db, floor)

    def _restore(self, ckpt: dict) -> None:
        model_config = ModelConfig(**ckpt["model_config"])
        if model_config.variant != self.cfg.variant:
            raise ValueError(f"checkpoint variant {model_config.variant!r} != --variant {self.cfg.variant!r}")
        if self.cfg.subband_hidden and self.cfg.subband_hidden != model_config.subband_hidden:
            raise ValueError(f"--subband-hidden {self.cfg.subband_hidden} != the checkpoint's network "
                             f"({model_config.subband_hidden}); grow adds the refinement to a trained network")
        if (self.cfg.df_order, self.cfg.df_bins) not in ((1, 0), (model_config.df_order, model_config.df_bins)):
            raise ValueError(f"--df-order {self.cfg.df_order} --df-bins {self.cfg.df_bins} != the checkpoint's network "
                             f"({model_config.df_order}, {model_config.df_bins}); grow adds a filter to a trained network")
        if self.cfg.twin_mask not in ("softplus", model_config.twin_mask):
            raise ValueError(f"--twin-mask {self.cfg.twin_mask} != the checkpoint's network ({model_config.twin_mask})")
        if self.cfg.noise_floor and not model_config.noise_floor:
            raise ValueError("--noise-floor, but the checkpoint's network does not read the noise floor")
        self._build(model_config)
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.progress = _Progress(**ckpt["progress"])
        rng = ckpt["rng"]
        torch.set_rng_state(rng["torch"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])

    def checkpoint_state(self) -> dict:
        return {
            "version": CHECKPOINT_VERSION,
            "model": self.model.state_dict(),
            "model_config": self.model.config.to_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "progress": asdict(self.progress),
            "data_position": self.progress.step * self.cfg.batch_size,
            "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
            "train_config": asdict(self.cfg),
            "stft": self.stft.to_card_fields(),
            "budget": self.budget,
        }

    def save(self, name: str = "last.pt") -> Path:
        path = self.out / name
        _atomic_save(self.checkpoint_state(), path)
        return path

    def log(self, record: dict) -> None:
        with (self.out / "log.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")

    # --- validation ----------------------------------------------------------------------------
    def _val_data(self) -> list:
        if self._val_cache is None:
            n = min(self.cfg.val_items, len(self.val_src))
            # spread over the val split (the source is stratified over its concatenated speech)
            picks = np.unique(np.round(np.linspace(0, len(self.val_src) - 1, n)).astype(int))
            mixtures = [(int(i), self.val_src[int(i)]) for i in picks]
            self._val_cache = [_fields(m, self.n_samples) for _, m in mixtures]
            self._val_about = [{"index": i, **_describe(m)} for i, m in mixtures]
        return self._val_cache

    def val_batches(self, size: int = 0):
        """The val items in order, in batches: (start index, the items' tuples, noisy (B, n), clean
        (B, n), bandwidth_hz (B,)), ``size`` items each (0: ``batch_size``); what ``validate`` scores
        and the diagnostics under ``models/training/ablations/`` read."""
        items = self._val_data()
        size = int(size) or self.cfg.batch_size
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            noisy, clean, bw, _ = _collate(chunk)
            yield start, chunk, noisy, clean, bw

    def validate(self, per_item: bool = False, enhance: Callable[[np.ndarray], np.ndarray] | None = None,
                 progress: bool | None = False) -> dict:
        """Means over the val items; ``per_item=True`` adds ``"per_item"``: one record per scored
        item (``index`` in the val source, ``si_sdr``, ``pesq_wb`` or None) for paired comparisons.
        ``enhance``: another system, noisy (n,) float32 at 48 kHz -> its time-aligned output (n,),
        scored on the same items instead of the model (a peer; ``benchmarks/val_peer.py``); its
        ``val_loss`` has no residual-noise term (a peer's output has no noise component).
        ``progress``: a progress bar over the scored items on stderr (True), none (False, the
        default: validation inside training has the training bar), or one where stderr is a
        terminal (None)."""
        items = self._val_data()
        bar = _progress_bar(len(items), "validate", "item", progress)
        peer_loss_fn = None
        self.model.eval()
        losses, sdr, sdr_in, pesq_scores, pesq_in = [], [], [], [], []
        records = []
        n_pesq = 0
        try:  # a failing peer must not leave the model in eval mode
            with torch.no_grad():
                for start, chunk, noisy, clean, bw in self.val_batches():
                    if enhance is None:
                        est, residual = self._enhance(noisy, clean)
                        loss, _ = self.loss_fn(est, clean, bw, residual)
                    else:
                        if peer_loss_fn is None:  # another system's output has no noise component: no residual term
                            peer_loss_fn = EnhancementLoss(self.stft, mr_weight=self.cfg.mr_weight,
                                                           complex_weight=self.cfg.complex_weight,
                                                           over_suppression_weight=self.cfg.over_suppression_weight)
                        est = torch.from_numpy(np.stack([np.asarray(enhance(x), dtype=np.float32) for x in noisy.numpy()]))
                        if est.shape != noisy.shape:
                            raise ValueError(f"enhance returned {tuple(est.shape[1:])} samples for {tuple(noisy.shape[1:])}")
                        loss, _ = peer_loss_fn(est, clean, bw)
                    losses.append(float(loss) * len(chunk))
                    for j, (nz, cl, _bw, snr) in enumerate(chunk):
                        if not math.isfinite(snr) or not np.any(cl):
                            continue  # speech-only / noise-only items: SI-SDR and PESQ undefined
                        e = est[j].numpy()
                        sdr.append(si_sdr_db(cl, e))
                        sdr_in.append(si_sdr_db(cl, nz))
                        record = {**self._val_about[start + j], "si_sdr": float(sdr[-1]), "si_sdr_noisy": float(sdr_in[-1]),
                                  "pesq_wb": None, "pesq_wb_noisy": None}
                        if per_item:
                            record.update(self._band_scores(cl, e, nz, _bw))
                        if n_pesq < self.cfg.pesq_items:
                            n_pesq += 1
                            p, p_in = _pesq_wb(cl, e), _pesq_wb(cl, nz)
                            if p is not None and p_in is not None:
                                pesq_scores.append(p)
                                pesq_in.append(p_in)
                                record.update(pesq_wb=p, pesq_wb_noisy=p_in)
                        records.append(record)
                    bar.update(len(chunk))
        finally:
            bar.close()
            self.model.train()
        result = {
            "val_loss": float(sum(losses) / max(1, len(items))),
            "val_si_sdr": float(np.mean(sdr)) if sdr else float("nan"),
            "val_si_sdr_noisy": float(np.mean(sdr_in)) if sdr_in else float("nan"),
            "val_items": len(items),
            "val_si_sdr_items": len(sdr),
        }
        if pesq_scores:
            result["val_pesq_wb"] = float(np.mean(pesq_scores))
            result["val_pesq_wb_noisy"] = float(np.mean(pesq_in))
            result["val_pesq_items"] = len(pesq_scores)
        if per_item:
            result["per_item"] = records
        return result

    def _band_scores(self, clean: np.ndarray, est: np.ndarray, noisy: np.ndarray, bandwidth_hz: float) -> dict:
        """Plain SDR below / above the model's split frequency (complex-mask vs band-gain region),
        of the estimate and of the noisy input; the upper band only where the target has content
        there (``bandwidth_hz`` above 1.1 x split), else None."""
        split = float(self.stft.split_hz)
        low, high = band_sdr_db(clean, est, split)
        low_in, high_in = band_sdr_db(clean, noisy, split)
        keep_high = bandwidth_hz > 1.1 * split

        def finite(x: float, keep: bool = True) -> float | None:
            return float(x) if keep and math.isfinite(x) else None

        return {"sdr_low": finite(low), "sdr_low_noisy": finite(low_in),
                "sdr_high": finite(high, keep_high), "sdr_high_noisy": finite(high_in, keep_high)}

    def _is_better(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        best = self.progress.best_value
        lower_is_better = self.cfg.best_metric == "val_loss"
        return best is None or (value < best if lower_is_better else value > best)

    def _val_postfix(self) -> dict:
        """The last validation's SI-SDR and PESQ-WB for the progress bar (empty before one)."""
        last = self.progress.last_val
        shown = {"val_si_sdr": ("val_SI-SDR", "{:.2f} dB"), "val_pesq_wb": ("val_PESQ", "{:.3f}")}
        return {name: fmt.format(last[key]) for key, (name, fmt) in shown.items()
                if isinstance(last.get(key), float) and math.isfinite(last[key])}

    def _run_validation(self) -> None:
        metrics = self.validate()
        self.progress.last_val = dict(metrics, step=self.progress.step)
        self.log({"kind": "val", "step": self.progress.step, **metrics})
        value = metrics.get(self.cfg.best_metric, float("nan"))
        if self._is_better(value):
            self.progress.best_value = float(value)
            self.progress.best_step = self.progress.step
            self.save("best.pt")

    # --- signals -------------------------------------------------------------------------------
    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}

        def handler(signum, frame):
            self._stop_reason = signal.Signals(signum).name
            signal.signal(signum, previous[signum])  # a second signal acts as usual

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, handler)
        return previous

    def request_stop(self, reason: str = "requested") -> None:
        self._stop_reason = reason

    # --- the loop ------------------------------------------------------------------------------
    def _loader(self, start_step: int, stop_step: int) -> DataLoader:
        b = self.cfg.batch_size
        workers = max(0, int(self.cfg.workers))
        kwargs = {}
        if workers:
            kwargs = dict(
                prefetch_factor=4,
                persistent_workers=False,
                multiprocessing_context="fork",
                worker_init_fn=_ignore_stop_signals,
            )
        return DataLoader(
            self.dataset,
            batch_size=b,
            sampler=_RangeSampler(start_step * b, stop_step * b),
            num_workers=workers,
            collate_fn=_collate,
            drop_last=True,
            # the loader draws its workers' base seed when an iterator starts; from its own generator,
            # not torch's global RNG, so that a resumed run's dropout and feature noise (which use the
            # global RNG, restored from the checkpoint) draw exactly what the straight run draws
            generator=torch.Generator().manual_seed(self.cfg.seed),
            **kwargs,
        )

    def _enhance(self, noisy: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(output, residual noise or None): the residual only when the loss has a term for it."""
        noise = noisy - clean if self.loss_fn.residual_noise_weight else None
        return enhance_components(self.model, self.dsp, noisy, noise)

    def step(
        self,
        noisy: torch.Tensor,
        clean: torch.Tensor,
        bw: torch.Tensor,
        teacher: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> dict:
        """One optimiser step. ``teacher``: (targets (B, n), eligible (B,) bool) from
        ``TeacherPositionDataset``; the eligible items are also charged ``teacher_weight`` times
        the loss against the teacher's target, weighted by their share of the batch."""
        est, residual = self._enhance(noisy, clean)
        loss, parts = self.loss_fn(est, clean, bw, residual)
        if teacher is not None:
            target, eligible = teacher
            idx = torch.nonzero(eligible, as_tuple=False).reshape(-1)
            parts["teacher"] = float("nan")
            parts["teacher_items"] = float(idx.numel())
            if idx.numel():
                lt, _ = self.teacher_loss_fn(est.index_select(0, idx), target.index_select(0, idx), bw.index_select(0, idx))
                loss = loss + self.cfg.teacher_weight * (idx.numel() / est.shape[0]) * lt
                parts["teacher"] = float(lt.detach())
        self.optimizer.zero_grad(set_to_none=True)
        if not torch.isfinite(loss):
            self.scheduler.step()
            return {"loss": float("nan"), "skipped": 1, **parts}
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        return {"loss": float(loss.detach()), "grad_norm": float(grad_norm), "skipped": 0, **parts}

    def run(self, progress: bool | None = None) -> dict:
        """Train until ``steps`` (or ``stop_at_step``, ``max_minutes``, a signal); return a summary.

        ``progress``: a progress bar on stderr (True), none (False), or one only where stderr is a
        terminal (None, the default)."""
        cfg = self.cfg
        stop_step = cfg.steps if cfg.stop_at_step <= 0 else min(cfg.steps, cfg.stop_at_step)
        bar = _progress_bar(stop_step, "train", "step", progress, initial=min(self.progress.step, stop_step))
        shown: dict[str, str] = self._val_postfix()  # what the bar shows after the counts
        previous = self._install_signal_handlers()
        t_start = time.monotonic()
        last_ckpt = t_start
        window: list[dict] = []
        window_start = time.monotonic()
        step_times: list[float] = []
        reason = "done"
        mid_step = False
        self.model.train()
        if self.progress.step == 0 and not (self.out / "log.jsonl").exists():
            self.log({"kind": "start", "config": asdict(cfg), "budget": self.budget})
        try:
            if self.progress.step < stop_step:
                loader = iter(self._loader(self.progress.step, stop_step))
                while self.progress.step < stop_step:
                    if self._stop_reason:
                        reason = self._stop_reason
                        break
                    if cfg.max_minutes > 0:
                        elapsed = time.monotonic() - t_start
                        margin = 2.0 * (np.median(step_times) if step_times else 0.0) + 5.0
                        if elapsed + margin > cfg.max_minutes * 60.0:
                            reason = "max_minutes"
                            break
                    t0 = time.monotonic()
                    batch = next(loader)
                    noisy, clean, bw = batch[:3]
                    mid_step = True  # the model may change before the step is counted
                    out = self.step(noisy, clean, bw, tuple(batch[4:6]) if len(batch) > 4 else None)
                    dt = time.monotonic() - t0
                    step_times = (step_times + [dt])[-50:]
                    self.progress.step += 1
                    mid_step = False
                    bar.update(1)
                    self.progress.train_seconds += dt
                    self.progress.audio_seconds += cfg.batch_size * cfg.segment_seconds
                    window.append(out)
                    if self.progress.step % cfg.log_every == 0 or self.progress.step == stop_step:
                        wall = time.monotonic() - window_start
                        audio = len(window) * cfg.batch_size * cfg.segment_seconds
                        record = {
                            "kind": "train",
                            "step": self.progress.step,
                            "lr": self.scheduler.get_last_lr()[0],
                            "elapsed_s": round(self.progress.train_seconds, 2),
                            "audio_s_per_s": audio / max(wall, 1e-9),
                            "steps_per_s": len(window) / max(wall, 1e-9),
                        }
                        for key in window[0]:
                            vals = [w[key] for w in window if key in w and math.isfinite(w[key])]
                            record["train_" + key] = float(np.mean(vals)) if vals else float("nan")
                        self.log(record)
                        shown["loss"] = f"{record['train_loss']:.4f}"
                        bar.set_postfix(shown, refresh=False)
                        window, window_start = [], time.monotonic()
                    if cfg.val_every > 0 and self.progress.step % cfg.val_every == 0:
                        self._run_validation()
                        shown.update(self._val_postfix())
                        bar.set_postfix(shown)
                    if time.monotonic() - last_ckpt > cfg.checkpoint_minutes * 60.0:
                        self.save()
                        last_ckpt = time.monotonic()
                else:
                    reason = "done" if stop_step == cfg.steps else "stop_at_step"
            if reason == "done" and cfg.val_every > 0 and self.progress.last_val.get("step") != self.progress.step:
                self._run_validation()
        finally:
            # an exception inside a step may leave weights that progress does not count yet: keep
            # the last consistent checkpoint then, so that --resume stays exact
            if not mid_step:
                self.save()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            bar.close()
        summary = {"kind": "end", "step": self.progress.step, "reason": reason,
                   "wall_s": round(time.monotonic() - t_start, 2)}
        self.log(summary)
        return summary


def _progress_bar(total: int, desc: str, unit: str, progress: bool | None, initial: int = 0) -> tqdm:
    """The training package's progress bar on stderr: shown (True), not (False), or only where stderr
    is a terminal (None; tqdm's own test), so logs and pipes stay clean."""
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=None if progress is None else not progress)


def checkpoint_trainer(
    checkpoint: str | Path,
    data_dir: str | None = None,
    source_factory=None,
    holdout: bool = False,
    **overrides,
) -> Trainer:
    """A ``Trainer`` holding a saved checkpoint, set up with that run's own settings (seed, segment
    length, mixing) except ``data_dir`` and ``overrides``, for scoring it: ``validate_checkpoint`` and
    the diagnostics under ``models/training/ablations/`` read ``trainer.model``, ``trainer.dsp`` and
    ``trainer.val_batches()``. Training-only settings that scoring must not need are cleared (the train
    speech's draw weights, a teacher); ``holdout`` as in ``validate_checkpoint``. Writes nothing."""
    ckpt = load_checkpoint(checkpoint)
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    settings = {k: v for k, v in ckpt.get("train_config", {}).items() if k in fields}
    settings.update(overrides, out=str(Path(checkpoint).parent), resume=False, workers=0)
    if data_dir is not None:
        settings["data_dir"] = str(data_dir)
    settings["speech_weights"] = ""  # draw weights of train speech: the train source is built, never scored
    settings["teacher"] = ""  # scoring needs no teacher (nor its package)
    cfg = TrainConfig(**settings)
    if holdout:
        if not cfg.holdout_speech and not cfg.holdout_noise:
            raise ValueError(f"{checkpoint} held no speech or noise out of training "
                             "(trained without --holdout-speech or --holdout-noise)")
        source_factory = functools.partial(source_factory or _make_sources, holdout_val=True)
    return Trainer(cfg, source_factory, checkpoint=checkpoint)


def validate_checkpoint(
    checkpoint: str | Path,
    data_dir: str | None = None,
    source_factory=None,
    per_item: bool = False,
    holdout: bool = False,
    enhance: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: bool | None = False,
    **overrides,
) -> dict:
    """``Trainer.validate`` of a saved checkpoint with its own run settings (seed, segment length)
    except ``data_dir`` and ``overrides`` (e.g. ``pesq_items=32``, ``val_items=64``,
    ``segment_seconds=10``: longer val mixtures, from the same val files). Writes nothing.

    ``holdout=True`` scores what the run held out of training (``holdout_speech`` and/or
    ``holdout_noise``, from the train split; val speech / val noise for the part it did not hold
    out) instead of the val split (``ValueError`` if it held nothing out). ``enhance`` scores another
    system on exactly these items instead of the checkpoint's model; ``progress`` as in
    ``Trainer.validate``."""
    trainer = checkpoint_trainer(checkpoint, data_dir, source_factory, holdout, **overrides)
    cfg = trainer.cfg
    result = trainer.validate(per_item=per_item, enhance=enhance, progress=progress)
    mix = {"val_mix": trainer.cfg.val_mix} if trainer.cfg.val_mix else {}
    held = {}
    if holdout and cfg.holdout_speech:
        held["val_speech"] = f"held out of training: {cfg.holdout_speech}"
    if holdout and cfg.holdout_noise:
        held["val_noise"] = f"held out of training: {cfg.holdout_noise}"
    if cfg.val_rir_split:
        held["val_rir"] = f"rooms of rir/{cfg.val_rir_split}"
    return {"checkpoint": str(checkpoint), "step": trainer.progress.step,
            "val_segment_seconds": cfg.segment_seconds, **mix, **held, **result}


def train(cfg: TrainConfig, source_factory=None, progress: bool | None = None) -> dict:
    """Build a ``Trainer`` (resuming if asked and possible) and run it (``progress`` as in ``run``)."""
    return Trainer(cfg, source_factory).run(progress)


# --- logs ----------------------------------------------------------------------------------------
def read_log(run_dir: str | Path) -> list[dict]:
    """Records of ``run_dir/log.jsonl``; for a step logged twice (resumed run) the last one wins."""
    records, seen = [], {}
    path = Path(run_dir) / "log.jsonl"
    for line in path.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            key = (rec.get("kind"), rec.get("step"))
            if rec.get("kind") in ("train", "val") and key in seen:
                records[seen[key]] = rec
                continue
            seen[key] = len(records)
            records.append(rec)
    return records


def plot_log(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the train/val curves of a run as a PNG (needs matplotlib); return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_log(run_dir)
    train_recs = [r for r in records if r.get("kind") == "train"]
    val_recs = [r for r in records if r.get("kind") == "val"]
    fig, axes = plt.subplots(1, 3 if any("val_pesq_wb" in r for r in val_recs) else 2, figsize=(15, 4))
    ax = axes[0]
    ax.plot([r["step"] for r in train_recs], [r["train_loss"] for r in train_recs], lw=0.8, label="train loss")
    if val_recs:
        ax.plot([r["step"] for r in val_recs], [r["val_loss"] for r in val_recs], "o-", label="val loss")
    ax.set_xlabel("step"), ax.set_ylabel("loss"), ax.set_yscale("log"), ax.legend(), ax.grid(alpha=0.3)
    ax = axes[1]
    if val_recs:
        steps = [r["step"] for r in val_recs]
        ax.plot(steps, [r["val_si_sdr"] for r in val_recs], "o-", label="enhanced")
        ax.plot(steps, [r["val_si_sdr_noisy"] for r in val_recs], "--", label="noisy")
    ax.set_xlabel("step"), ax.set_ylabel("val SI-SDR (dB)"), ax.legend(), ax.grid(alpha=0.3)
    if len(axes) > 2:
        ax = axes[2]
        pv = [r for r in val_recs if "val_pesq_wb" in r]
        # runs resumed with another --pesq-items score a different item set: one curve per set
        groups: dict = {}
        for r in pv:
            groups.setdefault(r.get("val_pesq_items"), []).append(r)
        for n, recs in groups.items():
            tag = f" ({n} items)" if len(groups) > 1 else ""
            line = ax.plot([r["step"] for r in recs], [r["val_pesq_wb"] for r in recs], "o-", label="enhanced" + tag)
            ax.plot([r["step"] for r in recs], [r["val_pesq_wb_noisy"] for r in recs], "--",
                    color=line[0].get_color(), alpha=0.6, label="noisy" + tag)
        ax.set_xlabel("step"), ax.set_ylabel("val PESQ-WB"), ax.legend(fontsize=8), ax.grid(alpha=0.3)
    fig.suptitle(str(run_dir))
    fig.tight_layout()
    out = Path(out) if out else Path(run_dir) / "curves.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
