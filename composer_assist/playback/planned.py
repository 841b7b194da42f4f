"""Planned scheduling: the whole curve is known, so each switch starts early enough to have
arrived when the scene turns.

The wanted variant sequence comes from the zero-phase smoothed trace (the same hysteresis and
dwell as live; a visit shorter than the dwell is not followed), each change is dated back to when
the new variant first led by half the hysteresis (``wanted_changes``), and the switch leaves at
the *latest* legal boundary whose crossfade completes by then, but never more than its fade and
one bar before the viewer's curve as read (unsmoothed) moves towards the new variant.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from composer_assist.core.project import Cue, TransitionRule

from .clock import CueClock
from .policy import ControlTrack
from .schedule import Builder, IntensityTargets, Schedule, Switch, dwell_end, dwell_samples, leave_text

def schedule_planned(cue: Cue, clock: CueClock, track: ControlTrack) -> Schedule:
    """Look-ahead scheduling on the whole (zero-phase smoothed) curve."""
    bld = Builder(cue, clock, "planned", track.tick(0))
    sched, names, sr = bld.sched, bld.names, clock.sr
    hyst = cue.adaptive.hysteresis
    dwell = dwell_samples(cue, sr)

    def on_hold(k: int, reason: str, cur: int, best: int, value: float) -> None:
        if reason == "hysteresis":
            text = f"{names[best]} nearer than {names[cur]} by {value:.2f} < hysteresis {hyst:g}"
        else:
            text = (f"{names[best]} wanted for only {value:.2f} s before {names[cur]} again (shorter than "
                    f"the dwell of {dwell / sr:.2f} s): not followed")
        bld.entry(track.tick(k), "hold", reason, text, frm=cur, to=best, distances=bld.distances(track.tick(k)))

    changes = wanted_changes(track, hyst, dwell / sr, on_hold)
    sched.changes = [(c, v) for c, v, _ in changes]
    slowest = min(p.bpm for p in cue.tempo.points)
    fade_max = int(max(r.fade_beats for r in [TransitionRule(), *cue.transitions]) * 60.0 / slowest * sr)
    playing = sched.start_variant
    held_until, fade_end = -(1 << 40), 0
    for i, (c, target, k) in enumerate(changes):
        if target == playing:
            continue
        lower = max(1, held_until, fade_end)
        moves = curve_moves_at(track, playing, target, k, changes[i + 1][2] if i + 1 < len(changes) else None)
        best = _in_time(bld, playing, target, lower, c, moves, fade_max, float(track.times[0]))
        late = best.arrival > int(round(max(c, moves) * sr))
        nxt = changes[i + 1][0] if i + 1 < len(changes) else None
        if late and nxt is not None and best.arrival / sr >= nxt:
            bld.entry(track.tick(k), "skip", "dwell" if lower > 1 else "quantisation_wait",
                      f"change to {names[target]} at {c:.3f} s cannot arrive before the next change "
                      f"at {nxt:.3f} s; skipped", to=target)
            continue
        if late and not _still_wanted(track, best, playing, target, sr):
            kb = _tick_at(track, best.sample / sr)
            bld.entry(track.tick(kb), "cancel", "emotion_distance",
                      f"re-checked at its boundary {best.sample / sr:.3f} s: the scene is no nearer "
                      f"{names[target]} than {names[playing]} any more; the switch is cancelled", frm=playing,
                      to=target)
            continue
        bld.switch_entry(track.tick(k), best, "switch", "planned",
                         _detail(names, playing, target, c, best, late, lower, sr))
        sched.switches.append(best)
        bld.head.move(best)
        playing, held_until, fade_end = target, dwell_end(cue, clock, best), best.arrival
    intensity = IntensityTargets(bld, float(track.intensity[0]))
    for k in range(1, track.times.size):
        intensity.step(track.tick(k))
    return sched


def _detail(names: list[str], playing: int, target: int, c: float, best: Switch, late: bool, lower: int,
            sr: int) -> str:
    lead = c - best.arrival / sr
    if late:
        return (f"scene turns {names[target]} at {c:.3f} s; earliest legal {leave_text(best.rule)} "
                f"is {best.sample / sr:.3f} s ({'dwell' if lower > 1 else 'quantisation'}), "
                f"arrives {-lead:.3f} s late")
    return (f"scene turns {names[target]} at {c:.3f} s; leaves {names[playing]} on the latest "
            f"{leave_text(best.rule)} ({best.sample / sr:.3f} s) whose {best.fade / sr:.3f} s "
            f"fade completes in time: started {c - best.sample / sr:.3f} s early")


def _tick_at(track: ControlTrack, t: float) -> int:
    return int(min(track.times.size - 1, max(0, np.searchsorted(track.times, t - 1e-9))))


def _still_wanted(track: ControlTrack, sw: Switch, playing: int, target: int, sr: int) -> bool:
    """A late switch re-checked at its boundary: is its target still nearer than what plays?  (The
    scene may have drifted back within the hysteresis, where no change is registered.)"""
    row = track.scores[_tick_at(track, sw.sample / sr)]
    return bool(row[target] < row[playing])


def curve_moves_at(track: ControlTrack, cur: int, new: int, k: int, k_next: int | None = None) -> float:
    """When the viewer's curve as read (unsmoothed) moves over to ``new`` for the change committed at
    tick ``k``: the first tick of the run, holding ``k``, in which ``new`` is nearer than ``cur`` on
    the raw curve (if it is not at ``k``, the next such tick before ``k_next``); else tick ``k``.

    The zero-phase smoothing spreads a step backwards in time; this is where the curve itself turns.
    """
    raw = track.raw_scores if track.raw_scores is not None else track.scores
    ahead = raw[:, cur] - raw[:, new] > 0
    if ahead[k]:
        j = k
        while j > 0 and ahead[j - 1]:
            j -= 1
        return float(track.times[j])
    stop = track.times.size if k_next is None else k_next
    later = np.flatnonzero(ahead[k:stop])
    return float(track.times[k + later[0]]) if later.size else float(track.times[k])


def _in_time(bld: Builder, playing: int, target: int, lower: int, c: float, moves: float, fade_max: int,
             decided_at: float) -> Switch:
    """The switch for a change at ``c`` s whose curve moves at ``moves`` s: on the latest legal
    boundary at or after ``lower`` that arrives by both, but starting no earlier than its fade and
    one bar before ``moves``; when none arrives in time, the earliest one at or after ``lower``."""
    sr = bld.sr
    goal = max(c, moves)
    sw = _latest_in_time(bld, playing, target, lower, goal, fade_max, decided_at)
    if sw is None:
        sw = bld.plan_switch(lower, playing, target, decided_at, c)
    else:
        bar = bld.clock.samples_for_beats(sw.leave_pos, bld.cue.meter.beats_per_bar)
        floor = int(round(moves * sr)) - sw.fade - bar
        if sw.sample < floor:  # a coarse rule (every N bars, loop end): the first boundary after the floor
            sw = bld.plan_switch(max(lower, floor), playing, target, decided_at, c)
    sw.moves_at = moves
    return sw


def _latest_in_time(bld: Builder, playing: int, target: int, lower: int, c: float, fade_max: int,
                    decided_at: float) -> Switch | None:
    """The switch on the latest legal boundary at or after ``lower`` that arrives by ``c`` s, or None."""
    goal = int(round(c * bld.sr))
    best = None
    # Boundaries recur at least once per loop pass (the wrap), so the latest legal one lies
    # within a pass and the longest fade before the goal: start probing there.
    probe = max(lower, goal - fade_max - 2 * bld.clock.loop_len - 1)
    while True:
        sw = bld.plan_switch(probe, playing, target, decided_at, c)
        if sw.arrival > goal:
            return best
        best = sw
        if sw.rule.leave == "immediate":
            sw = bld.plan_switch(max(probe, goal - sw.fade), playing, target, decided_at, c)
            return sw if sw.arrival <= goal else best
        probe = sw.sample + 1


def wanted_changes(track: ControlTrack, hysteresis: float, dwell_s: float,
                   on_hold: Callable[[int, str, int, int, float], None] | None = None
                   ) -> list[tuple[float, int, int]]:
    """The variant sequence the scene asks for: (landing time s, variant, tick) per change.

    Hysteresis applies as in live mode.  Each change is dated to the first tick of the new
    variant's run of being nearest at which it leads the current variant by half the hysteresis:
    later than the tick where the two are merely equally near (margin 0, which flickers and can
    precede the real turn by many seconds on slow drifts), earlier than the tick where the full
    hysteresis is met (which is when live mode can commit).  A visit shorter than the dwell is
    not followed (``drop_short_visits``), so no change is answered by a switch and a return.
    ``on_hold(tick, reason, current, wanted, value)`` hears about changes held back: reason
    "hysteresis" (value: the margin) or "dwell" (value: how long the visit lasted).
    """
    scores = track.scores
    nearest = np.argmin(scores, axis=1)
    cur = first = int(np.argmin(track.raw_scores[0])) if track.raw_scores is not None else int(nearest[0])
    half_k: int | None = None  # first tick of the current run with margin >= hysteresis / 2
    out: list[tuple[float, int, int]] = []
    held = None
    for k in range(1, track.times.size):
        best = int(nearest[k])
        if best != nearest[k - 1]:
            half_k = None
        if best == cur:
            held = None
            continue
        margin = float(scores[k, cur] - scores[k, best])
        if half_k is None and margin >= 0.5 * hysteresis:
            half_k = k
        if margin < hysteresis:
            if on_hold is not None and held != ("hysteresis", best):
                on_hold(k, "hysteresis", cur, best, margin)
            held = ("hysteresis", best)
            continue
        out.append((float(track.times[half_k if half_k is not None else k]), best, k))
        cur, held, half_k = best, None, None
    return drop_short_visits(out, first, dwell_s, on_hold)


def drop_short_visits(changes: list[tuple[float, int, int]], first: int, dwell_s: float,
                      on_hold: Callable[[int, str, int, int, float], None] | None = None
                      ) -> list[tuple[float, int, int]]:
    """Changes with every visit shorter than ``dwell_s`` removed, shortest first: A -> B -> A with a
    short B stays on A; A -> B -> C with a short B goes from A to C when C comes.  The last visit
    (to the end of the trace) is kept."""
    out = list(changes)
    while True:
        lengths = [out[i + 1][0] - out[i][0] for i in range(len(out) - 1)]
        short = [i for i, d in enumerate(lengths) if d < dwell_s]
        if not short:
            return out
        i = min(short, key=lambda j: lengths[j])
        before = out[i - 1][1] if i else first
        if on_hold is not None:
            on_hold(out[i][2], "dwell", before, out[i][1], lengths[i])
        del out[i:i + 2 if out[i + 1][1] == before else i + 1]
