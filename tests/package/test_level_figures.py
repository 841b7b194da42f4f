"""The level figures a package's loudness is built on: level matching measures each mix once and
skips layers that cannot reach full scale, with the same results as measuring everything."""

from __future__ import annotations

import numpy as np

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.level_match import _mix, match_levels, nominal_intensity
from composer_assist.core.levels import true_peak_dbtp
from composer_assist.core.mixmath import layer_gains


def test_true_peaks_are_those_of_the_nominal_and_full_mixes():
    cue = synthetic_cue(n_variants=2, n_layers=3, bars=2)
    stems = synthetic_stems(cue, 48000, kind="noise", amplitude=0.05)
    m = match_levels(cue, 48000, stems)
    for v in cue.variants:
        per = stems[v.name]
        want = max(true_peak_dbtp(_mix(v, per, nominal_intensity(v))), true_peak_dbtp(_mix(v, per, None)))
        assert m.true_peaks_dbtp[v.name] == want


def test_a_layer_over_full_scale_is_still_reported_and_quiet_ones_are_not():
    cue = synthetic_cue(n_variants=1, n_layers=2, bars=2)
    stems = synthetic_stems(cue, 48000, kind="sine", amplitude=0.2)
    v = cue.variants[0]
    loud = v.layers[1]
    t = np.arange(stems[v.name][loud.name].shape[1]) / 48000
    x = 1.3 * np.sin(2 * np.pi * 11990 * t)  # near a quarter of the rate: inter-sample peaks
    stems[v.name][loud.name] = np.stack([x, x]).astype(np.float32)
    m = match_levels(cue, 48000, stems)
    gl, gr = layer_gains(loud.gain_db, loud.pan)
    tp = true_peak_dbtp(np.stack([x * gl, x * gr]))
    assert [s for s in m.messages if "alone peaks" in s] == \
        [f"warning: variant {v.name!r} layer {loud.name!r} alone peaks at {tp:+.1f} dBTP (over full scale): "
         f"lower its gain_db"]
