"""Listener profiles blend their contexts across quadrant edges instead of switching on them."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.playback import policy
from composer_assist.adaptive.engine import run_adaptive
from composer_assist.playback.stems import StemSet
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, Project
from composer_assist.core.profile import ClusterProfile, ContextPreference, context_of
from composer_assist.core.trace import Trace

SR = 8000
EDGE = ClusterProfile(cluster=0, contexts={
    "high_arousal_negative": ContextPreference(arousal_shift=0.5, tag_weights={"dark": 0.2}),
    "low_arousal_negative": ContextPreference(arousal_shift=-0.5)})


def test_blended_preference_is_smooth_and_matches_the_quadrant_far_from_edges():
    a = np.linspace(-0.05, 0.05, 101)
    shifts = np.array([EDGE.blended_preference(-0.3, x).arousal_shift for x in a])
    assert np.all(np.diff(shifts) > 0) and np.max(np.abs(np.diff(shifts))) < 0.01
    assert abs(EDGE.blended_preference(-0.3, 0.0).arousal_shift) < 1e-9
    far = EDGE.blended_preference(-0.9, 0.9)
    assert far.arousal_shift == pytest.approx(0.5, abs=0.01) and far.tag_weights["dark"] == pytest.approx(0.2, abs=0.01)
    # The learn package's hard binning is unchanged.
    assert context_of(-0.3, 0.0) == "high_arousal_negative" and context_of(-0.3, -1e-6) == "low_arousal_negative"
    assert EDGE.preferred_emotion(-0.3, 0.01)[1] == pytest.approx(0.51)


def test_scene_hovering_on_a_quadrant_edge_does_not_thrash(monkeypatch):
    cue = synthetic_cue(n_variants=4, n_layers=1, bars=8,
                        adaptive=AdaptiveSettings(dwell_bars=1.0, hysteresis=0.15, max_switches_per_minute=0))
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    project = Project("p", cues=[cue])
    t = np.arange(0, 120, 0.1)
    arousal = 0.04 * np.sin(2 * np.pi * t / 5.0) + 0.02 * np.random.default_rng(3).normal(size=t.size)
    trace = Trace(t, np.full(t.size, -0.3), arousal, name="edge")
    for mode in ("live", "planned"):
        r = run_adaptive(project, cue.name, trace, mode=mode, render=stems, profile=EDGE)
        assert r.quality.switches <= 2, mode
    # A hard quadrant edge (blend width 0) on the same scene does thrash: the test can fail.
    monkeypatch.setattr(policy, "PROFILE_BLEND_WIDTH", 0.0)
    hard = run_adaptive(project, cue.name, trace, mode="live", render=stems, profile=EDGE)
    assert hard.quality.switches >= 20
