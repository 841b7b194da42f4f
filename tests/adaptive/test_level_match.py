"""Level matching of variants (core.level_match): matched loudness, offsets, the true-peak ceiling."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.adaptive.synthetic import synthetic_cue
from composer_assist.core.errors import ProjectError
from composer_assist.core.level_match import CEILING_DBTP, LevelMatch, match_levels, nominal_intensity
from composer_assist.core.levels import integrated_lufs, true_peak_dbtp
from composer_assist.core.project import project_from_json, project_to_json
from composer_assist.playback.mixer import Mixer
from composer_assist.playback.stems import StemSet

SR = 48000


def _noise_stems(cue, amplitudes, seed=0):
    rng = np.random.default_rng(seed)
    n = cue.length_samples(SR)
    return {v.name: {l.name: (a * rng.standard_normal((2, n))).astype(np.float32) for l in v.layers}
            for v, a in zip(cue.variants, amplitudes)}


def _nominal_lufs(stems_set: StemSet, variant: int) -> float:
    mixer = Mixer(stems_set)
    mixer.start(variant, nominal_intensity(stems_set.cue.variants[variant]))
    return integrated_lufs(mixer.render(stems_set.length).T, SR)


def test_variants_of_different_levels_come_out_matched():
    cue = synthetic_cue(n_variants=3, n_layers=1, bars=4)
    stems = _noise_stems(cue, [0.01, 0.05, 0.02])
    unmatched = StemSet.from_arrays(cue, SR, stems, levels=LevelMatch())
    before = [_nominal_lufs(unmatched, i) for i in range(3)]
    assert np.ptp(before) > 10.0
    matched = StemSet.from_arrays(cue, SR, stems)
    after = [_nominal_lufs(matched, i) for i in range(3)]
    assert np.ptp(after) < 0.5, after
    assert not matched.levels.messages


def test_level_offset_is_kept_on_top_of_the_match():
    cue = synthetic_cue(n_variants=2, n_layers=1, bars=4)
    cue.variants[1].level_offset_lu = -3.0
    s = StemSet.from_arrays(cue, SR, _noise_stems(cue, [0.01, 0.05]))
    a, b = _nominal_lufs(s, 0), _nominal_lufs(s, 1)
    assert b - a == pytest.approx(-3.0, abs=0.3)


def test_a_stem_set_that_would_peak_over_full_scale_is_lowered_and_says_so():
    cue = synthetic_cue(n_variants=2, n_layers=2, bars=4)
    n = cue.length_samples(SR)
    t = np.arange(n) / SR
    loud = np.stack([0.1 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    # The second variant is quiet but for sparse spikes that nearly reach full scale: matching
    # raises it towards the loud one, which would take its spikes well over 0 dBFS.
    spiky = np.stack([0.01 * np.sin(2 * np.pi * 330 * t)] * 2).astype(np.float32)
    spiky[:, ::4800] = 0.45
    stems = {cue.variants[0].name: {l.name: loud for l in cue.variants[0].layers},
             cue.variants[1].name: {l.name: spiky for l in cue.variants[1].layers}}
    m = match_levels(cue, SR, stems)
    # Matched at the median without lowering, the spiky variant would peak over full scale.
    assert m.gains_db[cue.variants[1].name] + m.lowered_db + true_peak_dbtp(2 * spiky) > 0.0
    assert m.lowered_db > 1.0
    assert any("lowered the common target" in msg for msg in m.messages)
    s = StemSet.from_arrays(cue, SR, stems, levels=m)
    for i, v in enumerate(cue.variants):
        mixer = Mixer(s)
        mixer.start(i, 1.0)
        out = mixer.render(s.length)
        assert np.max(np.abs(out)) <= 1.0
        assert true_peak_dbtp(out.T) <= CEILING_DBTP + 0.1
    # ... and a layer that clips on its own is named.
    stems[cue.variants[1].name][cue.variants[1].layers[0].name] = spiky * 2.5
    m = match_levels(cue, SR, stems)
    assert any("alone peaks" in msg and "dBTP" in msg for msg in m.messages)


def test_level_offset_parses_serializes_and_is_range_checked():
    doc = {"schema_version": 1, "name": "p", "sample_rate": 48000, "cues": [{
        "name": "c", "tempo": 120, "meter": "4/4", "length_bars": 2,
        "variants": [{"name": "a", "valence": 0, "arousal": 0, "level_offset_lu": -2.5, "layers": []},
                     {"name": "b", "valence": 0, "arousal": 0, "layers": []}]}]}
    p = project_from_json(json.loads(json.dumps(doc)))
    a, b = p.cues[0].variants
    assert (a.level_offset_lu, b.level_offset_lu) == (-2.5, 0.0)
    out = project_to_json(p)["cues"][0]["variants"]
    assert out[0]["level_offset_lu"] == -2.5 and "level_offset_lu" not in out[1]
    doc["cues"][0]["variants"][0]["level_offset_lu"] = 40
    with pytest.raises(ProjectError, match="level_offset_lu"):
        project_from_json(doc)
