"""The block mixer: crossfade loudness, layer gain slew, clicks, determinism, block-size independence."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.playback.curves import layer_gain
from composer_assist.playback.mixer import Mixer
from composer_assist.playback.stems import StemSet
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.level_match import LevelMatch
from composer_assist.core.levels import short_term_lufs
from composer_assist.core.project import AdaptiveSettings, Layer, PluginRef

SR = 48000


def test_equal_power_crossfade_between_uncorrelated_noise_keeps_loudness():
    cue = synthetic_cue(n_variants=2, n_layers=1, bars=4)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise", seed=3))
    mixer = Mixer(stems)
    mixer.start(0, 0.5)
    fade = 2 * SR
    mixer.schedule(Mixer.switch_event(2 * SR, 1, -1, 0, fade, "equal_power"))
    audio = mixer.render(6 * SR)
    _, lufs = short_term_lufs(audio.T, SR, window_s=0.4, hop_s=0.05)
    assert np.ptp(lufs) < 1.0, f"loudness moved {np.ptp(lufs):.2f} LU across the crossfade"
    # A linear crossfade of the same material dips by ~3 dB in the middle: the test can fail.
    mixer = Mixer(stems)
    mixer.start(0, 0.5)
    mixer.schedule(Mixer.switch_event(2 * SR, 1, -1, 0, fade, "linear"))
    _, lin = short_term_lufs(mixer.render(6 * SR).T, SR, window_s=0.4, hop_s=0.05)
    assert np.ptp(lin) > 2.0


def _gain_cue(fade: float = 0.1):
    cue = synthetic_cue(n_variants=1, n_layers=1, bars=8, adaptive=AdaptiveSettings(intensity_slew=0.5))
    v = cue.variants[0]
    v.layers.append(Layer("perc", PluginRef("pad"), intensity=(0.5, 1.0), fade=fade))
    n = cue.length_samples(SR)
    stems = {v.name: {"layer0": np.zeros((2, n), np.float32), "perc": np.ones((2, n), np.float32)}}
    # Unmatched (LevelMatch()): this tests the intensity law, and a full-scale DC layer would be
    # lowered under the true-peak ceiling by level matching.
    return cue, StemSet.from_arrays(cue, SR, stems, levels=LevelMatch())


def test_layer_gain_follows_intensity_and_is_slew_limited():
    cue, stems = _gain_cue()
    mixer = Mixer(stems)
    mixer.start(0, 0.0)
    mixer.schedule(Mixer.intensity_event(SR, 1.0))  # ask for full intensity at 1 s
    mixer.schedule(Mixer.intensity_event(5 * SR, 0.2))
    g = mixer.render(8 * SR)[:, 0].astype(np.float64)
    t = np.arange(g.size) / SR
    # Intensity rises at 0.5/s from 1 s, falls from 5 s; the layer's gain is its law of that.
    intensity = np.clip(np.minimum(0.5 * (t - 1.0), 1.0), 0, None)
    intensity = np.where(t >= 5.0, np.maximum(1.0 - 0.5 * (t - 5.0), 0.2), intensity)
    expected = layer_gain(intensity, 0.5, 1.0, 0.1)
    # Within a block the gain is a straight line between its exact values at the block edges,
    # so it departs from the law only around the law's corners, by less than one block's change.
    one_block = 0.5 * 512 / SR / 0.1
    assert np.max(np.abs(g - expected)) < 0.3 * one_block
    edges = np.arange(0, g.size, 512)
    assert np.max(np.abs(g[edges] - expected[edges])) < 2e-3
    assert g[int(1.79 * SR)] == 0.0 and g[int(2.01 * SR)] == pytest.approx(1.0)
    # Slew-limited: no step larger than (slew / fade) per second, i.e. no zipper steps.
    assert np.max(np.abs(np.diff(g))) <= 0.5 / 0.1 / SR * 1.05


def test_no_clicks_at_transitions_with_sine_stems():
    cue = synthetic_cue(n_variants=4, n_layers=3, bars=4)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="sine", amplitude=0.2))
    mixer = Mixer(stems)
    mixer.start(0, 1.0)
    points = []
    for i, (at, v, fade, curve) in enumerate([(1.3, 2, 0.5, "equal_power"), (3.1, 1, 0.005, "linear"),
                                              (4.7, 3, 1.0, "s_curve"), (7.0, 0, 0.3, "equal_power")]):
        s = int(at * SR) + 17 * i  # off the block grid on purpose
        mixer.schedule(Mixer.switch_event(s, v, -1, 0, int(fade * SR), curve))
        points += [s, s + int(fade * SR)]
    audio = mixer.render(9 * SR)[:, 0].astype(np.float64)
    step = np.abs(np.diff(audio))
    # Bound of a clean mix: the sines' own steepest steps (amplitude * 2 pi f / sr), both variants.
    own = [sum(0.2 * 2 * np.pi * 110.0 * (1 + li) * (1 + 0.25 * vi) / SR for li in range(3)) for vi in range(4)]
    bound = max(own[a] + own[b] for a in range(4) for b in range(4)) * 1.05
    worst = max(step[max(0, p - 200):p + 200].max() for p in points)
    assert worst <= bound
    # A hard cut between the same stems does exceed it, so the check can catch a click.
    a, b = stems.stacks[0][0::2].sum(axis=1), stems.stacks[2][0::2].sum(axis=1)
    cut = int(1.3 * SR) + 100
    assert abs(float(b[cut]) - float(a[cut - 1])) > bound


def test_block_size_does_not_change_the_audio_much_and_output_is_deterministic():
    cue = synthetic_cue(n_variants=2, n_layers=4, bars=4)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise", seed=1))

    def run(block):
        m = Mixer(stems, block=block)
        m.start(0, 0.2)
        m.load_events([Mixer.intensity_event(SR // 2, 0.9), Mixer.switch_event(SR + 77, 1, -1, 0, SR // 3, "equal_power")])
        return m.render(3 * SR)

    a, b, c = run(512), run(512), run(128)
    assert a.tobytes() == b.tobytes()
    # Gains ramp linearly between block edges: other block sizes differ only by the ramp shape.
    assert np.max(np.abs(a - c)) < 0.01


def test_stinger_plays_at_the_switch_sample():
    cue = synthetic_cue(n_variants=2, n_layers=1, bars=4)
    cue.stingers.append(Layer("hit", PluginRef("pad")))
    n = cue.length_samples(SR)
    silent = {v.name: {l.name: np.zeros((2, n), np.float32) for l in v.layers} for v in cue.variants}
    stems = StemSet.from_arrays(cue, SR, silent, stingers={"hit": np.full((2, 1000), 0.5, np.float32)})
    m = Mixer(stems)
    m.start(0, 0.5)
    m.schedule(Mixer.switch_event(12345, 1, -1, 0, 2000, "equal_power", stinger=0))
    out = m.render(20000)
    nz = np.flatnonzero(out[:, 0])
    assert nz[0] == 12345 and nz[-1] == 12345 + 999
