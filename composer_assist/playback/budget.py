"""The switch budget: at most ``adaptive.max_switches_per_minute`` switches start in any 60 s of music.

The window itself (``keeps_window``, N = 1 and 2): the first and the last of any N + 1
consecutive switch starts at least 60 s apart (N = 2: two switches 10 s apart, then a pause).  The
spacing (N >= 3, and within the window in live mode): ``60 / N`` s between two switch starts
(rounded up to a sample); N + 1 starts that far apart span at least 60 s, so no 60-second window
(half-open, ``[t, t + 60 s)``) holds more than N.

- **planned** knows the whole curve and keeps the window exactly, an exact segmentation
  (``window_segmentation.py``).
- **live** cannot know whether a quick second switch will be followed by a long enough pause, nor
  whether the viewer stays.  It keeps the window, and inside it the spacing, except for a switch
  the viewer has earned: one to a variant the trace as read has stayed near for a whole dwell
  (``scheduler``), which is no longer a change shorter than the dwell.  A return to the variant
  the last switch left keeps the spacing always.

0 is no budget.
"""

from __future__ import annotations

import math

import numpy as np

from composer_assist.core.project import Cue

BUDGET_WINDOW_S = 60.0


def budget_of(cue: Cue) -> int:
    """The cue's budget N (0: unlimited)."""
    return int(getattr(cue.adaptive, "max_switches_per_minute", 0) or 0)


def budget_spacing_samples(cue: Cue, sample_rate: int) -> int:
    """The least number of samples between two switch starts (0: no budget)."""
    n = budget_of(cue)
    window = int(round(BUDGET_WINDOW_S * sample_rate))
    return 0 if n <= 0 else -(-window // n)


def budget_spacing_s(cue: Cue) -> float:
    """The least time between two switch starts, in seconds (0: no budget)."""
    n = budget_of(cue)
    return 0.0 if n <= 0 else BUDGET_WINDOW_S / n


def keeps_window(cue: Cue) -> bool:
    """Whether the budget is kept as the sliding window itself (N = 1 or 2; for N = 1 the window and
    the spacing are the same rule)."""
    return budget_of(cue) in (1, 2)


def next_start_allowed(starts: list[int], cue: Cue, sample_rate: int, window: bool) -> int:
    """The first sample the next switch may start on by the budget, after the switch starts
    ``starts`` (in order): ``window``, N starts back plus 60 s; else the last start plus the spacing."""
    n = budget_of(cue)
    if n <= 0 or not starts:
        return -(1 << 40)
    if window:
        return starts[-n] + int(round(BUDGET_WINDOW_S * sample_rate)) if len(starts) >= n else -(1 << 40)
    return starts[-1] + budget_spacing_samples(cue, sample_rate)


def min_visit_ticks(dwell_s: float, spacing_s: float, rate: float) -> int:
    """The shortest visit between two switches, in control ticks (rounded up): the dwell, or the
    budget's spacing when that is longer (a visit between two switches *is* their spacing)."""
    return int(math.ceil(max(dwell_s, spacing_s) * rate - 1e-9))


def max_in_window(samples, window: int) -> int:
    """The most starts in any half-open window of ``window`` samples (all of them when the whole
    span is shorter than a window)."""
    s = np.sort(np.asarray(samples, dtype=np.int64))
    if not s.size:
        return 0
    return int(np.max(np.searchsorted(s, s + window, side="left") - np.arange(s.size)))
