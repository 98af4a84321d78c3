"""Synthetic room impulse responses: seeded shoebox rooms by the image-source method.

Why: the corpus has 8 training rooms, and they are wet (T20-estimated RT60 0.2-3.9 s, direct-to-
reverberant ratio mostly below 0 dB: halls, a chamber, large rooms), while the rooms that podcasts
and voice-overs are recorded in are mostly small and close-miked. A model
that has met eight rooms may take the reverberation of a ninth for noise; the target of a
reverberant training mixture is the reverberant speech, so every new room teaches it to leave a
room alone. More rooms are cheap to simulate (the DNS Challenge and DeepFilterNet train with
simulated RIRs for the same reason).

How: ``pyroomacoustics.ShoeBox`` (Scheibler et al., ICASSP 2018), image-source method (Allen and
Berkley, JASA 1979) with uniform wall absorption from Sabine's formula for the drawn RT60
(``pyroomacoustics.inverse_sabine``) and air absorption. Its randomised-image and ray-tracing
options draw from unseeded generators, so they are off: with them the same room gave different
responses run to run, and mixing must be reproducible bit for bit. The image order is capped at
``MAX_ORDER`` (40) to bound the cost (0.03-0.16 s per room on one core). The drawn RT60 is the
Sabine target, not what the response measures: T20 estimates of the responses run at 0.3-1.0x of
it (Sabine's formula overestimates the decay time at high absorption, most for short targets in
big rooms: a 0.2 s target measured 0.07-0.19 s, a 0.8 s one 0.53-0.73 s, over six rooms), so the
simulated rooms span roughly 0.07-0.9 s. Rooms are drawn from ``np.random.default_rng([seed, index])``, so room ``index``
is the same every time and in every data worker.

Drawn per room: length 3-10 m, width 2.5-8 m (at most the length), height 2.4-4 m; RT60
log-uniform in ``rt60_s_range`` (default 0.15-1.0 s); source and microphone at least 0.5 m from
every wall, 1.2-1.9 m high, 0.3-3 m apart (log-uniform, so close miking is common).

Measured (``models/training/ablations/synthetic-rooms/``, three runs from scratch with two real
rooms held out): at an equal share of reverberant segments, simulated rooms in place of half of
the real ones gave +0.51 dB SI-SDR on val speech through the held-out rooms and +0.022 PESQ-WB on
dry val. Off by default (``MixConfig.p_synthetic_rir = 0``); not in the shipped models.
"""

from __future__ import annotations

import math

import numpy as np

SR = 48000
MAX_ORDER = 40
WALL_MARGIN_M = 0.5

__all__ = ["shoebox_rir", "draw_room"]


def draw_room(
    rng: np.random.Generator,
    rt60_s_range: tuple[float, float] = (0.15, 1.0),
    distance_m_range: tuple[float, float] = (0.3, 3.0),
) -> dict:
    """Room size, RT60 and a source/microphone pair drawn from ``rng`` (see the module docstring):
    ``{"dims_m", "rt60_s", "source_m", "mic_m"}``."""
    lo, hi = rt60_s_range
    if not 0.05 <= lo <= hi <= 3.0:
        raise ValueError(f"rt60_s_range must satisfy 0.05 <= low <= high <= 3 s, got {lo}:{hi}")
    d_lo, d_hi = distance_m_range
    if not 0.1 <= d_lo <= d_hi:
        raise ValueError(f"distance_m_range must satisfy 0.1 <= low <= high, got {d_lo}:{d_hi}")
    length = float(rng.uniform(3.0, 10.0))
    width = float(rng.uniform(2.5, min(8.0, length)))
    height = float(rng.uniform(2.4, 4.0))
    dims = np.array([length, width, height])
    rt60 = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    # the longest horizontal distance that fits between the wall margins
    span = math.hypot(length - 2 * WALL_MARGIN_M, width - 2 * WALL_MARGIN_M)
    distance = float(min(math.exp(rng.uniform(math.log(d_lo), math.log(d_hi))), 0.9 * span))
    for _ in range(100):
        source = np.array(
            [rng.uniform(WALL_MARGIN_M, length - WALL_MARGIN_M), rng.uniform(WALL_MARGIN_M, width - WALL_MARGIN_M), rng.uniform(1.2, 1.9)]
        )
        angle = rng.uniform(0.0, 2 * math.pi)
        mic = source + np.array([distance * math.cos(angle), distance * math.sin(angle), rng.uniform(-0.3, 0.3)])
        mic[2] = float(np.clip(mic[2], 1.0, height - WALL_MARGIN_M))
        if np.all(mic[:2] >= WALL_MARGIN_M) and np.all(mic[:2] <= dims[:2] - WALL_MARGIN_M):
            break
    else:  # nothing fitted: mic in the room centre (cannot happen for the drawn sizes; kept safe)
        mic = np.array([length / 2, width / 2, min(1.5, height - WALL_MARGIN_M)])
    return {"dims_m": dims, "rt60_s": rt60, "source_m": source, "mic_m": mic}


def shoebox_rir(room: dict, sample_rate_hz: int = SR) -> np.ndarray:
    """The room's impulse response (float32, mono, at ``sample_rate_hz``), deterministic."""
    try:
        import pyroomacoustics as pra
    except ImportError as exc:  # pragma: no cover - the [train] extra installs it
        raise ImportError("synthetic rooms need pyroomacoustics: pip install 'hance-plugin[train]'") from exc
    dims = np.asarray(room["dims_m"], dtype=float)
    energy_absorption, max_order = pra.inverse_sabine(float(room["rt60_s"]), dims)
    shoebox = pra.ShoeBox(
        dims,
        fs=int(sample_rate_hz),
        materials=pra.Material(float(energy_absorption)),
        max_order=int(min(max_order, MAX_ORDER)),
        air_absorption=True,
    )
    shoebox.add_source(np.asarray(room["source_m"], dtype=float))
    shoebox.add_microphone(np.asarray(room["mic_m"], dtype=float))
    shoebox.compute_rir()
    return np.asarray(shoebox.rir[0][0], dtype=np.float32)
