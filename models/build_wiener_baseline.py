"""Build ``models/wiener-baseline.onnx`` + card: a classical (not trained) spectral noise suppressor.

Run ``python models/build_wiener_baseline.py`` to (re)write ``wiener-baseline.onnx`` and
``wiener-baseline.json`` beside this file. The build is deterministic (fixed-seed calibration,
rounded constants), so rebuilding gives a byte-identical model.

It is the product's default until a neural model exists: a per-band noise-floor tracker plus a
decision-directed Wiener gain, written as one ONNX graph under the mask-estimator contract of
``models/README.md``. Input: ``band_db`` only (no ``spec_low``). The recursion over frames runs
inside the graph (ONNX ``Scan`` over the time axis) with explicit ``state_in_*``/``state_out_*``
tensors, so T frames in one call and T calls of one frame give the same gains.

Per frame t and band b (E = 10^(band_db/10), the band's mean power; all constants below are for
the default 48 kHz / hop 480 = 100 frames/s and are derived from the hop for other STFTs):

1. Smoothed power (Martin 2001, eq. 2, with a fixed instead of the optimal time-varying α):
       P(t) = α_s·P(t−1) + (1 − α_s)·E(t),   α_s = exp(−hop/τ_s), τ_s = 60 ms  (α_s = 0.846);
   on the first frame after reset P(0) = E(0).
2. Noise floor = minimum of 10·log10 P over the last D ≈ 1.5 s, tracked with Martin's sub-window
   scheme (Martin 2001, sec. III-C): U = 8 sub-windows of V frames (V = 19 at 100 frames/s), the
   minimum of the running sub-window and of the U stored sub-window minima (so over the last
   153..171 frames), then a bias compensation (the minimum of a fluctuating power estimate lies
   below its mean; Martin 2001, sec. IV):
       N_db(t) = min(P_min over D frames)_db + bias_b.
   bias_b is calibrated here at build time: the same tracker runs on 4 × 40 s of white Gaussian
   noise through this STFT (window, hop, bands) and bias_b = 10·log10(mean E / mean P_min) per
   band (seeded, rounded to 0.01 dB). Until D frames have passed, the minimum is over the frames
   seen since reset (no zero-state artefacts: the buffers treat the zero state as "empty").
3. A-posteriori SNR γ = E/N (capped at +60 dB), a-priori SNR by the decision-directed rule
   (Ephraim & Malah 1984, eq. 51), floored (Cappé 1994):
       ξ(t) = α_dd·G(t−1)²·γ(t−1) + (1 − α_dd)·max(γ(t) − 1, 0),   ξ ≥ ξ_min = −25 dB,
   α_dd = 0.95 per 10 ms hop (α_dd^(hop/10 ms) for other hops). Ephraim & Malah's 0.98 was set
   for a 16 ms hop; with the Wiener gain, the steady state ξ = α·γ·(ξ/(1+ξ))² + (1−α)(γ−1) then
   has a stable low fixed point (ξ ≈ 0.09 for γ = 4, i.e. ~5 dB band SNR): moderate-SNR speech
   bands stay stuck near the floor. With α_dd = 0.95 that trap only exists below ~3 dB band SNR
   (measured on the test signal: speech level −2.1 dB instead of −2.5 dB in 5 dB pink noise, at
   slightly more residual-noise fluctuation).
4. Wiener gain with a floor (residual-noise floor against musical noise, Berouti et al. 1979):
       G(t) = max(ξ/(1 + ξ), G_min),   G_min = −20 dB.
5. Outputs: ``gains_high`` = G of the bands above the split (one per band, or interpolated per
   bin for ``high_gains="bins"``); ``mask_low`` = G linearly interpolated between the centres of
   the bands below the split (held flat beyond the first/last centre, as the engine interpolates
   the high gains), real, imaginary part 0 — one MatMul with a constant [n_low_bands, F] matrix.

States (zeros after reset): ``init`` [B,1] (0 until the first frame), ``count`` [B,1] (frames in
the running sub-window), ``psmooth`` [B,n_bands] (P, linear), ``curmin`` [B,n_bands] (running
sub-window minimum, dB), ``minbuf`` [B,U,n_bands] (stored sub-window minima, dB), ``ddsnr``
[B,n_bands] (G²·γ of the previous frame).

References:
    Y. Ephraim, D. Malah, "Speech enhancement using a minimum mean-square error short-time spectral
        amplitude estimator", IEEE TASSP 32(6), 1984 (decision-directed a-priori SNR).
    R. Martin, "Noise power spectral density estimation based on optimal smoothing and minimum
        statistics", IEEE TSAP 9(5), 2001 (minimum statistics, sub-windows, bias compensation).
    O. Cappé, "Elimination of the musical noise phenomenon with the Ephraim and Malah noise
        suppressor", IEEE TSAP 2(2), 1994 (behaviour of the DD estimator, a-priori SNR floor).
    M. Berouti, R. Schwartz, J. Makhoul, "Enhancement of speech corrupted by acoustic noise",
        ICASSP 1979 (spectral floor).
    P. Scalart, J. Vieira Filho, "Speech enhancement based on a priori signal to noise
        estimation", ICASSP 1996 (Wiener gain with the decision-directed a-priori SNR).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from hance_plugin.config import StftConfig

__all__ = ["NAME", "WienerParams", "build", "reference_gains", "calibrate_bias_db", "main"]

NAME = "wiener-baseline"
OPSET = 17
IR_VERSION = 8
MODELS_DIR = Path(__file__).resolve().parent
LN10_10 = math.log(10.0) / 10.0  # dB -> natural-log power: exp(x_db * LN10_10) = 10^(x_db/10)
BIG_DB = 1000.0  # "no minimum yet" sentinel of the minimum buffers (far above any real band_db)


@dataclass(frozen=True)
class WienerParams:
    """Constants of the estimator (time constants in seconds, levels in dB)."""

    smooth_tau_s: float = 0.06
    min_window_s: float = 1.5
    n_subwindows: int = 8
    dd_alpha_per_10ms: float = 0.95
    xi_min_db: float = -25.0
    gain_floor_db: float = -20.0
    gamma_max_db: float = 60.0
    calibration_seconds: float = 40.0
    calibration_runs: int = 4
    calibration_seed: int = 20240611

    def derived(self, cfg: StftConfig) -> dict:
        hop_s = cfg.hop_samples / cfg.sample_rate_hz
        return {
            "alpha_s": math.exp(-hop_s / self.smooth_tau_s),
            "subwindow_frames": max(1, int(round(self.min_window_s / hop_s / self.n_subwindows))),
            "n_subwindows": int(self.n_subwindows),
            "alpha_dd": self.dd_alpha_per_10ms ** (hop_s / 0.010),
            "xi_min": 10.0 ** (self.xi_min_db / 10.0),
            "g_min": 10.0 ** (self.gain_floor_db / 20.0),
            "gamma_max_db": float(self.gamma_max_db),
        }


# --- numpy reference (the graph computes exactly this, in float32) ------------------------------
def initial_state(batch: int, n_bands: int, n_subwindows: int, dtype=np.float64) -> dict:
    return {
        "init": np.zeros((batch, 1), dtype),
        "count": np.zeros((batch, 1), dtype),
        "psmooth": np.zeros((batch, n_bands), dtype),
        "curmin": np.zeros((batch, n_bands), dtype),
        "minbuf": np.zeros((batch, n_subwindows, n_bands), dtype),
        "ddsnr": np.zeros((batch, n_bands), dtype),
    }


def reference_gains(
    band_db: np.ndarray, cfg: StftConfig, params: WienerParams, bias_db: np.ndarray, state: dict | None = None
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Band gains G and noise estimates N_db, both (B, T, n_bands), for band_db (B, T, n_bands).

    Plain numpy, frame by frame; ``state`` (from ``initial_state``) is advanced in place.
    """
    d = params.derived(cfg)
    band_db = np.asarray(band_db)
    b, t_len, nb = band_db.shape
    st = state if state is not None else initial_state(b, nb, d["n_subwindows"], band_db.dtype)
    gains = np.empty_like(band_db)
    noise = np.empty_like(band_db)
    for t in range(t_len):
        x = band_db[:, t]
        first = 1.0 - st["init"]
        a_eff = d["alpha_s"] * st["init"]
        e_lin = np.exp(x * LN10_10)
        ps = np.maximum(e_lin + a_eff * (st["psmooth"] - e_lin), 1e-12)
        p_db = np.log(ps) / LN10_10
        curmin = np.minimum(st["curmin"] + BIG_DB * first, p_db)
        minbuf = st["minbuf"] + BIG_DB * first[:, :, None]
        n_db = np.minimum(minbuf.min(axis=1), curmin) + bias_db
        gamma = np.exp(np.minimum(x - n_db, d["gamma_max_db"]) * LN10_10)
        xi = d["alpha_dd"] * st["ddsnr"] + (1.0 - d["alpha_dd"]) * np.maximum(gamma - 1.0, 0.0)
        xi = np.maximum(xi, d["xi_min"])
        g = np.maximum(xi / (xi + 1.0), d["g_min"])
        count = st["count"] + 1.0
        roll = count >= d["subwindow_frames"]
        shifted = np.concatenate([minbuf[:, 1:], curmin[:, None]], axis=1)
        st["minbuf"] = np.where(roll[:, :, None], shifted, minbuf)
        st["curmin"] = np.where(roll, BIG_DB, curmin)
        st["count"] = np.where(roll, 0.0, count)
        st["init"] = np.ones_like(st["init"])
        st["psmooth"] = ps
        st["ddsnr"] = g * g * gamma
        gains[:, t] = g
        noise[:, t] = n_db
    return gains, noise, st


def calibrate_bias_db(cfg: StftConfig, params: WienerParams) -> np.ndarray:
    """Per-band bias (dB) of the minimum tracker on white Gaussian noise through this STFT."""
    d = params.derived(cfg)
    hop, n_win = cfg.hop_samples, cfg.window_samples
    wa = cfg.windows()[0].astype(np.float64)
    edges = cfg.band_edges.astype(np.int64)
    widths = np.diff(edges).astype(np.float64)
    n_frames = int(round(params.calibration_seconds * cfg.sample_rate_hz / hop))
    rng = np.random.default_rng(params.calibration_seed)
    band_db = np.empty((params.calibration_runs, n_frames, cfg.n_bands))
    for r in range(params.calibration_runs):
        x = rng.standard_normal((n_frames - 1) * hop + n_win)
        frames = np.lib.stride_tricks.sliding_window_view(x, n_win)[::hop]
        power = np.abs(np.fft.rfft(frames * wa, axis=-1)) ** 2
        band_db[r] = 10.0 * np.log10(np.add.reduceat(power, edges[:-1], axis=-1) / widths + 1e-12)
    _, n_db, _ = reference_gains(band_db, cfg, params, np.zeros(cfg.n_bands))
    warm = 2 * d["n_subwindows"] * d["subwindow_frames"]  # skip the start-up
    mean_e = np.mean(np.exp(band_db[:, warm:] * LN10_10), axis=(0, 1))
    mean_n = np.mean(np.exp(n_db[:, warm:] * LN10_10), axis=(0, 1))
    return np.round(10.0 * np.log10(mean_e / mean_n), 2)


# --- interpolation of band gains to bins (mirrors StftConfig.high_interpolation) -----------------
def interpolation_matrix(edges: np.ndarray, first_bin: int, stop_bin: int) -> np.ndarray:
    """[n_bands, stop − first] float32: band gains at band centres -> bins, linear, held flat."""
    centres = 0.5 * (edges[:-1] + edges[1:] - 1)
    n = centres.shape[0]
    bins = np.arange(first_bin, stop_bin, dtype=np.float64)
    pos = np.interp(bins, centres, np.arange(n, dtype=np.float64))
    idx0 = np.floor(pos).astype(np.int64)
    idx1 = np.minimum(idx0 + 1, n - 1)
    w = pos - idx0
    mat = np.zeros((n, bins.shape[0]), dtype=np.float64)
    cols = np.arange(bins.shape[0])
    np.add.at(mat, (idx0, cols), 1.0 - w)
    np.add.at(mat, (idx1, cols), w)
    return mat.astype(np.float32)


# --- graph ---------------------------------------------------------------------------------------
STATES = ("init", "count", "psmooth", "curmin", "minbuf", "ddsnr")


def _c(name: str, value, dtype=np.float32) -> onnx.NodeProto:
    arr = np.asarray(value, dtype=dtype)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name=name + "_v"))


def _vi(name: str, dims) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _scan_body(nb: int, d: dict, bias_db: np.ndarray) -> onnx.GraphProto:
    n = helper.make_node
    u = d["n_subwindows"]
    nodes = [
        _c("one", 1.0),
        _c("zero", 0.0),
        _c("alpha_s", d["alpha_s"]),
        _c("ln10_10", LN10_10),
        _c("inv_ln10_10", 1.0 / LN10_10),
        _c("p_floor", 1e-12),
        _c("big", BIG_DB),
        _c("bias", bias_db),
        _c("gamma_max_db", d["gamma_max_db"]),
        _c("alpha_dd", d["alpha_dd"]),
        _c("one_m_alpha_dd", 1.0 - d["alpha_dd"]),
        _c("xi_min", d["xi_min"]),
        _c("g_min", d["g_min"]),
        _c("v_frames", float(d["subwindow_frames"])),
        _c("ax1", [1], np.int64),
        _c("ax2", [2], np.int64),
        _c("u_end", [u], np.int64),
        # 1. smoothed power; on the first frame after reset (init = 0) P = E
        n("Sub", ["one", "init"], ["first"]),
        n("Mul", ["init", "alpha_s"], ["a_eff"]),
        n("Mul", ["x", "ln10_10"], ["x_ln"]),
        n("Exp", ["x_ln"], ["e_lin"]),
        n("Sub", ["psmooth", "e_lin"], ["p_diff"]),
        n("Mul", ["a_eff", "p_diff"], ["p_step"]),
        n("Add", ["e_lin", "p_step"], ["ps_raw"]),
        n("Max", ["ps_raw", "p_floor"], ["psmooth_out"]),
        n("Log", ["psmooth_out"], ["p_ln"]),
        n("Mul", ["p_ln", "inv_ln10_10"], ["p_db"]),
        # 2. minimum statistics over U sub-windows of V frames (zero state = empty buffers)
        n("Mul", ["first", "big"], ["big_first"]),
        n("Add", ["curmin", "big_first"], ["curmin_eff"]),
        n("Unsqueeze", ["big_first", "ax2"], ["big_first3"]),
        n("Add", ["minbuf", "big_first3"], ["minbuf_eff"]),
        n("Min", ["curmin_eff", "p_db"], ["curmin_new"]),
        n("ReduceMin", ["minbuf_eff"], ["buf_min"], axes=[1], keepdims=0),
        n("Min", ["buf_min", "curmin_new"], ["p_min_db"]),
        n("Add", ["p_min_db", "bias"], ["noise_db"]),
        # 3. a-posteriori SNR and decision-directed a-priori SNR
        n("Sub", ["x", "noise_db"], ["snr_db"]),
        n("Min", ["snr_db", "gamma_max_db"], ["snr_db_c"]),
        n("Mul", ["snr_db_c", "ln10_10"], ["snr_ln"]),
        n("Exp", ["snr_ln"], ["gamma"]),
        n("Sub", ["gamma", "one"], ["gamma_m1"]),
        n("Relu", ["gamma_m1"], ["ml_snr"]),
        n("Mul", ["ddsnr", "alpha_dd"], ["xi_prev"]),
        n("Mul", ["ml_snr", "one_m_alpha_dd"], ["xi_now"]),
        n("Add", ["xi_prev", "xi_now"], ["xi_raw"]),
        n("Max", ["xi_raw", "xi_min"], ["xi"]),
        # 4. Wiener gain with a floor; G²·γ for the next frame's decision-directed estimate
        n("Add", ["xi", "one"], ["xi_p1"]),
        n("Div", ["xi", "xi_p1"], ["g_wiener"]),
        n("Max", ["g_wiener", "g_min"], ["gain"]),
        n("Mul", ["gain", "gain"], ["gain_sq"]),
        n("Mul", ["gain_sq", "gamma"], ["ddsnr_out"]),
        # sub-window bookkeeping: after V frames push the running minimum into the buffer
        n("Add", ["count", "one"], ["count_new"]),
        n("GreaterOrEqual", ["count_new", "v_frames"], ["roll"]),
        n("Unsqueeze", ["roll", "ax2"], ["roll3"]),
        n("Slice", ["minbuf_eff", "ax1", "u_end", "ax1"], ["minbuf_tail"]),
        n("Unsqueeze", ["curmin_new", "ax1"], ["curmin_new3"]),
        n("Concat", ["minbuf_tail", "curmin_new3"], ["minbuf_shift"], axis=1),
        n("Where", ["roll3", "minbuf_shift", "minbuf_eff"], ["minbuf_out"]),
        n("Where", ["roll", "big", "curmin_new"], ["curmin_out"]),
        n("Where", ["roll", "zero", "count_new"], ["count_out"]),
        n("Mul", ["init", "zero"], ["init_zero"]),
        n("Add", ["init_zero", "one"], ["init_out"]),
    ]
    shapes = {
        "init": ["B", 1],
        "count": ["B", 1],
        "psmooth": ["B", nb],
        "curmin": ["B", nb],
        "minbuf": ["B", u, nb],
        "ddsnr": ["B", nb],
    }
    inputs = [_vi(s, shapes[s]) for s in STATES] + [_vi("x", ["B", nb])]
    outputs = [_vi(s + "_out", shapes[s]) for s in STATES] + [_vi("gain", ["B", nb])]
    return helper.make_graph(nodes, "wiener_frame", inputs, outputs)


def build_model(cfg: StftConfig, params: WienerParams, bias_db: np.ndarray) -> onnx.ModelProto:
    d = params.derived(cfg)
    nb, f, u = cfg.n_bands, cfg.split_bin, d["n_subwindows"]
    edges = cfg.band_edges.astype(np.int64)
    n_low = int(np.count_nonzero(edges[:-1] < cfg.split_bin))
    n_high = cfg.n_bands - n_low
    w_low = interpolation_matrix(edges[: n_low + 1], 0, f)
    n = helper.make_node
    nodes = [
        _c("w_low", w_low),
        _c("split_sizes", [n_low, n_high], np.int64),
        _c("ax3", [3], np.int64),
        _c("pad_imag", [0, 0, 0, 0, 0, 0, 0, 1], np.int64),
        n(
            "Scan",
            ["state_in_" + s for s in STATES] + ["band_db"],
            ["state_out_" + s for s in STATES] + ["band_gain"],
            body=_scan_body(nb, d, bias_db),
            num_scan_inputs=1,
            scan_input_axes=[1],
            scan_output_axes=[1],
        ),
        n("Split", ["band_gain", "split_sizes"], ["gain_low_bands", "gain_high_bands"], axis=2),
        n("MatMul", ["gain_low_bands", "w_low"], ["mask_re"]),
        n("Unsqueeze", ["mask_re", "ax3"], ["mask_re4"]),
        n("Pad", ["mask_re4", "pad_imag"], ["mask_low"]),  # imaginary part 0
    ]
    if cfg.high_gains == "bands":
        nodes.append(n("Identity", ["gain_high_bands"], ["gains_high"]))
    else:
        w_high = interpolation_matrix(edges[n_low:], cfg.split_bin, cfg.n_bins)
        nodes += [_c("w_high", w_high), n("MatMul", ["gain_high_bands", "w_high"], ["gains_high"])]
    state_shapes = {
        "init": [1], "count": [1], "psmooth": [nb], "curmin": [nb], "minbuf": [u, nb], "ddsnr": [nb]
    }
    graph = helper.make_graph(
        nodes,
        NAME,
        [_vi("band_db", ["B", "T", nb])] + [_vi("state_in_" + s, ["B"] + state_shapes[s]) for s in STATES],
        [_vi("mask_low", ["B", "T", f, 2]), _vi("gains_high", ["B", "T", cfg.n_high_gains])]
        + [_vi("state_out_" + s, ["B"] + state_shapes[s]) for s in STATES],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hance-plugin build_wiener_baseline"
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def _float_constants(graph: onnx.GraphProto) -> int:
    """Number of float constant values in a graph and its subgraphs."""
    total = 0
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.FLOAT:
                total += int(np.prod(attr.t.dims))
            elif attr.type == onnx.AttributeProto.GRAPH:
                total += _float_constants(attr.g)
    total += sum(int(np.prod(t.dims)) for t in graph.initializer if t.data_type == TensorProto.FLOAT)
    return total


def macs_per_second(model: onnx.ModelProto, cfg: StftConfig, params: WienerParams) -> int:
    """Estimate: interpolation MatMul MACs + one op per element of every per-frame Scan op."""
    d = params.derived(cfg)
    nb, f = cfg.n_bands, cfg.split_bin
    n_low = int(np.count_nonzero(cfg.band_edges[:-1] < cfg.split_bin))
    per_frame = n_low * f
    if cfg.high_gains == "bins":
        per_frame += (cfg.n_bands - n_low) * (cfg.n_bins - cfg.split_bin)
    body = next(a.g for node in model.graph.node if node.op_type == "Scan" for a in node.attribute if a.name == "body")
    for node in body.node:
        if node.op_type == "Constant":
            continue
        if "minbuf" in node.output[0] or node.op_type == "ReduceMin":
            per_frame += d["n_subwindows"] * nb
        else:
            per_frame += nb
    frames_per_second = cfg.sample_rate_hz / cfg.hop_samples
    return int(round(per_frame * frames_per_second))


def build(
    out_dir: str | Path = MODELS_DIR,
    cfg: StftConfig | None = None,
    params: WienerParams | None = None,
    name: str = NAME,
) -> Path:
    """Write ``<out_dir>/<name>.onnx`` and its card; return the .onnx path."""
    cfg = cfg or StftConfig()
    params = params or WienerParams()
    bias_db = calibrate_bias_db(cfg, params)
    model = build_model(cfg, params, bias_db)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.onnx"
    path.write_bytes(model.SerializeToString(deterministic=True))
    d = params.derived(cfg)
    card = {
        "name": name,
        "description": (
            "Classical baseline, not a neural model: minimum-statistics noise floor per ERB band "
            "(Martin 2001) and a decision-directed Wiener gain (Ephraim & Malah 1984) floored at "
            f"{params.gain_floor_db:g} dB; real gains only (no phase correction). Removes stationary "
            "noise; anything steady for more than ~1.5 s (hum, sustained tones, music) is treated "
            "as noise, and non-stationary noise (babble, clicks) is largely passed through."
        ),
        "stft": cfg.to_card_fields(),
        "latency_samples": cfg.latency_samples,
        "parameters": _float_constants(model.graph),
        "macs_per_second": macs_per_second(model, cfg, params),
        "training_data": "none (classical DSP estimator, not trained)",
        "method": {
            "builder": "models/build_wiener_baseline.py",
            "params": asdict(params),
            "derived": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in d.items()},
            "bias_db": [float(b) for b in bias_db],
        },
        "scores": {},
    }
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return path


def main() -> None:
    path = build()
    card = json.loads(path.with_suffix(".json").read_text())
    print(f"wrote {path} ({path.stat().st_size} bytes) and {path.with_suffix('.json').name}")
    print(f"parameters={card['parameters']} macs_per_second={card['macs_per_second']}")
    print("bias_db:", card["method"]["bias_db"])


if __name__ == "__main__":
    main()
