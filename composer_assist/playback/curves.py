"""Crossfade curves and the intensity-to-layer-gain law (vertical layering)."""

from __future__ import annotations

import math

from composer_assist.core.mixmath import layer_gain  # the law lives in core: mixdowns use it too

__all__ = ["CURVE_IDS", "fade_in", "fade_out", "layer_gain"]

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
