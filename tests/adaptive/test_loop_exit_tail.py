"""A loop ending inside the cue: the post-exit tail (notes released at the loop end) rings over the
loop start, so neither a held note nor a fragment of the next note sounds at the wrap."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.evaluation import CLICK_TOL
from composer_assist.audio.render import render_cue
from composer_assist.core.project import Note
from composer_assist.core.trace import Trace
from composer_assist.playback.stems import StemSet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))
from render_testkit import layer, project, write_tone  # noqa: E402


@pytest.mark.slow
def test_a_custom_loop_wrap_rings_the_exit_tail_and_the_click_check_sees_the_cut(tmp_path):
    ref = write_tone(tmp_path / "p")
    # 120 BPM, 2 bars (4 s), loop over the first bar (ends at 2 s): a note held across the loop
    # end, and a note starting right at it (instant attack) that must not leak over the loop start.
    notes = [Note(1.0, 5.0, 57, 100), Note(4.0, 1.0, 64, 100)]
    p = project(tmp_path / "p", [layer("l", ref, notes)])
    p.cues[0].loop = (0.0, 4.0)
    render = render_cue(p, "cue", jobs=1)
    sr = render.sample_rate
    tail = render.exit_tails["main"]["l"]
    # The held note released at the loop end: loud at first, trimmed (-80 dBFS) within its release.
    assert np.abs(tail[:, :100]).max() > 0.05 and 0 < tail.shape[1] < 0.3 * sr
    steady = Trace(np.arange(0, 9.05, 0.1), np.full(91, 0.2), np.full(91, 0.5), name="steady")
    r = run_adaptive(p, "cue", steady, mode="live", render=render)
    assert r.quality.switches == 0
    assert r.quality.click_excess <= CLICK_TOL, r.quality.click_excess
    # The loop start on later passes: the loop start plus the tail, nothing of the note at beat 4.
    wrap = 2 * sr
    np.testing.assert_allclose(r.audio[wrap:wrap + 2000], r.stems.seams[0].reshape(-1, 2, 1)[:2000, :, 0],
                               atol=1e-6)
    # Without the exit tail (the 10 ms body fade stands in) the wrap plays the first 10 ms of the
    # note at beat 4 over the loop start: the click check reports it, above what `evaluate` counts
    # as 0 (the saw's own edges, up to 0.2 a sample, set how much a step must stand out).
    bare = StemSet.from_arrays(render.cue, sr, render.stems, render.tails, levels=render.level_match())
    cut = run_adaptive(p, "cue", steady, mode="live", render=bare)
    assert cut.quality.click_excess > 3 * CLICK_TOL, cut.quality.click_excess
