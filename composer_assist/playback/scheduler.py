"""Live scheduling: when to switch, decided one control tick at a time from the past alone.

At each tick the nearest variant must beat the current (or pending) one by ``hysteresis``; a
switch leaves at the first legal boundary after ``dwell`` since the previous switch and after the
trace as read has stayed near the new variant for ``confirm``, or has been away from the playing
one for ``confirm`` and near the new one for ``settle`` (so a blip shorter than that never makes a
switch and a return, and a move through one variant to another is confirmed once); a pending
switch is retargeted or cancelled if the emotion moves on before its boundary, and re-checked at
the last tick before it: cancelled if the trace as read is no longer nearest its target.  The
switch budget (``budget``) defers a switch until the spacing since the last one has passed, or
for a budget kept as its window, until the window allows it and the trace as read has stayed near
the new variant for a whole dwell, whichever comes first (a return to the variant the last switch
left keeps the spacing); a manual override is exempt (it is heard at once, and counts for the
switches after it).  Planned scheduling (the whole curve known) is ``planned``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from composer_assist.core.project import Cue

from .budget import budget_spacing_samples, keeps_window, next_start_allowed
from .clock import CueClock
from .policy import ControlTrack, PolicyTick
from .schedule import Builder, IntensityTargets, Schedule, Switch, dwell_end, dwell_samples, leave_text

# How long the trace as read must stay nearest a new variant before the music leaves for it, as a
# share of the dwell: a change shorter than this never makes a switch (and so no return).
CONFIRM_SHARE_OF_DWELL = 0.5
# Once the trace as read has been away from the playing variant for the confirmation, the move is
# confirmed wherever it went: a target it has been near for this long (s) may be left for, so a
# viewer passing through one variant on the way to another is not confirmed twice.
SETTLE_S = 0.5
NOT_NEAR = 1 << 62  # a variant the trace as read is not near now (run start sentinel)

@dataclass
class Decision:
    """What one live tick asks of the mixer: a switch to queue, one to withdraw, an intensity."""

    switch: Switch | None = None
    cancel: Switch | None = None
    intensity: float | None = None


class LiveScheduler:
    """Causal scheduling, one control tick at a time (each tick knows only the past).

    The nearest variant must beat the current (or pending) one by ``hysteresis``; a switch leaves
    at the first legal boundary after ``dwell`` since the previous switch; a pending switch is
    retargeted or cancelled if the emotion moves on before its boundary.
    """

    def __init__(self, cue: Cue, clock: CueClock, first: PolicyTick, start_variant: int | None = None,
                 confirm_s: float | None = None):
        self.bld = Builder(cue, clock, "live", first)
        if start_variant is not None:
            self.bld.sched.start_variant = start_variant
        self.cue, self.clock, self.sr = cue, clock, clock.sr
        self.hyst = cue.adaptive.hysteresis
        self.tick_s = 1.0 / float(cue.adaptive.control_rate)
        self.confirm = (int(round(CONFIRM_SHARE_OF_DWELL * dwell_samples(cue, clock.sr))) if confirm_s is None
                        else int(round(confirm_s * clock.sr)))
        self.settle = int(round(SETTLE_S * clock.sr))
        # Per variant, the sample where the trace as read came (and stayed) within half the
        # hysteresis of its nearest variant, NOT_NEAR while it is not; and where it left (and
        # stayed away from) it, NOT_NEAR while it is near.
        self.near_since = np.full(len(cue.variants), NOT_NEAR, dtype=np.int64)
        self.away_since = np.full(len(cue.variants), NOT_NEAR, dtype=np.int64)
        self._near(first, 0)
        self.playing = self.bld.sched.start_variant
        self.held_until, self.fade_end = -(1 << 40), 0  # dwell end of the last switch, its fade end
        self.spacing = budget_spacing_samples(cue, clock.sr)  # the switch budget (0: none)
        self.budget_until = -(1 << 40)  # the first sample the next switch may start on by the spacing
        self.window = self.spacing > 0 and keeps_window(cue)
        self.dwell = dwell_samples(cue, clock.sr)
        self.starts: list[int] = []  # switch starts so far (the window's memory)
        self.left = -1  # the variant the last switch left
        self.override = False  # the pending switch is a manual override (exempt from the budget)
        self.pending: Switch | None = None
        self._hold: tuple | None = None
        self._intensity = IntensityTargets(self.bld, float(first.intensity))

    @property
    def schedule(self) -> Schedule:
        return self.bld.sched

    def resume(self, sample: int, variant: int, pos: int, passes: int) -> None:
        """Carry on from ``sample`` where ``variant`` plays at cue position ``pos`` (after a seek, or
        when a planned run hands over to live control); nothing is pending, no dwell holds."""
        if self.pending is not None:  # dropped with the mixer's queue: it will not be heard
            self.schedule.switches = [x for x in self.schedule.switches if x is not self.pending]
        self.playing, self.pending, self._hold = variant, None, None
        self.held_until, self.fade_end, self.budget_until = -(1 << 40), 0, -(1 << 40)
        self.starts, self.left = [], -1
        self.bld.head.anchor, self.bld.head.pos, self.bld.head.passes = sample, pos, passes

    def set_clock(self, clock: CueClock, sample: int, pos: int, passes: int) -> Switch | None:
        """A new loop region from ``sample``, where the music plays at cue position ``pos`` (after
        ``passes`` wraps): boundaries from now on follow it.  A switch still to come was placed on
        the old region's boundaries: it is dropped and returned (to be taken off the mixer's
        queue), and the next tick places it again if the trace still asks for it."""
        self.clock = self.bld.clock = self.bld.head.clock = clock
        p, dropped = self.pending, None
        if p is not None and p.sample <= sample:
            self._arrived(p)  # under way in the mixer already
        elif p is not None:
            self.schedule.switches = [x for x in self.schedule.switches if x is not p]
            self.pending, dropped = None, p
        head = self.bld.head
        head.anchor, head.pos, head.passes = sample, pos, passes
        return dropped

    def _arrived(self, p: Switch) -> None:
        """The pending switch ``p`` has started: it plays from here, the dwell and the budget count it."""
        self.playing, self.held_until, self.fade_end = p.target, dwell_end(self.cue, self.clock, p), p.arrival
        self.budget_until = p.sample + self.spacing
        self.starts.append(p.sample)
        self.left = p.source
        self.bld.head.move(p)
        self.pending = None

    def step(self, tick: PolicyTick) -> Decision:
        """Decide at ``tick`` (its ``time`` is the audio time of the tick)."""
        s = int(round(tick.time * self.sr))
        if self.pending is not None and self.pending.sample <= s:
            self._arrived(self.pending)
        self._near(tick, s)
        out = self._switch(tick, s)
        p = self.pending
        if p is not None and out.switch is None and p.sample <= int(round((tick.time + self.tick_s) * self.sr)):
            out = self._recheck(tick, s, p)  # the last tick before its boundary
        out.intensity = self._intensity.step(tick)
        return out

    def _near(self, tick: PolicyTick, s: int) -> None:
        """Update the runs in which the trace as read is near each variant."""
        raw = tick.raw_scores if tick.raw_scores is not None else tick.scores
        near = raw <= raw.min() + 0.5 * self.hyst
        since, away = self.near_since, self.away_since
        since[~near] = NOT_NEAR
        since[near & (since == NOT_NEAR)] = -(1 << 40) if tick.jump else s  # an override needs no confirming
        away[near] = NOT_NEAR
        away[~near & (away == NOT_NEAR)] = s

    def _budget_start(self, target: int) -> int:
        """The first sample a switch to ``target`` may start on by the budget (module docstring)."""
        if not self.window:
            return self.budget_until
        window = next_start_allowed(self.starts, self.cue, self.sr, True)
        if target == self.left:  # a return keeps the spacing too
            return max(window, self.budget_until)
        # within the window, the spacing holds until the trace has stayed near the target a dwell
        return max(window, min(self.budget_until, int(self.near_since[target]) + self.dwell))

    def _ready(self, target: int) -> int | None:
        """The first sample a switch to ``target`` may leave on by the confirmation, or None when
        the trace as read is not near ``target`` now: near it for ``confirm``, or near it for
        ``settle`` once away from the playing variant for ``confirm``."""
        since = int(self.near_since[target])
        if since == NOT_NEAR:
            return None
        left = int(self.away_since[self.playing])
        if left == NOT_NEAR:
            return since + self.confirm
        return min(since + self.confirm, max(left + self.confirm, since + self.settle))

    def _recheck(self, tick: PolicyTick, s: int, p: Switch) -> Decision:
        """A pending switch at its boundary: cancelled if the trace as read is no longer near its
        target, moved to a later boundary if it has not been near it for ``confirm`` (or, a switch
        the budget's window let start early, for the dwell)."""
        names, ready = self.bld.names, self._ready(p.target)
        budget = -(1 << 40) if self.override else self._budget_start(p.target)
        if ready is not None and ready <= p.sample and budget <= p.sample:
            return Decision()
        if ready is None:
            raw = tick.raw_scores if tick.raw_scores is not None else tick.scores
            self.bld.entry(tick, "cancel", "emotion_distance",
                           f"re-checked before its boundary at {p.sample / self.sr:.3f} s: the trace is nearest "
                           f"{names[int(np.argmin(raw))]} now, not {names[p.target]}; cancelled",
                           frm=self.playing, to=p.target, distances=self.bld.distances(tick))
            self.schedule.switches = [x for x in self.schedule.switches if x is not p]
            self.pending = None
            return Decision(cancel=p)
        sw = self.bld.plan_switch(max(ready, budget, p.sample + 1), self.playing, p.target, tick.time)
        since = self.near_since[p.target] / self.sr
        need, reason = (self.confirm, "confirm") if budget <= ready else (self.dwell, "budget")
        self.bld.switch_entry(tick, sw, "retarget", reason,
                              f"the trace has been near {names[p.target]} only since {since:.3f} s "
                              f"({reason} {need / self.sr:.2f} s): waits for the {leave_text(sw.rule)} at "
                              f"{sw.sample / self.sr:.3f} s")
        self.pending = sw
        self.schedule.switches = [x for x in self.schedule.switches if x is not p] + [sw]
        return Decision(switch=sw, cancel=p)

    def _switch(self, tick: PolicyTick, s: int) -> Decision:
        names, bld, pending, playing = self.bld.names, self.bld, self.pending, self.playing
        row = tick.scores
        cur = pending.target if pending is not None else playing
        best = int(np.argmin(row))
        if best == cur:
            self._hold = None
            return Decision()
        margin = float(row[cur] - row[best])
        if margin < self.hyst:
            if self._hold != ("hysteresis", best):
                bld.entry(tick, "hold", "hysteresis",
                          f"{names[best]} is nearer than {names[cur]} by {margin:.2f} < hysteresis {self.hyst:g}",
                          frm=cur, to=best, distances=bld.distances(tick))
                self._hold = ("hysteresis", best)
            return Decision()
        self._hold = None
        if pending is not None and best == playing:
            bld.entry(tick, "cancel", "emotion_distance",
                      f"scene went back to {names[playing]} before the switch to {names[pending.target]} "
                      f"at {pending.sample / self.sr:.3f} s; cancelled", frm=playing, to=pending.target,
                      distances=bld.distances(tick))
            self.schedule.switches = [x for x in self.schedule.switches if x is not pending]
            self.pending = None
            return Decision(cancel=pending)
        ready = self._ready(best)
        if ready is None:  # the smoothing still leans to it, the trace itself has left it
            if self._hold != ("confirm", best):
                bld.entry(tick, "hold", "confirm", f"{names[best]} nearer on the smoothed trace but the trace "
                          f"as read is not near it now", frm=cur, to=best, distances=bld.distances(tick))
                self._hold = ("confirm", best)
            return Decision()
        # A manual override is exempt from the budget: the user asked for that music now.
        budget = s if tick.jump else self._budget_start(best)
        self.override = bool(tick.jump)
        earliest = max(s, self.held_until, self.fade_end, ready, budget)
        sw = bld.plan_switch(earliest, playing, best, tick.time)
        why = (("override", f"the emotion override asked for {names[best]}: heard at the next "
                             f"{leave_text(sw.rule)}, at {sw.sample / self.sr:.3f} s (no confirmation or budget)")
               if tick.jump else self._why(sw, s, earliest, budget, cur, best, margin))
        bld.switch_entry(tick, sw, "retarget" if pending is not None else "switch", *why)
        self.pending = sw
        self.schedule.switches = [x for x in self.schedule.switches if x is not pending] + [sw]
        return Decision(switch=sw, cancel=pending)

    def _why(self, sw: Switch, s: int, earliest: int, budget: int, cur: int, best: int, margin: float
             ) -> tuple[str, str]:
        names, sr = self.bld.names, self.sr
        why = [f"{names[best]} nearer than {names[cur]} by {margin:.2f} (>= hysteresis {self.hyst:g})"]
        reason = "emotion_distance"
        if earliest > s and self.held_until >= earliest and self.held_until > s:
            why.append(f"dwell holds {names[self.playing]} until {self.held_until / sr:.3f} s")
            reason = "dwell"
        elif earliest > s and earliest == budget and earliest > max(self.held_until, self.fade_end):
            why.append(f"the switch budget ({self.cue.adaptive.max_switches_per_minute} a minute) holds "
                       f"{names[self.playing]} until {earliest / sr:.3f} s")
            reason = "budget"
        elif earliest > s and earliest > max(self.held_until, self.fade_end):
            why.append(self._confirmed(best, earliest))
            reason = "confirm"
        if sw.sample > earliest:
            why.append(f"quantisation waits {(sw.sample - earliest) / sr:.3f} s for the next {leave_text(sw.rule)}")
            if reason == "emotion_distance":
                reason = "quantisation_wait"
        return reason, "; ".join(why)

    def _confirmed(self, target: int, at: int) -> str:
        """Which rule confirmed the move to ``target`` at sample ``at``, for the log."""
        names, sr, left = self.bld.names, self.sr, int(self.away_since[self.playing])
        if left != NOT_NEAR and at < int(self.near_since[target]) + self.confirm:
            return (f"the trace left {names[self.playing]} at {left / sr:.3f} s: the move is confirmed at "
                    f"{at / sr:.3f} s (away {self.confirm / sr:.2f} s, near {names[target]} {self.settle / sr:.2f} s)")
        return f"the trace is confirmed near {names[target]} at {at / sr:.3f} s (near it for {self.confirm / sr:.2f} s)"


def schedule_live(cue: Cue, clock: CueClock, track: ControlTrack) -> Schedule:
    """Causal scheduling over a whole control track: ``LiveScheduler`` stepped tick by tick."""
    live = LiveScheduler(cue, clock, track.tick(0))
    for k in range(1, track.times.size):
        live.step(track.tick(k))
    return live.schedule
