"""When to switch: dwell, hysteresis and quantisation to musical boundaries, live or planned.

Works on the policy's per-tick scores (``policy.ControlTrack``) and the cue timeline
(``clock.CueClock``); produces sample-stamped switch and intensity commands for the mixer and a
decision log.  Both modes track the play position analytically (the same arithmetic the mixer
uses), so a boundary computed here is the sample the mixer switches on.

live:    at each tick, using only what the tick knows: the nearest variant must beat the current
         (or pending) one by ``hysteresis``; a switch leaves at the first legal boundary after
         ``dwell`` since the previous switch; a pending switch is retargeted or cancelled if the
         emotion moves on before its boundary.
planned: the whole curve is known: the wanted variant sequence comes from the zero-phase
         smoothed trace (same hysteresis and dwell), each change is dated back to when the new
         variant first led by half the hysteresis (see ``wanted_changes``), and the switch leaves at the *latest* legal boundary whose
         crossfade completes by then (so the music has arrived when the scene turns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from composer_assist.core.project import Cue, TransitionRule

from .clock import CueClock
from .mixer import Mixer
from .policy import ControlTrack, PolicyTick

INTENSITY_EPS = 0.002  # smaller target changes are not sent to the mixer
INTENSITY_LOG_STEP = 0.1  # intensity log entries when the target moved this much


@dataclass
class Switch:
    sample: int  # the boundary: first sample of the crossfade
    fade: int  # crossfade length in samples
    source: int
    target: int
    rule: TransitionRule
    leave_pos: int  # cue position of the leaving variant at the boundary
    enter_pos: int
    enter_passes: int
    decided_at: float  # audio seconds of the tick that scheduled it
    change_at: float | None = None  # planned: when the scene's change lands (audio seconds)

    @property
    def arrival(self) -> int:
        return self.sample + self.fade


@dataclass
class Schedule:
    mode: str
    sample_rate: int
    start_variant: int
    start_intensity: float
    switches: list[Switch] = field(default_factory=list)
    intensity: list[tuple[int, float]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[float, int]] = field(default_factory=list)  # (audio s, variant) wanted

    def events(self, stems, after: int = -1) -> list[tuple]:
        """Mixer commands in time order (those at samples after ``after``)."""
        ev = [Mixer.intensity_event(s, v) for s, v in self.intensity if s > after]
        ev += [switch_event(sw, stems) for sw in self.switches if sw.sample > after]
        ev.sort()
        return ev

    def playhead_at(self, clock: CueClock, sample: int) -> tuple[int, int, int]:
        """(variant, cue position, loop passes) the schedule plays at ``sample``."""
        head, variant = _Playhead(clock), self.start_variant
        for sw in self.switches:
            if sw.sample > sample:
                break
            head.move(sw)
            variant = sw.target
        pos, passes = head.at(sample)
        return variant, pos, passes

    def intensity_at(self, sample: int) -> float:
        value = self.start_intensity
        for s, v in self.intensity:
            if s > sample:
                break
            value = v
        return value


def switch_event(sw: Switch, stems) -> tuple:
    """The mixer command that performs ``sw``."""
    names = stems.stinger_names
    st = names.index(sw.rule.stinger) if sw.rule.stinger in names else -1
    return Mixer.switch_event(sw.sample, sw.target, sw.enter_pos, sw.enter_passes, sw.fade, sw.rule.curve, st)


class _Playhead:
    """The position of the main variant as a function of the sample clock."""

    def __init__(self, clock: CueClock):
        self.clock = clock
        self.anchor, self.pos, self.passes = 0, 0, 0

    def at(self, sample: int) -> tuple[int, int]:
        return self.clock.advance(self.pos, self.passes, sample - self.anchor)

    def boundary(self, earliest: int, rule: TransitionRule) -> tuple[int, int, int]:
        """(sample, leave position, passes) of the first legal boundary at or after ``earliest``."""
        pos, passes = self.at(earliest)
        b = self.clock.next_boundary(pos, passes, rule)
        return earliest + b.delay, b.pos, b.passes

    def move(self, sw: Switch) -> None:
        self.anchor, self.pos, self.passes = sw.sample, sw.enter_pos, sw.enter_passes


def dwell_samples(cue: Cue, sample_rate: int) -> int:
    """The dwell at the cue's opening tempo (the reference view dates changes with it)."""
    beats = cue.adaptive.dwell_bars * cue.meter.beats_per_bar
    return int(round(cue.tempo.seconds_at(beats) * sample_rate))


def dwell_end(cue: Cue, clock: CueClock, sw: Switch) -> int:
    """The first sample a switch after ``sw`` may leave: ``dwell_bars`` of music played since its
    boundary, counted in beats from where the entering variant starts (tempo map aware)."""
    beats = cue.adaptive.dwell_bars * cue.meter.beats_per_bar
    return sw.sample + clock.samples_for_beats(sw.enter_pos, beats)


class _Builder:
    """Shared bookkeeping of both modes: the log, switches, the playhead."""

    def __init__(self, cue: Cue, clock: CueClock, mode: str, first: PolicyTick):
        self.cue, self.clock = cue, clock
        self.sr = clock.sr
        self.names = [v.name for v in cue.variants]
        self.head = _Playhead(clock)
        start = int(np.argmin(first.scores))
        self.sched = Schedule(mode, self.sr, start, float(first.intensity))
        self.log = self.sched.log
        self.entry(first, "start", "emotion_distance", f"start on {self.names[start]} (nearest)", to=start)

    def distances(self, tick: PolicyTick) -> dict[str, float]:
        return {n: round(float(d), 4) for n, d in zip(self.names, tick.scores)}

    def entry(self, tick: PolicyTick, kind: str, reason: str, detail: str, **extra: Any) -> dict[str, Any]:
        trace = {"time": round(tick.time + tick.trace_start, 4), "valence": round(tick.valence, 4),
                 "arousal": round(tick.arousal, 4), "smoothed_valence": round(tick.smooth_valence, 4),
                 "smoothed_arousal": round(tick.smooth_arousal, 4)}
        e: dict[str, Any] = {"time": round(tick.time, 4), "kind": kind, "reason": reason, "detail": detail,
                             "trace": trace}
        for key in ("to", "source", "frm"):
            if key in extra and isinstance(extra[key], (int, np.integer)):
                extra[key] = self.names[int(extra[key])]
        if "frm" in extra:
            extra["from"] = extra.pop("frm")
        e.update(extra)
        self.log.append(e)
        return e

    def plan_switch(self, earliest: int, source: int, target: int, decided_at: float,
                    change_at: float | None = None) -> Switch:
        rule = self.cue.rule_for(self.names[source], self.names[target])
        b, pos, passes = self.head.boundary(earliest, rule)
        enter_pos, enter_passes = self.clock.entry(rule, pos, passes)
        return Switch(b, self.clock.fade_samples(rule, pos), source, target, rule, pos, enter_pos,
                      enter_passes, decided_at, change_at)

    def switch_entry(self, tick: PolicyTick, sw: Switch, kind: str, reason: str, detail: str) -> None:
        r = sw.rule
        rule = {"leave": r.leave, "enter": r.enter, "fade_beats": r.fade_beats, "curve": r.curve}
        if r.leave == "bars":
            rule["bars"] = r.bars
        if r.stinger:
            rule["stinger"] = r.stinger
        extra: dict[str, Any] = dict(
            frm=sw.source, to=sw.target, boundary=round(sw.sample / self.sr, 6), sample=sw.sample,
            fade_end=round(sw.arrival / self.sr, 6), leave_beat=round(self.clock.beat_of(sw.leave_pos), 4),
            enter_beat=round(self.clock.beat_of(sw.enter_pos), 4),
            wait_s=round(sw.sample / self.sr - tick.time, 4), distances=self.distances(tick), rule=rule)
        if sw.change_at is not None:
            extra["change_at"] = round(sw.change_at, 4)
            extra["lead_s"] = round(sw.change_at - sw.arrival / self.sr, 4)
            extra["started_early_s"] = round(sw.change_at - sw.sample / self.sr, 4)
        e = self.entry(tick, kind, reason, detail, **extra)
        if sw.change_at is not None:
            # Planned: the log reads in playback order, so the entry sits where the switch is heard;
            # the tick whose trace value settled the change (hysteresis, dwell) is kept beside it.
            e["decided_at"] = e["time"]
            e["time"] = round(sw.sample / self.sr, 4)
            e.pop("wait_s", None)


class _Intensity:
    """Intensity targets sent to the mixer (when they moved by INTENSITY_EPS) and logged (by a step)."""

    def __init__(self, bld: _Builder, first: float):
        self.bld, self.last, self.logged = bld, first, first

    def step(self, tick: PolicyTick) -> float | None:
        """The target to send for this tick, or None."""
        x, send = tick.intensity, None
        if abs(x - self.last) >= INTENSITY_EPS:
            send = x
            self.bld.sched.intensity.append((int(round(tick.time * self.bld.sr)), x))
            self.last = x
        if abs(x - self.logged) >= INTENSITY_LOG_STEP:
            self.bld.entry(tick, "intensity", "arousal", f"intensity target {self.logged:.2f} -> {x:.2f}",
                           intensity=round(x, 4))
            self.logged = x
        return send


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

    def __init__(self, cue: Cue, clock: CueClock, first: PolicyTick, start_variant: int | None = None):
        self.bld = _Builder(cue, clock, "live", first)
        if start_variant is not None:
            self.bld.sched.start_variant = start_variant
        self.cue, self.clock, self.sr = cue, clock, clock.sr
        self.hyst = cue.adaptive.hysteresis
        self.playing = self.bld.sched.start_variant
        self.held_until, self.fade_end = -(1 << 40), 0  # dwell end of the last switch, its fade end
        self.pending: Switch | None = None
        self._hold: tuple | None = None
        self._intensity = _Intensity(self.bld, float(first.intensity))

    @property
    def schedule(self) -> Schedule:
        return self.bld.sched

    def resume(self, sample: int, variant: int, pos: int, passes: int) -> None:
        """Carry on from ``sample`` where ``variant`` plays at cue position ``pos`` (after a seek, or
        when a planned run hands over to live control); nothing is pending, no dwell holds."""
        self.playing, self.pending, self._hold = variant, None, None
        self.held_until, self.fade_end = -(1 << 40), 0
        self.bld.head.anchor, self.bld.head.pos, self.bld.head.passes = sample, pos, passes

    def set_clock(self, clock: CueClock) -> None:
        """A new loop region: boundaries from now on follow it."""
        self.clock = self.bld.clock = self.bld.head.clock = clock

    def step(self, tick: PolicyTick) -> Decision:
        """Decide at ``tick`` (its ``time`` is the audio time of the tick)."""
        s = int(round(tick.time * self.sr))
        if self.pending is not None and self.pending.sample <= s:
            p = self.pending
            self.playing, self.held_until, self.fade_end = p.target, dwell_end(self.cue, self.clock, p), p.arrival
            self.bld.head.move(p)
            self.pending = None
        out = self._switch(tick, s)
        out.intensity = self._intensity.step(tick)
        return out

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
        earliest = max(s, self.held_until, self.fade_end)
        sw = bld.plan_switch(earliest, playing, best, tick.time)
        bld.switch_entry(tick, sw, "retarget" if pending is not None else "switch",
                         *self._why(sw, s, earliest, cur, best, margin))
        self.pending = sw
        self.schedule.switches = [x for x in self.schedule.switches if x is not pending] + [sw]
        return Decision(switch=sw, cancel=pending)

    def _why(self, sw: Switch, s: int, earliest: int, cur: int, best: int, margin: float) -> tuple[str, str]:
        names, sr = self.bld.names, self.sr
        why = [f"{names[best]} nearer than {names[cur]} by {margin:.2f} (>= hysteresis {self.hyst:g})"]
        reason = "emotion_distance"
        if earliest > s and self.held_until >= earliest and self.held_until > s:
            why.append(f"dwell holds {names[self.playing]} until {self.held_until / sr:.3f} s")
            reason = "dwell"
        if sw.sample > earliest:
            why.append(f"quantisation waits {(sw.sample - earliest) / sr:.3f} s for the next {_leave_text(sw.rule)}")
            if reason == "emotion_distance":
                reason = "quantisation_wait"
        return reason, "; ".join(why)


def schedule_live(cue: Cue, clock: CueClock, track: ControlTrack) -> Schedule:
    """Causal scheduling over a whole control track: ``LiveScheduler`` stepped tick by tick."""
    live = LiveScheduler(cue, clock, track.tick(0))
    for k in range(1, track.times.size):
        live.step(track.tick(k))
    return live.schedule


def schedule_planned(cue: Cue, clock: CueClock, track: ControlTrack) -> Schedule:
    """Look-ahead scheduling on the whole (zero-phase smoothed) curve."""
    bld = _Builder(cue, clock, "planned", track.tick(0))
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
    playing = sched.start_variant
    held_until, fade_end = -(1 << 40), 0
    for i, (c, target, k) in enumerate(changes):
        if target == playing:
            continue
        lower = max(1, held_until, fade_end)
        goal = int(round(c * sr))
        best = None
        # Boundaries recur at least once per loop pass (the wrap), so the latest legal one lies
        # within a pass and the longest fade before the goal: start probing there.
        fade_max = int(max(r.fade_beats for r in [TransitionRule(), *cue.transitions]) * 60.0 / slowest * sr)
        probe = max(lower, goal - fade_max - 2 * clock.loop_len - 1)
        while True:
            sw = bld.plan_switch(probe, playing, target, float(track.times[0]), c)
            if sw.arrival > goal:
                break
            best = sw
            if sw.rule.leave == "immediate":
                sw = bld.plan_switch(max(probe, goal - sw.fade), playing, target, float(track.times[0]), c)
                best = sw if sw.arrival <= goal else best
                break
            probe = sw.sample + 1
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
            detail = (f"scene turns {names[target]} at {c:.3f} s; earliest legal {_leave_text(best.rule)} "
                      f"is {best.sample / sr:.3f} s ({'dwell' if lower > 1 else 'quantisation'}), "
                      f"arrives {-lead:.3f} s late")
        else:
            detail = (f"scene turns {names[target]} at {c:.3f} s; leaves {names[playing]} on the latest "
                      f"{_leave_text(best.rule)} ({best.sample / sr:.3f} s) whose {best.fade / sr:.3f} s "
                      f"fade completes in time: started {c - best.sample / sr:.3f} s early")
        bld.switch_entry(track.tick(k), best, "switch", "planned", detail)
        sched.switches.append(best)
        bld.head.move(best)
        playing, held_until, fade_end = target, dwell_end(cue, clock, best), best.arrival
    intensity = _Intensity(bld, float(track.intensity[0]))
    for k in range(1, track.times.size):
        intensity.step(track.tick(k))
    return sched


def _leave_text(rule: TransitionRule) -> str:
    if rule.leave == "bars":
        return f"{rule.bars}-bar boundary"
    if rule.leave == "marker":
        return f"marker {rule.leave_marker}" if rule.leave_marker else "marker"
    return {"immediate": "sample", "beat": "beat", "bar": "bar line", "loop_end": "loop end"}[rule.leave]


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
