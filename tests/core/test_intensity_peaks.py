"""The highest true peak over a variant's intensity range, the level match over intensity in."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.intensity_peaks import TOLERANCE_DB, intensity_peaks_dbtp
from composer_assist.core.level_match import CEILING_DBTP, match_levels
from composer_assist.core.level_windows import intensity_makeup
from composer_assist.core.mixmath import gain_table, layer_gains
from composer_assist.package.loudness import delivery_loudness
from composer_assist.playback.stems import StemSet

SR = 8000


def _clicky(cue, amplitude: float = 0.5):
    """Noise stems, but the first variant's first layer (alone at the lowest intensities) is a
    sparse click train: a row the makeup raises a lot, and peaky."""
    stems = synthetic_stems(cue, SR, kind="noise", amplitude=0.2, seed=3)
    first = cue.variants[0]
    clicks = np.zeros_like(stems[first.name][first.layers[0].name])
    clicks[:, ::SR // 8] = amplitude
    stems[first.name][first.layers[0].name] = clicks
    return stems


def _row_peaks(cue, stems, levels) -> dict[str, np.ndarray]:
    """Brute force: every row's true peak (4x, resample_poly), its makeup in, before the variant's gain."""
    layers = {v.name: [l for l in v.layers if l.name in stems[v.name]] for v in cue.variants}
    tables = [gain_table(v, layers[v.name]).astype(np.float32) for v in cue.variants]
    makeups = intensity_makeup(tables, [levels.windows[v.name] for v in cue.variants],
                               [v.level_offset_lu for v in cue.variants])
    out = {}
    for v, table, m in zip(cue.variants, tables, makeups):
        ys = []
        for l in layers[v.name]:
            a = np.asarray(stems[v.name][l.name], dtype=np.float64) * np.array(layer_gains(l.gain_db, l.pan))[:, None]
            ys.append(np.concatenate([a, resample_poly(a, 4, 1, axis=1)], axis=1))  # samples and 4x
        y = np.stack(ys)  # (layers, 2, n + 4n)
        rows = gain_table(v, layers[v.name]) * np.asarray(m, dtype=np.float64)[:, None]
        peaks = np.empty(rows.shape[0])
        for s in range(0, rows.shape[0], 256):
            mix = np.tensordot(rows[s:s + 256], y, axes=(1, 0))
            peaks[s:s + 256] = np.abs(mix).reshape(mix.shape[0], -1).max(axis=1)
        out[v.name] = 20 * np.log10(peaks)
    return out


@pytest.mark.parametrize("fade", [0.1, 0.0], ids=["ramps", "hard edges"])
def test_bound_is_above_every_row_and_within_the_tolerance(fade):
    cue = synthetic_cue(n_variants=3, n_layers=3, bpm=480.0, bars=1, layer_fade=fade)
    stems = _clicky(cue)
    levels = match_levels(cue, SR, stems)
    exact = _row_peaks(cue, stems, levels)
    got = intensity_peaks_dbtp(cue, stems, levels.windows, {v.name: -200.0 for v in cue.variants})
    for v in cue.variants:
        top = float(exact[v.name].max())
        assert top - 1e-6 <= got[v.name] <= top + TOLERANCE_DB + 1e-6, (v.name, top, got[v.name])
    # the clicky variant's highest row is a sparse one, above both mixes level matching measured
    first = cue.variants[0].name
    assert exact[first].argmax() < 1024 and exact[first].max() > levels.true_peaks_dbtp[first] + 3.0
    # asked only above a floor: a variant no row of which gets there answers the floor...
    floors = {v.name: float(exact[v.name].max()) + 1.0 for v in cue.variants}
    assert intensity_peaks_dbtp(cue, stems, levels.windows, floors) == pytest.approx(floors, abs=1e-9)
    # ...and one with a row over it is never settled by the cheap bounds: its row is found
    for strict in (False, True):
        under = {v.name: float(exact[v.name].max()) - 0.3 for v in cue.variants}
        got = intensity_peaks_dbtp(cue, stems, levels.windows, under, strict=strict)
        for v in cue.variants:
            top = float(exact[v.name].max())
            assert top - 1e-6 <= got[v.name] <= top + TOLERANCE_DB + 1e-6, (v.name, strict, top, got[v.name])


def test_no_row_of_the_level_match_over_intensity_peaks_above_the_ceiling():
    """Before, only the nominal and the full mix were held under the ceiling: the makeup raised the
    click train alone at low intensity to +3 dBTP, over full scale in adapt and play."""
    cue = synthetic_cue(n_variants=3, n_layers=3, bpm=480.0, bars=1)
    stems = _clicky(cue, amplitude=0.9)
    levels = match_levels(cue, SR, stems)
    assert any("at any intensity" in m for m in levels.messages), levels.messages
    exact = _row_peaks(cue, stems, levels)
    for v in cue.variants:
        assert exact[v.name].max() + levels.gain_db(v.name) <= CEILING_DBTP + 1e-6
    # what the mixer reads: each row of the stem set, gains and makeup in, under full scale
    st = StemSet.from_arrays(cue, SR, stems)
    for stack, lut in zip(st.stacks, st.luts):
        assert float(np.abs(stack @ lut[::64].T).max()) < 1.0


def test_delivery_gain_keeps_every_row_under_the_ceiling():
    cue = synthetic_cue(n_variants=3, n_layers=3, bpm=480.0, bars=1)
    stems = _clicky(cue, amplitude=0.05)
    levels = match_levels(cue, SR, stems)
    exact = _row_peaks(cue, stems, levels)
    rows = intensity_peaks_dbtp(cue, stems, levels.windows, levels.true_peaks_dbtp)
    before = delivery_loudness(cue, levels)
    after = delivery_loudness(cue, levels, intensity_peaks=rows)
    worst = max(float(exact[v.name].max()) + levels.gain_db(v.name) for v in cue.variants)
    assert worst + before.delivery_gain_db > CEILING_DBTP + 1.0  # the figure without the rows
    assert worst + after.delivery_gain_db <= CEILING_DBTP + 1e-6
    assert after.true_peak_dbtp >= CEILING_DBTP - TOLERANCE_DB - 0.01
    first = cue.variants[0].name
    assert after.variants[first].true_peak_dbtp == round(rows[first] + levels.gain_db(first) + after.delivery_gain_db, 2)


def test_block_true_peaks_make_up_the_true_peak():
    from composer_assist.core.intensity_peaks import PEAK_BLOCK, _block_true_peaks
    from composer_assist.core.levels import true_peak_dbtp

    rng = np.random.default_rng(7)
    n = 5 * PEAK_BLOCK + 300
    a = rng.normal(0, 0.1, (2, n))
    a[1, 3 * PEAK_BLOCK - 1:3 * PEAK_BLOCK + 1] = [0.9, -0.9]  # an inter-sample peak across a block edge
    a[0, :2] = [0.5, -0.5]  # and at the start, against the zeros before it
    blocks = [float(_block_true_peaks([a], b)[0]) for b in range(-(-n // PEAK_BLOCK))]
    assert max(blocks) == pytest.approx(10 ** (true_peak_dbtp(a) / 20), rel=1e-12)
    assert max(blocks) > 0.95  # the interpolated peak, over the samples (0.9)
