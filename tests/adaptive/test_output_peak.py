"""The adaptive output's peak is a quality figure, and a peak over full scale is said, with where
and what added up there (issue 10: "one mixdown peaked at +1.0 dBFS with nothing said")."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.engine import format_quality, run_adaptive
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import Project
from composer_assist.core.trace import Trace
from composer_assist.playback.stems import StemSet

SR = 16000


def _calm_to_sad() -> Trace:
    t = np.arange(0, 30.05, 0.1)
    return Trace(t, np.where(t < 9, 0.6, -0.6), np.full(t.shape, -0.6), name="calm to sad")


def _run(stems: dict):
    cue = synthetic_cue(n_variants=4, n_layers=1, bars=8)
    result = run_adaptive(Project("p", cues=[cue]), cue.name, _calm_to_sad(), mode="planned",
                          render=StemSet.from_arrays(cue, SR, stems(cue)))
    return result


def test_the_output_peak_is_the_highest_sample_and_where_it_is():
    result = _run(lambda cue: synthetic_stems(cue, SR, kind="noise"))
    q, audio = result.quality, np.asarray(result.audio)
    top = np.max(np.abs(audio), axis=1)
    assert q.peak_dbfs == 20 * np.log10(top.max())
    assert abs(q.peak_time_s * SR - int(np.argmax(top))) < 1
    assert q.peak_dbfs < 0
    assert "0 dBFS is full scale" in format_quality(result)


def test_two_variants_peaking_together_over_full_scale_in_a_crossfade_are_named():
    """calm and sad hold the same hot tone: each alone is matched under the true-peak ceiling, but
    an equal-power crossfade adds them at up to +3 dB (cos + sin), over full scale."""

    def same_tone(cue):
        t = np.arange(cue.length_samples(SR)) / SR
        tone = np.stack([0.9 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
        return {v.name: {l.name: tone for l in v.layers} for v in cue.variants}

    result = _run(same_tone)
    q = result.quality
    (sw,) = result.schedule.switches
    assert np.max(np.abs(np.asarray(result.audio[:sw.sample]))) < 1.0  # calm alone is under
    assert q.peak_dbfs > 1.0
    assert sw.sample <= q.peak_time_s * SR < sw.arrival
    line = next(x for x in format_quality(result).splitlines() if x.startswith("peak"))
    assert "OVER full scale" in line and f"in the crossfade calm -> sad from {sw.sample / SR:.2f} s" in line, line
