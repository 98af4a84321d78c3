"""Grow a checkpoint: add an optional part to a trained network without changing what it computes.

Function-preserving growth ("Net2Net", Chen, Goodfellow and Shlens, ICLR 2016): the new part starts
as an exact identity, so the grown network reproduces the original's outputs, and training resumes
from the same weights, optimizer moments, schedule, data position and RNG state. An architectural
change can then be measured by branching from a trained checkpoint against a run that continues the
same checkpoint for the same steps without it (same data order), instead of training both from
scratch.

Supported growth: ``mask_gate`` (``model.py``): a per-bin softplus gate on the complex mask,
``gate_head`` initialised with weight 0 and bias log(e - 1), so the gate is exactly 1.
``subband_hidden`` (``model.py``, ``MaskEstimatorNet._subband``): the per-bin refinement of the
low-band mask, its output layer at zero, so it adds exactly 0; its other new weights get the
default initialisation from a fixed seed (``seed``), so growing is reproducible.
``df_order`` / ``df_bins`` (``model.py``, ``MaskEstimatorNet._deep_filter``): taps on past frames
of the lowest bins, ``df_head`` at zero, so the filter is exactly the one-frame mask.
``floor_guard`` (``model.py``, ``MaskEstimatorNet._floor_guard``) is the one growth that is **not** an
identity: a lower bound on the complex mask from the tracked noise floor behind a learned gate, which
starts at ``guard_gate0`` (weight 0, bias logit(gate0) / guard_scale) in every band. At gate 0 it would
be an identity, but a sigmoid there barely moves at a late-stage learning rate; the grown network
applies that fraction of the bound from its first step (models/training/ablations/floor-guard/rule.md).

Optimizer state: AdamW's state is keyed by parameter position (weights first, then biases and
norms: ``Trainer._build``), and the new head's parameters shift those positions, so the moments of
every existing parameter are moved to its new position by name; the new parameters start without
state (AdamW initialises it at their first step).
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path

import torch

from ..config import StftConfig
from .model import _SOFTPLUS_ONE, MaskEstimatorNet, ModelConfig, count_params_and_macs, guard_band_edges
from .train import _atomic_save, load_checkpoint

__all__ = ["grow_checkpoint", "grow_checkpoint_file"]

GROWTHS = ("mask_gate", "subband_hidden", "df_order", "floor_guard")
_SUBBAND_PARAMS = {"sub_local.weight", "sub_local.bias", "sub_ctx.weight", "sub_bin", "sub_out.weight", "sub_out.bias"}


def _optimizer_order(model: MaskEstimatorNet) -> list[str]:
    """Parameter names in the optimizer's position order (as ``Trainer._build`` groups them)."""
    named = list(model.named_parameters())
    return [n for n, p in named if p.dim() > 1] + [n for n, p in named if p.dim() <= 1]


def _stft_of(ckpt: dict, config: ModelConfig) -> StftConfig:
    """The STFT the checkpoint was trained with (its training config's, else the default), checked
    against the network's split and band count."""
    stft = StftConfig.from_card_fields(ckpt["stft"]) if "stft" in ckpt else StftConfig()
    if (stft.split_bin, stft.n_bands) != (config.split_bin, config.n_bands):
        raise ValueError(f"the network's split/bands ({config.split_bin}, {config.n_bands}) are not the "
                         f"checkpoint's STFT's ({stft.split_bin}, {stft.n_bands})")
    return stft


def grow_checkpoint(
    ckpt: dict, mask_gate: bool = False, subband_hidden: int = 0, seed: int = 0, subband_scale: float = 1.0,
    df_order: int = 1, df_bins: int = 0, df_scale: float = 1.0, floor_guard: bool = False,
    guard_margin_db: float = 15.0, guard_scale: float = 20.0, guard_gate0: float = 0.5,
) -> dict:
    """A copy of ``ckpt`` with the requested parts added (as identities, but for ``floor_guard``:
    see the module docstring)."""
    old_config = ModelConfig(**ckpt["model_config"])
    changes = {}
    if mask_gate:
        if old_config.mask_gate:
            raise ValueError("the checkpoint already has a mask gate")
        if old_config.variant != "phase_aware":
            raise ValueError(f"mask_gate needs a phase_aware checkpoint, this one is {old_config.variant!r}")
        changes["mask_gate"] = True
    if subband_hidden:
        if subband_hidden < 0:
            raise ValueError(f"subband_hidden must be positive, got {subband_hidden}")
        if old_config.subband_hidden:
            raise ValueError("the checkpoint already has a sub-band refinement")
        changes["subband_hidden"] = int(subband_hidden)
        if subband_scale != 1.0:
            changes["subband_scale"] = float(subband_scale)
    elif subband_scale != 1.0:
        raise ValueError("subband_scale applies to a sub-band refinement grown in the same call (subband_hidden)")
    if df_order != 1:
        if old_config.df_order > 1:
            raise ValueError("the checkpoint already has a deep filter")
        changes.update(df_order=int(df_order), df_bins=int(df_bins))
        if df_scale != 1.0:
            changes["df_scale"] = float(df_scale)
    elif df_bins or df_scale != 1.0:
        raise ValueError("df_bins and df_scale apply to a deep filter grown in the same call (df_order > 1)")
    if floor_guard:
        if old_config.floor_guard:
            raise ValueError("the checkpoint already has a floor guard")
        if not 0.0 < guard_gate0 < 1.0:
            raise ValueError(f"guard_gate0 must be in (0, 1), got {guard_gate0}")
        changes.update(floor_guard=True, guard_margin_db=float(guard_margin_db), guard_scale=float(guard_scale),
                       guard_band_edges=guard_band_edges(_stft_of(ckpt, old_config)))
    elif (guard_margin_db, guard_scale, guard_gate0) != (15.0, 20.0, 0.5):
        raise ValueError("guard_margin_db, guard_scale and guard_gate0 apply to a floor guard grown in the same call")
    if not changes:
        raise ValueError(f"nothing to grow: pass one of {GROWTHS}")
    new_config = replace(old_config, **changes)  # ValueError for an invalid combination
    old_model = MaskEstimatorNet(old_config)
    old_model.load_state_dict(ckpt["model"])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = MaskEstimatorNet(new_config)
    missing, unexpected = model.load_state_dict(ckpt["model"], strict=False)
    added = (({"gate_head.weight", "gate_head.bias"} if mask_gate else set()) | (_SUBBAND_PARAMS if subband_hidden else set())
             | ({"df_head.weight", "df_head.bias"} if df_order > 1 else set())
             | ({"guard_head.weight", "guard_head.bias"} if floor_guard else set()))
    if set(missing) != added or unexpected:
        raise ValueError(f"unexpected state difference: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        if mask_gate:
            model.gate_head.weight.zero_()
            model.gate_head.bias.fill_(_SOFTPLUS_ONE)
        if subband_hidden:
            model.sub_out.weight.zero_()
            model.sub_out.bias.zero_()
        if df_order > 1:
            model.df_head.weight.zero_()
            model.df_head.bias.zero_()
        if floor_guard:
            model.guard_head.weight.zero_()
            model.guard_head.bias.fill_(math.log(guard_gate0 / (1.0 - guard_gate0)) / new_config.guard_scale)

    old_order = _optimizer_order(old_model)
    new_order = _optimizer_order(model)
    position = {name: i for i, name in enumerate(new_order)}
    opt = copy.deepcopy(ckpt["optimizer"])
    opt["state"] = {position[old_order[i]]: s for i, s in ckpt["optimizer"]["state"].items()}
    named = dict(model.named_parameters())
    groups = [[n for n in new_order if named[n].dim() > 1], [n for n in new_order if named[n].dim() <= 1]]
    if len(opt["param_groups"]) != len(groups):
        raise ValueError(f"expected {len(groups)} optimizer parameter groups, found {len(opt['param_groups'])}")
    for group, names in zip(opt["param_groups"], groups):
        group["params"] = [position[n] for n in names]

    out = copy.copy(ckpt)
    out["model"] = model.state_dict()
    out["model_config"] = new_config.to_dict()
    out["optimizer"] = opt
    out["budget"] = count_params_and_macs(model)
    out["grown_from"] = {"changes": changes, "step": ckpt.get("progress", {}).get("step")}
    if floor_guard:
        out["grown_from"]["guard_gate0"] = float(guard_gate0)
    progress = dict(ckpt.get("progress", {}))
    progress["last_val"] = {}  # those scores were the original network's
    out["progress"] = progress
    return out


def grow_checkpoint_file(
    path: str | Path, out: str | Path, mask_gate: bool = False, subband_hidden: int = 0, subband_scale: float = 1.0,
    df_order: int = 1, df_bins: int = 0, df_scale: float = 1.0, floor_guard: bool = False,
    guard_margin_db: float = 15.0, guard_scale: float = 20.0, guard_gate0: float = 0.5,
) -> Path:
    """Read ``path``, grow it, write ``out`` atomically (its folder is created); returns ``out``."""
    grown = grow_checkpoint(load_checkpoint(path), mask_gate=mask_gate, subband_hidden=subband_hidden,
                            subband_scale=subband_scale, df_order=df_order, df_bins=df_bins, df_scale=df_scale,
                            floor_guard=floor_guard, guard_margin_db=guard_margin_db, guard_scale=guard_scale,
                            guard_gate0=guard_gate0)
    grown["grown_from"]["path"] = str(path)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_save(grown, out)
    return out
