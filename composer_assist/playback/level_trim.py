"""The transition trim: the entering variant enters at the leaving one's local loudness and
returns to its own matched level over a few bars.

Variants are level-matched over the whole cue at their nominal intensity
(``core.level_match``), but a switch lands at one moment and one intensity, where the two can
still differ by a LU or more (one phrase swells where the other rests; the intensity lets
different layers in).  At each switch the mixer reads both variants' short-term loudness over
the 3 s after the crossfade, at the layer gains of the intensity at the switch
(``core.level_windows``: exact for constant gains, a few multiplies), and gives the entering
deck a gain trim of the difference (plus the composer's deliberate ``level_offset_lu``
difference, which is kept), clamped to ``TRIM_MAX_DB``.  The trim holds through the crossfade
and ``HOLD_BARS`` after it, then returns linearly in dB to 0 over ``RETURN_BARS``: a drift of
at most ~0.25 dB per bar, far under what a listener hears as a step.

The Python mixer, the reference runtime (which reads the tables from the package manifest) and
the web player (player/js/mixer.js) compute the same trims with the same arithmetic.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from composer_assist.core.level_windows import energy
from composer_assist.core.mixmath import LUT_STEPS

from .stems import StemSet

TRIM_MAX_DB = 3.0
HOLD_BARS = 2.0  # at full trim after the crossfade (the 3 s short-term window, and then some)
RETURN_BARS = 4.0  # back to the variant's matched level, linear in dB


class Trim(NamedTuple):
    db: float = 0.0
    hold: int = 0  # output sample where the return starts
    end: int = 0  # output sample where the trim is 0 again

    def db_at(self, t: float) -> float:
        if t >= self.end:
            return 0.0
        if t <= self.hold:
            return self.db
        return self.db * (self.end - t) / (self.end - self.hold)

    def gain_at(self, t: float) -> float:
        return 1.0 if t >= self.end else 10.0 ** (self.db_at(t) / 20.0)


NO_TRIM = Trim()


def local_db(stems: StemSet, v: int, pos: int, k: int) -> float | None:
    """10 log10 of variant ``v``'s K-weighted mean square over the 3 s from cue position ``pos``
    at the layer gains of intensity row ``k``; None without a table or when silent."""
    tables, hop = stems.level_windows, stems.window_hop
    if hop <= 0 or v >= len(tables) or tables[v] is None:
        return None
    tab = tables[v]
    j = min(tab.shape[0] - 1, max(0, (pos + hop // 2) // hop))
    e = float(energy(tab[j], stems.luts[v][min(LUT_STEPS, max(0, k))]))
    return 10.0 * math.log10(e) if e > 1e-20 else None


def transition_trim(stems: StemSet, t: int, fade: int, leave: tuple[int, int, int] | None, leave_trim: Trim,
                    enter: tuple[int, int, int], intensity: float) -> Trim:
    """The entering deck's trim for a switch at output sample ``t`` with a ``fade``-sample
    crossfade; ``leave`` and ``enter`` are (variant, cue position, passes) at ``t``."""
    if leave is None:
        return NO_TRIM
    clock, k = stems.clock, int(intensity * LUT_STEPS + 0.5)
    arrival = t + max(0, fade)
    pos_l = clock.advance(leave[1], leave[2], arrival - t)[0]
    pos_e, passes_e = clock.advance(enter[1], enter[2], arrival - t)
    a, b = local_db(stems, leave[0], pos_l, k), local_db(stems, enter[0], pos_e, k)
    if a is None or b is None:
        return NO_TRIM
    variants = stems.cue.variants
    offset = variants[enter[0]].level_offset_lu - variants[leave[0]].level_offset_lu
    db = min(TRIM_MAX_DB, max(-TRIM_MAX_DB, a + leave_trim.db_at(arrival) + offset - b))
    bar = stems.cue.meter.beats_per_bar
    hold = arrival + clock.samples_for_beats(pos_e, HOLD_BARS * bar)
    end = arrival + clock.samples_for_beats(pos_e, (HOLD_BARS + RETURN_BARS) * bar)
    return Trim(db, hold, end)
