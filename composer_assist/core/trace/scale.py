"""Valence/arousal rating scales: naming, detection and conversion to [-1, 1].

A scale is a named one below or any range "LO,HI" (mapped linearly onto [-1, 1]).

Detection rule (over all valence and arousal values of a file together):
  * any value below 0            -> [-1,1]
  * any value above 1, all >= 1  -> [1,9] (Self-Assessment Manikin)
  * everything within [0, 1]     -> ambiguous ([-1,1] or [0,1]): refused, the user must state it
  * anything else (e.g. 0.5 and 7 in one file) fits no scale: refused.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..errors import TraceError
from .files import short_repr

SIGNED, UNIT, SAM = "[-1,1]", "[0,1]", "[1,9]"
SCALES = (SIGNED, UNIT, SAM)
_BOUNDS = {SIGNED: (-1.0, 1.0), UNIT: (0.0, 1.0), SAM: (1.0, 9.0)}
_ALIASES = {"-1,1": SIGNED, "signed": SIGNED, "0,1": UNIT, "unit": UNIT, "1,9": SAM, "sam": SAM}
_TOL = 1e-9


def parse_scale(text: str, where: str) -> str:
    """Canonical scale name for user text: a named scale ("[0,1]", "unit", "sam", ...) or any range
    "LO,HI" of finite numbers with LO < HI (e.g. "0.5,9.5" -> "[0.5,9.5]"); else TraceError."""
    key = "".join(str(text).split()).strip("[]()").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    parts = key.split(",")
    try:
        lo, hi = (float(x) for x in parts)
    except ValueError:
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise TraceError(f"{where}: unknown scale {short_repr(text)} (give LO,HI such as 0,1 or 0.5,9.5, "
                         f"or one of {', '.join(SCALES)}, signed, unit, sam)")
    if not lo < hi:
        raise TraceError(f"{where}: scale {short_repr(text)}: the low end must be below the high end")
    for name, bounds in _BOUNDS.items():
        if bounds == (lo, hi):
            return name
    return f"[{lo:.10g},{hi:.10g}]"


def scale_bounds(scale: str) -> tuple[float, float]:
    """(low, high) of a canonical scale name from ``parse_scale``."""
    if scale in _BOUNDS:
        return _BOUNDS[scale]
    lo, hi = (float(x) for x in scale.strip("[]").split(","))
    return lo, hi


def detect_scale(columns: dict[str, np.ndarray], where: str) -> str:
    """Apply the module's detection rule to the given columns, or explain why it cannot."""
    values = np.concatenate([np.asarray(v, dtype=np.float64) for v in columns.values()])
    values = values[np.isfinite(values)]
    names = " and ".join(columns)
    if values.size == 0:
        raise TraceError(f"{where}: {names} have no values")
    lo, hi = float(values.min()), float(values.max())
    state = ("state it with --scale 0,1 (or --scale unit), --scale=-1,1 (signed) or any --scale LO,HI, "
             "or a scale field ('# scale: [0,1]' in CSV, \"scale\" in JSON)")
    if lo < 0:
        return SIGNED
    if hi > 1:
        if lo >= 1:
            return SAM
        raise TraceError(f"{where}: {names} range from {lo:g} to {hi:g}, which fits no known scale "
                         f"(SAM [1,9] starts at 1); {state}")
    raise TraceError(f"{where}: all {names} values lie within [0, 1] ({lo:g}..{hi:g}), so the scale "
                     f"is ambiguous: [-1,1] or [0,1]; {state}")


def to_signed(columns: dict[str, np.ndarray], scale: str, where: str,
              label: Callable[[int], str] | None = None) -> dict[str, np.ndarray]:
    """Map each column from ``scale`` onto [-1, 1]; a value outside the scale is an error naming it."""
    lo, hi = scale_bounds(scale)
    out = {}
    for name, col in columns.items():
        v = np.asarray(col, dtype=np.float64)
        bad = np.isfinite(v) & ((v < lo - _TOL) | (v > hi + _TOL))
        if bad.any():
            i = int(np.argmax(bad))
            at = label(i) if label else f"sample {i}"
            raise TraceError(f"{where}: {at}: {name} = {v[i]:g} is outside the {scale} scale")
        out[name] = np.clip(2.0 * (v - lo) / (hi - lo) - 1.0, -1.0, 1.0)
    return out
