"""A variant's peak envelope (core.peak_envelope) bounds every sample the mixer plays of it, at any
intensity, in every block of cue positions, loop seam included; and it is exact at the gain
table's measured rows."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.synthetic import synthetic_cue
from composer_assist.core.mixmath import LUT_STEPS, gain_table
from composer_assist.core.peak_envelope import measured_rows, normalised
from composer_assist.playback.mixer import Mixer
from composer_assist.playback.stems import StemSet

SR = 8000


def _stem_set():
    cue = synthetic_cue(n_variants=2, n_layers=3, bars=4, layer_fade=0.1)
    cue.variants[0].layers[2].fade = 0.0  # a hard edge: the gain steps at its range's end
    rng = np.random.default_rng(7)
    n = cue.length_samples(SR)
    swell = np.linspace(0.2, 1.0, n, dtype=np.float32)  # layers that peak in different places
    stems = {v.name: {l.name: (rng.standard_normal((2, n)).astype(np.float32) * 0.1 * (swell if i % 2 else swell[::-1]))
                      for i, l in enumerate(v.layers)} for v in cue.variants}
    tails = {v.name: {l.name: 0.3 * rng.standard_normal((2, SR)).astype(np.float32) for l in v.layers}
             for v in cue.variants}  # rings over the loop start on every later pass
    return StemSet.from_arrays(cue, SR, stems, tails)


def _block_peaks(out: np.ndarray, block: int, length: int) -> np.ndarray:
    """Per block of cue positions, the largest |sample| over every pass of ``out`` (frames, 2)."""
    frames = np.abs(out).max(axis=1)
    pos = np.arange(frames.size) % length
    peaks = np.zeros(-(-length // block))
    np.maximum.at(peaks, pos // block, frames)
    return peaks


def test_no_intensity_plays_a_sample_over_the_envelope_and_the_measured_rows_reach_it():
    s = _stem_set()
    assert s.peak_block > 0 and s.peak_top > 0
    for v in range(len(s.variant_names)):
        env = s.peak_env[v] * s.peak_top
        highest = np.zeros_like(env)
        for x in np.linspace(0.0, 1.0, 41):  # rows on and between the measured ones
            m = Mixer(s)
            m.start(v, float(x))
            got = _block_peaks(m.render(2 * s.length), s.peak_block, s.length)  # two passes: the seam too
            assert np.all(got <= env * (1 + 1e-5)), (v, x, float((got / env).max()))
            highest = np.maximum(highest, got)
        # Tight where it matters: the envelope's top blocks are reached within a few percent.
        loud = env > 0.5 * env.max()
        assert np.median(highest[loud] / env[loud]) > 0.97


def test_the_measured_rows_are_the_kinks_and_steps_of_the_gain_table():
    s = _stem_set()
    v = s.cue.variants[0]
    u = gain_table(v, v.layers)
    rows = measured_rows(u)
    assert rows[0] == 0 and rows[-1] == LUT_STEPS
    # between two measured rows every layer's gain is affine in the row
    for a, b in zip(rows[:-1], rows[1:]):
        seg = u[a:b + 1]
        t = np.linspace(0.0, 1.0, b - a + 1)[:, None]
        assert np.allclose(seg, (1 - t) * seg[0] + t * seg[-1], atol=1e-9), (a, b)


def test_normalised_envelopes_are_at_most_one_and_never_under_the_measure():
    rng = np.random.default_rng(1)
    envs = [rng.random(50) * 0.3, rng.random(50) * 0.7]
    top, out, _ = normalised(envs)
    assert top == max(float(e.max()) for e in envs)
    for e, n in zip(envs, out):
        assert np.all(n <= 1.0) and np.all(n * top >= e) and np.all(n * top - e <= 1e-5 * top + 1e-12)
    assert max(float(n.max()) for n in out) == 1.0
