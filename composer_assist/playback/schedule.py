"""A schedule: sample-stamped switches and intensity targets for the mixer, and the bookkeeping
both schedulers share (the analytic playhead, dwell, the decision log).

Both modes track the play position analytically (the same arithmetic the mixer uses), so a
boundary computed here is the sample the mixer switches on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from composer_assist.core.project import Cue, TransitionRule

from .clock import CueClock
from .mixer import Mixer
from .policy import PolicyTick

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
    moves_at: float | None = None  # planned: when the viewer's curve as read moves over (audio s)

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
        head, variant = Playhead(clock), self.start_variant
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


class Playhead:
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


class Builder:
    """Shared bookkeeping of both modes: the log, switches, the playhead."""

    def __init__(self, cue: Cue, clock: CueClock, mode: str, first: PolicyTick):
        self.cue, self.clock = cue, clock
        self.sr = clock.sr
        self.names = [v.name for v in cue.variants]
        self.head = Playhead(clock)
        # The variant nearest the trace's opening as read (a zero-phase view would mix in what
        # comes after it).
        start = int(np.argmin(first.raw_scores if first.raw_scores is not None else first.scores))
        self.sched = Schedule(mode, self.sr, start, float(first.intensity))
        self.log = self.sched.log
        # "the opening emotion": a trace's first reading, or (no trace) the live input's starting point
        self.entry(first, "start", "emotion_distance", f"start on {self.names[start]} (nearest the opening emotion)",
                   to=start)

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
        if sw.moves_at is not None:
            extra["moves_at"] = round(sw.moves_at, 4)
            extra["started_before_move_s"] = round(sw.moves_at - sw.sample / self.sr, 4)
        e = self.entry(tick, kind, reason, detail, **extra)
        if sw.change_at is not None:
            # Planned: the log reads in playback order, so the entry sits where the switch is heard;
            # the tick whose trace value settled the change (hysteresis, dwell) is kept beside it.
            e["decided_at"] = e["time"]
            e["time"] = round(sw.sample / self.sr, 4)
            e.pop("wait_s", None)


class IntensityTargets:
    """Intensity targets sent to the mixer (when they moved by INTENSITY_EPS) and logged (by a step)."""

    def __init__(self, bld: Builder, first: float):
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


def leave_text(rule: TransitionRule) -> str:
    if rule.leave == "bars":
        return f"{rule.bars}-bar boundary"
    if rule.leave == "marker":
        return f"marker {rule.leave_marker}" if rule.leave_marker else "marker"
    return {"immediate": "sample", "beat": "beat", "bar": "bar line", "loop_end": "loop end"}[rule.leave]
