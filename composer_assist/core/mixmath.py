"""Gain and pan laws shared by offline mixdowns, the adaptive mixer and the package runtime."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # the model builds on these laws
    from .project import Layer, Variant


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def gain_to_db(gain: float, floor_db: float = -120.0) -> float:
    return 20.0 * math.log10(gain) if gain > 10.0 ** (floor_db / 20.0) else floor_db


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (-3 dB at centre) pan law for a stereo source: (left, right) gains.

    Applied as a balance control to a stereo stem; normalised so that centre is unity gain
    and hard left/right leaves the near channel at +3 dB.
    """
    theta = (min(1.0, max(-1.0, pan)) + 1.0) * math.pi / 4.0
    return math.cos(theta) * math.sqrt(2.0), math.sin(theta) * math.sqrt(2.0)


def layer_gains(gain_db: float, pan: float) -> tuple[float, float]:
    """Static (left, right) gains of a layer from its fader and pan."""
    g = db_to_gain(gain_db)
    left, right = pan_gains(pan)
    return g * left, g * right


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


# Intensity is quantised to this many steps for a variant's layer-gain table (``gain_table``); the
# mixer ramps linearly between block boundaries, so the step only bounds the gain error.
LUT_STEPS = 4096


def gain_table(variant: Variant, layers: Sequence[Layer], intensities: np.ndarray | None = None) -> np.ndarray:
    """(rows, layers) float64 layer gains of ``variant`` by intensity, one row per step of
    ``LUT_STEPS`` (or per value of ``intensities``): clipped to the variant's range, each layer's
    ramp (``layer_gain``)."""
    x = np.linspace(0.0, 1.0, LUT_STEPS + 1) if intensities is None else np.asarray(intensities, dtype=np.float64)
    grid = np.clip(x, *variant.intensity)
    out = np.empty((grid.size, len(layers)))
    for i, layer in enumerate(layers):
        out[:, i] = layer_gain(grid, layer.intensity[0], layer.intensity[1], layer.fade)
    return out
