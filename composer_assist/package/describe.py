"""The manifest's musical parts from a cue: timeline, loop, markers, transitions, adaptive settings."""

from __future__ import annotations

import dataclasses
import re

from composer_assist.core.project import Cue
from composer_assist.playback.clock import CueClock
from composer_assist.playback.policy import DEFAULT_MODE, PolicyConfig

from . import manifest as M


def slug(index: int, name: str) -> str:
    """A file name for the ``index``-th item called ``name``: ASCII, URL-safe, never colliding."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40]
    return f"{index:02d}-{text or 'x'}"


def cue_part(cue: Cue, clock: CueClock) -> tuple[M.Cue, M.Region, list[M.Marker]]:
    sr = clock.sr
    tempo = [M.TempoPoint(beat=p.beat, bpm=p.bpm, sample=cue.tempo.sample_at(p.beat, sr)) for p in cue.tempo.points]
    info = M.Cue(name=cue.name, key=cue.key, meter=M.Meter(numerator=cue.meter.numerator,
                                                           denominator=cue.meter.denominator),
                 tempo=tempo, length_bars=cue.length_bars, length_beats=cue.length_beats, length_samples=clock.length)
    lo, hi = cue.loop_beats
    loop = M.Region(start_beat=lo, end_beat=hi, start_sample=clock.loop_start, end_sample=clock.loop_end)
    markers = [M.Marker(name=m.name, beat=m.beat, sample=clock.sample_of(m.beat)) for m in cue.markers]
    return info, loop, markers


def transitions_part(cue: Cue, clock: CueClock) -> tuple[list[M.TransitionRule], list[M.Transition]]:
    """The rules as written, and for every ordered pair of variants the rule that applies, in samples."""
    rules = [M.TransitionRule(source=r.source, target=r.target, leave=r.leave, bars=max(1, r.bars),
                              leave_marker=r.leave_marker, enter=r.enter, enter_marker=r.enter_marker,
                              fade_beats=r.fade_beats, curve=r.curve, stinger=r.stinger) for r in cue.transitions]
    table = []
    names = [v.name for v in cue.variants]
    for a in names:
        for b in names:
            if a == b:
                continue
            rule = cue.rule_for(a, b)
            index = next((i for i, r in enumerate(cue.transitions) if r is rule), -1)
            enter = None if rule.enter == "same" else clock.entry(rule, 0, 0)[0]
            table.append(M.Transition(source=a, target=b, rule=index, leave_points=list(clock.grid(rule)),
                                      enter_sample=enter, fade_samples=clock.fade_samples(rule, 0),
                                      stinger=rule.stinger))
    return rules, table


CALIBRATION_CONSTANTS = ("TAU", "S_MIN", "WARMUP_S")  # playback.calibration's settings, when it exists


def calibration_part(config: PolicyConfig) -> dict | None:
    """The viewer-calibration settings: on or off, and the calibration's constants (None when the
    policy has no calibration)."""
    if not hasattr(config, "calibrate"):
        return None
    out: dict = {"enabled": bool(config.calibrate)}
    try:
        from composer_assist.playback import calibration
    except ImportError:
        return out
    out.update({k.lower(): float(getattr(calibration, k)) for k in CALIBRATION_CONSTANTS if hasattr(calibration, k)})
    return out


def adaptive_part(cue: Cue, config: PolicyConfig | None = None) -> M.Adaptive:
    """The cue's adaptive settings and the policy's (every number of ``PolicyConfig``).

    Calibration is on by default in a package, as ``adapt`` calibrates traces read from files:
    a package's player follows viewers' readings.
    """
    if config is None:
        config = PolicyConfig()
        if hasattr(config, "calibrate"):
            config = dataclasses.replace(config, calibrate=True)
    a = cue.adaptive
    policy = {f.name: float(getattr(config, f.name)) for f in dataclasses.fields(config)
              if isinstance(getattr(config, f.name), (int, float)) and not isinstance(getattr(config, f.name), bool)}
    return M.Adaptive(dwell_bars=a.dwell_bars, hysteresis=a.hysteresis, intensity_slew=a.intensity_slew,
                      control_rate=a.control_rate, congruence_radius=a.congruence_radius,
                      max_switches_per_minute=a.max_switches_per_minute, mode=DEFAULT_MODE,
                      policy=policy, calibration=calibration_part(config))
