"""Planned mode leads by at most what the transition needs: its crossfade starts no earlier than
the fade plus one bar before the viewer's curve as read moves and no later than the scene turns,
lands where the music is heard to change with the curve, and still leads live by a bar."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.adaptive.synthetic import synthetic_stems
from composer_assist.core.project import load_project
from composer_assist.core.trace import Trace
from composer_assist.playback.planned import schedule_planned
from composer_assist.playback.policy import control_track
from composer_assist.playback.scheduler import schedule_live
from composer_assist.playback.stems import StemSet

from point_variants import as_points

SR = 8000
BAR_S = 2.5  # the demo cue: 4/4 at 96 bpm


@pytest.fixture(scope="module")
def demo(root):
    cue = as_points(load_project(root / "projects" / "demo").cue("night_chase"))
    return cue, StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))


def _step(at: float, before=(-0.02, -0.5), after=(-0.9, -0.5)) -> Trace:
    t = np.arange(0, 40, 0.1)
    late = t >= at - 1e-9
    return Trace(t, np.where(late, after[0], before[0]), np.where(late, after[1], before[1]), name="step")


@pytest.mark.parametrize("at", [20.0, 20.3, 21.2, 22.4, 24.9])
def test_planned_starts_no_earlier_than_fade_plus_a_bar_before_the_curve_moves(demo, at):
    cue, stems = demo
    # From just on calm's side of the calm/sad bisector to deep sad: the zero-phase smoothing
    # crosses the bisector over a second before the step, and the crossfade used to start up to
    # 5 s before the viewer's curve moved (fade 1.25 s + one bar 2.5 s allowed).
    planned = schedule_planned(cue, stems.clock, control_track(_step(at), cue, "planned"))
    (sw,) = planned.switches
    assert cue.variants[sw.target].name == "sad"
    assert sw.sample >= round((at - BAR_S) * SR) - sw.fade, (sw.sample / SR, sw.fade / SR)
    assert sw.sample <= round(at * SR)  # the crossfade has started when the scene turns
    assert sw.moves_at == pytest.approx(at)
    (entry,) = [e for e in planned.log if e["kind"] == "switch"]
    assert entry["moves_at"] == pytest.approx(at)
    assert entry["started_before_move_s"] <= sw.fade / SR + BAR_S + 1e-6
    # ... and still leads live by at least one bar.
    (live,) = schedule_live(cue, stems.clock, control_track(_step(at), cue, "live")).switches
    assert live.target == sw.target
    assert live.arrival - sw.arrival >= round(BAR_S * SR), (live.arrival / SR, sw.arrival / SR)


BEAT_S = 0.625


def test_planned_is_heard_to_change_at_a_step_on_a_beat_rule(demo):
    cue, stems = demo
    # Into tense the demo leaves on the next beat with a 1-beat fade (20.0 s is a beat line). Once
    # the crossfade had to complete a beat before the step (heard to change 1.3 beats early).
    trace = _step(20.0, before=(0.0, 0.0), after=(-0.6, 0.7))
    planned = schedule_planned(cue, stems.clock, control_track(trace, cue, "planned"))
    (sw,) = planned.switches
    assert cue.variants[sw.target].name == "tense"
    assert abs((sw.sample + sw.fade / 2) / SR - 20.0) <= BEAT_S / 2 + 0.1, (sw.sample / SR, sw.fade / SR)
    assert round((20.0 - BAR_S) * SR) - sw.fade <= sw.sample <= round(20.0 * SR)  # within fade + 1 bar


def test_planned_leads_live_by_a_bar_on_the_real_scene_that_led_least(root, realdata):
    from composer_assist.adaptive.evaluation import _planned_leads
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.core.trace.formats import load_trace
    from composer_assist.playback.policy import PolicyConfig
    from composer_assist.services.trace_sets import film_scenes

    film = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    (scene,) = [s for s in film_scenes(load_trace(film), film.parent / "music.tsv") if "1398-1449" in s.name]
    project = load_project(root / "projects" / "demo")
    cue = as_points(project.cue("night_chase"))
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    runs = [run_adaptive(project, "night_chase", scene, mode=m, render=stems, config=PolicyConfig(calibrate=True))
            for m in ("live", "planned")]
    leads = _planned_leads(*runs)
    # ambient -> tense at 40.2 s: live (running calibration) saw tense from 38.5 s and arrived at
    # 41.9 s; planned arrived at 40.0 s, 0.75 bar ahead.
    assert leads and float(np.median(leads)) >= BAR_S - 1e-9, leads


@pytest.mark.parametrize("name", ["4687-4710", "4711-4803"])
def test_planned_reaches_nine_tenths_of_the_oracle_on_the_scenes_it_missed(root, realdata, name):
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.core.trace.formats import load_trace
    from composer_assist.playback.policy import PolicyConfig
    from composer_assist.services.trace_sets import film_scenes

    # 4687-4710 s turns three times in 23 s: each crossfade arriving a beat before its change heard
    # the music change about a second early (89.8 % of the oracle).  4711-4803 s: the choice enters
    # tense where it is within the radius but sad is the nearest, and the move was dated where tense
    # became the nearest, 12 s later (88 %).  Placed by the curve, with the move dated where tense
    # is nearer than the variant playing: 97 % and 99 %.
    film = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    (scene,) = [s for s in film_scenes(load_trace(film), film.parent / "music.tsv") if f" {name} s" in s.name]
    project = load_project(root / "projects" / "demo")
    cue = project.cue("night_chase")
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    q = run_adaptive(project, cue.name, scene, mode="planned", render=stems, config=PolicyConfig(calibrate=True)).quality
    assert q.congruence >= 0.95 * q.oracle_congruence, (q.congruence, q.oracle_congruence)
