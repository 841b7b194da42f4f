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

The peak guard: each variant alone is matched under the true-peak ceiling, but in a crossfade
two variants add (equal power: up to cos + sin = 1.41 where both peak together) and the trim
raises one.  The envelopes (``core.peak_envelope``: every sample a variant can play there, at any
intensity) are over the loudest block of any variant alone, 1, and nothing a transition adds goes
over that:

- the trim up is at most what keeps the entering variant's envelope under 1 through
  its hold and return (``_trim_room_db``: per envelope block, the room over its peak divided by
  the share of the trim still on there);
- through the crossfade the entering deck carries a guard: a gain curve that, in every
  ``StemSet.peak_block`` of output time, is at most what keeps ``a * A + b * T * B`` under 1,
  where ``A``, ``B`` are the two variants' envelopes over the positions the decks
  play in that block, ``a`` the leaving deck's largest gain there (its fade, its own trim and
  guard) and ``b``, ``T`` the entering deck's largest fade gain and trim.  The curve is linear
  between knots at the block edges, each knot the lower of the two blocks it joins, and the mixer
  ends a sub-block at every knot, so every sample it ramps keeps the bound.  It is 1 wherever
  nothing can add up past the top (then there is no guard at all).

A stinger struck at the switch is in the same bound (its envelope ``StemSet.stinger_env``): the
leaving deck plays on as it was (ducking it at the switch sample would step its gain), the
stinger takes the room it leaves, as a gain curve of its own, and the entering deck the rest; a
stinger louder than every variant keeps its own level.  A third deck still fading out (or an
earlier stinger still ringing) is not in the bound.

The Python mixer, the reference runtime (which reads the tables from the package manifest) and
the web player (player/js/mixer.js) compute the same trims and guards with the same arithmetic.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from composer_assist.core.level_windows import energy
from composer_assist.core.mixmath import LUT_STEPS

from .curves import fade_in, fade_out
from .stems import StemSet

TRIM_MAX_DB = 3.0
HOLD_BARS = 2.0  # at full trim after the crossfade (the 3 s short-term window, and then some)
RETURN_BARS = 4.0  # back to the variant's matched level, linear in dB


class Trim(NamedTuple):
    db: float = 0.0
    hold: int = 0  # output sample where the return starts
    end: int = 0  # output sample where the trim is 0 again
    guard: tuple[float, ...] = ()  # the peak guard's knots (module docstring); () none
    g0: int = 0  # output sample of the first knot
    gstep: int = 0  # samples between knots
    g_end: int = 0  # output sample of the last knot, from which the guard is 1

    @property
    def last(self) -> int:
        """The output sample from which the gain is 1 for good."""
        return self.end if self.end >= self.g_end else self.g_end

    def db_at(self, t: float) -> float:
        if t >= self.end:
            return 0.0
        if t <= self.hold:
            return self.db
        return self.db * (self.end - t) / (self.end - self.hold)

    def guard_at(self, t: float) -> float:
        if not self.guard or t >= self.g_end:
            return 1.0
        if t <= self.g0:
            return self.guard[0]
        k, r = divmod(t - self.g0, self.gstep)
        k = int(k)
        return self.guard[k] + (self.guard[k + 1] - self.guard[k]) * (r / self.gstep)

    def next_knot(self, t: int) -> int:
        """The first knot after output sample ``t`` (the mixer ends a sub-block there)."""
        if not self.guard or t >= self.g_end:
            return 1 << 62
        return self.g0 if t < self.g0 else self.g0 + ((t - self.g0) // self.gstep + 1) * self.gstep

    def gain_at(self, t: float) -> float:
        trim = 1.0 if t >= self.end else 10.0 ** (self.db_at(t) / 20.0)
        return trim * self.guard_at(t) if self.guard else trim


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


def transition_gains(stems: StemSet, t: int, fade: int, leave: tuple[int, int, int] | None, leave_trim: Trim,
                     enter: tuple[int, int, int], intensity: float, curve: int = 0, leave_env: float = 1.0,
                     stinger: int = -1) -> tuple[Trim, Trim]:
    """(the entering deck's trim and peak guard, the stinger's gain: a guard only, or ``NO_TRIM``)
    for a switch at output sample ``t`` with a ``fade``-sample crossfade of ``curve``; ``leave`` and
    ``enter`` are (variant, cue position, passes) at ``t``, ``leave_env`` the leaving deck's fade
    gain then, ``stinger`` the stinger starting at ``t`` (-1: none)."""
    trim = _trim(stems, t, fade, leave, leave_trim, enter, intensity)
    deck, shot = peak_guard(stems, t, fade, curve, leave, leave_env, leave_trim, enter, trim, stinger)
    return _guarded(trim, deck, t, stems.peak_block), _guarded(NO_TRIM, shot, t, stems.peak_block)


def _guarded(trim: Trim, knots: tuple[float, ...], t: int, step: int) -> Trim:
    return trim._replace(guard=knots, g0=t, gstep=step, g_end=t + step * (len(knots) - 1)) if knots else trim


def _trim(stems: StemSet, t: int, fade: int, leave: tuple[int, int, int] | None, leave_trim: Trim,
          enter: tuple[int, int, int], intensity: float) -> Trim:
    if leave is None:
        return NO_TRIM
    clock, k = stems.clock, int(intensity * LUT_STEPS + 0.5)
    arrival = t + max(0, fade)
    pos_l = clock.advance(leave[1], leave[2], arrival - t)[0]
    pos_e = clock.advance(enter[1], enter[2], arrival - t)[0]
    a, b = local_db(stems, leave[0], pos_l, k), local_db(stems, enter[0], pos_e, k)
    if a is None or b is None:
        return NO_TRIM
    variants = stems.cue.variants
    offset = variants[enter[0]].level_offset_lu - variants[leave[0]].level_offset_lu
    db = min(TRIM_MAX_DB, max(-TRIM_MAX_DB, a + leave_trim.db_at(arrival) + offset - b))
    bar = stems.cue.meter.beats_per_bar
    hold = arrival + clock.samples_for_beats(pos_e, HOLD_BARS * bar)
    end = arrival + clock.samples_for_beats(pos_e, (HOLD_BARS + RETURN_BARS) * bar)
    if db > 0:
        db = min(db, _trim_room_db(stems, enter[0], pos_e, arrival, hold, end))
    return Trim(db, hold, end)


def _trim_room_db(stems: StemSet, v: int, pos: int, arrival: int, hold: int, end: int) -> float:
    """The largest trim (dB) that keeps the entering variant alone under the loudest block from the
    end of the crossfade (cue position ``pos``) until the trim is 0 again: in each envelope block,
    the room over its peak divided by the share of the trim still on there (module docstring)."""
    env, step = stems.peak_env, stems.peak_block
    if step <= 0 or len(env) <= v or end <= arrival:
        return TRIM_MAX_DB
    d = np.arange(0, end - arrival, step, dtype=np.int64)  # block starts, output time after arrival
    share = np.minimum(1.0, (end - (arrival + d)) / max(1, end - hold))  # of the trim, at each start
    p0, p1 = _positions(stems.clock, pos, d), _positions(stems.clock, pos, np.minimum(d + step, end - arrival) - 1)
    e = env[v]
    # a block's positions run from p0 to p1, or wrap between them: take both ends' blocks and,
    # wrapped, the loop's last and first block too (a block is shorter than the loop's seam)
    peak = np.maximum(e[p0 // step], e[p1 // step])
    wrapped = p1 < p0
    if wrapped.any():
        c = stems.clock
        peak[wrapped] = np.maximum(peak[wrapped], max(e[(c.loop_end - 1) // step], e[c.loop_start // step]))
    with np.errstate(divide="ignore"):
        room = 20.0 * np.log10(1.0 / np.maximum(peak, 1e-30)) / share  # 1: the loudest alone
    return float(min(TRIM_MAX_DB, room.min())) if room.size else TRIM_MAX_DB


def _positions(clock, pos: int, d: np.ndarray) -> np.ndarray:
    """Cue positions ``d`` samples after ``pos`` (``CueClock.advance``, every ``d`` at once)."""
    lim = clock.limit(pos)
    over = pos + d >= lim
    out = pos + d
    out[over] = clock.loop_start + (d[over] - (lim - pos)) % clock.loop_len
    return out


def peak_guard(stems: StemSet, t: int, fade: int, curve: int, leave: tuple[int, int, int] | None,
               leave_env: float, leave_trim: Trim, enter: tuple[int, int, int], trim: Trim, stinger: int = -1
               ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The knots from output sample ``t`` (the module docstring) of the entering deck's guard and of
    the stinger's gain, each () when it is 1 throughout."""
    env, step = stems.peak_env, stems.peak_block
    if step <= 0 or len(env) <= enter[0] or (leave is not None and len(env) <= leave[0]):
        return (), ()
    clock = stems.clock
    shot = stems.stinger_env[stinger] if 0 <= stinger < len(stems.stinger_env) else None
    span = max(fade, 0, 0 if shot is None else shot.size * step)
    decks, shots = [], []
    for k in range(-(-span // step)):
        s0, s1 = t + k * step, t + (k + 1) * step
        b = 1.0 if fade <= 0 else fade_in(curve, (s1 - t) / fade)
        tb = max(trim.gain_at(s0), trim.gain_at(s1))
        pos = clock.advance(enter[1], enter[2], s0 - t)[0]
        loud = b * tb * _envelope_over(env[enter[0]], step, clock, pos, s1 - s0)
        leaving = 0.0
        if leave is not None and s0 < t + fade:
            a = leave_env * fade_out(curve, (s0 - t) / fade) * _largest_gain(leave_trim, s0, s1)
            pos = clock.advance(leave[1], leave[2], s0 - t)[0]
            leaving = a * _envelope_over(env[leave[0]], step, clock, pos, s1 - s0)
        # the envelopes are over the loudest block of any variant (1); a stinger louder than that
        # keeps its own level.  The leaving deck plays on as it was (ducking it at the switch sample
        # would step its gain), the stinger takes what room it leaves, the entering deck the rest.
        hit = float(shot[k]) if shot is not None and k < shot.size else 0.0
        room = max(0.0, max(1.0, hit) - leaving)
        h = 1.0 if hit <= room else room / hit
        room -= h * hit
        shots.append(h)
        decks.append(1.0 if loud <= room else max(0.0, room / loud))
    return _knots(decks), _knots(shots)


def _knots(bounds: list[float]) -> tuple[float, ...]:
    """Knots at the block edges, each the lower of the two blocks it joins (1 outside them), and a
    last one at 1; () when every bound is 1."""
    if all(g >= 1.0 for g in bounds):
        return ()
    ext = [1.0, *bounds, 1.0]
    return tuple(min(ext[k], ext[k + 1]) for k in range(len(ext) - 1)) + (1.0,)


def _largest_gain(trim: Trim, s0: int, s1: int) -> float:
    """The largest gain ``trim`` gives in [s0, s1]: at an end, or at a guard knot between."""
    g = max(trim.gain_at(s0), trim.gain_at(s1))
    k = trim.next_knot(s0)
    while k < s1:
        g = max(g, trim.gain_at(k))
        k = trim.next_knot(k)
    return g


def _envelope_over(env, step: int, clock, pos: int, d: int) -> float:
    """The largest envelope value over the ``d`` cue positions a deck plays from ``pos`` (wraps in)."""
    top = 0.0
    while d > 0:
        lim = clock.limit(pos)
        take = min(d, lim - pos)
        if take <= 0:
            break
        top = max(top, float(env[pos // step:(pos + take - 1) // step + 1].max()))
        d -= take
        pos = clock.loop_start
    return top
