"""Seeded synthetic scene traces for demos and tests (documented in docs/traces.md).

Each kind is a hand-shaped curve over normalised scene time u in [0, 1] (so any duration keeps the
dramatic shape) plus seeded slow noise and, for some kinds, events at random moments.  Where a
kind has a heart-rate channel, heart rate follows arousal through a 6 s lag (the body is slower
than the annotation) around a seeded resting rate.  Same kind, duration and seed -> same trace.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import TraceError
from .model import Trace, ema

RATE_HZ = 4.0
_Shape = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _sigmoid(u: np.ndarray, centre: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(u - centre) / width))


def _bumps(t: np.ndarray, at: np.ndarray, rise_s: float, fall_s: float) -> np.ndarray:
    """Sum of fast-attack, slow-decay pulses at the times ``at`` (peak 1 each)."""
    out = np.zeros_like(t)
    for t0 in at:
        d = t - t0
        out += np.where(d < 0, np.exp(-(d / rise_s) ** 2), np.exp(-d / fall_s))
    return out


def _thriller(u, t, rng):
    dur = t[-1] if t[-1] > 0 else 1.0
    # Tension climbs in three steps, peaks at a shock near 80 %, then partly releases.
    steps = sum(0.35 * _sigmoid(u, c, 0.02) for c in rng.uniform([0.15, 0.4, 0.6], [0.25, 0.5, 0.7]))
    shock_at = rng.uniform(0.76, 0.84)
    shock = _bumps(t, np.array([shock_at * dur]), 1.0, 6.0)
    release = _sigmoid(u, shock_at + 0.08, 0.03)
    arousal = -0.45 + steps + 0.5 * shock - 0.55 * release
    valence = -0.05 - 0.55 * _sigmoid(u, 0.45, 0.15) - 0.3 * shock + 0.3 * release
    return valence, arousal


def _comedy(u, t, rng):
    dur = t[-1] if t[-1] > 0 else 1.0
    # Laughs land every 8-20 s after a setup; each lifts valence and arousal briefly.
    gaps = rng.uniform(8.0, 20.0, size=int(dur / 8.0) + 2)
    laughs = np.cumsum(gaps)
    laughs = laughs[laughs < dur - 3.0]
    heights = rng.uniform(0.5, 1.0, size=laughs.size)
    lift = sum(h * _bumps(t, np.array([x]), 1.5, 4.0) for h, x in zip(heights, laughs)) \
        if laughs.size else np.zeros_like(t)
    valence = 0.25 + 0.1 * u + 0.4 * lift
    arousal = -0.05 + 0.5 * lift
    return valence, arousal


def _calm_to_sad(u, t, rng):
    turn = rng.uniform(0.45, 0.6)
    fall = _sigmoid(u, turn, 0.06)
    valence = 0.35 - 1.05 * fall
    arousal = -0.25 - 0.35 * fall + 0.15 * np.exp(-((u - turn) / 0.05) ** 2)
    return valence, arousal


def _action(u, t, rng):
    dur = t[-1] if t[-1] > 0 else 1.0
    hits = np.sort(rng.uniform(0.1, 0.85, size=5)) * dur
    impact = _bumps(t, hits, 0.5, 3.0)
    win = _sigmoid(u, 0.9, 0.02)
    arousal = 0.2 + 0.55 * _sigmoid(u, 0.08, 0.03) + 0.25 * impact - 0.6 * win
    valence = -0.1 - 0.25 * impact + 0.75 * win
    return valence, arousal


# kind -> (shape, default duration in s, has a heart-rate channel, description)
KINDS: dict[str, tuple[_Shape, float, bool, str]] = {
    "thriller_buildup": (_thriller, 150.0, True,
                         "tension rises in steps to a shock near 80 %, then partly releases"),
    "comedy_scene": (_comedy, 90.0, False,
                     "mildly positive; a laugh every 8-20 s lifts valence and arousal"),
    "calm_to_sad": (_calm_to_sad, 120.0, False,
                    "calm and content, turning sad and subdued around the middle"),
    "action_chase": (_action, 120.0, True,
                     "high arousal with impacts, resolving into relief at the end"),
}


def _slow_noise(rng: np.random.Generator, n: int, dt: float, tau_s: float, sigma: float) -> np.ndarray:
    """Seeded noise low-passed twice with time constant ``tau_s``, scaled to std ``sigma``."""
    # A warm-up of 10 time constants is dropped so the filters' start-up transient never shows.
    warm = int(10 * tau_s / dt)
    white = rng.standard_normal(n + warm)
    alpha = np.full(n + warm - 1, 1.0 - np.exp(-dt / tau_s))
    y = ema(ema(white, alpha), alpha)[warm:]
    y -= y.mean()
    sd = y.std()
    return y * (sigma / sd) if sd > 0 else y


def generate_trace(kind: str, duration: float | None = None, seed: int = 0) -> Trace:
    """A trace of ``kind`` sampled at 4 Hz; deterministic for (kind, duration, seed)."""
    if kind not in KINDS:
        raise TraceError(f"unknown trace kind {kind!r} (kinds: {', '.join(KINDS)})")
    shape, default_dur, has_hr, _ = KINDS[kind]
    dur = default_dur if duration is None else float(duration)
    if not 5.0 <= dur <= 4 * 3600:
        raise TraceError(f"trace duration must be between 5 s and 4 h, got {dur:g} s")
    if seed < 0:
        raise TraceError(f"seed must be >= 0, got {seed}")
    rng = np.random.default_rng([int(seed), sorted(KINDS).index(kind)])
    n = int(round(dur * RATE_HZ)) + 1
    dt = 1.0 / RATE_HZ
    t = np.arange(n) * dt
    u = t / dur
    valence, arousal = shape(u, t, rng)
    valence = np.clip(valence + _slow_noise(rng, n, dt, 4.0, 0.05), -1.0, 1.0)
    arousal = np.clip(arousal + _slow_noise(rng, n, dt, 4.0, 0.05), -1.0, 1.0)
    channels: dict[str, np.ndarray] = {}
    if has_hr:
        rest = rng.uniform(62.0, 76.0)
        lagged = ema(arousal, np.full(n - 1, 1.0 - np.exp(-dt / 6.0)))
        # ~28 bpm between calm (-0.5) and peak (+0.5) arousal, plus beat-to-beat jitter.
        hr = rest + 28.0 * (lagged - arousal[0]) + _slow_noise(rng, n, dt, 1.5, 1.2)
        channels["heart_rate"] = np.round(hr, 2)
    return Trace(t, valence, arousal, channels, name=kind,
                 source=f"generated: {kind} seed={seed} duration={dur:g}")
