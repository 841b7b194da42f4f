"""Level matching over the intensity range and the transition trim (core.level_windows,
playback.level_trim): a transition moves at most 1 LU, whatever the intensity and the bar."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.level_windows import energy, intensity_makeup, pack, unpack
from composer_assist.core.mixmath import LUT_STEPS
from composer_assist.core.project import Project
from composer_assist.core.trace import Trace
from composer_assist.playback.level_trim import TRIM_MAX_DB, local_db
from composer_assist.core.peak_envelope import NO_ENVELOPES
from composer_assist.playback.stems import StemSet

SR = 16000


def _calm_to_sad() -> Trace:
    t = np.arange(0, 30.05, 0.1)
    return Trace(t, np.where(t < 9, 0.6, -0.6), np.full(t.shape, -0.6), name="calm to sad")


def _two_variants(swell: float, calm_spikes: bool = False, guard: bool = True):
    """calm and sad, one noise layer each; sad swells by ``swell`` from bar 3 to bar 6 (beats
    8-24 at 120 bpm: 4-12 s), so over the whole cue both match but not where a switch lands.
    ``calm_spikes``: calm peaks far over the noise once a second (the loudest any variant is
    alone, which a trim may raise another up to); ``guard`` False: no peak envelopes."""
    cue = synthetic_cue(n_variants=4, n_layers=1, bars=8)
    raw = synthetic_stems(cue, SR, kind="noise")
    raw["sad"]["layer0"][:, 4 * SR:12 * SR] *= swell
    if calm_spikes:  # matched, calm's noise comes up 12 dB and its spikes stand 16 dB over sad's noise
        raw["calm"]["layer0"] *= 0.25
        raw["calm"]["layer0"][:, ::SR] = 0.8
    return cue, StemSet.from_arrays(cue, SR, raw, peak_env=None if guard else NO_ENVELOPES)


def test_a_switch_into_a_swelling_bar_steps_at_most_a_lu():
    cue, stems = _two_variants(2.0)  # +6 dB for a third of the cue: ~3 dB over it when matched
    result = run_adaptive(Project("p", cues=[cue]), cue.name, _calm_to_sad(), mode="planned", render=stems)
    (sw,) = result.schedule.switches
    assert 4 * SR < sw.arrival < 12 * SR  # the crossfade ends inside the swell
    # Without the trim the step is the swell less the matched share of it (~3 LU).
    assert result.quality.max_level_step <= 0.25, result.quality.max_level_step
    assert result.quality.click_excess <= 1e-3


def test_the_trim_returns_to_the_matched_level_and_is_clamped():
    # a -30 dB dip (out of the gated match): beyond what a trim may take up; calm's spikes leave
    # sad room to be raised by that much
    cue, stems = _two_variants(1 / 30, calm_spikes=True)
    result = run_adaptive(Project("p", cues=[cue]), cue.name, _calm_to_sad(), mode="planned", render=stems)
    from composer_assist.adaptive.clicks import _Reference

    ref = _Reference(result.schedule, result.stems, result.block)
    trim = ref.trims[1]
    assert trim.db == TRIM_MAX_DB
    assert trim.gain_at(trim.end) == 1.0 and trim.end - trim.hold == 8 * SR  # 4 bars at 120 bpm
    assert result.quality.click_excess <= 1e-3


def test_a_trim_never_raises_the_entering_variant_over_the_loudest_alone():
    """The same dip, but no variant peaks over sad's noise: a +3 dB trim held through sad's loud
    bars after the dip would take them over every variant's peak.  The trim is held to the room
    sad has through its hold and return."""
    project = None
    runs = {}
    for guard in (True, False):
        cue, stems = _two_variants(1 / 30, guard=guard)
        project = Project("p", cues=[cue])
        runs[guard] = run_adaptive(project, cue.name, _calm_to_sad(), mode="planned", render=stems)
    from composer_assist.adaptive.clicks import _Reference

    guarded, bare = runs[True], runs[False]
    (sw,) = guarded.schedule.switches
    trim = _Reference(guarded.schedule, guarded.stems, guarded.block).trims[1]
    assert trim.db < 0.5  # sad's loud bars come back while the trim is on: little room
    assert _Reference(bare.schedule, bare.stems, bare.block).trims[1].db == TRIM_MAX_DB
    top = guarded.stems.peak_top
    assert 20 * np.log10(np.max(np.abs(np.asarray(bare.audio[sw.arrival:])))) > 20 * np.log10(top) + 2.0
    assert np.max(np.abs(np.asarray(guarded.audio))) <= top * (1 + 1e-5)
    assert guarded.quality.click_excess <= 1e-3


def test_every_variant_sits_at_the_common_level_at_every_intensity():
    cue = synthetic_cue(n_variants=3, n_layers=2, bars=4)  # layer1 enters at intensity 0.5
    cue.variants[1].layers = cue.variants[1].layers[:1]  # tense: one layer, no swell with intensity
    cue.variants[2].level_offset_lu = 2.0  # playful: a deliberate 2 LU over the others
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise"))
    tables = [t.sum(axis=0) / t.shape[0] for t in stems.level_windows]
    levels = np.array([10 * np.log10(energy(c, lut)) for c, lut in zip(tables, stems.luts)])
    # Across the intensity range calm's second layer doubles its power; every row is matched now.
    assert np.ptp(levels[0]) > 2.5  # the common level still rises with intensity (most variants do)
    assert abs(levels[0] - levels[1]).max() < 1e-4  # float32 tables
    assert np.allclose(levels[2] - levels[0], 2.0, atol=1e-4)
    unmatched = [stems.luts[i] / m[:, None] for i, m in enumerate(
        intensity_makeup(stems.luts, stems.level_windows, [0.0, 0.0, 2.0]))]
    assert np.allclose(unmatched[1], stems.luts[1], rtol=1e-5)  # idempotent: matched already


def test_tables_survive_the_manifest_and_give_the_mix_loudness():
    from composer_assist.adaptive.quality import short_term

    cue, stems = _two_variants(2.0)
    v, j = 1, 20  # tense, the window starting at 5 s
    table = unpack(pack(stems.level_windows[v]), 1)
    assert np.allclose(table, stems.level_windows[v], rtol=1e-7)
    k = LUT_STEPS // 2
    x = stems.stacks[v].reshape(stems.length, 2, -1)[j * stems.window_hop:j * stems.window_hop + 3 * SR]
    mix = np.einsum("ncl,l->nc", x.astype(np.float64), stems.luts[v][k].astype(np.float64))
    assert abs(local_db(stems, v, j * stems.window_hop, k) - 0.691 - short_term(mix, SR)) < 0.05
