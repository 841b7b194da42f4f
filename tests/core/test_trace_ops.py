"""Trace operations: interpolation, resampling, smoothing, slicing, gaps, heart rate."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.core.errors import TraceError
from composer_assist.core.trace import (Trace, blend_heart_rate, fill_gaps, generate_trace,
                                        heart_rate_to_arousal)


def make(times, valence, arousal=None, **channels) -> Trace:
    arousal = np.zeros(len(times)) if arousal is None else arousal
    return Trace(np.asarray(times, float), np.asarray(valence, float), np.asarray(arousal, float),
                 {k: np.asarray(v, float) for k, v in channels.items()}, name="t")


def test_value_at_interpolates_and_clamps():
    tr = make([0.0, 1.0, 3.0], [0.0, 1.0, -1.0], [0.5, 0.5, 0.0])
    assert tr.value_at(0.5) == pytest.approx((0.5, 0.5))
    assert tr.value_at(2.0) == pytest.approx((0.0, 0.25))
    assert tr.value_at(-5.0) == pytest.approx((0.0, 0.5))
    assert tr.value_at(99.0) == pytest.approx((-1.0, 0.0))
    assert tr.duration == 3.0


def test_constructor_refuses_bad_times_and_ranges():
    with pytest.raises(TraceError, match="duplicate time"):
        make([0.0, 1.0, 1.0], [0, 0, 0])
    with pytest.raises(TraceError, match="decreasing time"):
        make([0.0, 2.0, 1.0], [0, 0, 0])
    with pytest.raises(TraceError, match="outside"):
        make([0.0, 1.0], [0.0, 1.5])
    with pytest.raises(TraceError, match="not a finite"):
        make([0.0, 1.0], [0.0, np.nan])


def test_resample_uniform_and_exact_on_linear_signal():
    t = np.array([0.0, 0.3, 1.1, 2.0, 3.7, 4.0])          # irregular
    tr = make(t, 0.2 * t - 0.4, -0.1 * t, heart_rate=60 + 5 * t)
    r = tr.resample(10.0)
    assert r.times.size == 41
    assert np.allclose(np.diff(r.times), 0.1)
    assert np.allclose(r.valence, 0.2 * r.times - 0.4)
    assert np.allclose(r.channels["heart_rate"], 60 + 5 * r.times)
    with pytest.raises(TraceError):
        tr.resample(0)


def test_causal_smoothing_never_uses_the_future():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 60, 300))
    v = np.clip(rng.normal(0, 0.4, t.size), -1, 1)
    a = np.clip(rng.normal(0, 0.4, t.size), -1, 1)
    base = make(t, v, a).smooth(3.0, causal=True)
    v2, a2 = v.copy(), a.copy()
    cut = 150
    v2[cut:] = -v2[cut:]
    a2[cut:] = 1.0
    changed = make(t, v2, a2).smooth(3.0, causal=True)
    assert np.array_equal(base.valence[:cut], changed.valence[:cut])
    assert np.array_equal(base.arousal[:cut], changed.arousal[:cut])
    assert not np.allclose(base.valence[cut:], changed.valence[cut:])
    # Zero-phase smoothing does look ahead: the same change alters earlier outputs.
    zp1, zp2 = make(t, v, a).smooth(3.0, causal=False), make(t, v2, a2).smooth(3.0, causal=False)
    assert not np.allclose(zp1.valence[cut - 5:cut], zp2.valence[cut - 5:cut])


def test_causal_step_response_time_constant():
    t = np.arange(0, 20, 0.01)
    tr = make(t, (t >= 5).astype(float)).smooth(2.0, causal=True)
    # One time constant after the step the EMA has covered 1 - 1/e of it.
    assert tr.value_at(7.0)[0] == pytest.approx(1 - np.exp(-1), abs=0.01)


def test_zero_phase_smoothing_has_no_lag_on_a_symmetric_bump():
    t = np.arange(0.0, 60.0, 0.25)
    bump = np.exp(-((t - 30.0) / 4.0) ** 2)
    tr = make(t, bump, bump)
    zero = tr.smooth(2.0, causal=False)
    causal = tr.smooth(2.0, causal=True)
    assert t[np.argmax(zero.valence)] == pytest.approx(30.0, abs=0.25)
    assert t[np.argmax(causal.valence)] > 31.0                  # the causal filter lags
    # Symmetric output: mirror images about the peak agree.
    i = int(np.argmax(zero.valence))
    assert np.allclose(zero.valence[i - 40:i], zero.valence[i + 40:i:-1], atol=1e-3)


def test_slice_interpolates_the_edges_and_keeps_times():
    tr = make([0.0, 2.0, 4.0, 6.0], [0.0, 0.2, 0.4, 0.6])
    s = tr.slice(1.0, 5.0)
    assert s.times.tolist() == [1.0, 2.0, 4.0, 5.0]
    assert s.valence == pytest.approx([0.1, 0.2, 0.4, 0.5])
    assert tr.slice(-10, 100).times.tolist() == tr.times.tolist()
    assert tr.slice(1.0, 5.0).shifted(-1.0).times[0] == 0.0
    with pytest.raises(TraceError, match="empty"):
        tr.slice(7.0, 9.0)


def test_fill_gaps_short_interpolated_long_marked_or_refused():
    t = np.arange(0.0, 20.0, 1.0)
    v = np.linspace(-0.5, 0.5, t.size)
    v[3:5] = np.nan           # gap 2..5 s: 3 s span
    v[10:16] = np.nan         # gap 9..16 s: 7 s span
    filled, valid = fill_gaps(t, {"valence": v}, max_gap_s=4.0, long_gaps="mark",
                              label=lambda i: f"line {i + 2}")
    expect = np.linspace(-0.5, 0.5, t.size)
    assert np.allclose(filled["valence"][3:5], expect[3:5])
    assert valid is not None and not valid[10:16].any() and valid[:10].all() and valid[16:].all()
    assert np.all(filled["valence"][10:16] == filled["valence"][9])     # held, not looked ahead
    with pytest.raises(TraceError, match=r"line 12: valence: a gap of 7 s"):
        fill_gaps(t, {"valence": v}, max_gap_s=4.0, long_gaps="refuse",
                  label=lambda i: f"line {i + 2}")


def test_resample_carries_the_valid_mask():
    t = np.arange(0.0, 10.0, 1.0)
    valid = np.ones(t.size, bool)
    valid[4:6] = False
    tr = Trace(t, np.zeros(t.size), np.zeros(t.size), valid=valid)
    assert tr.is_valid_at(3.0) and not tr.is_valid_at(3.5) and not tr.is_valid_at(5.0)
    assert tr.is_valid_at(6.5) and tr.is_valid_at(-1.0) and tr.is_valid_at(99.0)
    r = tr.resample(2.0)
    bad = r.times[~r.valid]
    assert bad.min() > 3.0 and bad.max() < 6.0 and 4.0 in bad and 5.0 in bad


def test_heart_rate_to_arousal_baseline_and_clip():
    t = np.arange(0.0, 120.0, 1.0)
    hr = np.where(t < 30, 70.0, 80.0)
    hr[100:] = 130.0
    a = heart_rate_to_arousal(hr, t, baseline_s=29.0, scale_bpm=20.0)
    assert a[:30] == pytest.approx(0.0)
    assert a[50] == pytest.approx(0.5)
    assert a[110] == 1.0                              # clipped
    assert heart_rate_to_arousal(hr, t, resting_hr=90.0)[0] == pytest.approx(-1.0)


def test_blend_heart_rate_into_arousal():
    tr = generate_trace("thriller_buildup", seed=3)
    hr_a = heart_rate_to_arousal(tr.channels["heart_rate"], tr.times)
    b = blend_heart_rate(tr, weight=0.25)
    assert np.allclose(b.arousal, np.clip(0.75 * tr.arousal + 0.25 * hr_a, -1, 1))
    assert np.array_equal(b.valence, tr.valence)
    with pytest.raises(TraceError, match="no channel 'heart_rate'"):
        blend_heart_rate(generate_trace("comedy_scene"))


def test_generator_deterministic_per_seed_and_shaped():
    a1, a2 = generate_trace("thriller_buildup", seed=7), generate_trace("thriller_buildup", seed=7)
    b = generate_trace("thriller_buildup", seed=8)
    assert np.array_equal(a1.valence, a2.valence) and np.array_equal(a1.arousal, a2.arousal)
    assert np.array_equal(a1.channels["heart_rate"], a2.channels["heart_rate"])
    assert not np.array_equal(a1.arousal, b.arousal)
    assert 60 <= a1.duration <= 180 and "heart_rate" in a1.channels
    # A build-up: the last third is more aroused than the first third; the HR follows.
    n = a1.times.size
    assert a1.arousal[2 * n // 3:].mean() > a1.arousal[: n // 3].mean() + 0.3
    hr = a1.channels["heart_rate"]
    assert hr[2 * n // 3:].mean() > hr[: n // 3].mean() + 5
    sad = generate_trace("calm_to_sad", duration=100.0, seed=1)
    assert sad.duration == 100.0
    assert sad.valence[:40].mean() > 0.1 and sad.valence[-40:].mean() < -0.4
    with pytest.raises(TraceError, match="unknown trace kind"):
        generate_trace("nope")
