"""The best any variant sequence could do under the switch budget read as a sliding window.

``adaptive.max_switches_per_minute = N`` is applied as a spacing of 60/N s between switches
(playback/budget.py), a little stricter than "at most N switches start in any 60 s".  To say
whether the targets "engine >= 90 % of the oracle" and "<= N switches a minute" conflict on a
trace whatever a player does, this oracle takes the most lenient reading: any sequence with at
most N switch starts in any 60 s window and every visit between two switches at least the dwell
long (the opening and the last visit may be shorter), exact.

For N = 2 the recursion runs over switches: with switch times s_1 < s_2 < ..., the window rule
is s_{i+2} - s_i >= W, i.e. two consecutive gaps g_i + g_{i+1} >= W, so the state after a switch
is (tick, variant entered, the gap before it), the gap capped at W - dwell (any longer gap, or
none, allows every next gap).  ``F[s, w, g]`` is the best total of ticks [0, s) for a sequence
switching into w at s after a gap g; a switch at s' = s + g' into w' != w reads the suffix maximum
of F[s, w, .] over the gaps g >= W - g'.  O(T^2 V) time and O(T V W) memory: traces of up to
``MAX_TICKS`` control ticks.  N = 1 is a spacing of W (``best_total``); N >= 3 is not computed.
"""

from __future__ import annotations

import numpy as np

from composer_assist.playback.segmentation import best_of_others, best_total, gain_sums

MAX_TICKS = 3000  # 5 minutes at 10 Hz: F holds about 70 MB


def best_total_window(gain: np.ndarray, min_len: int, window: int, per_window: int) -> float | None:
    """The largest summed ``gain`` (ticks x variants) of any visit sequence with at most
    ``per_window`` switch starts in any ``window`` ticks and every visit between two switches at
    least ``min_len`` ticks; None when not computed (``per_window`` over 2, or a longer trace)."""
    n, nv = gain.shape
    dwell = max(1, int(min_len))
    if per_window <= 0:
        return best_total(gain, dwell)
    if per_window == 1:
        return best_total(gain, max(dwell, int(window)))
    if per_window > 2 or n > MAX_TICKS:
        return None
    if n == 0:
        return 0.0
    cs = gain_sums(gain)
    cap = max(int(window) - dwell, dwell)  # a gap this long (or no gap) allows any next gap >= dwell
    F = np.full((n + 1, nv, cap + 1), -np.inf)
    best = float(cs[n].max())  # no switch at all
    for s in range(1, n):
        # the first switch, at s into w, after the best opening visit on another variant
        F[s, :, cap] = np.maximum(F[s, :, cap], best_of_others(cs[s][None, :])[0][0])
        Fs = F[s]
        here = Fs.max(axis=1)
        if not np.isfinite(here).any():
            continue
        best = max(best, float(np.max(here + cs[n] - cs[s])))  # no more switches after s
        gp = np.arange(dwell, n - s)  # the next switch at s + gp, before the last tick
        if not gp.size:
            continue
        S = np.maximum.accumulate(Fs[:, ::-1], axis=1)[:, ::-1]  # S[w, m] = max over gaps >= m
        need = np.clip(int(window) - gp, dwell, cap)
        val = S[:, need] + cs[s + gp].T - cs[s][:, None]  # (variants, next gaps)
        other = best_of_others(val.T)[0].T  # into w' from the best w != w'
        at, g = s + gp, np.minimum(gp, cap)
        for w in range(nv):
            F[at, w, g] = np.maximum(F[at, w, g], other[w])
    return best

