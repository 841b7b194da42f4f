"""A trace's viewing context: the longer recording of the same viewer it is part of.

A scene cut from a film is 20-30 s of one viewer's two-hour viewing.  The viewer's baseline and
range (what viewer calibration maps onto the cue's plane) are properties of the person over that
viewing, not of the scene, so a trace may carry the whole recording and where it starts in it
(``Trace.viewing``).  The policy calibrates by it (playback/calibration.py): planned mode with the
whole recording's statistics, live mode seeded causally with the recording up to the start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import TraceError

if TYPE_CHECKING:
    from .model import Trace


@dataclass(frozen=True, eq=False)
class ViewingContext:
    """``whole``: the viewer's whole recording; ``at``: the time, in ``whole``'s own seconds, at
    which the trace's first row was watched (the recording's end: it was all watched before)."""

    whole: Trace
    at: float

    def moved(self, seconds: float) -> ViewingContext:
        """The context of a trace whose first row comes ``seconds`` later (a slice of it)."""
        return self if seconds == 0 else ViewingContext(self.whole, self.at + float(seconds))


def in_viewing(trace: Trace, whole: Trace, at: float | None = None, what: str = "at") -> Trace:
    """``trace`` itself, its viewing context set (``at`` None: the recording's end); an ``at``
    outside the recording is refused, naming ``what`` (the option or field that gave it)."""
    where = whole.source or whole.name or "recording"
    at = whole.end if at is None else at
    try:
        x = float(at)
    except (TypeError, ValueError):
        raise TraceError(f"{what} {at!r}: expected a number of seconds in {where}") from None
    if not (math.isfinite(x) and whole.start <= x <= whole.end):
        raise TraceError(f"{what} {x:g} s is outside {where} ({whole.start:g}..{whole.end:g} s)")
    trace.viewing = ViewingContext(whole, x)
    return trace
