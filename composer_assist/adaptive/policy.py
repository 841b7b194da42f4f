"""The policy: from an emotion trace (and optionally a listener profile), at every control tick,
how near each variant is and how intense the music should be.

Live mode is causal: a tick sees the latest trace sample at or before it (sample-and-hold, never
an interpolation towards a future sample), smoothed by a one-pole filter, and the heart-rate
baseline uses only heart rate already seen.  Planned mode interpolates and smooths with the same
filter run forward and backward (zero phase: no lag).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from composer_assist.core.errors import TraceError
from composer_assist.core.project import Cue
from composer_assist.core.profile import ClusterProfile

MODES = ("live", "planned")
# A recorded trace is known whole, so by default transitions are planned to land when the scene turns.
DEFAULT_MODE = "planned"
HEART_RATE_CHANNELS = ("heart_rate", "hr", "heartrate")
PROFILE_BLEND_WIDTH = 0.15  # valence/arousal width over which a profile's contexts blend


@dataclass
class PolicyConfig:
    smoothing_s: float = 0.75  # time constant of the trace smoothing
    valence_weight: float = 1.0  # weights of the emotion distance
    arousal_weight: float = 1.0
    heart_rate_weight: float = 0.3  # share of heart-rate arousal in the intensity, when present
    heart_rate_baseline_s: float = 30.0
    heart_rate_scale_bpm: float = 20.0


@dataclass
class ControlTrack:
    """Per-tick policy inputs and outputs (ticks at ``rate`` Hz from audio time 0)."""

    mode: str
    rate: float
    times: np.ndarray  # audio seconds of each tick (trace time = times + trace_start)
    trace_start: float
    valence: np.ndarray  # trace as the policy sees it (sample-and-hold / interpolated), unsmoothed
    arousal: np.ndarray
    smooth_valence: np.ndarray
    smooth_arousal: np.ndarray
    want_valence: np.ndarray  # the emotion to match: the smoothed scene, or the profile's preference
    want_arousal: np.ndarray
    intensity: np.ndarray  # 0..1
    scores: np.ndarray  # (ticks, variants): weighted distance minus profile tag bonus (lower wins)
    heart_rate_arousal: np.ndarray | None = None


def _ema(x: np.ndarray, alpha: float, backward: bool = False) -> np.ndarray:
    # lfilter is the one-pole y[i] = y[i-1] + alpha (x[i] - y[i-1]) with y[-1] = x[0].
    from scipy.signal import lfilter

    seq = x[::-1] if backward else x
    y, _ = lfilter([alpha], [1.0, alpha - 1.0], seq, zi=[(1.0 - alpha) * seq[0]])
    return y[::-1] if backward else y


def control_track(trace, cue: Cue, mode: str = "live", profile: ClusterProfile | None = None,
                  config: PolicyConfig | None = None, duration: float | None = None) -> ControlTrack:
    """Evaluate the policy at every control tick of ``cue.adaptive.control_rate``."""
    if mode not in MODES:
        raise TraceError(f"unknown adaptive mode {mode!r} (choose live or planned)")
    cfg = config or PolicyConfig()
    rate = float(cue.adaptive.control_rate)
    times_tr = np.asarray(trace.times, dtype=np.float64)
    t0 = float(times_tr[0])
    rel = times_tr - t0
    total = float(rel[-1]) if duration is None else float(duration)
    if not total > 0:
        raise TraceError(f"{getattr(trace, 'name', '') or 'trace'}: needs a positive duration, got {total:g} s")
    ticks = np.arange(int(math.floor(total * rate + 1e-9)) + 1, dtype=np.float64) / rate
    raw_v = np.asarray(trace.valence, dtype=np.float64)
    raw_a = np.asarray(trace.arousal, dtype=np.float64)
    hr = None
    channels = getattr(trace, "channels", {}) or {}
    for key in HEART_RATE_CHANNELS:
        if key in channels:
            hr = np.asarray(channels[key], dtype=np.float64)
            break
    alpha = 1.0 - math.exp(-1.0 / (rate * cfg.smoothing_s)) if cfg.smoothing_s > 0 else 1.0
    if mode == "live":
        idx = np.clip(np.searchsorted(rel, ticks, side="right") - 1, 0, rel.size - 1)
        v, a = raw_v[idx], raw_a[idx]
        sv, sa = _ema(v, alpha), _ema(a, alpha)
    else:
        v, a = np.interp(ticks, rel, raw_v), np.interp(ticks, rel, raw_a)
        sv, sa = _ema(_ema(v, alpha), alpha, True), _ema(_ema(a, alpha), alpha, True)

    wv, wa = sv.copy(), sa.copy()
    n_var = len(cue.variants)
    bonus = np.zeros((ticks.size, n_var))
    if profile is not None:
        # Blended across quadrant edges (PROFILE_BLEND_WIDTH) so a scene on an edge does not thrash.
        for k in range(ticks.size):
            pref = profile.blended_preference(float(sv[k]), float(sa[k]), PROFILE_BLEND_WIDTH)
            wv[k] = min(1.0, max(-1.0, sv[k] + pref.valence_shift))
            wa[k] = min(1.0, max(-1.0, sa[k] + pref.arousal_shift))
            for j, var in enumerate(cue.variants):
                bonus[k, j] = profile.tag_bonus(pref, var.tags)
    tv = np.array([var.valence for var in cue.variants])
    ta = np.array([var.arousal for var in cue.variants])
    scores = np.sqrt(cfg.valence_weight * (wv[:, None] - tv) ** 2
                     + cfg.arousal_weight * (wa[:, None] - ta) ** 2) - bonus

    drive = wa
    hr_a = None
    if hr is not None and cfg.heart_rate_weight > 0:
        hr_a = _heart_rate_arousal(hr, rel, ticks, mode, cfg, alpha)
        drive = (1.0 - cfg.heart_rate_weight) * wa + cfg.heart_rate_weight * hr_a
    intensity = np.clip((drive + 1.0) / 2.0, 0.0, 1.0)
    return ControlTrack(mode, rate, ticks, t0, v, a, sv, sa, wv, wa, intensity, scores, hr_a)


def _heart_rate_arousal(hr: np.ndarray, rel: np.ndarray, ticks: np.ndarray, mode: str,
                        cfg: PolicyConfig, alpha: float) -> np.ndarray:
    """clip((hr - baseline) / scale): the baseline is the median of the first seconds of heart rate."""
    if mode == "live":
        idx = np.clip(np.searchsorted(rel, ticks, side="right") - 1, 0, rel.size - 1)
        h = _ema(hr[idx], alpha)
        # Causal baseline: the median of what has been seen, until the baseline window is full.
        base = np.empty(ticks.size)
        full = float(np.median(hr[rel <= cfg.heart_rate_baseline_s]))
        for k, i in enumerate(idx):
            if ticks[k] >= cfg.heart_rate_baseline_s:
                base[k:] = full
                break
            base[k] = float(np.median(hr[:i + 1]))
    else:
        h = np.interp(ticks, rel, hr)
        h = _ema(_ema(h, alpha), alpha, True)
        base = float(np.median(hr[rel <= cfg.heart_rate_baseline_s]))
    return np.clip((h - base) / cfg.heart_rate_scale_bpm, -1.0, 1.0)
