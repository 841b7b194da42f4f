"""The adaptive figure's data: bar grid, loop wraps, stingers, returns, distance lane; the PNG is drawn."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, Layer, PluginRef, Project, TransitionRule
from composer_assist.core.trace import Trace
from composer_assist.figures.adaptive import FigureData, draw_adaptive
from composer_assist.figures.adaptive_lanes import Marks, label_rows
from composer_assist.playback.stems import StemSet

SR = 48000


@pytest.fixture(scope="module")
def result():
    rule = TransitionRule(leave="bar", enter="same", fade_beats=1.0, stinger="hit")
    cue = synthetic_cue(n_variants=4, n_layers=2, bars=2, rule=rule,
                        adaptive=AdaptiveSettings(max_switches_per_minute=0))  # 4 s loop at 120 BPM, many marks
    cue.stingers = [Layer(name="hit", instrument=PluginRef("pad"))]
    hit = np.zeros((2, SR // 2), np.float32)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR), stingers={"hit": hit})
    t = np.arange(0, 60.05, 0.1)
    away = ((t > 14) & (t < 24)) | ((t > 38) & (t < 48))  # calm -> sad -> calm, twice
    trace = Trace(t, np.where(away, -0.6, 0.6), np.full(t.shape, -0.6), name="away and back")
    return run_adaptive(Project("p", cues=[cue]), cue.name, trace, mode="live", render=stems)


def test_marks_hold_bars_wraps_stingers_returns_and_the_distance(result):
    m = Marks.of(result)
    assert np.allclose(np.diff(m.bar_times), 2.0) and m.bar_times[0] == 0.0  # 4/4 at 120 BPM
    assert m.bar_beat(7.0) == "4:3.0 (7.0s)"  # bar 4 starts at 6 s; 7 s is its third beat
    sw = result.schedule.switches
    assert len(sw) >= 3 and [t for t, _ in m.stingers] == [s.sample / SR for s in sw]
    # The playing variant loops every 4 s of its own time; every wrap is inside the render.
    assert m.wraps and all(0 < w < 60 for w in m.wraps)
    assert len(m.returns) == result.quality.returns >= 1
    assert all(t in [s.sample / SR for s in sw] for t, _ in m.returns)
    cue = result.cue
    on_calm = (m.dist_times > 8) & (m.dist_times < 12)  # calm plays, the viewer is on calm
    calm = cue.variants[0]
    assert np.allclose(m.distance[on_calm], np.hypot(calm.valence - 0.6, calm.arousal + 0.6))


def test_the_png_is_drawn(result, tmp_path):
    path = tmp_path / "adaptive.png"
    draw_adaptive(FigureData.of(result), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 30_000


def test_label_rows_never_put_two_labels_closer_than_the_gap():
    rows = label_rows([0.0, 1.0, 2.0, 10.0, 10.5, 11.0], gap=3.0)
    assert rows == [0, 1, None, 0, 1, None]
