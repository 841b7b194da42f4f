"""The evaluation figures on synthetic stems: returns, planned lead, loudness less offsets, peak, targets."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.evaluation import (TARGETS, count_returns, evaluate_pair, format_table,
                                                 return_switches, summarise)
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, Project
from composer_assist.core.trace import Trace
from composer_assist.playback.stems import StemSet

SR = 48000


def _pair(trace: Trace, amplitude: float = 0.1, budget: int = 2):
    cue = synthetic_cue(n_variants=4, n_layers=2, bars=4,
                        adaptive=AdaptiveSettings(max_switches_per_minute=budget))
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, amplitude=amplitude))
    project = Project("p", cues=[cue])
    return [run_adaptive(project, cue.name, trace, mode=m, render=stems) for m in ("live", "planned")]


def _step_trace() -> Trace:
    t = np.arange(0, 40.05, 0.1)
    return Trace(t, np.where(t < 20, 0.6, -0.6), np.where(t < 20, -0.6, 0.7), name="step")


def test_a_step_gives_a_planned_lead_and_clean_rows():
    live, planned = _pair(_step_trace())
    rows = evaluate_pair(live, planned, radius=0.5)
    assert [r.mode for r in rows] == ["live", "planned"] and rows[0].lead_bars is None
    # Planned knows the step ahead: it arrives at least a bar before live does.
    assert rows[1].lead_bars is not None and rows[1].lead_bars >= 1.0
    assert rows[1].ahead_over is not None and rows[1].ahead_over <= 0
    for r in rows:
        assert r.returns == 0 and r.click_excess <= TARGETS.click and 0 < r.peak < 1.0
        assert r.oracle == 1.0 and r.congruence > 0.9
    text = format_table(rows, 0.5)
    assert "radius 0.5" in text and "step" in text
    assert "ok    planned ahead of live >= 1 bar" in text and "ok    live: A->B->A returns after a change" in text


def test_returns_counted_and_failed_targets_named():
    # Visits longer than the dwell: calm -> sad -> calm within 15 s, twice; returns, not short ones.
    t = np.arange(0, 60.05, 0.1)
    blip = ((t > 14) & (t < 24)) | ((t > 38) & (t < 48))
    trace = Trace(t, np.where(blip, -0.6, 0.6), np.full(t.shape, -0.6), name="blips")
    live, planned = _pair(trace, budget=0)  # four switches in a minute: no budget
    assert len(return_switches(live.schedule, SR)) == count_returns(live) >= 1
    rows = evaluate_pair(live, planned, radius=0.5)
    assert rows[0].all_returns >= 1 and rows[0].returns == count_returns(live, short=True) == 0
    assert "returns" not in rows[0].failures and "peak" not in rows[0].failures
    rows[0].returns = 1  # as if one had come from a blip shorter than the dwell
    rows[1].peak = 1.2  # (the engine's true-peak guard keeps real mixes under full scale)
    rows[1].failures = []
    summary = {target: ok for target, _, ok in summarise(rows)}
    assert summary["live: A->B->A returns after a change shorter than the dwell = 0"] is False
    assert summary["no sample over 0 dBFS"] is False


def test_the_peak_is_judged_as_the_package_plays_it_too():
    live, planned = _pair(_step_trace())
    quiet = evaluate_pair(live, planned, radius=0.5, delivery_gain_db=0.0)
    assert all(r.delivered_peak == r.peak < 1.0 and "peak" not in r.failures for r in quiet)
    gain = 20 * np.log10(1.05 / max(r.peak for r in quiet))  # the package a little over full scale
    rows = evaluate_pair(live, planned, radius=0.5, delivery_gain_db=gain)
    assert "peak" in [f for r in rows for f in r.failures]
    target, measured, ok = next(x for x in summarise(rows) if x[0] == "no sample over 0 dBFS")
    assert not ok and "as the package plays it" in measured and "+0.4 dBFS" in measured


def test_the_level_step_is_the_variants_difference_at_the_same_moment():
    from composer_assist.core.level_match import LevelMatch

    cue = synthetic_cue(n_variants=4, n_layers=2, bars=4)
    raw = synthetic_stems(cue, SR)
    for layer in raw["sad"].values():
        layer *= 2.0  # sad 6 dB louder than the rest as rendered
    project, t = Project("p", cues=[cue]), np.arange(0, 40.05, 0.1)
    trace = Trace(t, np.where(t < 20, 0.6, -0.6), np.full(t.shape, -0.6), name="calm to sad")
    steps = {}
    for matched in (False, True):
        stems = StemSet.from_arrays(cue, SR, raw, levels=None if matched else LevelMatch())
        live = run_adaptive(project, cue.name, trace, mode="live", render=stems)
        planned = run_adaptive(project, cue.name, trace, mode="planned", render=stems)
        assert [cue.variants[s.target].name for s in live.schedule.switches] == ["sad"]
        steps[matched] = evaluate_pair(live, planned, radius=0.5)[0].loudness_jump
    # Unmatched: the 6 dB (plus K-weighting of the different pitches); matched: next to nothing.
    assert steps[False] > 5.5 and steps[True] < 0.5, steps


def test_a_follower_reacting_late_loses_what_it_lags_and_evaluate_says_so(root):
    from composer_assist.adaptive.quality import follower_congruence, reaction_floor_s
    from composer_assist.core.project import load_project

    # Two variants, the viewer on the first for 50 ticks and on the second for 50: a follower 10
    # ticks late plays the first for 10 ticks too long, and nothing else is lost.
    d = np.array([[0.1, 0.9]] * 50 + [[0.9, 0.1]] * 50)
    within = d <= 0.5
    assert follower_congruence(d, within, 0) == 1.0
    assert follower_congruence(d, within, 10) == 0.9
    # The demo: 4/4 at 96 bpm, a 2-beat default fade: half a bar and half a fade, 3 beats.
    demo = load_project(root / "projects" / "demo")
    assert reaction_floor_s(demo.cue("night_chase")) == 3 * 60 / 96
    live, planned = _pair(_step_trace())
    assert live.quality.follower_congruence is not None and planned.quality.follower_congruence is None
    # The step at 20 s, followed 2 s late (4/4 at 120 bpm, default 2-beat fade: 1.5 s, 15 ticks).
    assert live.quality.follower_congruence == 1.0 - 15 / live.track.times.size
    text = format_table(evaluate_pair(live, planned, radius=0.5), 0.5)
    assert "info  live: a follower taking the variant nearest the viewer 1.50 s ago" in text
    assert "leaves 0 of 1 traces under 90% of the oracle" in text
