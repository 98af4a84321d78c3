"""Small contract-conforming ONNX mask estimators built with onnx.helper, for plumbing tests.

They test the engine, not denoising: identity / constant masks, and a stateful model whose gains
depend on the previous frame (a one-frame memory, like a causal time convolution) so streaming
(T=1) and offline (T=N) runs only agree if state is carried correctly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from hance_plugin.config import StftConfig

OPSET = 17


def _io(name: str, dims: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _const(name: str, value) -> onnx.NodeProto:
    arr = np.asarray(value)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name=name + "_v"))


def write_card(onnx_path: Path, cfg: StftConfig, name: str, **extra) -> None:
    card = {"name": name, "stft": cfg.to_card_fields(), "latency_samples": cfg.latency_samples}
    card.update(extra)
    onnx_path.with_suffix(".json").write_text(json.dumps(card, indent=2))


def _save(graph: onnx.GraphProto, path: Path, cfg: StftConfig, name: str) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    write_card(path, cfg, name)
    return path


def constant_model(
    path: Path, cfg: StftConfig | None = None, mask: complex = 1.0, gain: float = 1.0, name: str = "constant"
) -> Path:
    """mask_low = ``mask`` for every low bin, gains_high = ``gain``: identity for (1, 1)."""
    cfg = cfg or StftConfig()
    f, g, b = cfg.split_bin, cfg.n_high_gains, cfg.n_bands
    nodes = [
        _const("zero", np.float32(0.0)),
        _const("mask_c", np.array([mask.real, mask.imag], dtype=np.float32)),
        _const("gain_c", np.full((g,), gain, dtype=np.float32)),
        _const("g_start", np.array([0], dtype=np.int64)),
        _const("g_end", np.array([g], dtype=np.int64)),
        _const("g_axis", np.array([2], dtype=np.int64)),
        helper.make_node("Mul", ["spec_low", "zero"], ["spec_zero"]),
        helper.make_node("Add", ["spec_zero", "mask_c"], ["mask_low"]),
        helper.make_node("Slice", ["band_db", "g_start", "g_end", "g_axis"], ["band_sl"]),
        helper.make_node("Mul", ["band_sl", "zero"], ["band_zero"]),
        helper.make_node("Add", ["band_zero", "gain_c"], ["gains_high"]),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [_io("spec_low", ["B", "T", f, 2]), _io("band_db", ["B", "T", b])],
        [_io("mask_low", ["B", "T", f, 2]), _io("gains_high", ["B", "T", g])],
    )
    return _save(graph, path, cfg, name)


def stateful_model(path: Path, cfg: StftConfig | None = None, name: str = "stateful") -> Path:
    """Gains from the *previous* frame's band energies (state = last frame's band_db).

    gains_high[t] = sigmoid((band_db[t-1, high bands] - 40) / 10) * 1.5   (may exceed 1)
    mask_low[t]   = spec_low[t] * 0 + (0.8 + 0.6 j) * (1 + sigmoid(mean band_db[t-1] / 20))
    """
    cfg = cfg or StftConfig()
    f, b = cfg.split_bin, cfg.n_bands
    if cfg.high_gains != "bands":
        raise ValueError("stateful_model supports high_gains='bands'")
    g = cfg.n_high_gains
    nodes = [
        _const("zero", np.float32(0.0)),
        _const("one", np.float32(1.0)),
        _const("forty", np.float32(40.0)),
        _const("tenth", np.float32(0.1)),
        _const("k15", np.float32(1.5)),
        _const("k20", np.float32(0.05)),
        _const("rot", np.array([0.8, 0.6], dtype=np.float32)),
        _const("s0", np.array([0], dtype=np.int64)),
        _const("sm1", np.array([-1], dtype=np.int64)),
        _const("big", np.array([2**62], dtype=np.int64)),
        _const("ax1", np.array([1], dtype=np.int64)),
        _const("ax2", np.array([2], dtype=np.int64)),
        _const("hb0", np.array([b - g], dtype=np.int64)),
        _const("hb1", np.array([b], dtype=np.int64)),
        # prev[t] = concat(state, band_db[:-1]) along time
        helper.make_node("Concat", ["state_in_prev", "band_db"], ["cat"], axis=1),
        helper.make_node("Slice", ["cat", "s0", "sm1", "ax1"], ["prev"]),
        helper.make_node("Slice", ["cat", "sm1", "big", "ax1"], ["state_out_prev"]),
        helper.make_node("Slice", ["prev", "hb0", "hb1", "ax2"], ["prev_hi"]),
        helper.make_node("Sub", ["prev_hi", "forty"], ["d0"]),
        helper.make_node("Mul", ["d0", "tenth"], ["d1"]),
        helper.make_node("Sigmoid", ["d1"], ["d2"]),
        helper.make_node("Mul", ["d2", "k15"], ["gains_high"]),
        helper.make_node("ReduceMean", ["prev"], ["pm"], axes=[2], keepdims=1),
        helper.make_node("Mul", ["pm", "k20"], ["pm2"]),
        helper.make_node("Sigmoid", ["pm2"], ["pm3"]),
        helper.make_node("Add", ["pm3", "one"], ["pm4"]),
        helper.make_node("Unsqueeze", ["pm4", "ax2"], ["pm5"]),  # [B, T, 1, 1]
        helper.make_node("Mul", ["spec_low", "zero"], ["sz"]),
        helper.make_node("Add", ["sz", "rot"], ["sr"]),
        helper.make_node("Mul", ["sr", "pm5"], ["mask_low"]),
    ]
    nodes = [n if n.op_type != "ReduceMean" else n for n in nodes]
    graph = helper.make_graph(
        nodes,
        name,
        [_io("spec_low", ["B", "T", f, 2]), _io("band_db", ["B", "T", b]), _io("state_in_prev", ["B", 1, b])],
        [_io("mask_low", ["B", "T", f, 2]), _io("gains_high", ["B", "T", g]), _io("state_out_prev", ["B", 1, b])],
    )
    return _save(graph, path, cfg, name)


def aging_model(path: Path, after_frames: int, late_gain: float, cfg: StftConfig | None = None,
                name: str = "aging") -> Path:
    """Identity for the first ``after_frames`` frames since ``reset()``, then every mask and gain
    ``late_gain`` (state = frames seen so far): a model that drifts as its state runs on.

    idx[t] = frames_in + t + 1;  g[t] = 1 + (idx[t] > after_frames) · (late_gain − 1)
    mask_low[t] = (g[t], 0) for every low bin, gains_high[t] = g[t]; frames_out = idx[T − 1]
    """
    cfg = cfg or StftConfig()
    f, b, g = cfg.split_bin, cfg.n_bands, cfg.n_high_gains
    nodes = [
        _const("zero", np.float32(0.0)),
        _const("one", np.float32(1.0)),
        _const("after", np.float32(after_frames)),
        _const("late_minus_one", np.float32(late_gain - 1.0)),
        _const("unit", np.array([1.0, 0.0], dtype=np.float32)),
        _const("time_axis", np.array(1, dtype=np.int64)),
        _const("s0", np.array([0], dtype=np.int64)),
        _const("s1", np.array([1], dtype=np.int64)),
        _const("sm1", np.array([-1], dtype=np.int64)),
        _const("big", np.array([2**62], dtype=np.int64)),
        _const("ax1", np.array([1], dtype=np.int64)),
        _const("ax2", np.array([2], dtype=np.int64)),
        _const("ax3", np.array([3], dtype=np.int64)),
        _const("hb0", np.array([b - g], dtype=np.int64)),
        _const("hb1", np.array([b], dtype=np.int64)),
        helper.make_node("Slice", ["band_db", "s0", "s1", "ax2"], ["b0"]),  # [B, T, 1]
        helper.make_node("Mul", ["b0", "zero"], ["b0z"]),
        helper.make_node("Add", ["b0z", "one"], ["ones"]),
        helper.make_node("CumSum", ["ones", "time_axis"], ["count"]),  # 1..T
        helper.make_node("Unsqueeze", ["state_in_frames", "ax2"], ["start"]),  # [B, 1, 1]
        helper.make_node("Add", ["count", "start"], ["idx"]),
        helper.make_node("Greater", ["idx", "after"], ["is_late"]),
        helper.make_node("Cast", ["is_late"], ["late"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["late", "late_minus_one"], ["delta"]),
        helper.make_node("Add", ["delta", "one"], ["gain"]),  # [B, T, 1]
        helper.make_node("Slice", ["band_db", "hb0", "hb1", "ax2"], ["band_hi"]),
        helper.make_node("Mul", ["band_hi", "zero"], ["band_hi_zero"]),
        helper.make_node("Add", ["band_hi_zero", "gain"], ["gains_high"]),
        helper.make_node("Mul", ["spec_low", "zero"], ["spec_zero"]),
        helper.make_node("Add", ["spec_zero", "unit"], ["unit_mask"]),
        helper.make_node("Unsqueeze", ["gain", "ax3"], ["gain4"]),  # [B, T, 1, 1]
        helper.make_node("Mul", ["unit_mask", "gain4"], ["mask_low"]),
        helper.make_node("Slice", ["idx", "sm1", "big", "ax1"], ["last"]),  # [B, 1, 1]
        helper.make_node("Squeeze", ["last", "ax2"], ["state_out_frames"]),  # [B, 1]
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [_io("spec_low", ["B", "T", f, 2]), _io("band_db", ["B", "T", b]), _io("state_in_frames", ["B", 1])],
        [_io("mask_low", ["B", "T", f, 2]), _io("gains_high", ["B", "T", g]), _io("state_out_frames", ["B", 1])],
    )
    return _save(graph, path, cfg, name)


def floor_probe_model(path: Path, cfg: StftConfig | None = None, name: str = "floor-probe",
                      card_floor: dict | None = None) -> Path:
    """A model that reads the tracked noise floor (``band_floor_db``): stateless, and its output
    depends on the floor the engine feeds, so the engine's tracking can be checked from outside.

    gains_high = exp(-0.05 * (band_db - band_floor_db))[..., high bands]   (1 at the floor, < 1 above)
    mask_low   = spec_low * 0 + (1, 0)
    The card carries ``card_floor`` as its ``noise_floor`` section (default: kernels/floor.py's settings;
    pass {} to write a card without it).
    """
    from hance_plugin.kernels.floor import FLOOR_RISE_DB_PER_S, FLOOR_SMOOTHING_S

    cfg = cfg or StftConfig()
    f, b, g = cfg.split_bin, cfg.n_bands, cfg.n_high_gains
    nodes = [
        _const("zero", np.float32(0.0)),
        _const("k", np.float32(-0.05)),
        _const("one0", np.array([1.0, 0.0], dtype=np.float32)),
        _const("hb0", np.array([b - g], dtype=np.int64)),
        _const("hb1", np.array([b], dtype=np.int64)),
        _const("ax2", np.array([2], dtype=np.int64)),
        helper.make_node("Sub", ["band_db", "band_floor_db"], ["snr"]),
        helper.make_node("Slice", ["snr", "hb0", "hb1", "ax2"], ["snr_hi"]),
        helper.make_node("Mul", ["snr_hi", "k"], ["e0"]),
        helper.make_node("Exp", ["e0"], ["gains_high"]),
        helper.make_node("Mul", ["spec_low", "zero"], ["sz"]),
        helper.make_node("Add", ["sz", "one0"], ["mask_low"]),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [_io("spec_low", ["B", "T", f, 2]), _io("band_db", ["B", "T", b]), _io("band_floor_db", ["B", "T", b])],
        [_io("mask_low", ["B", "T", f, 2]), _io("gains_high", ["B", "T", g])],
    )
    _save(graph, path, cfg, name)
    floor = {"smoothing_s": FLOOR_SMOOTHING_S, "rise_db_per_s": FLOOR_RISE_DB_PER_S} if card_floor is None else card_floor
    write_card(path, cfg, name, **({"noise_floor": floor} if floor else {}))
    return path
