"""A variant whose arousal follows intensity: its span, the policy's distance to it, the music's
arousal as played in the figures, and the field in files, edits and packages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.quality import music_distance, playing_at
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.emotion_span import arousal_span, music_arousal, span_distances, spans
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import AdaptiveSettings, Project, Variant, project_from_json, project_to_json
from composer_assist.core.trace import Trace
from composer_assist.playback.policy import PolicyConfig, control_track
from composer_assist.playback.stems import StemSet

SR = 48000


def test_a_span_is_the_arousal_of_the_intensity_range_and_a_point_otherwise():
    v = Variant("tense", valence=-0.6, arousal=0.7, intensity=(0.4, 1.0))
    assert arousal_span(v) == (0.7, 0.7)
    v.arousal_follows_intensity = True
    assert arousal_span(v) == pytest.approx((-0.2, 1.0))
    tv, lo, hi = spans([v, Variant("calm", valence=0.5, arousal=-0.5)])
    assert tv.tolist() == [-0.6, 0.5] and lo.tolist() == pytest.approx([-0.2, -0.5]) and hi.tolist() == [1.0, -0.5]
    # Inside the span the distance is valence alone; outside it, to the span's end.
    d = span_distances([-0.6, -0.6, 0.5], [0.3, -0.6, 0.3], tv, lo, hi)
    assert d[0].tolist() == pytest.approx([0.0, np.hypot(1.1, 0.8)])
    assert d[1, 0] == pytest.approx(0.4) and d[2, 1] == pytest.approx(0.8)
    # The music plays the arousal of the intensity that played, clamped to the span.
    assert music_arousal(lo, hi, 0.75).tolist() == pytest.approx([0.5, -0.5])
    assert music_arousal(lo, hi, 0.1).tolist() == pytest.approx([-0.2, -0.5])


def _cue(follows: bool):
    """tense (-0.7, 0.7) over intensity 0.3..1 and sad (-0.6, -0.6); the others far away."""
    cue = synthetic_cue(n_variants=4, n_layers=2, bars=2, adaptive=AdaptiveSettings(max_switches_per_minute=0))
    tense = cue.variants[2]
    tense.intensity = (0.3, 1.0)
    tense.arousal_follows_intensity = follows
    return cue


def test_the_policy_matches_a_viewer_on_the_span_by_intensity_not_by_a_switch():
    # A tense scene sinking to arousal -0.2: nearest to sad's target, but inside tense's span.
    t = np.arange(0, 40.05, 0.1)
    a = np.where(t < 20, 0.7, -0.2)
    trace = Trace(t, np.full(t.shape, -0.65), a, name="sinking")
    for mode in ("live", "planned"):
        point = control_track(trace, _cue(False), mode, config=PolicyConfig())
        span = control_track(trace, _cue(True), mode, config=PolicyConfig())
        late = point.times > 30
        assert np.all(np.argmin(point.scores[late], axis=1) == 3)  # sad, as before
        assert np.all(np.argmin(span.scores[late], axis=1) == 2)  # tense, at low intensity
        assert np.allclose(span.scores[late, 2], 0.05, atol=0.02)


def _run(follows: bool, mode: str):
    cue = _cue(follows)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    t = np.arange(0, 40.05, 0.1)
    trace = Trace(t, np.full(t.shape, -0.65), np.where(t < 20, 0.7, -0.2), name="sinking")
    return run_adaptive(Project("p", cues=[cue]), cue.name, trace, mode=mode, render=stems)


@pytest.mark.parametrize("mode", ["live", "planned"])
def test_a_span_variant_holds_the_scene_and_its_music_is_judged_at_the_intensity_played(mode):
    point, span = _run(False, mode), _run(True, mode)
    assert [s.target for s in point.schedule.switches] == [3]  # tense -> sad
    assert span.schedule.switches == []  # tense throughout, quieter
    # Judged at the intensity that played: the mixer's intensity slews down to tense's floor.
    q = span.quality
    assert q.congruence > 0.95 and q.oracle_congruence >= q.congruence
    # The same music judged by tense's target alone misses the quiet second half.
    tr = span.reference
    playing = playing_at(span.schedule, np.round(tr.times * SR).astype(np.int64))
    as_target = music_distance(_cue(False), tr, playing) <= 0.5
    assert 0.45 < as_target.mean() < 0.55
    h = span.history
    assert h[-1, 0] == pytest.approx(0.4, abs=0.01)  # intensity of arousal -0.2


def test_the_figure_lane_puts_the_music_at_the_arousal_played():
    from composer_assist.figures.adaptive_lanes import Marks

    r = _run(True, "planned")
    m = Marks.of(r)
    late = m.dist_times > 30
    assert np.all(m.distance[late] < 0.1)  # tense at low intensity, next to the viewer (-0.65, -0.2)


def test_the_field_reads_writes_and_refuses(tmp_path):
    cue = _cue(True)
    d = project_to_json(Project("p", cues=[cue]))
    tense = d["cues"][0]["variants"][2]
    assert tense["arousal_follows_intensity"] is True
    assert "arousal_follows_intensity" not in d["cues"][0]["variants"][0]  # the default is not written
    back = project_from_json(json.loads(json.dumps(d)))
    assert back.cues[0].variants[2].arousal_follows_intensity and not back.cues[0].variants[0].arousal_follows_intensity
    tense["arousal_follows_intensity"] = "yes"
    with pytest.raises(ProjectError, match=r"arousal_follows_intensity.*true or false"):
        project_from_json(d)
