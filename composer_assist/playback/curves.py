"""Crossfade curves and the intensity-to-layer-gain law (vertical layering)."""

from __future__ import annotations

import math

import numpy as np

CURVE_IDS = {"equal_power": 0, "linear": 1, "s_curve": 2}


def fade_in(curve: int, u: float) -> float:
    """Gain of the entering variant at fade progress ``u`` in [0, 1]."""
    if u <= 0.0:
        return 0.0
    if u >= 1.0:
        return 1.0
    if curve == 0:
        return math.sin(u * math.pi / 2.0)
    if curve == 1:
        return u
    return 0.5 - 0.5 * math.cos(u * math.pi)


def fade_out(curve: int, u: float) -> float:
    """Gain of the leaving variant; equal power keeps in^2 + out^2 = 1 (uncorrelated material)."""
    if curve == 0:
        return fade_in(0, 1.0 - u)
    return 1.0 - fade_in(curve, u)


def layer_gain(intensity: float | np.ndarray, lo: float, hi: float, fade: float) -> np.ndarray:
    """Gain (0..1) of a layer whose range is [lo, hi], ramping over ``fade`` outside each edge.

    A layer with range [0.5, 1] and fade 0.1 is silent below 0.4, full from 0.5: it has faded in
    completely by the time intensity enters its range, so "sounds while intensity is inside"
    holds exactly.  A zero fade is a hard edge (still click-free: the mixer ramps every change).
    """
    x = np.asarray(intensity, dtype=np.float64)
    if fade <= 0:
        return ((x >= lo) & (x <= hi)).astype(np.float64)
    up = np.clip((x - (lo - fade)) / fade, 0.0, 1.0)
    down = np.clip(((hi + fade) - x) / fade, 0.0, 1.0)
    return up * down
