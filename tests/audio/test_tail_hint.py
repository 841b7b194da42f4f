"""Tail allowance: a chain renders only the tail it measured last time, never cutting a longer one."""

from __future__ import annotations

import numpy as np

from composer_assist.audio import stem_cache
from composer_assist.audio.render import render_cue
from composer_assist.core.project import Note, PluginRef

from render_testkit import layer, project, write_tone

ROOM = PluginRef("room", {"size": 0.2, "mix": 0.4})


def _render(tmp_path, folder, notes, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    ref = write_tone(folder)
    p = project(folder, [layer("l", ref, notes, effects=[ROOM])])
    r = render_cue(p, "cue", jobs=1)
    return r.stats[0], r.tails["main"]["l"]


def test_second_render_uses_the_measured_tail_plus_a_margin(tmp_path, monkeypatch):
    first, tail1 = _render(tmp_path, tmp_path / "a", [Note(7, 0.9, 60, 100)], monkeypatch)
    # Other notes, same chain: the cached stem does not apply, the tail hint does.
    second, tail2 = _render(tmp_path, tmp_path / "a", [Note(7.5, 0.4, 64, 100)], monkeypatch)
    assert tail1.shape[1] > 0.2 * 48000  # the room reverb really rings
    full = 4.0 + 0.2 + 3.0  # cue + tone release + room release allowance, seconds
    assert first.seconds == full
    assert second.seconds < first.seconds - 0.5
    assert abs(tail2.shape[1] - tail1.shape[1]) < 0.2 * 48000


def test_a_tail_longer_than_the_hint_is_rendered_again_in_full(tmp_path, monkeypatch):
    notes = [Note(6, 1.9, 48, 127)]
    _, reference = _render(tmp_path / "ref", tmp_path / "b", notes, monkeypatch)
    assert reference.shape[1] > 0.6 * 48000  # longer than the hinted allowance (10 samples + 0.5 s)
    # Pretend the chain measured (almost) no tail before: the hinted render stops too early.
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache2"))
    folder = tmp_path / "c"
    ref = write_tone(folder)
    p = project(folder, [layer("l", ref, notes, effects=[ROOM])])
    from composer_assist.audio.stem_jobs import plan_stem

    st = plan_stem(p.cues[0], "main", p.cues[0].variants[0].layers[0], 48000, folder, p.cues[0].length_samples(48000))
    stem_cache.save_tail_hint(st.chain_key, 10)
    r = render_cue(p, "cue", jobs=1)
    tail = r.tails["main"]["l"]
    assert tail.shape == reference.shape
    assert np.array_equal(tail, reference)
