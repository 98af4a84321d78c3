"""Checkpoint averaging ("model soup"): the weighted element-wise mean of several checkpoints' weights.

Models fine-tuned from one shared checkpoint usually stay in one basin of the loss, so the mean of
their weights is itself a working model, often better than each ingredient (Wortsman et al., "Model
soups: averaging weights of multiple fine-tuned models improves accuracy without increasing inference
time", ICML 2022; Izmailov et al., "Averaging weights leads to wider optima and better
generalization", UAI 2018, for the mean along one trajectory). For this project it is a way to
combine two continuations of the same checkpoint, e.g. one trained with more speech-only segments
(more transparent) and one without (better at denoising), at no training cost: theta = sum_i w_i
theta_i with w_i >= 0 normalised to sum to 1.

Averaging is only meaningful between checkpoints of one architecture that share an ancestor;
``average_checkpoints`` checks the first (same model configuration, STFT and tensor shapes) and
cannot check the second: averaging models trained from different random initialisations gives a
broken model (the hidden units are permuted between them), which ``validate`` will show.

The result is the first checkpoint with its model weights replaced, the ``progress`` of the
ingredient with the most steps (its ``last_val`` dropped: those scores were that ingredient's) and an
``averaged_from`` list (path, weight, step of each ingredient) that ``export`` copies into the model
card. Its optimizer, scheduler and RNG states are the first ingredient's, so ``validate`` and
``export`` read it like any checkpoint; ``train --resume`` from it would continue with the first
ingredient's optimizer moments.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .train import _atomic_save, load_checkpoint

__all__ = ["average_checkpoints", "average_state_dicts"]


def _normalised_weights(weights: list[float] | None, n: int) -> list[float]:
    if n < 2:
        raise ValueError(f"averaging needs at least 2 checkpoints, got {n}")
    if weights is None:
        return [1.0 / n] * n
    if len(weights) != n:
        raise ValueError(f"{len(weights)} weights for {n} checkpoints")
    if any(not (w >= 0.0) for w in weights):  # also rejects NaN
        raise ValueError(f"weights must be >= 0, got {weights}")
    total = float(sum(weights))
    if total <= 0.0:
        raise ValueError("the weights sum to 0")
    return [float(w) / total for w in weights]


def average_state_dicts(states: list[dict], weights: list[float] | None = None) -> dict:
    """Weighted mean of model ``state_dict``s (floating tensors; others must be equal and are copied).

    ``weights``: one per state, >= 0, normalised to sum 1 (default: uniform). The mean is computed in
    float64 and cast back to each tensor's dtype. Raises ``ValueError`` for mismatched keys or shapes.
    """
    w = _normalised_weights(weights, len(states))
    keys = list(states[0])
    for i, state in enumerate(states[1:], start=1):
        if list(state) != keys:
            missing = sorted(set(keys) ^ set(state))
            raise ValueError(f"state {i} has other tensors than state 0: {missing[:5]}")
    out = {}
    for key in keys:
        tensors = [s[key] for s in states]
        shape = tensors[0].shape
        if any(t.shape != shape for t in tensors):
            raise ValueError(f"{key}: shapes differ: {[tuple(t.shape) for t in tensors]}")
        if tensors[0].is_floating_point():
            acc = torch.zeros(shape, dtype=torch.float64)
            for wi, t in zip(w, tensors):
                acc += wi * t.to(torch.float64)
            out[key] = acc.to(tensors[0].dtype)
        else:
            if any(not torch.equal(t, tensors[0]) for t in tensors):
                raise ValueError(f"{key}: non-floating tensors differ between checkpoints")
            out[key] = tensors[0].clone()
    return out


def average_checkpoints(paths: list[str | Path], out: str | Path, weights: list[float] | None = None) -> Path:
    """Write the weighted mean of the checkpoints at ``paths`` to ``out`` (atomic); returns ``out``.

    From the shell: ``python -m hance_plugin.training average a/last.pt b/last.pt --out soup.pt``.
    """
    w = _normalised_weights(weights, len(paths))
    ckpts = [load_checkpoint(p) for p in paths]
    first = ckpts[0]
    for path, ckpt in zip(paths[1:], ckpts[1:]):
        for field in ("model_config", "stft"):
            if ckpt.get(field) != first.get(field):
                raise ValueError(f"{path}: {field} differs from {paths[0]}'s: {ckpt.get(field)} != {first.get(field)}")
    result = dict(first)
    result["model"] = average_state_dicts([c["model"] for c in ckpts], w)
    latest = max(ckpts, key=lambda c: int(c["progress"]["step"]))  # the first of the latest step
    result["progress"] = dict(latest["progress"], last_val={})
    result["averaged_from"] = [
        {"checkpoint": str(p), "weight": wi, "step": int(c["progress"]["step"])} for p, wi, c in zip(paths, w, ckpts)
    ]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_save(result, out)
    return out
