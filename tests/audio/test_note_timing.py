"""Onsets land exactly on TempoMap.sample_at; notes starting at or after the cue end are not rendered."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.core.plugins.trust import trust
from composer_assist.audio.render import render_cue
from composer_assist.core.project import Note
from composer_assist.core.timing import TempoMap, TempoPoint

from render_testkit import layer, project

# One sample at 0.9 when a voice's gate opens, silence otherwise: onsets to the sample.
CLICK_DSP = """import("stdfaust.lib");
freq = hslider("freq", 440, 20, 20000, 0.01);
gain = hslider("gain", 0.5, 0, 1, 0.001);
gate = button("gate");
process = (gate > gate') * 0.9 <: _, _;
"""


def _click(folder) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "click.dsp").write_text(CLICK_DSP)
    trust(folder / "click.dsp")
    (folder / "click.json").write_text(json.dumps({"kind": "instrument", "voices": 16, "release_s": 0.2}))
    return "./click.dsp"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))


def _clicks(audio: np.ndarray) -> list[int]:
    return np.nonzero(audio[0] > 0.1)[0].tolist()


@pytest.mark.parametrize("sr", [44100, 48000])
def test_every_onset_is_exactly_at_sample_at(tmp_path, cache, sr):
    folder = tmp_path / "p"
    ref = _click(folder)
    tempo = TempoMap([TempoPoint(0.0, 97.3), TempoPoint(3.0, 131.7), TempoPoint(6.5, 83.9)])
    starts = [round(k * 0.37, 6) for k in range(21)]  # up to 7.4 beats, off every grid
    notes = [Note(b, 0.1, 40 + k % 40, 100) for k, b in enumerate(starts)]
    p = project(folder, [layer("clicks", ref, notes)], tempo=tempo, bars=2, sample_rate=sr)
    r = render_cue(p, "cue", use_cache=False)
    assert _clicks(r.stems["main"]["clicks"]) == [tempo.sample_at(b, sr) for b in starts]


def test_notes_starting_at_or_after_the_cue_end_are_dropped(tmp_path, cache):
    folder = tmp_path / "p"
    ref = _click(folder)
    # 2 bars = 8 beats; the one at 7.5 is held past the end and keeps ringing (the tail's job).
    notes = [Note(1.0, 0.5, 60, 100), Note(7.5, 2.0, 62, 100), Note(8.0, 0.5, 64, 100), Note(8.1, 0.5, 65, 100)]
    p = project(folder, [layer("l", ref, notes)], tempo=TempoMap.constant(120), bars=2)
    r = render_cue(p, "cue", use_cache=False)
    body, tail = r.stems["main"]["l"], r.tails["main"]["l"]
    assert _clicks(body) == [24000, 7.5 * 24000]
    assert _clicks(tail) == []  # before the fix: clicks at 0 and 0.05 s into the tail
    # Stingers are one-shots: all their notes play.
    p = project(folder, [layer("l", ref, notes[:1])], bars=2, stingers=[layer("s", ref, notes)])
    r = render_cue(p, "cue", use_cache=False)
    assert _clicks(r.stingers["s"]) == [24000, 180000, 192000, 194400]
