"""The level match is kept with the stems it measured: read back equal, measured again when the
cue, the stems or the file change, never kept for a render that skipped the stem cache."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.audio import cue_render, level_cache
from composer_assist.audio.render import render_cue
from composer_assist.core.level_match import match_levels
from composer_assist.core.project import Variant

from render_testkit import arpeggio, layer, project, write_tone


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "levels"


@pytest.fixture
def two_variants(tmp_path):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    variants = [Variant("soft", 0.5, -0.5, [], layers=[layer("a", tone, arpeggio(4), gain_db=-12.0)]),
                Variant("loud", -0.5, 0.5, [], layers=[layer("a", tone, arpeggio(4, step=0.25))])]
    return project(folder, [], bars=1, variants=variants)


def _measured(monkeypatch) -> list[int]:
    calls: list[int] = []

    def counting(*args, **kwargs):
        calls.append(1)
        return match_levels(*args, **kwargs)

    monkeypatch.setattr(cue_render, "match_levels", counting)
    return calls


def test_a_second_render_reads_the_level_match_back_equal(two_variants, cache, monkeypatch):
    calls = _measured(monkeypatch)
    first = render_cue(two_variants, "cue").level_match()
    assert calls == [1] and len(list(cache.glob("*.npz"))) == 1
    again = render_cue(two_variants, "cue").level_match()
    assert calls == [1]  # read, not measured
    assert again.gains_db == first.gains_db and again.loudness == first.loudness
    assert again.true_peaks_dbtp == first.true_peaks_dbtp and again.messages == first.messages
    assert again.window_hop == first.window_hop and again.windows.keys() == first.windows.keys()
    for name, table in first.windows.items():
        np.testing.assert_array_equal(again.windows[name], table)
    assert first.gains_db["soft"] - first.gains_db["loud"] > 10  # the match means something


def test_a_changed_cue_or_an_uncached_render_is_measured_again(two_variants, cache, monkeypatch):
    calls = _measured(monkeypatch)
    before = render_cue(two_variants, "cue").level_match()
    two_variants.cue("cue").variants[0].layers[0].gain_db = -6.0  # a fader: the same stems, new gains
    after = render_cue(two_variants, "cue").level_match()
    assert calls == [1, 1]
    def apart(m):
        return m.gains_db["soft"] - m.gains_db["loud"]

    assert apart(after) == pytest.approx(apart(before) - 6.0, abs=0.05)  # 6 dB less to bring it up
    files = set(cache.glob("*.npz"))
    render_cue(two_variants, "cue", use_cache=False).level_match()  # the user asked for no cache
    assert calls == [1, 1, 1] and set(cache.glob("*.npz")) == files


def test_an_unreadable_level_file_is_measured_again_and_replaced(two_variants, cache, monkeypatch):
    calls = _measured(monkeypatch)
    good = render_cue(two_variants, "cue").level_match()
    (path,) = cache.glob("*.npz")
    path.write_bytes(b"PK\x03\x04 not a zip")
    again = render_cue(two_variants, "cue").level_match()
    assert calls == [1, 1] and again.gains_db == good.gains_db
    assert level_cache.load_levels(path.stem) is not None  # replaced by a good one


def test_the_intensity_peaks_are_kept_with_the_level_match(two_variants, cache, monkeypatch):
    from composer_assist.core.intensity_peaks import intensity_peaks_dbtp

    calls: list[int] = []

    def counting(*args, **kwargs):
        calls.append(1)
        return intensity_peaks_dbtp(*args, **kwargs)

    monkeypatch.setattr(cue_render, "intensity_peaks_dbtp", counting)
    first = render_cue(two_variants, "cue").intensity_peaks()
    assert calls == [1] and set(first) == {"soft", "loud"}
    again = render_cue(two_variants, "cue").intensity_peaks()
    assert calls == [1] and again == first  # read back exactly (JSON keeps a float's every digit)
    (rows,) = cache.glob("*-rows.json")
    rows.write_text('{"intensity_peaks_dbtp": {"soft": "loud"}}')
    assert render_cue(two_variants, "cue").intensity_peaks() == first and calls == [1, 1]  # measured again
    assert level_cache.load_intensity_peaks(rows.name.removesuffix("-rows.json")) == first  # and replaced
    render_cue(two_variants, "cue", use_cache=False).intensity_peaks()
    assert calls == [1, 1, 1]


def test_the_peak_envelopes_are_kept_with_the_level_match(two_variants, cache, monkeypatch):
    from composer_assist.playback import stems as stems_module
    from composer_assist.playback.stems import StemSet

    calls: list[int] = []
    measure = stems_module.peak_envelope

    def counting(*args, **kwargs):
        calls.append(1)
        return measure(*args, **kwargs)

    monkeypatch.setattr(stems_module, "peak_envelope", counting)
    first = StemSet.from_render(render_cue(two_variants, "cue"))
    assert len(calls) == 2 and first.peak_block > 0 and first.peak_top > 0  # one per variant
    again = StemSet.from_render(render_cue(two_variants, "cue"))
    assert len(calls) == 2  # read back, not measured
    assert again.peak_block == first.peak_block and again.peak_top == first.peak_top
    for a, b in zip(again.peak_env, first.peak_env):
        np.testing.assert_array_equal(a, b)
    # a file that does not fit these stems is measured again and replaced
    (kept,) = cache.glob("*-peaks-*.npz")
    np.savez(kept, block=np.int64(first.peak_block), top=np.float64(1.0), count=np.int64(2),
             env_0=np.ones(3), env_1=np.ones(3))
    assert StemSet.from_render(render_cue(two_variants, "cue")).peak_env[0].shape == first.peak_env[0].shape
    assert len(calls) == 4
    np.testing.assert_array_equal(StemSet.from_render(render_cue(two_variants, "cue")).peak_env[1],
                                  first.peak_env[1])
    assert len(calls) == 4  # the replacement reads
    # another stem layout (this module's source changed) measures again
    monkeypatch.setattr(stems_module, "_layout_hash", lambda: "another layout")
    StemSet.from_render(render_cue(two_variants, "cue"))
    assert len(calls) == 6
    StemSet.from_render(render_cue(two_variants, "cue", use_cache=False))
    assert len(calls) == 8  # the user asked for no cache
