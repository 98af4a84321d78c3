"""Export a trained ``MaskEstimatorNet`` to the engine's ONNX contract (needs torch and onnx).

The graph follows ``models/README.md`` exactly:

    inputs   spec_low [B, T, F, 2], band_db [B, T, n_bands],
             band_floor_db [B, T, n_bands] (``noise_floor`` networks only; the card then records
             the tracker's settings under ``noise_floor``, ``kernels/floor.py``),
             state_in_conv [B, conv_frames - 1, H], state_in_gru [B, gru_layers, H]
    outputs  mask_low [B, T, F, 2] (unbounded), gains_high [B, T, G] (>= 0),
             state_out_conv, state_out_gru (same shapes as the inputs)

B and T are symbolic ("B", "T"); every other dim is static. Opset 17, float32. The GRUs export
to the ONNX ``GRU`` op with ``initial_h`` from the state input, which runs any T; the causal
convolution takes its past frames from ``state_in_conv`` (written as k shifted multiply-adds, which
onnxruntime runs faster at T = 1 than a grouped ``Conv``). Hence one graph serves T = 1 (streaming)
and T = N (offline) with identical results; ``export_onnx(verify=True)`` checks torch (T = N) vs
onnxruntime (T = N) vs onnxruntime (T = 1, state carried) before writing the card.

The card ``<name>.json`` beside ``<name>.onnx`` records the STFT section
(``StftConfig.to_card_fields()``), ``latency_samples`` (= window, 960), parameters, MACs/s, the
architecture, training data summary, training steps and the scores passed in.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from ..config import StftConfig
from ..kernels.floor import FLOOR_RISE_DB_PER_S, FLOOR_SMOOTHING_S, band_floor_db
from .model import MaskEstimatorNet, count_params_and_macs

__all__ = ["export_onnx", "check_streaming_parity", "time_onnx", "OPSET"]

OPSET = 17


class _ContractWrapper(nn.Module):
    """Positional-tensor view of the network with the contract's input/output order."""

    def __init__(self, net: MaskEstimatorNet) -> None:
        super().__init__()
        self.net = net
        self.state_names = list(net.state_shapes())

    def forward(self, spec_low, band_db, *rest):
        if self.net.config.noise_floor:
            floor, states = rest[0], rest[1:]
        else:
            floor, states = None, rest
        mask, gains, new = self.net(spec_low, band_db, dict(zip(self.state_names, states)), floor)
        return (mask, gains) + tuple(new[s] for s in self.state_names)


def _set_shape(value: onnx.ValueInfoProto, dims: list) -> None:
    shape = value.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, str):
            dim.dim_param = d
        else:
            dim.dim_value = int(d)


def _onnx_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _feeds(net: MaskEstimatorNet, spec_low: np.ndarray, band_db: np.ndarray, states: dict,
           floor: np.ndarray | None = None) -> dict:
    feeds = {"spec_low": spec_low, "band_db": band_db}
    if net.config.noise_floor:
        feeds["band_floor_db"] = floor
    feeds.update({f"state_in_{s}": v for s, v in states.items()})
    return feeds


def check_streaming_parity(
    net: MaskEstimatorNet, onnx_path: str | Path, n_frames: int = 24, batch: int = 2, seed: int = 0
) -> dict[str, float]:
    """Max abs differences: torch T=N vs onnxruntime T=N vs onnxruntime T=1 (state carried)."""
    rng = np.random.default_rng(seed)
    c = net.config
    spec = (rng.standard_normal((batch, n_frames, c.split_bin, 2)) * 2.0).astype(np.float32)
    bands = (rng.standard_normal((batch, n_frames, c.n_bands)) * 15.0 - 20.0).astype(np.float32)
    floor = band_floor_db(bands, 1.0 / c.frames_per_second) if c.noise_floor else None
    net = net.eval()
    with torch.no_grad():
        mask_t, gains_t, _ = net(torch.from_numpy(spec), torch.from_numpy(bands), net.initial_state(batch),
                                 None if floor is None else torch.from_numpy(floor))
    mask_t, gains_t = mask_t.numpy(), gains_t.numpy()
    sess = _onnx_session(Path(onnx_path))
    names = ["mask_low", "gains_high"] + [f"state_out_{s}" for s in net.state_shapes()]
    zeros = {s: np.zeros((batch,) + sh, np.float32) for s, sh in net.state_shapes().items()}
    full = sess.run(names, _feeds(net, spec, bands, zeros, floor))
    states = dict(zeros)
    masks, gains = [], []
    for t in range(n_frames):
        out = sess.run(names, _feeds(net, spec[:, t : t + 1], bands[:, t : t + 1], states,
                                     None if floor is None else floor[:, t : t + 1]))
        masks.append(out[0])
        gains.append(out[1])
        states = {s: v for s, v in zip(net.state_shapes(), out[2:])}
    mask_s, gains_s = np.concatenate(masks, 1), np.concatenate(gains, 1)
    return {
        "torch_vs_onnx": float(max(np.abs(full[0] - mask_t).max(), np.abs(full[1] - gains_t).max())),
        "onnx_full_vs_stream": float(max(np.abs(full[0] - mask_s).max(), np.abs(full[1] - gains_s).max())),
        "torch_vs_onnx_stream": float(max(np.abs(mask_s - mask_t).max(), np.abs(gains_s - gains_t).max())),
        "state_full_vs_stream": float(max(np.abs(a - states[s]).max() for s, a in zip(net.state_shapes(), full[2:]))),
    }


def export_onnx(
    net: MaskEstimatorNet,
    out_dir: str | Path,
    name: str,
    stft: StftConfig | None = None,
    description: str = "",
    training_data: str = "none",
    steps: int = 0,
    scores: dict | None = None,
    extra: dict | None = None,
    verify: bool = True,
    atol: float = 1e-4,
) -> Path:
    """Write ``out_dir/<name>.onnx`` and its card ``<name>.json``; return the ONNX path."""
    cfg = stft or StftConfig()
    c = net.config
    if (c.split_bin, c.n_bands, c.n_high_gains) != (cfg.split_bin, cfg.n_bands, cfg.n_high_gains):
        raise ValueError("the network's input/output sizes do not match the STFT config")
    if c.df_order > 1:
        raise ValueError(f"a deep-filter network (df_order {c.df_order}) cannot be exported yet: the ONNX "
                         "contract and the engine apply a one-tap mask (models/README.md); it is training-only")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.onnx"
    budget = count_params_and_macs(net)
    net = net.eval()
    wrapper = _ContractWrapper(net).eval()
    shapes = net.state_shapes()
    batch, frames = 2, 5
    features = ["spec_low", "band_db"] + (["band_floor_db"] if c.noise_floor else [])
    example = (
        torch.zeros(batch, frames, c.split_bin, 2),
        torch.zeros(batch, frames, c.n_bands),
    ) + ((torch.zeros(batch, frames, c.n_bands),) if c.noise_floor else ()) + tuple(
        torch.zeros((batch,) + sh) for sh in shapes.values()
    )
    inputs = features + [f"state_in_{s}" for s in shapes]
    outputs = ["mask_low", "gains_high"] + [f"state_out_{s}" for s in shapes]
    dynamic = {n: {0: "B", 1: "T"} for n in features + ["mask_low", "gains_high"]}
    dynamic.update({n: {0: "B"} for n in inputs[len(features):] + outputs[2:]})
    tmp = path.with_suffix(".onnx.tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GRU batch-size note: h0 *is* an input here
        torch.onnx.export(
            wrapper,
            example,
            str(tmp),
            dynamo=False,
            opset_version=OPSET,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dynamic,
            do_constant_folding=True,
        )
    model = onnx.load(str(tmp))
    declared = {
        "spec_low": ["B", "T", c.split_bin, 2],
        "band_db": ["B", "T", c.n_bands],
        "band_floor_db": ["B", "T", c.n_bands],
        "mask_low": ["B", "T", c.split_bin, 2],
        "gains_high": ["B", "T", c.n_high_gains],
    }
    for s, sh in shapes.items():
        declared[f"state_in_{s}"] = declared[f"state_out_{s}"] = ["B", *sh]
    for value in list(model.graph.input) + list(model.graph.output):
        _set_shape(value, declared[value.name])
    model.doc_string = f"hance-plugin mask estimator {name} ({c.variant}, hidden {c.hidden})"
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp))
    tmp.replace(path)
    if verify:
        diffs = check_streaming_parity(net, path)
        if max(diffs.values()) > atol:
            raise RuntimeError(f"exported model {path} disagrees with torch / itself: {diffs}")
    card = {
        "name": name,
        "description": description
        or f"{c.variant} causal GRU mask estimator (hidden {c.hidden}, {c.gru_layers} GRU layers)",
        "stft": cfg.to_card_fields(),
        "latency_samples": cfg.latency_samples,
        "parameters": budget["parameters"],
        "macs_per_second": budget["macs_per_second"],
        "architecture": dict(c.to_dict(), gains_activation="softplus",
                             mask_activation=(
                                 ("linear complex x softplus per-bin gate (unbounded)" if c.mask_gate else "none (linear)")
                                 if c.variant == "phase_aware"
                                 else f"{'|linear|' if c.twin_mask == 'abs' else 'softplus'} magnitude, imag 0")
                             + (f" + per-bin sub-band refinement (hidden {c.subband_hidden})" if c.subband_hidden else "")
                             + (" + reads band_db - the tracked noise floor" if c.noise_floor else "")),
        **({"noise_floor": {"smoothing_s": FLOOR_SMOOTHING_S, "rise_db_per_s": FLOOR_RISE_DB_PER_S}}
           if c.noise_floor else {}),
        "training_data": training_data,
        "steps": int(steps),
        "scores": dict(scores or {}),
    }
    card.update(extra or {})
    card_path = path.with_suffix(".json")
    tmp_card = card_path.with_suffix(".json.tmp")
    tmp_card.write_text(json.dumps(card, indent=2) + "\n")
    tmp_card.replace(card_path)
    return path


def time_onnx(path: str | Path, frames: tuple[int, ...] = (1, 100), repeats: int = 200, threads: int = 1) -> dict:
    """Median wall time (ms) of one onnxruntime call with B = 1 and T frames, per T."""
    sess = _onnx_session(Path(path), threads)
    shapes = {i.name: i.shape for i in sess.get_inputs()}
    result = {}
    for t in frames:
        feeds = {}
        for name, shape in shapes.items():
            dims = [1 if d == "B" else t if d == "T" else d for d in shape]
            feeds[name] = np.random.default_rng(0).standard_normal(dims).astype(np.float32)
        for _ in range(10):
            sess.run(None, feeds)
        times = []
        n = max(5, repeats // max(1, t // 10))
        for _ in range(n):
            start = time.perf_counter()
            sess.run(None, feeds)
            times.append(time.perf_counter() - start)
        result[f"T={t}_ms"] = float(np.median(times) * 1e3)
    return result
