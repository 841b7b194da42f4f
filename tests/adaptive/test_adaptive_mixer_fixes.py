"""Mixer regressions: uneven layer counts, deck pool overflow, per-block allocation, seam tails."""

from __future__ import annotations

import tracemalloc

import numpy as np

from composer_assist.playback.mixer import POOL_DECKS, Mixer
from composer_assist.playback.stems import DECLICK_S, StemSet
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems

SR = 48000


def _uneven_stems(kind: str = "sine") -> StemSet:
    cue = synthetic_cue(n_variants=4, n_layers=4, bars=4)
    cue.variants[1].layers = cue.variants[1].layers[:2]
    cue.variants[3].layers = cue.variants[3].layers[:3]
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind=kind))
    stems.level_windows = []  # no transition trim: each variant must sound as it does alone
    return stems


def test_variants_with_different_layer_counts_share_decks():
    stems = _uneven_stems()
    mixer = Mixer(stems)
    mixer.start(1, 0.9)  # the narrow variant takes the first deck, then wider ones reuse it
    mixer.load_events([Mixer.switch_event(SR * k, k % 4, -1, 0, SR // 10, "equal_power") for k in range(1, 9)])
    audio = mixer.render(10 * SR)
    # Each second is one variant at intensity 0.9: it must sound like that variant alone.
    for k in range(1, 9):
        v = k % 4
        a = SR * k + SR // 4  # well after the 0.1 s fade
        pos, passes = stems.clock.advance(0, 0, a)
        ref = Mixer(stems)
        ref.start(v, 0.9, pos=pos, passes=passes)
        np.testing.assert_allclose(audio[a:a + 512], ref.render(512), atol=1e-5, err_msg=f"second {k}")
    assert mixer.playing == 8 % 4


def test_more_overlapping_switches_than_decks_never_raise():
    stems = _uneven_stems(kind="noise")
    mixer = Mixer(stems)
    mixer.start(0, 0.5)
    n = 3 * POOL_DECKS
    mixer.load_events([Mixer.switch_event(1000 * k, k % 4, -1, 0, SR, "equal_power") for k in range(1, n)])
    audio = mixer.render(3 * SR)
    assert np.isfinite(audio).all()
    assert len(mixer._decks) == 1 and mixer.playing == (n - 1) % 4


def test_steady_blocks_allocate_almost_nothing():
    cue = synthetic_cue(n_variants=4, n_layers=4, bars=8)
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise"))
    mixer = Mixer(stems, block=512)
    mixer.start(0, 0.5)
    ev = [Mixer.switch_event(SR * k, k % 4, -1, 0, SR // 2, "equal_power") for k in range(1, 8)]
    ev += [Mixer.intensity_event(1000 * k, (k % 10) / 10) for k in range(1, 300)]
    mixer.load_events(ev)
    out = np.zeros((512, 2), np.float32)
    for _ in range(10):
        mixer.process(out)
    tracemalloc.start()
    try:
        peaks = []
        for _ in range(600):  # crossfades, intensity ramps and a loop wrap included
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            mixer.process(out)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    # A copied 512-frame block of 4 layers alone is 16 KB; Python scalars cost a few hundred bytes.
    assert max(peaks) < 4096, max(peaks)
    assert float(np.median(peaks)) < 2048, np.median(peaks)


def test_release_tail_longer_than_the_seam_fades_instead_of_stopping():
    cue = synthetic_cue(n_variants=1, n_layers=1, bars=4)  # 8 s loop, 4 s seam, 6 s tail
    n = cue.length_samples(SR)
    t = np.arange(n) / SR
    body = (0.2 * np.sin(2 * np.pi * 37.3 * t) * (t < n / SR - 0.2)).astype(np.float32)
    tl = np.arange(6 * SR) / SR
    tail = (0.2 * np.sin(2 * np.pi * 37.3 * tl) * np.exp(-tl / 2.0)).astype(np.float32)
    name = cue.variants[0].name
    stems = StemSet.from_arrays(cue, SR, {name: {"layer0": np.stack([body, body])}},
                                tails={name: {"layer0": np.stack([tail, tail])}})
    assert stems.seam < tail.size
    mixer = Mixer(stems)
    mixer.start(0, 1.0)
    a = mixer.render(3 * n)[:, 0]
    step = np.abs(np.diff(a))
    end = n + stems.seam  # where the seam (and the tail it carries) ends on the first wrap
    near = step[end - 2000:end - 2 * int(DECLICK_S * SR)].max()
    assert step[end - 5:end + 5].max() <= 1.5 * near
    # Without the fade the tail (amplitude ~0.07 there) would stop dead: a step far above `near`.
    assert 0.2 * np.exp(-stems.seam / SR / 2.0) > 5 * near


def test_click_check_sees_a_spike_at_a_switch_and_a_wrap_but_not_clean_transitions():
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.adaptive.quality import compute_quality
    from composer_assist.core.project import Project
    from composer_assist.core.trace import Trace

    cue = synthetic_cue(n_variants=4, n_layers=3, bars=2)  # 4 s loop: several wraps
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise"))
    t = np.arange(0, 20.05, 0.1)
    v = np.where(t < 9, 0.7, -0.7)
    trace = Trace(t, v, 0.7 * np.sin(t / 4.0), name="turn")
    r = run_adaptive(Project("p", cues=[cue]), cue.name, trace, mode="live", render=stems)
    assert r.quality.switches >= 1 and r.quality.click_excess < 1e-4
    for p in (r.schedule.switches[0].sample + 5, stems.clock.loop_len + 3):  # a switch, the first wrap
        audio = r.audio.copy()
        audio[p] += 0.03
        q = compute_quality(r.cue, r.schedule, [], r.reference, audio, SR, stems, r.block)
        assert q.click_excess > 0.025, p
