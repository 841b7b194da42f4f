"""The click check: a stinger is part of the reference; a note cut dead at a loop wrap is a click."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.quality import compute_quality
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import Layer, PluginRef, Project, TransitionRule
from composer_assist.core.trace import Trace
from composer_assist.playback.stems import StemSet

SR = 48000


def _turn(seconds: float = 14.0) -> Trace:
    t = np.arange(0, seconds + 0.05, 0.1)
    return Trace(t, np.where(t < 5, 0.7, -0.7), np.full(t.shape, 0.6), name="turn")


def test_a_stinger_longer_than_the_fade_is_not_a_click():
    rule = TransitionRule(leave="bar", enter="same", fade_beats=1.0, stinger="hit")
    cue = synthetic_cue(n_variants=4, n_layers=2, bars=4, rule=rule)
    cue.stingers = [Layer(name="hit", instrument=PluginRef("pad"))]
    n = 2 * SR  # rings on past the fade end and the next loop wrap checks
    env = np.exp(-np.arange(n) / (0.4 * SR))
    hit = (0.4 * np.sin(2 * np.pi * 220.0 * np.arange(n) / SR) * env).astype(np.float32)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR), stingers={"hit": np.stack([hit, hit])})
    r = run_adaptive(Project("p", cues=[cue]), cue.name, _turn(), mode="live", render=stems)
    assert r.quality.switches >= 1
    assert r.schedule.switches[0].rule.stinger == "hit"
    # Before: the reference laid the stinger's start at the fade end too, a "click" of ~0.1.
    assert r.quality.click_excess < 1e-4, r.quality.click_excess


def _held_note_stems(loop_beats: tuple[float, float], cut: bool) -> tuple:
    cue = synthetic_cue(n_variants=1, n_layers=1, bars=4, loop=loop_beats)
    n = cue.length_samples(SR)
    t = np.arange(n) / SR
    attack = np.minimum(1.0, t / 0.005)  # a 5 ms attack at the cue start: the music's own entry is smooth
    note = (0.3 * attack * np.sin(2 * np.pi * 41.0 * t + 0.7)).astype(np.float32)  # held across the loop end
    stems = StemSet.from_arrays(cue, SR, {cue.variants[0].name: {"layer0": np.stack([note, note])}})
    if cut:  # the seam carries nothing of the leaving pass: the note stops dead at the wrap
        body = stems.stacks[0].reshape(stems.length, 2, -1)
        ls = stems.clock.loop_start
        stems.seams[0][:] = body[ls:ls + stems.seam].reshape(2 * stems.seam, -1)
    return cue, stems


def test_a_note_cut_dead_at_a_custom_loop_wrap_is_a_click():
    flat = Trace(np.arange(0, 12.05, 0.1), np.full(121, 0.6), np.full(121, -0.6), name="steady")
    for cut in (False, True):
        cue, stems = _held_note_stems((0.0, 6.0), cut)  # the loop ends at 3 s, inside the cue
        r = run_adaptive(Project("p", cues=[cue]), cue.name, flat, mode="live", render=stems)
        assert r.quality.switches == 0
        if cut:
            # Before: the reference read the same cut seam, so the check said 0.
            assert r.quality.click_excess > 0.05, r.quality.click_excess
        else:
            # The note rings on over the wrap (faded within 10 ms): no click.
            assert r.quality.click_excess < 0.005, r.quality.click_excess
