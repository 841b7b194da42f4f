"""Coverage of a cue's variants over viewers' traces, and oracle congruence in the quality figures."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.adaptive.coverage import compute_coverage, format_coverage, within_any
from composer_assist.adaptive.quality import Quality, format_quality
from composer_assist.core.errors import TraceError
from composer_assist.core.project import Variant, load_project
from composer_assist.core.trace import Trace


def _cue(root):
    """The demo cue's four corner variants as points (their arousal not following intensity),
    without the ambient one at the centre."""
    cue = load_project(root / "projects" / "demo").cue("night_chase")
    cue.variants = [v for v in cue.variants if v.name != "ambient"]
    for v in cue.variants:
        v.arousal_follows_intensity = False
    return cue


def test_the_demo_cue_covers_the_neutral_centre(root):
    cue = load_project(root / "projects" / "demo").cue("night_chase")
    near = _trace([0.1, -0.2, 0.0, 0.3], [0.0, 0.2, -0.3, 0.1], "near neutral")
    cov = compute_coverage(cue, [near])
    assert cov.radius == 0.5 and cov.overall == 1.0 and cov.traces[0].nearest["ambient"] > 0.9


def _trace(v, a, name="t", rate=2.0, valid=None):
    t = np.arange(len(v)) / rate
    return Trace(times=t, valence=np.asarray(v, float), arousal=np.asarray(a, float), name=name, valid=valid)


def test_share_of_time_within_the_radius_and_the_suggestion_covers_the_gap(root):
    cue = _cue(root)  # calm (0.5,-0.5), tense (-0.6,0.7), playful (0.7,0.5), sad (-0.6,-0.5), radius 0.5
    n = 200
    on_calm = _trace([0.5] * n, [-0.5] * n, "calm")
    # Half the time on the calm target, half at the neutral centre, which no variant covers.
    half = _trace([0.5] * (n // 2) + [0.0] * (n // 2), [-0.5] * (n // 2) + [0.0] * (n // 2), "half")
    cov = compute_coverage(cue, [on_calm, half])
    assert cov.radius == cue.adaptive.congruence_radius
    assert cov.traces[0].covered == 1.0 and cov.traces[0].nearest["calm"] == 1.0
    assert cov.traces[1].covered == pytest.approx(0.5, abs=0.01)
    assert cov.overall == pytest.approx(0.75, abs=0.01)
    s = cov.suggestions[0]
    assert np.hypot(s.valence, s.arousal) <= cov.radius  # a variant there covers the centre
    assert s.gain == pytest.approx(0.25, abs=0.01)
    assert len(cov.suggestions) == 1  # nothing left to cover
    text = format_coverage(cov)
    assert "add a variant near valence" in text and "covers 25% more of the viewers' time" in text
    # A larger radius reaches the centre from calm: everything covered, nothing to add.
    wide = compute_coverage(cue, [half], radius=0.75)
    assert wide.overall == 1.0 and not wide.suggestions and "every moment is covered" in format_coverage(wide)


def test_points_are_interpolated_at_the_control_rate_and_invalid_moments_left_out(root):
    cue = _cue(root)
    tr = _trace([0.5, 0.0, 0.0], [-0.5, 0.0, 0.0], rate=1.0, valid=np.array([True, True, False]))
    cov = compute_coverage(cue, [tr])
    rate = cue.adaptive.control_rate
    # Ticks 0..2 s at the control rate; the tick at the marked row (2 s) dropped, those before it
    # (whose row at or before them is valid) kept.
    assert cov.points.shape[0] == int(2 * rate)
    assert cov.traces[0].duration_s == pytest.approx(2.0)
    d = np.hypot(cov.points[:, 0] - 0.5, cov.points[:, 1] + 0.5)
    assert np.array_equal(cov.covered_mask, d <= cue.adaptive.congruence_radius)


def test_bad_radius_or_no_traces_is_an_error(root):
    cue = _cue(root)
    with pytest.raises(TraceError):
        compute_coverage(cue, [_trace([0.0] * 4, [0.0] * 4)], radius=0.0)
    with pytest.raises(TraceError):
        compute_coverage(cue, [])


def test_within_any():
    point = Variant("p", valence=0.1, arousal=0.0, intensity=(0.0, 1.0))
    m = within_any(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.9]), [point], 0.5)
    assert m.tolist() == [True, False, False]
    # Its arousal following intensity over 0.5..1 (arousal 0..1), the same variant reaches 0.9.
    span = Variant("s", valence=0.1, arousal=0.5, intensity=(0.5, 1.0), arousal_follows_intensity=True)
    m = within_any(np.array([0.0, 1.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.9, -0.6]), [span], 0.5)
    assert m.tolist() == [True, False, True, False]


def test_format_quality_states_the_radius_and_the_oracle():
    q = Quality(mode="planned", duration_s=60.0, switches=1, switches_per_minute=1.0, changes=1, lag_mean=0.0,
                lag_max=0.0, missed=0, congruence=0.62, max_discontinuity=0.0, material_step=0.0, click_excess=0.0,
                oracle_congruence=0.71, congruence_radius=0.5)
    text = format_quality(q)
    assert "62% of the time the playing variant is within radius 0.5" in text
    assert "(the best any variant choice could do: 71%)" in text
    j = q.to_json()
    assert j["congruence"] == 0.62 and j["oracle_congruence"] == 0.71 and j["congruence_radius"] == 0.5
