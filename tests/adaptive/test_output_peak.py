"""The adaptive output's peak is a quality figure, and a peak over full scale is said, with where
and what added up there (issue 10: "one mixdown peaked at +1.0 dBFS with nothing said")."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.engine import format_quality, run_adaptive
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import Project
from composer_assist.core.trace import Trace
from composer_assist.core.peak_envelope import NO_ENVELOPES
from composer_assist.playback.stems import StemSet

SR = 16000


def _calm_to_sad() -> Trace:
    t = np.arange(0, 30.05, 0.1)
    return Trace(t, np.where(t < 9, 0.6, -0.6), np.full(t.shape, -0.6), name="calm to sad")


def _run(stems, guard: bool = True):
    cue = synthetic_cue(n_variants=4, n_layers=1, bars=8)
    # no envelopes: no guard (what a stinger or a third deck adds is outside it the same way)
    stem_set = StemSet.from_arrays(cue, SR, stems(cue), peak_env=None if guard else NO_ENVELOPES)
    return run_adaptive(Project("p", cues=[cue]), cue.name, _calm_to_sad(), mode="planned", render=stem_set)


def test_the_output_peak_is_the_highest_sample_and_where_it_is():
    result = _run(lambda cue: synthetic_stems(cue, SR, kind="noise"))
    q, audio = result.quality, np.asarray(result.audio)
    top = np.max(np.abs(audio), axis=1)
    assert q.peak_dbfs == 20 * np.log10(top.max())
    assert abs(q.peak_time_s * SR - int(np.argmax(top))) < 1
    assert q.peak_dbfs < 0
    assert "0 dBFS is full scale" in format_quality(result)


def _same_tone(cue):
    """Every layer of every variant holds the same hot tone: matched alone under the ceiling, and
    an equal-power crossfade of two of them adds them at up to +3 dB (cos + sin)."""
    t = np.arange(cue.length_samples(SR)) / SR
    tone = np.stack([0.9 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    return {v.name: {l.name: tone for l in v.layers} for v in cue.variants}


def test_a_crossfade_of_two_variants_peaking_together_stays_under_the_loudest_alone():
    guarded = _run(_same_tone)
    bare = _run(_same_tone, guard=False)
    (sw,) = guarded.schedule.switches
    assert [(s.sample, s.target) for s in bare.schedule.switches] == [(sw.sample, sw.target)]
    top = 20 * np.log10(guarded.stems.peak_top)
    assert -1.2 < top <= -1.0 + 1e-3  # each alone at the ceiling
    assert bare.quality.peak_dbfs > 1.0  # unguarded: +2 dB over full scale mid-fade
    assert guarded.quality.peak_dbfs <= top + 1e-4
    a, b = np.asarray(guarded.audio), np.asarray(bare.audio)
    np.testing.assert_array_equal(a[:sw.sample], b[:sw.sample])  # only the transition is touched
    # ... and it is still the crossfade: the entering tone comes up and plays on at full level
    mid = (sw.sample + sw.arrival) // 2
    assert np.max(np.abs(a[mid - 200:mid + 200])) > 0.8 * guarded.stems.peak_top
    after = guarded.schedule.switches[0].arrival + 4 * SR
    np.testing.assert_allclose(a[after:], b[after:], atol=1e-6)
    assert guarded.quality.click_excess <= 1e-3  # the guard is in the click check's reference


def test_a_peak_over_full_scale_is_named_with_what_added_up_there():
    result = _run(_same_tone, guard=False)
    (sw,) = result.schedule.switches
    assert sw.sample <= result.quality.peak_time_s * SR < sw.arrival
    line = next(x for x in format_quality(result).splitlines() if x.startswith("peak"))
    assert "OVER full scale" in line and f"in the crossfade calm -> sad from {sw.sample / SR:.2f} s" in line, line


def _with_stinger(guard: bool, stinger: bool = True):
    """The same hot tone in every variant, and a loud noise burst struck at the switch."""
    from composer_assist.core.project import Layer, PluginRef, TransitionRule

    cue = synthetic_cue(n_variants=4, n_layers=1, bars=8,
                        rule=TransitionRule(fade_beats=2.0, stinger="hit" if stinger else None))
    cue.stingers = [Layer("hit", PluginRef("pad"))]
    burst = (0.5 * np.random.default_rng(3).standard_normal((2, SR // 2))).clip(-0.5, 0.5).astype(np.float32)
    stem_set = StemSet.from_arrays(cue, SR, _same_tone(cue), stingers={"hit": burst},
                                   peak_env=None if guard else NO_ENVELOPES)
    return run_adaptive(Project("p", cues=[cue]), cue.name, _calm_to_sad(), mode="planned", render=stem_set)


def test_a_stinger_struck_over_a_crossfade_is_held_under_the_loudest_variant_alone():
    guarded, bare, plain = _with_stinger(True), _with_stinger(False), _with_stinger(True, stinger=False)
    (sw,) = guarded.schedule.switches
    top = guarded.stems.peak_top
    assert bare.quality.peak_dbfs > 20 * np.log10(top) + 1.0  # the burst over the tone: well over
    assert guarded.quality.peak_dbfs <= 20 * np.log10(top) + 1e-4
    # the stinger still sounds, under what the leaving variant leaves, and the click check (its
    # reference holds the stinger at the same gains) is clean
    a, p = np.asarray(guarded.audio, dtype=np.float64), np.asarray(plain.audio, dtype=np.float64)
    burst = slice(sw.sample, sw.sample + SR // 2)
    assert np.sqrt(np.mean((a[burst] - p[burst]) ** 2)) > 0.05
    assert guarded.quality.click_excess <= 1e-3
    from composer_assist.adaptive.clicks import _Reference

    (shot,) = _Reference(guarded.schedule, guarded.stems, guarded.block).shots
    assert shot.guard and 0.0 < min(shot.guard) < 1.0
