"""Real renders through worker processes: lengths, onsets, tails, parameters, determinism, cache."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.core.levels import rms_dbfs
from composer_assist.audio.render import mixdown, render_cue, write_cue
from composer_assist.audio.wavio import read_wav
from composer_assist.core.errors import PluginError, ProjectError
from composer_assist.core.mixmath import layer_gains
from composer_assist.core.project import Note, PluginRef
from composer_assist.core.timing import TempoMap, TempoPoint

from render_testkit import arpeggio, layer, onset, project, write_tone


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("sr", [44100, 48000])
def test_stems_have_exact_length_with_tempo_change(tmp_path, cache, sr):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    tempo = TempoMap([TempoPoint(0.0, 100.0), TempoPoint(4.0, 140.0)])
    p = project(folder, [layer("lead", tone, arpeggio(8)), layer("synth", "amsynth_vst.so", arpeggio(8, 1.0))],
                tempo=tempo, bars=2)
    r = render_cue(p, "cue", sample_rate=sr)
    expected = int(round((4 * 60 / 100 + 4 * 60 / 140) * sr))
    assert r.length == expected == p.cues[0].length_samples(sr)
    for name in ("lead", "synth"):
        stem = r.stems["main"][name]
        assert stem.dtype == np.float32 and stem.shape == (2, expected)
        assert rms_dbfs(stem) > -40.0, f"{name} is silent"
        assert r.tails["main"][name].shape[0] == 2
    assert {s.layer for s in r.stats} == {"lead", "synth"} and not any(s.cached for s in r.stats)


@pytest.mark.parametrize("plugin", ["tone", "amsynth_vst.so"])
def test_note_onset_lands_on_the_tempo_grid(tmp_path, cache, plugin):
    folder = tmp_path / "p"
    ref = write_tone(folder) if plugin == "tone" else plugin
    for bpm in (90.0, 150.0):
        p = project(folder, [layer("one", ref, [Note(3.0, 0.5, 60, 110)])], tempo=TempoMap.constant(bpm), bars=1)
        r = render_cue(p, "cue")
        at = onset(r.stems["main"]["one"])
        expected = 3.0 * 60.0 / bpm * r.sample_rate
        assert abs(at - expected) < 0.003 * r.sample_rate, (bpm, at, expected)


def test_onset_after_a_tempo_change(tmp_path, cache):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    tempo = TempoMap([TempoPoint(0.0, 120.0), TempoPoint(2.0, 60.0)])
    p = project(folder, [layer("one", tone, [Note(3.0, 0.25, 64, 110)])], tempo=tempo, bars=1)
    r = render_cue(p, "cue")
    expected = (1.0 + 1.0) * r.sample_rate  # 2 beats at 120 + 1 beat at 60
    assert abs(onset(r.stems["main"]["one"]) - expected) < 0.003 * r.sample_rate


def test_effect_tail_is_kept_apart(tmp_path, cache):
    folder = tmp_path / "p"
    notes = [Note(6.0, 1.9, 60, 120), Note(6.0, 1.9, 67, 120)]  # ends just before the cue end
    dry = layer("dry", "amsynth_vst.so", notes)
    wet = layer("wet", "amsynth_vst.so", notes, effects=[PluginRef("MVerb-vst.so", {"Mix": 0.8, "Decay": 0.8})])
    r = render_cue(project(folder, [dry, wet], bars=2), "cue")
    sr = r.sample_rate
    wet_tail, dry_tail = r.tails["main"]["wet"], r.tails["main"]["dry"]
    assert wet_tail.shape[1] > dry_tail.shape[1]
    assert wet_tail.shape[1] > 0.5 * sr, "the reverb should ring on past the cue end"
    assert rms_dbfs(wet_tail[:, : sr // 2]) > -50.0
    # The tail continues the body: no jump at the seam.
    body = r.stems["main"]["wet"]
    assert np.abs(wet_tail[:, 0] - body[:, -1]).max() < 0.2
    full = mixdown(r, "main", with_tail=True)
    assert full.shape[1] == r.length + max(wet_tail.shape[1], dry_tail.shape[1])


def test_parameters_change_the_sound(tmp_path, cache):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    notes = arpeggio(4)
    p = project(folder, [layer("dark", tone, notes, params={"cutoff": 200.0}),
                         layer("bright", tone, notes, params={"cutoff": 12000.0}),
                         layer("am_dark", "amsynth_vst.so", notes, params={"filter_cutoff": 0.15}),
                         layer("am_bright", "amsynth_vst.so", notes, params={"filter_cutoff": 1.0})], bars=1)
    r = render_cue(p, "cue")
    s = r.stems["main"]

    def centroid(x):
        spec = np.abs(np.fft.rfft(x[0]))
        f = np.fft.rfftfreq(x.shape[1], 1 / r.sample_rate)
        return float((spec * f).sum() / spec.sum())

    assert centroid(s["dark"]) < 0.5 * centroid(s["bright"])
    assert centroid(s["am_dark"]) < 0.7 * centroid(s["am_bright"])


def test_same_render_twice_and_cache(tmp_path, cache):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    layers = [layer("a", tone, arpeggio(8)), layer("b", "amsynth_vst.so", arpeggio(8, 1.0), gain_db=-6.0, pan=-0.5)]
    p = project(folder, layers, bars=2)
    first = render_cue(p, "cue", use_cache=False)
    second = render_cue(p, "cue", use_cache=False)
    for name in ("a", "b"):
        assert np.array_equal(first.stems["main"][name], second.stems["main"][name])
    fresh = render_cue(p, "cue")
    assert not fresh.cached_stems
    hit = render_cue(p, "cue")
    assert sorted(hit.cached_stems) == [("main", "a"), ("main", "b")]
    for name in ("a", "b"):
        assert np.array_equal(hit.stems["main"][name], first.stems["main"][name])
        assert np.array_equal(hit.tails["main"][name], first.tails["main"][name])
    # Editing one layer re-renders that layer only.
    p.cues[0].variants[0].layers[0].instrument.params["cutoff"] = 500.0
    edited = render_cue(p, "cue")
    assert edited.cached_stems == [("main", "b")]
    assert not np.array_equal(edited.stems["main"]["a"], first.stems["main"]["a"])
    # The mixdown applies gain and pan with the shared law.
    mix = mixdown(edited, "main")
    gl, gr = layer_gains(-6.0, -0.5)
    a, b = edited.stems["main"]["a"], edited.stems["main"]["b"]
    np.testing.assert_allclose(mix[0], a[0] + gl * b[0], atol=1e-6)
    np.testing.assert_allclose(mix[1], a[1] + gr * b[1], atol=1e-6)


def test_write_cue_and_stingers(tmp_path, cache):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    hit = layer("hit", "amsynth_vst.so", [Note(0.0, 1.0, 60, 120)])
    p = project(folder, [layer("a", tone, arpeggio(4))], bars=1, sample_rate=44100, stingers=[hit])
    r = render_cue(p, "cue")
    assert r.sample_rate == 44100
    sting = r.stingers["hit"]
    assert sting.dtype == np.float32 and sting.shape[0] == 2
    assert sting.shape[1] > 0.5 * 44100 and rms_dbfs(sting) > -40
    files = write_cue(r, tmp_path / "out")
    names = {f.relative_to(tmp_path / "out").as_posix() for f in files}
    assert {"cue/main/a.wav", "cue/main/mix.wav", "cue/stingers/hit.wav"} <= names
    audio, sr = read_wav(tmp_path / "out" / "cue" / "main" / "a.wav")
    assert sr == 44100 and np.array_equal(audio, r.stems["main"]["a"])
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_unknown_names_give_clear_errors(tmp_path, cache):
    folder = tmp_path / "p"
    tone = write_tone(folder)
    p = project(folder, [layer("a", "amsynth_vst.so", arpeggio(2), params={"filter_cutof": 0.5})], bars=1)
    with pytest.raises(PluginError, match=r"layer 'a'.*amsynth_vst.so.*unknown parameter 'filter_cutof'.*did you mean 'filter_cutoff'"):
        render_cue(p, "cue")
    p = project(folder, [layer("a", tone, arpeggio(2), params={"cutof": 500.0})], bars=1)
    with pytest.raises(ProjectError, match=r"layers\[0\]\.instrument\.params\.cutof: .*no parameter 'cutof'; "
                                           r"did you mean 'cutoff'"):
        render_cue(p, "cue")
    p = project(folder, [layer("a", "nosuchsynth", arpeggio(2))], bars=1)
    with pytest.raises(ProjectError, match=r"layers\[0\]\.instrument\.plugin: unknown plugin 'nosuchsynth'"):
        render_cue(p, "cue")
    with pytest.raises(ProjectError, match="no variant 'sad'"):
        render_cue(p, "cue", variants=["sad"])
