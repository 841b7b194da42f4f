"""The switch budget: at most ``adaptive.max_switches_per_minute`` switches start in any 60 s of music.

It is kept as a minimum spacing of ``60 / N`` s between two switch starts (rounded up to a sample;
to control ticks in planned mode's segmentation): N + 1 starts that far apart span at least 60 s,
so no 60-second window (half-open, ``[t, t + 60 s)``) holds more than N.  A spacing is a little
stricter than the window (N quick switches and then a pause are not allowed), but it is one rule
that the live scheduler, the planned segmentation (where it is a minimum visit length, exact in
the Viterbi) and the constrained oracle all apply the same way.  0 is no budget.
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
