"""Numba kernels of hance-plugin (installed as ``hance_plugin.kernels``).

Every kernel is a plain ``@njit(cache=True, nogil=True)`` function over preallocated arrays: no
Python objects and no allocation per block. The FFT itself is numpy's pocketfft called with
``out=`` on the whole block of frames (see ``hance_plugin.engine``), so a block with T complete
hops costs one batched FFT, one batched inverse FFT and one ONNX run.

Modules:
    windows  -- analysis/synthesis window pairs with perfect reconstruction for any hop
    stft     -- streaming framing (ring buffer -> windowed frames) and overlap-add synthesis
    modified -- the modified STFT: per-frame phase derotation and power-law compression
    masks    -- hybrid mask application (complex below the split, real gains above) and
                band energy features
    level    -- causal input level meter and the feature gain that moves quiet input to a set level
    floor    -- causal per-band noise-floor tracker (the input of models trained with --noise-floor)
    guard    -- the speech guard's lower bound on the gains from each band's height above its floor
    delay    -- dry-path delay line and dry/wet mix
"""
