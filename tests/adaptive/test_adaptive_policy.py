"""Policy and scheduling: dwell against noise, no look-ahead in live mode, planned arrives early, profiles."""

from __future__ import annotations

import json

import numpy as np

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.playback.policy import control_track
from composer_assist.playback.planned import schedule_planned
from composer_assist.playback.schedule import dwell_samples
from composer_assist.playback.scheduler import schedule_live
from composer_assist.playback.stems import StemSet
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, Project, TransitionRule
from composer_assist.core.profile import ClusterProfile, ContextPreference
from composer_assist.core.trace import Trace

SR = 48000


def _setup(dwell_bars=2.0, hysteresis=0.15, rule=None, layers=2):
    cue = synthetic_cue(n_variants=4, n_layers=layers, bars=8, rule=rule,
                        adaptive=AdaptiveSettings(dwell_bars=dwell_bars, hysteresis=hysteresis,
                                                  max_switches_per_minute=0))  # the dwell, not the budget
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="sine"))
    return Project("p", cues=[cue]), cue, stems


def test_noisy_trace_near_a_boundary_never_switches_faster_than_dwell():
    project, cue, stems = _setup(dwell_bars=2.0, hysteresis=0.02, rule=TransitionRule(leave="beat", fade_beats=0.5))
    rng = np.random.default_rng(7)
    t = np.arange(0, 120, 0.25)
    # Between bright (0.7, 0.7) and tense (-0.7, 0.7): valence flips sign often.  Each value is
    # held 3 s (between the confirmation wait and the dwell): noise that flips every sample is a
    # blip the engine now ignores (test_no_thrash.py).
    trace = Trace(t, np.repeat(np.clip(rng.normal(0, 0.5, t.size // 12), -1, 1), 12), np.full(t.size, 0.7),
                  name="noise")
    dwell = dwell_samples(cue, SR)
    assert dwell == 4 * SR  # 2 bars of 4/4 at 120 bpm
    for mode in ("live", "planned"):
        sched = (schedule_live if mode == "live" else schedule_planned)(cue, stems.clock, control_track(trace, cue, mode))
        starts = [s.sample for s in sched.switches]
        # the noise does make it switch (planned opens on the better of the two variants within the
        # hysteresis of the opening, and then needs one switch fewer)...
        assert len(starts) >= 2, mode
        assert min(np.diff(starts)) >= dwell, mode  # ...but never within the dwell
        assert all(b.sample >= a.arrival for a, b in zip(sched.switches, sched.switches[1:]))


def test_hysteresis_holds_and_is_logged():
    project, cue, stems = _setup(dwell_bars=0.0, hysteresis=0.5)
    t = np.arange(0, 30, 0.5)
    v = np.where(t < 10, 0.7, -0.1)  # tense becomes nearer than bright, but only by 0.2 < 0.5
    trace = Trace(t, v, np.full(t.size, 0.7))
    sched = schedule_live(cue, stems.clock, control_track(trace, cue, "live"))
    assert sched.switches == []
    holds = [e for e in sched.log if e["kind"] == "hold"]
    assert holds and holds[0]["reason"] == "hysteresis" and holds[0]["to"] == "tense"


def _two_traces(split: float):
    t = np.arange(0, 40, 0.1)
    base_v = 0.6 - 0.3 * np.sin(t / 3)
    base_a = -0.5 + 0.4 * np.sin(t / 5)
    v2, a2 = base_v.copy(), base_a.copy()
    later = t > split
    v2[later], a2[later] = -0.8, 0.9  # the second scene turns tense right after the split
    hr = 70 + 10 * np.sin(t / 4)
    hr2 = hr.copy()
    hr2[later] = 120
    return (Trace(t, base_v, base_a, {"heart_rate": hr}, name="a"),
            Trace(t, v2, a2, {"heart_rate": hr2}, name="b"))


def test_live_mode_never_looks_ahead():
    project, cue, stems = _setup(dwell_bars=1.0, rule=TransitionRule(leave="beat", fade_beats=1.0))
    split = 20.0
    ta, tb = _two_traces(split)
    ra = run_adaptive(project, cue.name, ta, mode="live", render=stems)
    rb = run_adaptive(project, cue.name, tb, mode="live", render=stems)
    n = int(split * SR)
    np.testing.assert_array_equal(ra.audio[:n], rb.audio[:n])
    early = lambda r: [json.dumps(e, sort_keys=True) for e in r.log_entries if e["time"] <= split]
    assert early(ra) == early(rb)
    # ...and the futures do differ, so the comparison means something.
    assert not np.array_equal(ra.audio[n:], rb.audio[n:])
    # Planned mode, by design, does react before the split.
    pa = run_adaptive(project, cue.name, ta, mode="planned", render=stems)
    pb = run_adaptive(project, cue.name, tb, mode="planned", render=stems)
    assert not np.array_equal(pa.audio[:n], pb.audio[:n])


def test_planned_arrives_earlier_than_live_on_a_step():
    project, cue, stems = _setup(dwell_bars=1.0, rule=TransitionRule(leave="bar", fade_beats=2.0))
    t = np.arange(0, 60, 0.5)
    step = 30.0
    trace = Trace(t, np.where(t < step, 0.6, -0.7), np.where(t < step, -0.6, 0.7), name="step")
    arrivals = {}
    for mode in ("live", "planned"):
        r = run_adaptive(project, cue.name, trace, mode=mode, render=stems)
        into = [s for s in r.schedule.switches if cue.variants[s.target].name == "tense"]
        assert into, mode
        arrivals[mode] = into[0].arrival / SR
        assert r.quality.lag_mean is not None
    assert arrivals["planned"] <= step < arrivals["live"]
    planned = run_adaptive(project, cue.name, trace, mode="planned", render=stems)
    assert planned.quality.lag_max <= 0.0
    sw = next(e for e in planned.log_entries if e["kind"] == "switch")
    assert sw["reason"] == "planned" and sw["started_early_s"] > 0
    # The latest legal bar: one bar later and the 1 s fade would not complete by the step.
    assert sw["boundary"] + 2.0 + 1.0 > sw["change_at"] >= sw["fade_end"]


def test_profile_changes_the_chosen_variant():
    project, cue, stems = _setup()
    t = np.arange(0, 20, 0.5)
    trace = Trace(t, np.full(t.size, 0.6), np.full(t.size, 0.6), name="happy_action")
    plain = run_adaptive(project, cue.name, trace, mode="planned", render=stems).variant_shares()
    assert plain["bright"] > 0.9
    # A listener who wants tense scenes darker and likes dark, percussive music.
    prof = ClusterProfile(cluster=1, label="dark", contexts={
        "high_arousal_positive": ContextPreference(valence_shift=-0.8, arousal_shift=0.1,
                                                   tag_weights={"dark": 0.3, "percussive": 0.2})})
    shares = run_adaptive(project, cue.name, trace, mode="planned", render=stems, profile=prof).variant_shares()
    assert shares["tense"] > 0.9
