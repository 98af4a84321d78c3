"""The mask estimator: an ONNX model run by onnxruntime under the hance-plugin contract.

The contract (written out in ``models/README.md``) in short, with B = batch (channels), T = frames:

    inputs   spec_low      float32 [B, T, F, 2]  derotated, compressed complex spectrum, bins < split
             band_db       float32 [B, T, n_bands]  band energies in dB over the whole band
             band_floor_db float32 [B, T, n_bands]  optional: their tracked noise floor
                                                    (``kernels/floor.py``, settings from the card)
             state_in_*    float32 [B, ...]       recurrent/convolution state (zeros at reset)
    outputs  mask_low      float32 [B, T, F, 2]  complex mask (re, im), unbounded
             gains_high    float32 [B, T, G]     real gains >= 0 above the split
             state_out_*   float32 [B, ...]       next state, same shape as state_in_*

A model may omit either of spec_low and band_db; band_floor_db is only fed to models that ask for it,
and their card must say how it is tracked (``"noise_floor": {"smoothing_s": .., "rise_db_per_s": ..}``). T is dynamic, so the same graph runs streaming (T = 1)
and offline (T = N); the explicit states make the two agree.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from .card import ModelCard

__all__ = ["OnnxMaskEstimator"]

FEATURE_INPUTS = ("spec_low", "band_db", "band_floor_db")
OUTPUTS = ("mask_low", "gains_high")


def _floor_settings(value, where: str) -> dict:
    """The card's ``noise_floor`` section, checked: {"smoothing_s": > 0, "rise_db_per_s": >= 0}."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: has the input band_floor_db, so its card needs a 'noise_floor' section "
                         f"{{'smoothing_s': .., 'rise_db_per_s': ..}}; got {value!r}")
    try:
        smoothing, rise = float(value["smoothing_s"]), float(value["rise_db_per_s"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{where}: card 'noise_floor' needs numbers smoothing_s and rise_db_per_s, got {value!r}") from None
    if not (smoothing > 0 and rise >= 0 and np.isfinite(smoothing) and np.isfinite(rise)):
        raise ValueError(f"{where}: card 'noise_floor' needs smoothing_s > 0 and rise_db_per_s >= 0, got {value!r}")
    return {"smoothing_s": smoothing, "rise_db_per_s": rise}


class OnnxMaskEstimator:
    """Runs a contract-conforming ONNX mask estimator with explicit per-channel state.

    Args:
        card: the model card (its ``onnx_path`` is loaded).
        num_threads: onnxruntime intra-op threads (1 = one core, the default for predictable
            real-time use).
    """

    def __init__(self, card: ModelCard, num_threads: int = 1) -> None:
        self.card = card
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(num_threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(card.onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._validate()
        self._states: dict[str, np.ndarray] = {}
        self._batch = 0

    # --- contract validation -------------------------------------------------------------------
    def _validate(self) -> None:
        cfg = self.card.stft
        inputs = {i.name: i for i in self._session.get_inputs()}
        outputs = {o.name: o for o in self._session.get_outputs()}
        where = f"model {self.card.name!r} ({self.card.onnx_path})"
        self.feature_inputs = tuple(n for n in FEATURE_INPUTS if n in inputs)
        if not {"spec_low", "band_db"} & set(self.feature_inputs):
            raise ValueError(f"{where}: needs at least one of the inputs ('spec_low', 'band_db')")
        self.noise_floor_settings: dict | None = None
        if "band_floor_db" in inputs:
            self.noise_floor_settings = _floor_settings(self.card.extra.get("noise_floor"), where)
        missing = [n for n in OUTPUTS if n not in outputs]
        if missing:
            raise ValueError(f"{where}: missing output(s) {missing}; contract outputs are {OUTPUTS}")
        expected = {
            "spec_low": (cfg.split_bin, 2),
            "band_db": (cfg.n_bands,),
            "band_floor_db": (cfg.n_bands,),
            "mask_low": (cfg.split_bin, 2),
            "gains_high": (cfg.n_high_gains,),
        }
        for name, arg in list(inputs.items()) + list(outputs.items()):
            if name in expected:
                if arg.type != "tensor(float)":
                    raise ValueError(f"{where}: {name} must be float32, is {arg.type}")
                tail = tuple(arg.shape[2:])
                if len(arg.shape) != 2 + len(expected[name]) or tail != expected[name]:
                    raise ValueError(
                        f"{where}: {name} has shape {arg.shape}, expected [B, T, "
                        f"{', '.join(map(str, expected[name]))}] for this card's STFT settings"
                    )
        state_in = sorted(n for n in inputs if n.startswith("state_in_"))
        extra = set(inputs) - set(FEATURE_INPUTS) - set(state_in)
        if extra:
            raise ValueError(f"{where}: unexpected input(s) {sorted(extra)}")
        self.state_names: list[str] = []
        self._state_shapes: dict[str, tuple[int, ...]] = {}
        for name in state_in:
            suffix = name[len("state_in_") :]
            out_name = "state_out_" + suffix
            if out_name not in outputs:
                raise ValueError(f"{where}: state input {name} has no matching output {out_name}")
            shape = inputs[name].shape[1:]
            if not all(isinstance(d, int) for d in shape):
                raise ValueError(f"{where}: state {name} must have static dims after batch, got {shape}")
            self.state_names.append(suffix)
            self._state_shapes[suffix] = tuple(shape)
        self._output_names = list(OUTPUTS) + ["state_out_" + s for s in self.state_names]

    # --- running ---------------------------------------------------------------------------
    def reset(self, batch: int) -> None:
        """Zero all states for ``batch`` channels."""
        self._batch = batch
        self._states = {
            s: np.zeros((batch,) + shape, dtype=np.float32) for s, shape in self._state_shapes.items()
        }

    def run(
        self, spec_low: np.ndarray, band_db: np.ndarray, band_floor_db: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Estimate masks for T frames of every channel; advances the state by T frames.
        ``band_floor_db`` is required by (and only fed to) models with that input."""
        if spec_low.shape[0] != self._batch:
            raise RuntimeError("OnnxMaskEstimator.reset(batch) must be called before run()")
        feeds = {}
        if "spec_low" in self.feature_inputs:
            feeds["spec_low"] = spec_low
        if "band_db" in self.feature_inputs:
            feeds["band_db"] = band_db
        if "band_floor_db" in self.feature_inputs:
            if band_floor_db is None:
                raise ValueError(f"model {self.card.name!r} reads the noise floor: pass band_floor_db")
            feeds["band_floor_db"] = band_floor_db
        for s in self.state_names:
            feeds["state_in_" + s] = self._states[s]
        results = self._session.run(self._output_names, feeds)
        for s, value in zip(self.state_names, results[2:]):
            self._states[s] = value
        return results[0], results[1]

    def __getstate__(self):
        raise TypeError("OnnxMaskEstimator holds an onnxruntime session and is not picklable")
