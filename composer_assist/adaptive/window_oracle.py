"""The best any variant sequence could do under the switch budget read as a sliding window.

``adaptive.max_switches_per_minute = N``: at most N switches start in any 60 s.  For N <= 2 both
modes keep the window itself, live with a spacing inside it until the viewer has stayed a dwell
(playback/budget.py); for N >= 3, a spacing of 60/N s.  This
oracle takes the window, the most lenient reading, to say whether the targets "engine >= 90 % of
the oracle" and "<= N switches a minute" conflict on a trace whatever a player does: any sequence
with at most N switch starts in any 60 s window and every visit between two switches at least the
dwell long (the opening and the last visit may be shorter).  N = 2 is planned mode's own
recursion (``playback.window_segmentation``) with no penalty and switches on a tenth-of-a-second
grid (``ORACLE_GRID_S``: every tick at the usual 10 Hz, so exact there; above it the grid keeps
its memory and time what they are at 10 Hz); N = 1 is a spacing of W (``best_total``); N >= 3 is
not computed.
"""

from __future__ import annotations

import numpy as np

from composer_assist.playback.segmentation import best_total
from composer_assist.playback.window_segmentation import best_total_window2, grid_ticks

MAX_SLOTS = 6000  # 10 minutes of its grid: about 1 s (it is linear in the trace)
ORACLE_GRID_S = 0.1


def best_total_window(gain: np.ndarray, min_len: int, window: int, per_window: int,
                      start: int | np.ndarray | None = None, rate: float = 10.0) -> float | None:
    """The largest summed ``gain`` (ticks x variants, ``rate`` ticks a second) of any visit
    sequence opening on one of ``start`` (None: any) with at most ``per_window`` switch starts in
    any ``window`` ticks and every visit between two switches at least ``min_len`` ticks; None
    when not computed (``per_window`` over 2, or a trace over ``MAX_SLOTS`` of the grid)."""
    n = gain.shape[0]
    dwell = max(1, int(min_len))
    if per_window <= 0:
        return best_total(gain, dwell, start)
    if per_window == 1:
        return best_total(gain, max(dwell, int(window)), start)
    step = grid_ticks(rate, ORACLE_GRID_S)
    if per_window > 2 or n > MAX_SLOTS * step:
        return None
    if n == 0:
        return 0.0
    return best_total_window2(gain, dwell, int(window), start, step)
