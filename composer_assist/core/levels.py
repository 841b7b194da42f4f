"""Level figures of rendered audio: peak, RMS, integrated and short-term loudness (LUFS), true peak.

Loudness is ITU-R BS.1770-4 as pyloudnorm measures it (its K-weighting coefficients, its gating
blocks), computed here in a few vectorised passes: K-weighting once per signal (second-order
sections), then the energy between consecutive block edges summed once and reused by every
overlapping block.  True peak is the 4x polyphase interpolation of
``scipy.signal.resample_poly`` as one small matrix product per chunk.  Both equal the library
calls they replace to rounding (tests/core/test_levels_reference.py), at 5-7x less CPU.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

SHORT_TERM_S = 3.0  # EBU R128 short-term window
GATE_BLOCK_S = 0.4  # BS.1770 gating block
GATE_STEP = 0.25  # of a block: blocks overlap by 75 %
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # L, R, C, Ls, Rs
TP_CHUNK = 4096  # input samples per matrix product: cache-sized, and small enough that BLAS stays on one thread
# Bound of an oversampled value over the largest sample (sum of |taps| of the widest phase of the
# 4x interpolation filter of ``true_peak_dbtp`` is 2.24): a margin above it.
MAX_INTERSAMPLE_GAIN = 2.3


def _channels(audio: np.ndarray) -> np.ndarray:
    """(channels, n) float64 from our (channels, n) layout or a mono (n,) signal."""
    a = np.asarray(audio, dtype=np.float64)
    return a[None, :] if a.ndim == 1 else a


def peak_dbfs(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if np.size(audio) else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def rms_dbfs(audio: np.ndarray) -> float:
    """RMS over all channels and samples (a full-scale sine reads -3 dBFS)."""
    if not np.size(audio):
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(np.asarray(audio, dtype=np.float64)))))
    return 20.0 * math.log10(rms) if rms > 0 else -math.inf


@lru_cache(maxsize=8)
def _k_sections(sample_rate: int) -> tuple[np.ndarray, float]:
    """K-weighting as second-order sections and its overall passband gain: pyloudnorm's own
    shelf and high-pass stages, designed for ``sample_rate``."""
    import pyloudnorm

    stages = list(pyloudnorm.Meter(sample_rate)._filters.values())
    sos = np.array([np.concatenate([f.b / f.a[0], f.a / f.a[0]]) for f in stages])
    return sos, float(np.prod([f.passband_gain for f in stages]))


def _window_energy(x: np.ndarray, sample_rate: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """K-weighted energy (sum of squares) of each channel of ``x`` (channels, n) over samples
    ``lo[k]:hi[k]``, as (channels, windows): one filtering pass, one pass summing the pieces between
    consecutive window edges, then running sums of those few pieces."""
    from scipy.signal import sosfilt

    n = x.shape[1]
    sos, gain = _k_sections(sample_rate)
    y = sosfilt(sos, x, axis=-1)
    if gain != 1.0:
        y *= gain
    np.square(y, out=y)
    edges = np.unique(np.concatenate([[0], lo, hi]))
    edges = edges[edges < n]
    pieces = np.add.reduceat(y, edges, axis=-1)  # the last piece runs to the end
    csum = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(pieces, axis=-1)], axis=1)
    return csum[:, np.searchsorted(edges, hi)] - csum[:, np.searchsorted(edges, lo)]


def _loudness(mean_square: np.ndarray) -> np.ndarray:
    """LUFS of channel mean squares (channels, ...), -inf where silent."""
    weights = np.array(CHANNEL_WEIGHTS[: mean_square.shape[0]])
    total = np.tensordot(weights, mean_square, axes=1)
    # a silent window can come out a rounding error either side of 0 from the running sums
    return np.where(total > 0, -0.691 + 10.0 * np.log10(np.maximum(total, 1e-300)), -np.inf)


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """ITU-R BS.1770 integrated loudness; ``None`` when shorter than one 400 ms block, -inf if silent."""
    x = _channels(audio)
    n = x.shape[1]
    if n < int(GATE_BLOCK_S * sample_rate) + 1:
        return None
    if not np.any(x):
        return -math.inf
    count = int(np.round((n / sample_rate - GATE_BLOCK_S) / (GATE_BLOCK_S * GATE_STEP))) + 1
    j = np.arange(count)
    # pyloudnorm's block bounds, computed the same way (its float products, truncated)
    lo = (GATE_BLOCK_S * (j * GATE_STEP) * sample_rate).astype(np.int64)
    hi = np.minimum((GATE_BLOCK_S * (j * GATE_STEP + 1) * sample_rate).astype(np.int64), n)
    z = _window_energy(x, sample_rate, lo, hi) / (GATE_BLOCK_S * sample_rate)  # (channels, blocks) mean squares
    block = _loudness(z)
    gated = block >= ABSOLUTE_GATE_LUFS
    if not np.any(gated):
        return -math.inf
    relative = float(_loudness(z[:, gated].mean(axis=1))) + RELATIVE_GATE_LU
    gated = (block > relative) & (block > ABSOLUTE_GATE_LUFS)  # pyloudnorm: >= first, > here
    if not np.any(gated):
        return -math.inf
    value = float(_loudness(z[:, gated].mean(axis=1)))
    return value if math.isfinite(value) else -math.inf


def short_term_lufs(audio: np.ndarray, sample_rate: int, window_s: float = SHORT_TERM_S,
                    hop_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Short-term loudness every ``hop_s``: (window centre times in s, LUFS; -inf where silent).

    Ungated, K-weighted mean-square over each window (EBU Tech 3341 short-term loudness).
    """
    x = _channels(audio)
    win, hop = int(round(window_s * sample_rate)), max(1, int(round(hop_s * sample_rate)))
    if x.shape[1] < win:
        return np.zeros(0), np.zeros(0)
    starts = np.arange(0, x.shape[1] - win + 1, hop)
    ms = _window_energy(x, sample_rate, starts, starts + win) / win  # (channels, windows)
    return (starts + win / 2) / sample_rate, _loudness(ms)


@lru_cache(maxsize=4)
def polyphase_taps(oversample: int) -> np.ndarray:
    """(taps, oversample): column p turns input samples q-r..q+r into output sample q*oversample+p,
    exactly as ``resample_poly(x, oversample, 1)`` does (its default Kaiser-windowed filter)."""
    from scipy.signal import firwin

    half = 10 * oversample
    h = firwin(2 * half + 1, 1.0 / oversample, window=("kaiser", 5.0)) * oversample
    reach = half // oversample
    taps = np.zeros((2 * reach + 1, oversample))
    for d in range(-reach, reach + 1):
        for p in range(oversample):
            if 0 <= half + p - oversample * d <= 2 * half:
                taps[d + reach, p] = h[half + p - oversample * d]
    return taps


def _oversampled_peak(x: np.ndarray, taps: np.ndarray, floor: float) -> float:
    """Largest |value| of mono ``x`` oversampled by ``taps``, or ``floor`` if none exceeds it.

    A chunk is skipped when its largest sample times the widest phase's sum of |taps| (the most
    any interpolated value can exceed the samples it is made of) cannot beat the peak so far.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    reach = taps.shape[0] // 2
    gain = float(np.abs(taps).sum(axis=0).max())
    padded = np.concatenate([np.zeros(reach), x, np.zeros(reach)])
    rows = sliding_window_view(padded, taps.shape[0])  # row q: the samples around input q
    best = floor
    for s in range(0, x.shape[0], TP_CHUNK):
        seg = padded[s:s + TP_CHUNK + 2 * reach]
        if max(seg.max(), -seg.min()) * gain <= best:
            continue
        y = np.ascontiguousarray(rows[s:s + TP_CHUNK]) @ taps
        best = max(best, float(y.max()), float(-y.min()))
    return best


def true_peak_dbtp(audio: np.ndarray, oversample: int = 4) -> float:
    """Estimated true peak (dBTP): the sample peak of the signal oversampled ``oversample`` times
    (polyphase, resample_poly's filter), as in ITU-R BS.1770-4 annex 2."""
    x = _channels(audio)
    if not x.size:
        return -math.inf
    peak = float(np.max(np.abs(x)))
    if x.shape[1] > 1:
        taps = polyphase_taps(oversample)
        for channel in x:
            peak = _oversampled_peak(channel, taps, peak)
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf
