"""No thrash: a blip shorter than the dwell makes no switch and return; switches are re-checked
at their boundary; the opening variant is the one nearest the trace's opening; returns counted."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.adaptive.engine import format_quality, run_adaptive
from composer_assist.adaptive.returns import return_events
from composer_assist.adaptive.synthetic import synthetic_stems
from composer_assist.core.project import load_project

from point_variants import as_points
from composer_assist.core.trace import Trace
from composer_assist.playback.planned import schedule_planned
from composer_assist.playback.policy import control_track
from composer_assist.playback.schedule import Switch
from composer_assist.playback.scheduler import schedule_live
from composer_assist.playback.stems import StemSet

SR = 8000
CALM, SAD = (0.5, -0.5), (-0.6, -0.5)  # the demo cue's calm and sad targets


@pytest.fixture(scope="module")
def demo(root):
    """The demo cue (96 bpm, 2-bar dwell = 5 s) over synthetic stems: no render needed."""
    project = load_project(root / "projects" / "demo")
    cue = as_points(project.cue("night_chase"))  # a blip to sad is a switch to sad
    cue.adaptive.max_switches_per_minute = 0  # the dwell and the confirmation, not the switch budget
    return project, cue, StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))


def _blip(start: float, length: float = 1.5, total: float = 40.0) -> Trace:
    t = np.arange(0, total, 0.1)
    dip = (t >= start - 1e-9) & (t < start + length - 1e-9)
    return Trace(t, np.where(dip, SAD[0], CALM[0]), np.where(dip, SAD[1], CALM[1]), name="blip")


def _names(cue, sched) -> list[tuple[str, str]]:
    names = [v.name for v in cue.variants]
    return [(names[s.source], names[s.target]) for s in sched.switches]


@pytest.mark.parametrize("mode", ["live", "planned"])
def test_a_blip_shorter_than_the_dwell_makes_no_switch_and_return(demo, mode):
    _, cue, stems = demo
    fn = schedule_live if mode == "live" else schedule_planned
    # Every placement of the 1.5 s dip against the 2.5 s bar grid (before: calm -> sad -> calm,
    # sad held 5 s after the viewer left it, for most of them).
    for start in np.arange(12.0, 17.5, 0.25):
        sched = fn(cue, stems.clock, control_track(_blip(float(start)), cue, mode))
        assert _names(cue, sched) == [], (mode, start)
    # A visit longer than the dwell is still followed, there and back.
    sched = fn(cue, stems.clock, control_track(_blip(12.0, length=9.0), cue, mode))
    assert _names(cue, sched) == [("calm", "sad"), ("sad", "calm")], mode


def test_live_switch_is_rechecked_and_cancelled_at_its_boundary(demo):
    from composer_assist.playback.scheduler import LiveScheduler

    _, cue, stems = demo
    track = control_track(_blip(13.0), cue, "live")
    # Without the confirmation wait, the switch to sad goes on the bar at 15 s: the dip is over by
    # then (14.5 s) but the smoothing still leans to sad; the re-check cancels it.
    live = LiveScheduler(cue, stems.clock, track.tick(0), confirm_s=0.0)
    for k in range(1, track.times.size):
        live.step(track.tick(k))
    sched = live.schedule
    assert sched.switches == []
    cancels = [e for e in sched.log if e["kind"] == "cancel"]
    assert len(cancels) == 1 and "re-checked" in cancels[0]["detail"] and cancels[0]["to"] == "sad"
    # It was cancelled at the last tick before its boundary, after the viewer had left sad.
    assert 14.5 < cancels[0]["time"] < 15.0


def test_live_confirms_a_move_once_when_it_passes_through_another_variant(demo):
    _, cue, stems = demo
    # calm until 12 s, ambient (the centre) for 1.5 s on the way, then sad for good.
    t = np.arange(0, 40, 0.1)
    v = np.select([t < 12.0 - 1e-9, t < 13.5 - 1e-9], [CALM[0], 0.0], SAD[0])
    a = np.select([t < 12.0 - 1e-9, t < 13.5 - 1e-9], [CALM[1], 0.0], SAD[1])
    sched = schedule_live(cue, stems.clock, control_track(Trace(t, v, a, name="through"), cue, "live"))
    assert _names(cue, sched) == [("calm", "sad")]
    # The viewer left calm at 12 s: confirmed at 14.5 s, on the bar line at 15 s (confirming sad
    # afresh from 13.5 s waited for 16 s, and the bar line at 17.5 s).
    assert sched.switches[0].sample == 15 * SR
    why = [e for e in sched.log if e["kind"] in ("switch", "retarget") and e["to"] == "sad"][-1]
    assert why["reason"] == "confirm" and "left calm at 12.000 s" in why["detail"], why


@pytest.mark.parametrize("mode", ["live", "planned"])
def test_the_opening_variant_is_the_nearest_to_the_trace_opening(demo, mode):
    _, cue, stems = demo
    t = np.arange(0, 20, 0.1)
    early = t < 0.3  # near neutral (nearest: the demo's ambient centre), then tense 0.3 s in
    trace = Trace(t, np.where(early, 0.05, -0.6), np.where(early, 0.0, 0.7), name="opening")
    names = [v.name for v in cue.variants]
    opening = names[int(np.argmin([np.hypot(v.valence - 0.05, v.arousal) for v in cue.variants]))]
    assert opening != "tense"
    fn = schedule_live if mode == "live" else schedule_planned
    sched = fn(cue, stems.clock, control_track(trace, cue, mode))
    assert names[sched.start_variant] == opening  # before: planned opened on tense (smoothed view)
    assert sched.log[0]["kind"] == "start" and sched.log[0]["to"] == opening
    assert _names(cue, sched) == [(opening, "tense")]


def test_returns_are_counted_with_times_and_reported(demo):
    project, cue, stems = demo
    r = run_adaptive(project, cue.name, _blip(12.0, length=9.0), render=stems, mode="live")
    q = r.quality
    assert q.returns == 1 and q.short_returns == 0
    (e,) = q.return_events
    assert (e["from"], e["to"], e["short"]) == ("calm", "sad", False)
    assert e["time"] < e["back"] <= e["time"] + 15 and e["visit_s"] >= 8.5
    assert "returns A->B->A      1 within 15 s, 0 after a visit shorter than the dwell" in format_quality(r)
    assert q.to_json()["return_events"] == [e]


def test_a_return_after_a_short_visit_is_marked_short(demo):
    _, cue, stems = demo
    reference = control_track(_blip(13.0), cue, "planned")
    # The switches the engine used to make for this blip: calm -> sad at 15 s, back at 20 s.
    sw = [Switch(15 * SR, SR, 0, 3, cue.transitions[0], 0, 0, 0, 14.0),
          Switch(20 * SR, SR, 3, 0, cue.transitions[0], 0, 0, 0, 15.0)]
    names = [v.name for v in cue.variants]
    (e,) = return_events(sw, names, reference, 5.0, SR)
    assert e == {"time": 15.0, "back": 20.0, "from": "calm", "to": "sad", "visit_s": pytest.approx(1.5, abs=0.3),
                 "short": True}
    # Not a return: A -> B -> C, or back after more than 15 s.
    assert return_events([sw[0], Switch(20 * SR, SR, 3, 1, cue.transitions[0], 0, 0, 0, 15.0)],
                         names, reference, 5.0, SR) == []
    late = Switch(31 * SR, SR, 3, 0, cue.transitions[0], 0, 0, 0, 15.0)
    assert return_events([sw[0], late], names, reference, 5.0, SR) == []


def test_a_late_planned_switch_is_rechecked_at_its_boundary():
    from composer_assist.adaptive.synthetic import synthetic_cue
    from composer_assist.core.project import TransitionRule

    cue = synthetic_cue(n_layers=1, bars=8, rule=TransitionRule(leave="bars", bars=4, fade_beats=1.0))
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    t = np.arange(0, 20, 0.1)
    # calm, sad from 1 s, and from 6 s just on calm's side of the midpoint (nearer calm by 0.1,
    # less than the hysteresis: no change is registered).  The switch to sad can only leave on
    # the 4-bar boundary at 8 s: by then the scene is nearer calm again.
    v = np.select([t < 1, t < 6], [0.6, -0.6], 0.05)
    sched = schedule_planned(cue, stems.clock, control_track(Trace(t, v, np.full(t.size, -0.6)), cue, "planned"))
    assert sched.switches == []
    (cancel,) = [e for e in sched.log if e["kind"] == "cancel"]
    assert "re-checked at its boundary 8.000 s" in cancel["detail"] and cancel["to"] == "sad"
