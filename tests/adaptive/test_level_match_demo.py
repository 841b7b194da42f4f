"""Level matching on the demo project's real stems: matched variants, small transition jumps."""

from __future__ import annotations

import pytest

from composer_assist.core.level_match import _mix, nominal_intensity
from composer_assist.core.levels import integrated_lufs

pytest.importorskip("dawdreamer")


@pytest.fixture(scope="module")
def demo():
    from composer_assist.audio.render import render_cue
    from composer_assist.cli.demo_cmd import demo_project_dir
    from composer_assist.core.project import load_project

    project = load_project(demo_project_dir())
    return project, render_cue(project, project.cues[0].name)


def test_demo_variants_are_within_half_a_lu_at_nominal_intensity(demo):
    from composer_assist.audio.render import mixdown

    _, r = demo
    m = r.level_match()
    before = [m.loudness[v.name] for v in r.cue.variants]
    assert max(before) - min(before) > 4.0  # sad -24.6, tense -19.2 LUFS as written
    after = [integrated_lufs(_mix(v, r.stems[v.name], nominal_intensity(v)) * m.gain(v.name), r.sample_rate)
             for v in r.cue.variants]
    assert max(after) - min(after) <= 0.5, after
    for v in r.cue.variants:
        assert abs(mixdown(r, v.name)).max() <= 1.0


@pytest.mark.parametrize("trace", ["action_chase", "thriller_buildup"])
def test_adaptive_transitions_of_the_demo_jump_at_most_one_lu(demo, trace):
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.cli.demo_cmd import traces_dir
    from composer_assist.core.trace import load_trace

    project, r = demo
    result = run_adaptive(project, r.cue.name, load_trace(traces_dir() / f"{trace}.csv"), render=r)
    assert result.quality.switches >= 1
    # The transition's own step: entering vs leaving variant over the same 3 s (the evaluation's
    # figure). Short-term after minus before also holds the music's own movement from one bar to
    # the next (up to ~1.7 LU within one variant), which moves with the bar the switch lands on.
    step = result.quality.max_level_step
    assert step is not None and step <= 1.0, (step, result.quality.loudness_jumps)


def test_demo_mix_levels_equal_pyloudnorm_and_resample_poly(demo):
    """The vectorised meters of core.levels on real music: the library figures to 0.01 LU / dB."""
    import math

    import numpy as np
    import pyloudnorm
    from scipy.signal import resample_poly

    from composer_assist.core.levels import true_peak_dbtp

    _, r = demo
    for v in r.cue.variants:
        x = _mix(v, r.stems[v.name], nominal_intensity(v))
        want_lufs = pyloudnorm.Meter(r.sample_rate).integrated_loudness(x.T)
        want_tp = 20 * math.log10(max(np.abs(x).max(), np.abs(resample_poly(x, 4, 1, axis=-1)).max()))
        assert abs(integrated_lufs(x, r.sample_rate) - want_lufs) < 0.01, v.name
        assert abs(true_peak_dbtp(x) - want_tp) < 0.01, v.name


def test_the_real_scene_with_the_worst_level_step_stays_within_one_lu(demo, realdata):
    """studyforrest 4711-4803 s, planned: calm -> sad at 13.75 s stepped 1.55 LU when each scene was
    calibrated by itself and no switch budget held (sad's layers thin out at intensity 0.14, far
    under its nominal 0.25, and its bars there are 0.8 LU under calm's at any intensity; the trim
    itself is tested in test_level_trim.py).  As the demo plays it now, every step is <= 1 LU."""
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.core.trace.formats import load_trace
    from composer_assist.playback.policy import PolicyConfig
    from composer_assist.services.trace_sets import film_scenes

    project, render = demo
    film = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    (scene,) = [s for s in film_scenes(load_trace(film), film.parent / "music.tsv") if "4711-4803" in s.name]
    for mode in ("planned", "live"):
        result = run_adaptive(project, project.cues[0].name, scene, mode=mode, render=render,
                              config=PolicyConfig(calibrate=True))
        assert len(result.schedule.switches) >= 1
        assert result.quality.max_level_step <= 1.0
