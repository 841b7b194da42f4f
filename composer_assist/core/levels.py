"""Level figures of rendered audio: peak, RMS, integrated and short-term loudness (LUFS)."""

from __future__ import annotations

import math

import numpy as np

SHORT_TERM_S = 3.0  # EBU R128 short-term window


def _frames(audio: np.ndarray) -> np.ndarray:
    """(n, channels) float64 for pyloudnorm from our (channels, n) layout."""
    a = np.asarray(audio, dtype=np.float64)
    return a.T if a.ndim == 2 else a[:, None]


def peak_dbfs(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if np.size(audio) else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def rms_dbfs(audio: np.ndarray) -> float:
    """RMS over all channels and samples (a full-scale sine reads -3 dBFS)."""
    if not np.size(audio):
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(np.asarray(audio, dtype=np.float64)))))
    return 20.0 * math.log10(rms) if rms > 0 else -math.inf


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """ITU-R BS.1770 integrated loudness; ``None`` when shorter than one 400 ms block, -inf if silent."""
    import pyloudnorm

    x = _frames(audio)
    if x.shape[0] < int(0.4 * sample_rate) + 1:
        return None
    if not np.any(x):
        return -math.inf
    value = float(pyloudnorm.Meter(sample_rate).integrated_loudness(x))
    return value if math.isfinite(value) else -math.inf


def short_term_lufs(audio: np.ndarray, sample_rate: int, window_s: float = SHORT_TERM_S,
                    hop_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Short-term loudness every ``hop_s``: (window centre times in s, LUFS; -inf where silent).

    Ungated, K-weighted mean-square over each window (EBU Tech 3341 short-term loudness).
    """
    import pyloudnorm

    x = _frames(audio)
    win, hop = int(round(window_s * sample_rate)), max(1, int(round(hop_s * sample_rate)))
    if x.shape[0] < win:
        return np.zeros(0), np.zeros(0)
    meter = pyloudnorm.Meter(sample_rate)
    from scipy.signal import lfilter

    filtered = x
    for f in meter._filters.values():  # K-weighting: the meter's own shelf and high-pass stages
        filtered = f.passband_gain * lfilter(f.b, f.a, filtered, axis=0)
    power = np.square(filtered)
    csum = np.concatenate([np.zeros((1, power.shape[1])), np.cumsum(power, axis=0)])
    starts = np.arange(0, x.shape[0] - win + 1, hop)
    ms = (csum[starts + win] - csum[starts]) / win  # (windows, channels)
    gains = np.array([1.0, 1.0, 1.0, 1.41, 1.41][: ms.shape[1]])
    total = ms @ gains
    with np.errstate(divide="ignore"):
        lufs = np.where(total > 0, -0.691 + 10.0 * np.log10(np.maximum(total, 1e-300)), -np.inf)
    return (starts + win / 2) / sample_rate, lufs


def true_peak_dbtp(audio: np.ndarray, oversample: int = 4) -> float:
    """Estimated true peak (dBTP): the sample peak of the signal oversampled ``oversample`` times
    (polyphase resampling, scipy.signal.resample_poly), as in ITU-R BS.1770-4 annex 2."""
    a = np.asarray(audio, dtype=np.float64)
    if not a.size:
        return -math.inf
    from scipy.signal import resample_poly

    up = resample_poly(a, oversample, 1, axis=-1) if a.shape[-1] > 1 else a
    # The larger of the two peaks, without concatenating copies of both signals.
    return max(peak_dbfs(a), peak_dbfs(up))
