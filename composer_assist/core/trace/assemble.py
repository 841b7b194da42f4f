"""From columns read out of a file to a Trace: times checked, scale settled, gaps filled."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import TraceError
from .model import Trace, check_extent, check_heart_rate, fill_gaps
from .scale import detect_scale, parse_scale, to_signed

MS_HINT = "; are the times in milliseconds? (then name the column time_ms)"


def assemble(where: str, times: np.ndarray, va: dict[str, np.ndarray],
             channels: dict[str, np.ndarray], scale: str | None, label: Callable[[int], str],
             max_gap_s: float, long_gaps: str, name: str = "",
             valid: np.ndarray | None = None, time_hint: str = "") -> Trace:
    """Check times, settle the scale, fill gaps and build the Trace; every error names a row."""
    times = np.asarray(times, dtype=np.float64)
    if times.size == 0:
        raise TraceError(f"{where}: no samples after the header")
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        if steps[i - 1] == 0:
            raise TraceError(f"{where}: {label(i)}: duplicate time {times[i]:g} s "
                             f"(same as {label(i - 1)})")
        raise TraceError(f"{where}: {label(i)}: time {times[i]:g} s goes backwards "
                         f"(previous {label(i - 1)} is at {times[i - 1]:g} s); times must increase")
    check_extent(times, where, label, hint=time_hint)
    if scale is None:
        scale = detect_scale(va, where)
    va = to_signed(va, scale, where, label)
    if "heart_rate" in channels:
        check_heart_rate(channels["heart_rate"], where, label)
    filled, gap_mask = fill_gaps(times, {**va, **channels}, max_gap_s, long_gaps, where, label)
    if valid is not None:
        gap_mask = valid if gap_mask is None else (gap_mask & valid)
        if gap_mask.all():
            gap_mask = None
    return Trace(times, filled["valence"], filled["arousal"],
                 {k: filled[k] for k in channels}, name=name, source=where, valid=gap_mask)


def settle_scale(stated: str | None, given: str | None, where: str, field: str) -> str | None:
    """The scale named by the user argument or the file; both present and different is an error."""
    a = parse_scale(given, where) if given is not None else None
    b = parse_scale(stated, f"{where}: {field}") if stated is not None else None
    if a and b and a != b:
        raise TraceError(f"{where}: {field} says {b} but --scale says {a}")
    return a or b

