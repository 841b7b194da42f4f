"""Switch-and-return events: the music went A -> B -> A within ``RETURN_WINDOW_S``.

A return is *short* when the viewer's visit away from A that caused it lasted less than the
dwell: the longest run of ticks, overlapping the time from ``RETURN_WINDOW_S`` before the switch
into B to the switch back, in which A is not the nearest variant on the reference (zero-phase
smoothed) view of the trace (one control tick of slack: the view is sampled at the ticks).
The engine should make none of those (docs/adaptive.md, "Anti-thrash").
"""

from __future__ import annotations

from typing import Any

import numpy as np

RETURN_WINDOW_S = 15.0


def return_events(switches: list, names: list[str], track, dwell_s: float, sample_rate: int,
                  window_s: float = RETURN_WINDOW_S) -> list[dict[str, Any]]:
    """One dict per A -> B -> A return heard: times (audio s), variants, the visit and whether it
    was shorter than the dwell.  ``switches`` are the heard switches in order; ``track`` the
    reference control track (its ``scores`` say which variant is nearest at each tick)."""
    nearest = None
    out = []
    for a, b in zip(switches, switches[1:]):
        t_out, t_back = a.sample / sample_rate, b.sample / sample_rate
        if not (b.target == a.source and b.source == a.target and t_back - t_out <= window_s):
            continue
        if nearest is None:
            nearest = np.argmin(track.scores, axis=1)
        visit = _longest_away(track.times, nearest, a.source, t_out - window_s, t_back)
        tick = float(track.times[1] - track.times[0]) if track.times.size > 1 else 0.0
        out.append({"time": round(t_out, 4), "back": round(t_back, 4), "from": names[a.source],
                    "to": names[a.target], "visit_s": round(visit, 4), "short": bool(visit + tick < dwell_s)})
    return out


def _longest_away(times: np.ndarray, nearest: np.ndarray, variant: int, lo: float, hi: float) -> float:
    """The longest run of ticks with ``variant`` not nearest that overlaps [lo, hi] (whole run, s)."""
    on = np.concatenate([[False], nearest != variant, [False]])
    edges = np.flatnonzero(on[1:] != on[:-1])
    best = 0.0
    step = float(times[1] - times[0]) if times.size > 1 else 0.0
    for s, e in zip(edges[::2], edges[1::2]):  # run of ticks s .. e-1
        t0, t1 = float(times[s]), float(times[e - 1]) + step
        if t1 >= lo and t0 <= hi:
            best = max(best, t1 - t0)
    return best
