"""Calibration by the viewing a trace is part of: a film's scene is calibrated by the viewer over
the film (planned: all of it; live: causally, what was watched before the scene)."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.adaptive.synthetic import synthetic_cue
from composer_assist.core.trace import Trace, in_viewing
from composer_assist.playback import calibration as K
from composer_assist.playback.policy import PolicyConfig, control_track
from composer_assist.services.trace_sets import film_scenes

CFG = PolicyConfig(calibrate=True)
ONSET, LENGTH = 300.0, 30.0  # the scene, on the film's 2 s rows


def _film(after: float = 0.0) -> Trace:
    """A viewer over 10 minutes, one row per 2 s: a quiet first third, then wide swings; ``after``
    is added to everything from the scene's start on (a different rest of the film)."""
    t = np.arange(0.0, 600.0 + 1e-9, 2.0)
    v = np.where(t < 200, 0.05 * np.sin(t / 9), 0.5 * np.sin(t / 37)) - 0.1
    a = 0.3 * np.cos(t / 23) + 0.1
    v = np.where(t >= ONSET, np.clip(v + after, -1, 1), v)
    return Trace(t, v, a, name="film", source="film.csv")


def _scene(film: Trace, tmp_path) -> Trace:
    tsv = tmp_path / "music.tsv"
    tsv.write_text(f"onset\tduration\n5\t4\n{ONSET}\t{LENGTH}\n", encoding="utf-8")
    (scene,) = film_scenes(film, tsv)  # the 4 s cue is no scene
    return scene


def test_a_film_scene_carries_the_film_and_where_it_starts(tmp_path):
    film = _film()
    scene = _scene(film, tmp_path)
    assert scene.times[0] == 0.0 and scene.viewing.whole is film and scene.viewing.at == ONSET
    # A part of the scene is watched later in the film; a shifted or resampled copy at the same moment.
    assert scene.slice(10.0, 20.0).viewing.at == ONSET + 10.0
    assert scene.shifted(5.0).viewing.at == ONSET and scene.resample(4.0).viewing.at == ONSET


def test_planned_mode_calibrates_a_scene_by_the_whole_film(tmp_path):
    cue = synthetic_cue(n_layers=1)
    film = _film()
    scene = _scene(film, tmp_path)
    whole = control_track(film, cue, "planned", config=CFG)  # calibrate_whole over the film
    k = int(ONSET * cue.adaptive.control_rate)
    got = control_track(scene, cue, "planned", config=CFG)
    np.testing.assert_allclose(got.valence, whole.valence[k:k + got.times.size], atol=1e-12)
    np.testing.assert_allclose(got.arousal, whole.arousal[k:k + got.times.size], atol=1e-12)
    # Not the scene's own statistics (what it was calibrated by before).
    own = K.calibrate_whole(got.read_valence, got.read_arousal, K.cue_plane(*_targets(cue)))[0]
    assert np.abs(own - got.valence).max() > 0.2


def test_live_mode_is_seeded_causally_by_the_film_watched_before_the_scene(tmp_path):
    cue = synthetic_cue(n_layers=1)
    film = _film()
    scene = _scene(film, tmp_path)
    live = control_track(scene, cue, "live", config=CFG)
    # A device that watched the film from its start reads the scene exactly so: no warm-up left.
    through = control_track(film, cue, "live", config=CFG)
    k = int(ONSET * cue.adaptive.control_rate)
    np.testing.assert_allclose(live.valence, through.valence[k:k + live.times.size], atol=1e-9)
    cold = control_track(Trace(scene.times, scene.valence, scene.arousal, name="cold"), cue, "live", config=CFG)
    assert cold.valence[0] == scene.valence[0] and abs(live.valence[0] - scene.valence[0]) > 0.05
    # The film after the scene's start is not known live; planned mode knows the whole film.
    other = in_viewing(Trace(scene.times, scene.valence, scene.arousal), _film(after=0.4), ONSET)
    np.testing.assert_array_equal(control_track(other, cue, "live", config=CFG).valence, live.valence)
    assert not np.allclose(control_track(other, cue, "planned", config=CFG).valence,
                           control_track(scene, cue, "planned", config=CFG).valence)


@pytest.mark.parametrize("mode", ["live", "planned"])
def test_without_context_or_at_its_own_start_nothing_changes(mode, tmp_path):
    cue = synthetic_cue(n_layers=1)
    scene = _scene(_film(), tmp_path)
    bare = Trace(scene.times, scene.valence, scene.arousal, name="bare")
    assert bare.viewing is None
    plain = control_track(bare, cue, mode, config=CFG)
    # Its own recording from its first row: the same statistics (planned), nothing seen before (live).
    own = in_viewing(Trace(bare.times, bare.valence, bare.arousal), bare, 0.0)
    np.testing.assert_allclose(control_track(own, cue, mode, config=CFG).valence, plain.valence, atol=1e-12)
    # Uncalibrated runs ignore the context.
    np.testing.assert_array_equal(control_track(scene, cue, mode).scores, control_track(bare, cue, mode).scores)


def _targets(cue):
    return np.array([v.valence for v in cue.variants]), np.array([v.arousal for v in cue.variants])
