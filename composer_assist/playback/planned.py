"""Planned scheduling: the whole curve is known, so each switch starts early enough to have
arrived when the scene turns.

The wanted variant sequence comes from the zero-phase smoothed trace (the same hysteresis and
dwell as live), each change is dated back to when the new variant first led by half the
hysteresis (``wanted_changes``), and the switch leaves at the *latest* legal boundary whose
crossfade completes by then.
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

    def on_hold(k: int, reason: str, cur: int, best: int, margin: float) -> None:
        if reason == "hysteresis":
            text = f"{names[best]} nearer than {names[cur]} by {margin:.2f} < hysteresis {hyst:g}"
        else:
            text = f"{names[best]} wanted but {names[cur]} has played less than the dwell of {dwell / sr:.2f} s"
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
        best = _latest_in_time(bld, playing, target, lower, c, fade_max, float(track.times[0]))
        late = best is None
        if late:
            best = bld.plan_switch(lower, playing, target, float(track.times[0]), c)
        nxt = changes[i + 1][0] if i + 1 < len(changes) else None
        if late and nxt is not None and best.arrival / sr >= nxt:
            bld.entry(track.tick(k), "skip", "dwell" if lower > 1 else "quantisation_wait",
                      f"change to {names[target]} at {c:.3f} s cannot arrive before the next change "
                      f"at {nxt:.3f} s; skipped", to=target)
            continue
        lead = c - best.arrival / sr
        if late:
            detail = (f"scene turns {names[target]} at {c:.3f} s; earliest legal {leave_text(best.rule)} "
                      f"is {best.sample / sr:.3f} s ({'dwell' if lower > 1 else 'quantisation'}), "
                      f"arrives {-lead:.3f} s late")
        else:
            detail = (f"scene turns {names[target]} at {c:.3f} s; leaves {names[playing]} on the latest "
                      f"{leave_text(best.rule)} ({best.sample / sr:.3f} s) whose {best.fade / sr:.3f} s "
                      f"fade completes in time: started {c - best.sample / sr:.3f} s early")
        bld.switch_entry(track.tick(k), best, "switch", "planned", detail)
        sched.switches.append(best)
        bld.head.move(best)
        playing, held_until, fade_end = target, dwell_end(cue, clock, best), best.arrival
    intensity = IntensityTargets(bld, float(track.intensity[0]))
    for k in range(1, track.times.size):
        intensity.step(track.tick(k))
    return sched


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

    Hysteresis and dwell apply as in live mode.  Each change is dated to the first tick of the
    new variant's run of being nearest at which it leads the current variant by half the
    hysteresis: later than the tick where the two are merely equally near (margin 0, which
    flickers and can precede the real turn by many seconds on slow drifts), earlier than the
    tick where the full hysteresis is met (which is when live mode can commit).
    ``on_hold(tick, reason, current, wanted, margin)`` hears about changes held back.
    """
    scores = track.scores
    nearest = np.argmin(scores, axis=1)
    cur = int(nearest[0])
    last = -1e18
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
        t_turn = max(float(track.times[half_k if half_k is not None else k]), last + dwell_s)
        if t_turn > float(track.times[k]):
            if on_hold is not None and held != ("dwell", best):
                on_hold(k, "dwell", cur, best, margin)
            held = ("dwell", best)
            continue
        out.append((t_turn, best, k))
        cur, last, held, half_k = best, t_turn, None, None
    return out
