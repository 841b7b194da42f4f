"""Planned mode's variant choice is the optimal segmentation (playback/segmentation.py): the most
time within the congruence radius less a penalty per switch, every visit at least the dwell."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from composer_assist.adaptive.choice_figures import choice_figures, film_timing
from composer_assist.core.project.files import load_project
from composer_assist.core.trace.model import Trace
from composer_assist.playback.segmentation import SWITCH_PENALTY_S, best_sequence

from point_variants import as_points

ROOT = Path(__file__).resolve().parents[2]
FILM = ROOT.parent / "shared" / "realdata" / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"


@pytest.fixture(scope="module")
def demo_cue():
    return as_points(load_project(ROOT / "projects" / "demo").cue("night_chase"))


def _score(gain, visits, penalty):
    chosen = np.zeros(gain.shape[0], dtype=int)
    for k, v in visits:
        chosen[k:] = v
    return float(gain[np.arange(gain.shape[0]), chosen].sum()) - penalty * (len(visits) - 1)


def _brute_force(gain, start, min_len, penalty):
    """The best score over every visit sequence, enumerated: visits between two switches at least
    ``min_len`` ticks, the opening and the last one any length."""
    n, nv = gain.shape
    best = -np.inf

    def walk(s, v, visits):
        nonlocal best
        best = max(best, _score(gain, visits, penalty))  # stay on v to the end
        first = s if s == 0 else s + min_len
        for e in range(max(first, 1), n):
            for u in range(nv):
                if u != v:
                    walk(e, u, visits + [(e, u)])

    walk(0, start, [(0, start)])
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_segmentation_is_optimal_and_keeps_the_dwell(seed):
    rng = np.random.default_rng(seed)
    # Integer gains (ties everywhere) on odd seeds, real ones on even.
    gain = rng.integers(0, 2, (11, 3)).astype(float) if seed % 2 else rng.normal(size=(11, 3))
    visits = best_sequence(gain, 0, 3, 0.7)
    assert visits[0] == (0, 0)
    starts = [k for k, _ in visits]
    assert all(b - a >= 3 for a, b in zip(starts[1:-1], starts[2:]))  # every visit but the opening and last
    assert all(a[1] != b[1] for a, b in zip(visits, visits[1:]))
    assert _score(gain, visits, 0.7) == pytest.approx(_brute_force(gain, 0, 3, 0.7))


def _alternating(period_s: float, minutes: float) -> Trace:
    """A viewer swinging every ``period_s`` between a point near calm and one near ambient that is
    still within the radius of calm: the nearest variant alternates, calm covers it all."""
    t = np.arange(0.0, minutes * 60.0 + 1e-9, 0.5)
    near_ambient = (t // period_s) % 2 == 1
    v = np.where(near_ambient, 0.18, 0.45)
    a = np.where(near_ambient, -0.18, -0.40)
    return Trace(times=t, valence=v, arousal=a, name="alternation")


def _unbudgeted(cue):
    """The cue with no switch budget: these tests are about the choice, not the budget."""
    return replace(cue, adaptive=replace(cue.adaptive, max_switches_per_minute=0))


def test_rapid_alternation_near_two_variants_does_not_thrash(demo_cue):
    demo_cue = _unbudgeted(demo_cue)
    trace = _alternating(6.0, 2.0)
    greedy = choice_figures(demo_cue, trace, "greedy", calibrate=False)
    optimal = choice_figures(demo_cue, trace, "optimal", calibrate=False)
    assert greedy["per_minute"] > 2.0  # the greedy choice followed each swing
    assert optimal["per_minute"] <= 2.0
    assert optimal["ratio"] >= 0.9


@pytest.mark.skipif(not FILM.is_file(), reason="studyforrest data not present")
def test_the_segmentation_beats_the_greedy_choice_on_a_real_scene(demo_cue):
    from composer_assist.core.trace.formats import load_trace
    from composer_assist.services.trace_sets import film_scenes

    scenes = film_scenes(load_trace(FILM), FILM.parent / "music.tsv")
    scene = next(s for s in scenes if s.name.endswith(" 6331-6365 s"))
    # The curve calibrated by the scene alone, as measured when this was written (calibrated by the
    # whole film, greedy already reaches 42 %, the segmentation 56 %: docs/adaptive.md).
    scene.viewing = None
    demo_cue = _unbudgeted(demo_cue)
    greedy = choice_figures(demo_cue, scene, "greedy")
    optimal = choice_figures(demo_cue, scene, "optimal")
    # What the segmentation maximises: time within the radius less a penalty per switch. Measured:
    # greedy 83 % of the time with 3 switches, optimal 81 % with 2 (both placed on their boundaries
    # by the curve; when each crossfade had to arrive a beat before its change, greedy's fell to 25 %).
    def objective(f):
        return f["congruence"] * scene.duration - SWITCH_PENALTY_S * f["switches"]

    assert objective(optimal) > objective(greedy)
    assert optimal["switches"] < greedy["switches"]
    assert optimal["ratio"] >= 0.9


@pytest.mark.skipif(not FILM.is_file(), reason="studyforrest data not present")
def test_a_two_hour_film_schedules_in_well_under_a_few_seconds(demo_cue):
    from composer_assist.core.trace.formats import load_trace

    choice, seconds, ticks = film_timing(demo_cue, load_trace(FILM))
    print(f"whole film ({ticks} ticks at 10 Hz): segmentation {choice:.2f} s, planned schedule {seconds:.2f} s")
    # A guard against a quadratic slip, not the figure (benchmarks/planned_choice.py prints it): with
    # the budget kept as its window, two segmentations (the nearest opening and the candidates
    # within the hysteresis) took 1.0 s and the schedule 1.5 s; the bounds leave room for a loaded machine.
    assert ticks > 7000 * 10 and choice < 5.0 and seconds < 8.0
