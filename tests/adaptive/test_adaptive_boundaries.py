"""Switches land on the exact quantisation sample; looping and entry positions are sample-accurate.

The stems encode the cue position in their value (stem[i] = (i + 1) / SCALE for the destination,
silence for the source), so the rendered audio says which cue sample the mixer played at every
output sample, independently of the scheduler's own bookkeeping.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from composer_assist.playback.clock import CueClock
from composer_assist.playback.mixer import Mixer
from composer_assist.playback.policy import control_track
from composer_assist.playback.scheduler import schedule_live
from composer_assist.playback.stems import StemSet
from composer_assist.adaptive.synthetic import synthetic_cue
from composer_assist.core.project import AdaptiveSettings, TransitionRule
from composer_assist.core.trace import Trace

SR = 48000
SCALE = float(1 << 21)  # positions up to 2M samples stay exact in float32


def _pos_stems(cue, silent: str = "calm") -> dict:
    n = cue.length_samples(SR)
    ramp = ((np.arange(n, dtype=np.float64) + 1) / SCALE).astype(np.float32)
    return {v.name: {l.name: (np.zeros((2, n), np.float32) if v.name == silent else np.stack([ramp, ramp]))
                     for l in v.layers} for v in cue.variants}


def _step_trace(at: float, total: float) -> Trace:
    """calm (0.6, -0.6) until ``at``, then tense (-0.7, 0.7)."""
    t = np.arange(0, total + 1e-9, 0.1)
    after = t >= at
    return Trace(t, np.where(after, -0.7, 0.6), np.where(after, 0.7, -0.6), name="step")


def _run(rule: TransitionRule, step_at: float, total: float, loop=None):
    cue = synthetic_cue(n_variants=4, n_layers=1, bpm=120.0, bars=8, loop=loop, rule=rule,
                        adaptive=AdaptiveSettings(dwell_bars=0.0, hysteresis=0.1))
    stems = StemSet.from_arrays(cue, SR, _pos_stems(cue))
    track = control_track(_step_trace(step_at, total), cue, "live")
    sched = schedule_live(cue, stems.clock, track)
    mixer = Mixer(stems)
    mixer.start(sched.start_variant, sched.start_intensity)
    mixer.load_events(sched.events(stems))
    audio = mixer.render(int(total * SR))
    return cue, stems, sched, audio


def _decoded(audio: np.ndarray) -> np.ndarray:
    return np.round(audio[:, 0].astype(np.float64) * SCALE).astype(np.int64) - 1


@pytest.mark.parametrize("leave,bars,grid_beats", [("beat", 1, 1.0), ("bar", 1, 4.0), ("bars", 2, 8.0)])
def test_switch_lands_on_grid_sample(leave, bars, grid_beats):
    rule = TransitionRule(leave=leave, bars=bars, fade_beats=0.5, curve="linear")
    cue, stems, sched, audio = _run(rule, step_at=3.33, total=12.0)
    assert len(sched.switches) == 1
    sw = sched.switches[0]
    decided = int(round(sw.decided_at * SR))
    grid = int(round(grid_beats * 0.5 * SR))  # 120 bpm: a beat is 0.5 s
    expected = math.ceil(decided / grid) * grid
    assert sw.sample == expected
    # The audio agrees: silent up to and including the boundary sample, sound right after it.
    assert not np.any(audio[:expected + 1])
    assert audio[expected + 1, 0] > 0
    # Entered at the same musical position: the decoded position equals the global sample.
    after = sw.arrival + 10
    assert _decoded(audio[after:after + 1000]).tolist() == list(range(after, after + 1000))


def test_marker_boundary_and_marker_entry():
    # Leave at marker B (beat 16 = 8 s), enter the destination at marker A (beat 0).
    rule = TransitionRule(leave="marker", leave_marker="B", enter="marker", enter_marker="A", fade_beats=1.0)
    cue, stems, sched, audio = _run(rule, step_at=1.0, total=12.0)
    sw = sched.switches[0]
    assert sw.sample == 8 * SR
    assert not np.any(audio[:sw.sample + 1])
    # After the fade the destination plays from marker A: position = time since the boundary.
    at = sw.arrival + 5
    assert _decoded(audio[at:at + 500]).tolist() == list(range(at - sw.sample, at - sw.sample + 500))


def test_loop_end_boundary_after_a_wrap_and_start_entry():
    # 8 bars = 16 s; loop beats 8..32 -> samples 4 s..16 s.  The step comes after the first wrap
    # (at 20 s the cue is at 8 s), so the next loop end is global 16 + 12 = 28 s.
    rule = TransitionRule(leave="loop_end", enter="start", fade_beats=1.0)
    cue, stems, sched, audio = _run(rule, step_at=20.0, total=32.0, loop=(8.0, 32.0))
    sw = sched.switches[0]
    assert sw.sample == 28 * SR
    assert not np.any(audio[:sw.sample + 1])
    at = sw.arrival + 3
    assert _decoded(audio[at:at + 100]).tolist() == list(range(at - sw.sample, at - sw.sample + 100))


def test_looping_wraps_sample_accurately():
    # Loop beats 8..32 (4 s..16 s): the destination, entered at the same position, must wrap
    # from sample 16*SR - 1 straight to 4*SR, pass after pass.
    rule = TransitionRule(leave="immediate", fade_beats=0.0)
    cue, stems, sched, audio = _run(rule, step_at=0.5, total=45.0, loop=(8.0, 32.0))
    pos = _decoded(audio)
    start = sched.switches[0].arrival + 1
    ls, le = 4 * SR, 16 * SR
    t = np.arange(start, audio.shape[0])
    expected = np.where(t < le, t, ls + (t - le) % (le - ls))
    np.testing.assert_array_equal(pos[start:], expected)
    assert pos[le - 1] == le - 1 and pos[le] == ls and pos[le + 12 * SR] == ls


def test_clock_boundaries_in_odd_meter_and_tempo_map():
    from composer_assist.core.timing import Meter, TempoMap, TempoPoint

    cue = synthetic_cue(n_layers=1, meter=Meter(6, 8), bars=4)
    cue.tempo = TempoMap([TempoPoint(0.0, 90.0), TempoPoint(6.0, 150.0)])
    clock = CueClock(cue, SR)
    bar = TransitionRule(leave="bar")
    # 6/8: a bar is 3 quarter beats; the second bar line (beat 6) is where the tempo changes.
    b = clock.next_boundary(1, 0, bar)
    assert 1 + b.delay == cue.tempo.sample_at(3.0, SR)
    b = clock.next_boundary(cue.tempo.sample_at(3.0, SR) + 1, 0, bar)
    assert b.pos == cue.tempo.sample_at(6.0, SR)
    beat = TransitionRule(leave="beat")  # pulse = an eighth = 0.5 quarter beats
    b = clock.next_boundary(cue.tempo.sample_at(6.1, SR), 0, beat)
    assert b.pos == cue.tempo.sample_at(6.5, SR)
