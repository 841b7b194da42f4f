"""Scheduler regressions: dwell counted in beats over a tempo map."""

from __future__ import annotations

import numpy as np

from composer_assist.playback.policy import control_track
from composer_assist.playback.planned import schedule_planned
from composer_assist.playback.scheduler import schedule_live
from composer_assist.playback.stems import StemSet
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, TransitionRule
from composer_assist.core.timing import TempoMap, TempoPoint
from composer_assist.core.trace import Trace

SR = 48000


def test_dwell_is_counted_in_beats_across_a_tempo_change():
    cue = synthetic_cue(n_layers=1, bars=8,
                        adaptive=AdaptiveSettings(dwell_bars=2, hysteresis=0.05, max_switches_per_minute=0),
                        rule=TransitionRule(leave="beat", fade_beats=0.5))
    cue.tempo = TempoMap([TempoPoint(0, 120), TempoPoint(8, 60)])  # 2 bars at 120 bpm, 6 at 60
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    clock = stems.clock
    assert clock.loop_start == 0 and clock.loop_end == clock.length
    total_beats = clock.beat_of(clock.length)
    t = np.arange(0, 120, 0.1)
    # The scene flips every 5 s: longer than the dwell at 120 bpm (4 s), shorter than at 60 (8 s).
    flip = np.where((t // 5.0) % 2 == 0, 1.0, -1.0)
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


def test_changes_are_dated_at_half_the_hysteresis_on_a_slow_drift():
    from composer_assist.playback.planned import wanted_changes

    cue = synthetic_cue(n_layers=1, bars=8, adaptive=AdaptiveSettings(dwell_bars=0, hysteresis=0.3))
    t = np.arange(0, 60.05, 0.1)
    valence = np.clip(0.7 - 1.4 * t / 60.0, -0.7, 0.7)  # bright -> tense drifting over a minute
    track = control_track(Trace(t, valence, np.full(t.size, 0.7), name="drift"), cue, "planned")
    (c, v, k), = wanted_changes(track, 0.3, 0.0)
    names = [x.name for x in cue.variants]
    cur, new = names.index("bright"), names.index("tense")
    assert v == new
    margin = track.scores[:, cur] - track.scores[:, new]
    first_half = float(track.times[np.argmax(margin >= 0.15)])
    assert c == first_half
    assert float(track.times[np.argmax(margin > 0)]) < c - 2 < c + 2 < float(track.times[k])


def test_each_switch_answers_one_change():
    from types import SimpleNamespace

    from composer_assist.adaptive.quality import compute_quality
    from composer_assist.playback.schedule import Schedule, Switch

    sr = 1000
    cue = synthetic_cue(n_layers=1)
    late_b = Switch(13000, 1000, 0, 1, TransitionRule(), 0, 0, 0, 12.0)
    sched = Schedule("live", sr, 0, 0.5, [late_b])
    track = SimpleNamespace(times=np.arange(0, 30, 0.1), valence=np.zeros(300), arousal=np.zeros(300))
    # B at 10 s, C at 12 s (never played), B again at 20 s: the late B switch answers the first.
    q = compute_quality(cue, sched, [(10.0, 1), (12.0, 2), (20.0, 1)], track,
                        np.zeros((30 * sr, 2), np.float32), sr, None)
    assert q.lags == [4.0] and q.missed == 2


def test_output_is_exactly_the_trace_duration_and_congruence_uses_the_interpolated_trace():
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.core.project import Project

    cue = synthetic_cue(n_layers=1, bars=4)
    stems = StemSet.from_arrays(cue, 8000, synthetic_stems(cue, 8000))
    project = Project("p", cues=[cue])
    for t_end, frames in ((10.05, 80400), (0.05, 400)):
        trace = Trace([100.0, 100.0 + t_end], [0.5, -0.5], [0.5, 0.5], name="s")
        r = run_adaptive(project, cue.name, trace, render=stems)
        assert r.audio.shape == (frames, 2), t_end
    t = np.arange(0, 20.5, 2.0)  # a coarse trace: sample-and-hold and interpolation differ
    trace = Trace(t, np.sin(t / 3.0), np.cos(t / 3.0), name="coarse")
    live = run_adaptive(project, cue.name, trace, mode="live", render=stems)
    np.testing.assert_array_equal(live.reference.valence, np.interp(live.reference.times, t, trace.valence))
    tv = np.array([v.valence for v in cue.variants])
    ta = np.array([v.arousal for v in cue.variants])
    from composer_assist.adaptive.quality import playing_at

    ticks = live.reference.times
    p = playing_at(live.schedule, np.round(ticks * 8000).astype(np.int64))
    d = np.hypot(tv[p] - np.interp(ticks, t, trace.valence), ta[p] - np.interp(ticks, t, trace.arousal))
    assert live.quality.congruence == float(np.mean(d <= cue.adaptive.congruence_radius))


def test_a_turn_the_music_let_pass_is_not_answered_by_a_later_switch():
    """Sad at 10 s, back to the tense that plays at 17 s, sad again at 60 s: the switch to sad at
    58 s answers the turn at 60 s (early), not the one at 10 s (a 49 s "lag", as the demo's
    studyforrest excerpt printed: mean +29.6 s)."""
    from types import SimpleNamespace

    from composer_assist.adaptive.quality import compute_quality
    from composer_assist.playback.schedule import Schedule, Switch

    sr = 1000
    cue = synthetic_cue(n_layers=1)  # calm, bright, tense, sad
    to_sad = Switch(58000, 1000, 2, 3, TransitionRule(), 0, 0, 0, 57.0, change_at=60.0)
    sched = Schedule("planned", sr, 2, 0.5, [to_sad])
    track = SimpleNamespace(times=np.arange(0, 70, 0.1), valence=np.zeros(700), arousal=np.zeros(700))
    q = compute_quality(cue, sched, [(10.0, 3), (17.0, 2), (60.0, 3)], track,
                        np.zeros((70 * sr, 2), np.float32), sr, None)
    assert q.lags == [-1.0] and q.missed == 2
