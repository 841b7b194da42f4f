"""Scheduler regressions: dwell counted in beats over a tempo map."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.policy import control_track
from composer_assist.adaptive.scheduler import schedule_live, schedule_planned
from composer_assist.adaptive.stems import StemSet
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.model import AdaptiveSettings, TransitionRule
from composer_assist.core.timing import TempoMap, TempoPoint
from composer_assist.core.trace import Trace

SR = 48000


def test_dwell_is_counted_in_beats_across_a_tempo_change():
    cue = synthetic_cue(n_layers=1, bars=8, adaptive=AdaptiveSettings(dwell_bars=2, hysteresis=0.05),
                        rule=TransitionRule(leave="beat", fade_beats=0.5))
    cue.tempo = TempoMap([TempoPoint(0, 120), TempoPoint(8, 60)])  # 2 bars at 120 bpm, 6 at 60
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    clock = stems.clock
    assert clock.loop_start == 0 and clock.loop_end == clock.length
    total_beats = clock.beat_of(clock.length)
    t = np.arange(0, 120, 0.1)
    flip = np.where((t // 1.5) % 2 == 0, 1.0, -1.0)  # the scene flips every 1.5 s: dwell decides
    trace = Trace(t, 0.65 * flip, -0.65 * flip, name="flip")
    for mode, fn in (("live", schedule_live), ("planned", schedule_planned)):
        sw = fn(cue, clock, control_track(trace, cue, mode)).switches
        assert len(sw) >= 6, mode
        played = []
        for a, b in zip(sw, sw[1:]):
            pos, passes = clock.advance(a.enter_pos, a.enter_passes, b.sample - a.sample)
            played.append(clock.beat_of(pos) - clock.beat_of(a.enter_pos)
                          + (passes - a.enter_passes) * total_beats)
        assert min(played) >= 8 - 1e-6, (mode, played)  # 2 bars of 4/4 always played
        # The 60 bpm part is reached (there, 4 s of dwell would be only one bar).
        assert any(clock.beat_of(s.leave_pos) >= 8 for s in sw), mode
