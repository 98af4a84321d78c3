"""The mask estimator network: causal, streaming, explicit state, no look-ahead (needs torch).

Per frame (100 frames/s at 48 kHz, hop 480) the network sees the engine's features

    spec_low (F=120 bins x (re, im), derotated and |X|^0.3-compressed)  -> 240 values
    band_db  (32 ERB band energies in dB)                               -> 32 values

and predicts ``mask_low`` (F x 2) and ``gains_high`` (G = 9 band gains above 6 kHz).

Architecture (ideas from RNNoise, Valin 2018: band energies + GRUs at 100 frames/s; and
DeepFilterNet, Schröter et al. 2022: ERB-band features with a complex low-band path, causal
convolutions with state, grouped/efficient GRUs):

    input norm   fixed per-feature affine: (band_db - mu_b) / sigma_b and spec_low / rms_k, with
                 mu, sigma, rms estimated once from training mixtures before step 0 (buffers,
                 saved in the checkpoint, exported as constants). Purely per frame, so causal.
    noise floor  ``noise_floor`` (off by default): 32 more inputs, band_db - band_floor_db (an
                 a-posteriori SNR per band against the engine's tracked noise floor,
                 ``kernels/floor.py``; "noise-aware training", Xu et al., Interspeech 2014),
                 normalised the same way
    embed        Linear(272 (304 with the floor) -> H) -> LayerNorm(H) -> ReLU
    tconv        depthwise causal conv over the current and previous ``conv_frames - 1`` frames
                 (+ residual); its past frames come from ``state_conv`` [B, conv_frames-1, H];
                 exported as shifted multiply-adds (``_tconv_shifted``), not an ONNX ``Conv``
    GRU stack    ``gru_layers`` single-layer GRUs (residual between layers); state
                 ``state_gru`` [B, layers, H]
    heads        phase_aware:    mask_low = Linear(H -> 2F), LINEAR (unbounded complex mask,
                                 Williamson et al. 2016 cIRM without compression/bounding)
                 magnitude_twin: mask_low = (softplus(Linear(H -> F)), 0): a non-negative real
                                 magnitude mask that keeps the noisy phase; with
                                 ``twin_mask="abs"`` (|Linear(H -> F)|, 0): the phase-aware
                                 head's magnitude path without its rotation (linear, no
                                 saturation), to tell the complex mask's phase from its
                                 parametrisation
                 both:           gains_high = softplus(Linear(H -> G)) >= 0 (may exceed 1)
                 ``mask_gate`` (phase_aware, off by default): mask_low *= softplus(Linear(H -> F))
                                 per bin. Still unbounded in magnitude and phase, but a bin can be
                                 switched off by one saturating output instead of by driving both
                                 linear outputs to exactly 0: on noise-only input the ungated
                                 complex mask stops near -40 dB per bin, the twin's softplus mask
                                 at -60 to -100 dB (benchmarks/noise_only.py, val noises). Adds
                                 F(H + 2) MACs. Grown onto the release it did not change val
                                 scores at equal steps (models/training/ablations/mask-gate/).
                 ``subband_hidden`` > 0 (off by default): a per-bin MLP shared by all bins adds a
                                 correction to the low-band mask from the bin's spectral
                                 neighbourhood (FullSubNet's sub-band idea; ``_subband``);
                                 the twin gets the same path on its pre-softplus mask.
                 ``floor_guard`` (phase_aware with ``noise_floor``, off by default; added to a
                                 trained network by ``grow``): a lower bound on the complex mask's
                                 magnitude from the tracked noise floor, behind a learned per-band
                                 gate (``_floor_guard``; models/training/ablations/floor-guard/).
                 ``df_order`` N > 1 (phase_aware, off by default; training-only, export
                                 refuses it): the lowest ``df_bins`` bins get a complex filter
                                 over the current and N-1 past frames instead of a one-frame
                                 mask ("deep filtering", ``_deep_filter``); mask_low becomes
                                 [B,T,F,N,2]. Adds H * df_bins * (N-1) * 2 MACs per frame.

Training-only regularisation (off by default; ``set_regularisation``, set by ``TrainConfig.dropout``
and ``feature_noise``): not part of ``ModelConfig``, the state dict or the export, and active only in
``train()`` mode, so a checkpoint trained with it runs and exports exactly like one trained without.

    feature_noise  Gaussian noise of that standard deviation added to the normalised input features
                   (training with input noise acts as a Tikhonov regulariser: Bishop, "Training with
                   noise is equivalent to Tikhonov regularization", Neural Computation 1995)
    dropout        dropout on each GRU layer's input, not on its recurrent state (Zaremba et al.,
                   "Recurrent neural network regularization", arXiv:1409.2329, 2014); the residual
                   path keeps the undropped input

Heads are initialised to the identity (mask 1 + 0j, gains 1), so an untrained model passes the
signal through. The same ``forward`` runs T = N frames at once or T = 1 frame at a time with the
state carried, with identical results; this is what the ONNX export relies on.

Budget (asserted by ``count_params_and_macs``): <= 1 M parameters and <= 150 M multiply-
accumulates per second of audio (network only; STFT and feature DSP not counted).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..config import StftConfig

__all__ = ["ModelConfig", "MaskEstimatorNet", "check_regularisation", "guard_band_edges", "SIZES", "VARIANTS", "count_params_and_macs", "build_model"]

VARIANTS = ("phase_aware", "magnitude_twin")
SIZES = {"base": 256, "fast": 128}
MAX_PARAMS = 1_000_000
MAX_MACS_PER_SECOND = 150_000_000
TWIN_MASKS = ("softplus", "abs")
_SOFTPLUS_ONE = 0.5413248546129181  # softplus(x) == 1  <=>  x = log(e - 1)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network (stored in checkpoints)."""

    variant: str = "phase_aware"
    hidden: int = 256
    gru_layers: int = 2
    conv_frames: int = 3
    mask_gate: bool = False
    subband_hidden: int = 0  # 0 = off; else the width of the per-bin refinement (see ``forward``)
    subband_context: int = 2  # neighbour bins on each side that the refinement sees
    subband_scale: float = 1.0  # the correction is multiplied by this (a learning-rate multiplier under Adam)
    df_order: int = 1  # 1 = off; else taps of the deep filter on the lowest ``df_bins`` bins (see ``forward``)
    df_bins: int = 0  # bins (from 0 Hz) whose complex mask becomes a df_order-tap filter over past frames
    df_scale: float = 1.0  # the extra taps are multiplied by this (a learning-rate multiplier under Adam)
    noise_floor: bool = False  # also read band_db - band_floor_db (kernels/floor.py): noise-aware input
    twin_mask: str = "softplus"  # magnitude_twin's low-band mask: softplus(raw) or |raw| (see ``forward``)
    floor_guard: bool = False  # gated lower bound on the complex mask from the tracked floor (``_floor_guard``)
    guard_margin_db: float = 15.0  # the bound starts this far above the floor (over-subtraction)
    guard_scale: float = 20.0  # the gate's logit is multiplied by this (a learning-rate multiplier under Adam)
    guard_band_edges: tuple[int, ...] = ()  # band edges (bins) from 0 to split_bin that the gate and bound use
    split_bin: int = 120
    n_bands: int = 32
    n_high_gains: int = 9
    frames_per_second: float = 100.0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.conv_frames < 2 or self.gru_layers < 1:
            raise ValueError("conv_frames must be >= 2 and gru_layers >= 1")
        if self.mask_gate and self.variant != "phase_aware":
            raise ValueError("mask_gate applies to the phase_aware variant's complex mask only")
        if self.subband_hidden < 0 or not 0 <= self.subband_context <= 8 or not self.subband_scale > 0:
            raise ValueError("subband_hidden must be >= 0, subband_context in 0..8 and subband_scale > 0")
        if not 1 <= self.df_order <= 5 or not self.df_scale > 0:
            raise ValueError(f"df_order must be in 1..5 and df_scale > 0, got {self.df_order}, {self.df_scale}")
        if self.df_order > 1:
            if self.variant != "phase_aware":
                raise ValueError("deep filtering (df_order > 1) applies to the phase_aware variant's complex mask only")
            if not 1 <= self.df_bins <= self.split_bin:
                raise ValueError(f"df_bins must be in 1..split_bin ({self.split_bin}) with df_order > 1, got {self.df_bins}")
        elif self.df_bins or self.df_scale != 1.0:
            raise ValueError("df_bins and df_scale apply only with df_order > 1")
        if self.twin_mask not in TWIN_MASKS:
            raise ValueError(f"twin_mask must be one of {TWIN_MASKS}, got {self.twin_mask!r}")
        if self.twin_mask != "softplus" and self.variant != "magnitude_twin":
            raise ValueError("twin_mask applies to the magnitude_twin variant's mask only")
        object.__setattr__(self, "guard_band_edges", tuple(int(e) for e in self.guard_band_edges))
        if self.floor_guard:
            if self.variant != "phase_aware" or not self.noise_floor or self.df_order > 1:
                raise ValueError("floor_guard needs the phase_aware variant with noise_floor and without deep filtering")
            e = self.guard_band_edges
            if len(e) < 2 or e[0] != 0 or e[-1] != self.split_bin or any(b <= a for a, b in zip(e, e[1:])):
                raise ValueError(f"guard_band_edges must rise from 0 to split_bin ({self.split_bin}), got {e}")
            if len(e) - 1 > self.n_bands or not math.isfinite(self.guard_margin_db) or not self.guard_scale > 0:
                raise ValueError("floor_guard needs at most n_bands bands, a finite margin and guard_scale > 0")
        elif self.guard_band_edges or self.guard_margin_db != 15.0 or self.guard_scale != 20.0:
            raise ValueError("guard_band_edges, guard_margin_db and guard_scale apply only with floor_guard")

    @classmethod
    def for_stft(cls, stft: StftConfig, variant: str = "phase_aware", size: str = "base", **kw) -> "ModelConfig":
        if size not in SIZES:
            raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
        if kw.get("floor_guard") and not kw.get("guard_band_edges"):
            kw["guard_band_edges"] = guard_band_edges(stft)
        return cls(
            variant=variant,
            hidden=SIZES[size],
            split_bin=stft.split_bin,
            n_bands=stft.n_bands,
            n_high_gains=stft.n_high_gains,
            frames_per_second=stft.sample_rate_hz / stft.hop_samples,
            **kw,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def guard_band_edges(stft: StftConfig) -> tuple[int, ...]:
    """The edges (bins) of ``stft``'s bands below its split: the bands ``floor_guard`` gates."""
    edges = [int(e) for e in stft.band_edges if e <= stft.split_bin]
    if edges[-1] != stft.split_bin:
        raise ValueError(f"the split bin {stft.split_bin} is not a band edge")
    return tuple(edges)


def check_regularisation(dropout: float, feature_noise: float) -> None:
    """``ValueError`` unless ``dropout`` is in [0, 1) and ``feature_noise`` is finite and >= 0
    (``MaskEstimatorNet.set_regularisation``; ``TrainConfig`` checks at start-up with it)."""
    if not (math.isfinite(dropout) and 0.0 <= dropout < 1.0):
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if not (math.isfinite(feature_noise) and feature_noise >= 0.0):
        raise ValueError(f"feature_noise must be finite and >= 0, got {feature_noise}")


class MaskEstimatorNet(nn.Module):
    """Causal mask estimator; see the module docstring. States are explicit tensors."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        h, f, nb = config.hidden, config.split_bin, config.n_bands
        self.n_in = 2 * f + nb + (nb if config.noise_floor else 0)
        # fixed input normalisation (set by ``set_input_stats``; identity until then)
        self.register_buffer("band_mean", torch.zeros(nb))
        self.register_buffer("band_inv_std", torch.ones(nb))
        self.register_buffer("spec_inv_rms", torch.ones(f))
        if config.noise_floor:  # the same for band_db - band_floor_db (only then: older state dicts load)
            self.register_buffer("snr_mean", torch.zeros(nb))
            self.register_buffer("snr_inv_std", torch.ones(nb))
        self.embed = nn.Linear(self.n_in, h)
        self.embed_norm = nn.LayerNorm(h)
        self.tconv = nn.Conv1d(h, h, kernel_size=config.conv_frames, groups=h)
        self.grus = nn.ModuleList(nn.GRU(h, h, batch_first=True) for _ in range(config.gru_layers))
        n_mask = 2 * f if config.variant == "phase_aware" else f
        self.mask_head = nn.Linear(h, n_mask)
        self.gain_head = nn.Linear(h, config.n_high_gains)
        # optional per-bin magnitude gate of the complex mask (see ``forward``)
        self.gate_head = nn.Linear(h, f) if config.mask_gate else None
        # optional per-bin refinement of the low-band mask from the bin's spectral neighbourhood
        s = config.subband_hidden
        if s:
            self.sub_local = nn.Linear(self.subband_inputs, s)
            self.sub_ctx = nn.Linear(h, s, bias=False)
            self.sub_bin = nn.Parameter(torch.zeros(f, s))
            self.sub_out = nn.Linear(s, 2 if config.variant == "phase_aware" else 1)
        else:
            self.sub_local = self.sub_ctx = self.sub_bin = self.sub_out = None
        # optional deep-filter taps on past frames of the lowest bins (see ``forward``)
        # (built without its random initialisation, zeroed below: a deep-filter network draws the
        # same randoms as its one-tap twin, so a fresh run of each starts from the same weights)
        self.df_head = (nn.utils.skip_init(nn.Linear, h, config.df_bins * (config.df_order - 1) * 2)
                        if config.df_order > 1 else None)
        # optional gated lower bound from the noise floor (see ``_floor_guard``)
        if config.floor_guard:
            edges = config.guard_band_edges
            self.guard_head = nn.Linear(h, len(edges) - 1)
            band_of_bin = torch.repeat_interleave(torch.arange(len(edges) - 1), torch.tensor(edges).diff())
            self.register_buffer("guard_band", band_of_bin, persistent=False)
        else:
            self.guard_head = None
        self._init_heads()
        self.dropout = 0.0  # training-only regularisation, see ``set_regularisation``
        self.feature_noise = 0.0

    def set_regularisation(self, dropout: float = 0.0, feature_noise: float = 0.0) -> None:
        """Training-only regularisation (module docstring): ``dropout`` in [0, 1) on each GRU
        layer's input, ``feature_noise`` >= 0, the standard deviation of Gaussian noise added to the
        normalised input features. Both act only in ``train()`` mode; 0 (the default) is off."""
        check_regularisation(dropout, feature_noise)
        self.dropout = float(dropout)
        self.feature_noise = float(feature_noise)

    @property
    def subband_inputs(self) -> int:
        """Per-bin inputs of the refinement: (re, im, |.|) of 2c+1 bins and the mask (re, im)."""
        return 3 * (2 * self.config.subband_context + 1) + 2

    def _init_heads(self) -> None:
        with torch.no_grad():
            for head in (self.mask_head, self.gain_head):
                head.weight.mul_(0.1)
            self.gain_head.bias.fill_(_SOFTPLUS_ONE)
            if self.gate_head is not None:
                self.gate_head.weight.mul_(0.1)
                self.gate_head.bias.fill_(_SOFTPLUS_ONE)
            if self.sub_out is not None:  # the refinement starts as an exact identity
                self.sub_out.weight.zero_()
                self.sub_out.bias.zero_()
            if self.df_head is not None:  # so do the deep filter's extra taps
                self.df_head.weight.zero_()
                self.df_head.bias.zero_()
            if self.guard_head is not None:  # the gate starts half open (sigmoid(0)) in every band
                self.guard_head.weight.zero_()
                self.guard_head.bias.zero_()
            if self.config.variant == "phase_aware":
                bias = self.mask_head.bias.view(self.config.split_bin, 2)
                bias[:, 0] = 1.0
                bias[:, 1] = 0.0
            else:
                self.mask_head.bias.fill_(1.0 if self.config.twin_mask == "abs" else _SOFTPLUS_ONE)

    # --- state ---------------------------------------------------------------------------------
    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """Static shapes (after the batch dim) of the states, by contract suffix."""
        c = self.config
        return {"conv": (c.conv_frames - 1, c.hidden), "gru": (c.gru_layers, c.hidden)}

    def initial_state(self, batch: int, device: torch.device | str | None = None) -> dict[str, torch.Tensor]:
        """Zero states (what the engine feeds after ``reset()``)."""
        return {k: torch.zeros((batch,) + s, device=device) for k, s in self.state_shapes().items()}

    @torch.no_grad()
    def set_input_stats(
        self, spec_low: torch.Tensor, band_db: torch.Tensor, band_floor_db: torch.Tensor | None = None
    ) -> None:
        """Estimate the fixed input normalisation from training features (B, T, F, 2) / (B, T, nb)
        (and the floor (B, T, nb) with ``noise_floor``)."""
        bands = band_db.reshape(-1, band_db.shape[-1]).double()
        self.band_mean.copy_(bands.mean(0).float())
        self.band_inv_std.copy_((1.0 / bands.std(0).clamp_min(1.0)).float())
        if self.config.noise_floor:
            if band_floor_db is None:
                raise ValueError("this network reads the noise floor: pass band_floor_db")
            snr = (band_db - band_floor_db).reshape(-1, band_db.shape[-1]).double()
            self.snr_mean.copy_(snr.mean(0).float())
            self.snr_inv_std.copy_((1.0 / snr.std(0).clamp_min(1.0)).float())
        power = spec_low.double().pow(2).sum(-1).reshape(-1, spec_low.shape[-2])
        self.spec_inv_rms.copy_((1.0 / power.mean(0).sqrt().clamp_min(1e-3)).float())

    # --- forward -------------------------------------------------------------------------------
    def forward(
        self,
        spec_low: torch.Tensor,
        band_db: torch.Tensor,
        state: dict[str, torch.Tensor],
        band_floor_db: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """(mask_low [B,T,F,2], gains_high [B,T,G], new state) for T frames; with ``df_order`` N > 1
        mask_low is [B,T,F,N,2]: tap i multiplies the input spectrum i frames back (tap 0 is the
        mask; taps 1..N-1 are zero above ``df_bins``), see ``TorchDsp.apply_mask``.
        ``band_floor_db`` [B,T,nb] (``noise_floor`` networks only, else ignored): the engine's
        tracked noise floor of ``band_db`` (``kernels/floor.py``)."""
        c = self.config
        spec = spec_low * self.spec_inv_rms[:, None]
        bands = (band_db - self.band_mean) * self.band_inv_std
        if c.noise_floor:
            if band_floor_db is None:
                raise ValueError("this network reads the noise floor: pass band_floor_db")
            snr = (band_db - band_floor_db - self.snr_mean) * self.snr_inv_std
            x = torch.cat((spec.flatten(2), bands, snr), dim=-1)
        else:
            x = torch.cat((spec.flatten(2), bands), dim=-1)
        if self.training and self.feature_noise > 0.0:
            x = x + self.feature_noise * torch.randn_like(x)
        x = F.relu(self.embed_norm(self.embed(x)))  # [B, T, H]
        past = torch.cat((state["conv"], x), dim=1)  # [B, k-1+T, H]
        new_conv = past[:, -(c.conv_frames - 1) :]
        if torch.onnx.is_in_onnx_export():
            x = self._tconv_shifted(past) + x
        else:
            x = self.tconv(past.transpose(1, 2)).transpose(1, 2) + x
        h_in = state["gru"].transpose(0, 1)  # [layers, B, H]
        h_out = []
        for i, gru in enumerate(self.grus):
            y, h = gru(F.dropout(x, self.dropout, self.training) if self.dropout > 0.0 else x,
                       h_in[i : i + 1].contiguous())
            x = y + x if i > 0 else y
            h_out.append(h)
        new_gru = torch.cat(h_out, dim=0).transpose(0, 1)
        gains = F.softplus(self.gain_head(x))
        raw = self.mask_head(x)
        if c.variant == "phase_aware":
            mask = raw.unflatten(-1, (c.split_bin, 2))
            if self.gate_head is not None:
                mask = mask * F.softplus(self.gate_head(x)).unsqueeze(-1)
            if self.sub_out is not None:
                mask = mask + self._subband(spec, mask, x)
            if self.guard_head is not None:
                mask = self._floor_guard(mask, x, band_db, band_floor_db)
            if self.df_head is not None:
                mask = self._deep_filter(mask, x)
        else:
            rectify = torch.abs if c.twin_mask == "abs" else F.softplus
            mag = rectify(raw)
            if self.sub_out is not None:
                base = torch.stack((mag, torch.zeros_like(mag)), dim=-1)
                mag = rectify(raw + self._subband(spec, base, x)[..., 0])
            mask = torch.stack((mag, torch.zeros_like(mag)), dim=-1)
        return mask, gains, {"conv": new_conv, "gru": new_gru}

    def _floor_guard(self, mask: torch.Tensor, x: torch.Tensor, band_db: torch.Tensor,
                     band_floor_db: torch.Tensor) -> torch.Tensor:
        """The complex mask [B,T,F,2] with each bin's magnitude raised towards a lower bound from the
        tracked noise floor, by a learned per-band gate (``floor_guard``).

        Per band b below the split: g_b = sqrt(max(0, 1 - 10^(-(X_b - N_b - margin)/10))), the power-
        subtraction gain of the band's energy X_b (dB) against its tracked floor N_b with an over-
        subtraction margin (Boll, IEEE TASSP 1979; Berouti, Schwartz and Makhoul, ICASSP 1979): a band
        that stands far above the floor cannot be mostly noise, whatever the voice. The gate
        gate_b = sigmoid(guard_scale * Linear(x)) decides how far to trust it:
        |M'| = |M| + gate_b * max(0, g_b - |M|), with the mask's rotation kept. Gate 0 is the mask
        unchanged, gate 1 max(|M|, g_b); the interpolation passes the gate a gradient wherever the
        mask lies under the bound. Frame-wise, so streaming and offline agree.
        """
        c = self.config
        n = self.guard_head.out_features
        above = (band_db[..., :n] - band_floor_db[..., :n] - c.guard_margin_db).clamp(-100.0, 100.0)
        bound = torch.sqrt(torch.clamp(1.0 - torch.pow(10.0, -0.1 * above), min=0.0))
        gate = torch.sigmoid(self.guard_head(x) * c.guard_scale)
        bound, gate = bound[..., self.guard_band], gate[..., self.guard_band]  # per bin [B,T,F]
        mag = torch.sqrt(mask[..., 0] * mask[..., 0] + mask[..., 1] * mask[..., 1] + 1e-8)
        lift = 1.0 + gate * F.relu(bound - mag) / mag
        return mask * lift.unsqueeze(-1)

    def _deep_filter(self, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """[B,T,F,N,2]: the mask as tap 0 and ``df_head``'s taps 1..N-1 for the lowest ``df_bins``
        bins (zero above), times ``df_scale``. A complex filter over the current and past frames
        of one bin ("deep filtering", Mack and Habets, IEEE SPL 2020; DeepFilterNet, Schroeter et
        al., ICASSP 2022) can follow structure a one-frame mask cannot at this frequency
        resolution (50 Hz bins: a 90 Hz voice's harmonics are 1.8 bins apart)."""
        c = self.config
        b, t, f = mask.shape[0], mask.shape[1], c.split_bin
        taps = self.df_head(x).unflatten(-1, (c.df_bins, c.df_order - 1, 2))
        if c.df_scale != 1.0:
            taps = taps * c.df_scale
        if c.df_bins < f:
            taps = torch.cat((taps, taps.new_zeros(b, t, f - c.df_bins, c.df_order - 1, 2)), dim=2)
        return torch.cat((mask.unsqueeze(3), taps), dim=3)

    def _subband(self, spec: torch.Tensor, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-bin correction [B, T, F, 2 or 1] of the low-band mask (``subband_hidden`` > 0).

        A sub-band model in the sense of FullSubNet (Hao et al., ICASSP 2021): one small MLP,
        shared by all bins, sees the bin's neighbourhood of the normalised input spectrum (re, im
        and magnitude of the bin and ``subband_context`` bins on each side; zero beyond the
        band), the full-band network's mask for that bin, a projection of the full-band state
        ``x`` and a learned per-bin bias (which bin it is). The full-band GRU has to encode 2F mask
        values in H numbers through a linear head; this path reads the harmonic fine structure
        (one 50 Hz bin) directly. Its output layer starts at zero, so a grown model computes
        exactly what it computed before. Frame-wise, so causal and stateless.

        ``subband_scale`` multiplies the correction. Under Adam, whose steps do not depend on the
        gradient's scale, that multiplies the output layer's effective learning rate by the same
        factor (the inner layers' steps are unchanged): a path grown onto a trained network late
        in its schedule can then move at about the schedule's peak rate while the rest does not.
        """
        k = self.config.subband_context
        n_bins = spec.shape[-2]
        mag = torch.sqrt(spec[..., 0] * spec[..., 0] + spec[..., 1] * spec[..., 1] + 1e-6)
        feats = torch.cat((spec, mag.unsqueeze(-1)), dim=-1)  # [B, T, F, 3]
        if k:
            feats = F.pad(feats, (0, 0, k, k))
            feats = torch.cat([feats[:, :, j : j + n_bins] for j in range(2 * k + 1)], dim=-1)
        z = self.sub_local(torch.cat((feats, mask), dim=-1)) + self.sub_ctx(x).unsqueeze(2) + self.sub_bin
        out = self.sub_out(F.relu(z))
        return out * self.config.subband_scale if self.config.subband_scale != 1.0 else out

    def _tconv_shifted(self, past: torch.Tensor) -> torch.Tensor:
        """``tconv`` as a sum of k shifted, per-channel scaled copies of ``past`` [B, k-1+T, H].

        The same depthwise convolution written out, used for the ONNX export only: onnxruntime's
        grouped ``Conv`` took about 30 us of a T = 1 call of hance-base (its profiler) for 768
        multiplications; k ``Slice``/``Mul``/``Add`` nodes take a few, and two transposes go away.
        Training keeps ``nn.Conv1d`` (same values to float rounding, tested), so checkpoints and
        resumed runs are unaffected.
        """
        k = self.config.conv_frames
        weight = self.tconv.weight[:, 0, :]  # [H, k]
        out = self.tconv.bias
        for j in range(k):
            end = j - (k - 1)
            frames = past[:, j:end] if end < 0 else past[:, j:]
            out = out + frames * weight[:, j]
        return out


def build_model(stft: StftConfig | None = None, variant: str = "phase_aware", size: str = "base") -> MaskEstimatorNet:
    return MaskEstimatorNet(ModelConfig.for_stft(stft or StftConfig(), variant=variant, size=size))


def count_params_and_macs(model: MaskEstimatorNet, check: bool = True) -> dict:
    """Trainable parameters and multiply-accumulates per second of audio; assert the budget.

    MACs per frame count every weight multiplication (Linear: in*out; depthwise conv: H*k; GRU:
    3H(in + H) for the gates plus 3H for the reset/update products; LayerNorm: 2H) and the
    input normalisation (272). MACs/s = MACs/frame x frames per second (100 at 48 kHz, hop 480).
    """
    c = model.config
    h = c.hidden
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    macs = model.n_in  # input normalisation
    macs += model.embed.in_features * model.embed.out_features + 2 * h
    macs += h * c.conv_frames
    for gru in model.grus:
        macs += 3 * h * (gru.input_size + h) + 3 * h
    macs += model.mask_head.in_features * model.mask_head.out_features
    macs += model.gain_head.in_features * model.gain_head.out_features
    if model.gate_head is not None:
        macs += model.gate_head.in_features * model.gate_head.out_features + 2 * c.split_bin
    if model.sub_out is not None:  # magnitudes, per-bin MLP, full-band projection
        s = c.subband_hidden
        macs += 2 * c.split_bin + c.split_bin * (model.subband_inputs * s + s * model.sub_out.out_features)
        macs += h * s
    if model.guard_head is not None:  # gate head and its scale; per band the bound (sub, pow, 1-, sqrt); per bin |M| and the lift
        n = model.guard_head.out_features
        macs += model.guard_head.in_features * n + n + 4 * n + 7 * c.split_bin
    if model.df_head is not None:  # the taps' head and the filter (a complex product is 4 real ones)
        macs += model.df_head.in_features * model.df_head.out_features + 4 * c.df_bins * (c.df_order - 1)
    per_second = int(round(macs * c.frames_per_second))
    result = {"parameters": int(params), "macs_per_frame": int(macs), "macs_per_second": per_second}
    if check:
        assert params <= MAX_PARAMS, f"{params} parameters exceed the budget of {MAX_PARAMS}"
        assert per_second <= MAX_MACS_PER_SECOND, f"{per_second} MAC/s exceed the budget of {MAX_MACS_PER_SECOND}"
    return result
