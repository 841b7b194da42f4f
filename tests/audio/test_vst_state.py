"""VST state: saved by one process, restored with load_preset by a fresh worker at render time."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.audio.plugins import probe_plugin, save_plugin_state
from composer_assist.audio.render import render_cue
from composer_assist.audio.workers import WorkerPool
from composer_assist.core.errors import PluginError

from render_testkit import arpeggio, layer, project


def test_amsynth_state_survives_save_and_restore(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "p"
    folder.mkdir()
    state = save_plugin_state("amsynth_vst.so", folder / "dark.fxp", {"filter_cutoff": 0.1, "osc1_waveform": 0.5})
    assert state.read_bytes()[:4] == b"CcnK"
    # A fresh process reads the parameter back from the state file.
    pool = WorkerPool(1)
    try:
        [r] = pool.run([{"op": "save_state", "path": "/usr/lib/vst/amsynth_vst.so", "kind": "vst2",
                         "state": str(state), "out": str(tmp_path / "copy.fxp")}], 30)
    finally:
        pool.close()
    assert r.ok, r.error
    assert (tmp_path / "copy.fxp").read_bytes() == state.read_bytes()
    notes = arpeggio(4)
    p = project(folder, [layer("default", "amsynth_vst.so", notes),
                         layer("restored", "amsynth_vst.so", notes, state="dark.fxp"),
                         layer("by_params", "amsynth_vst.so", notes,
                               params={"filter_cutoff": 0.1, "osc1_waveform": 0.5})], bars=1)
    s = render_cue(p, "cue").stems["main"]
    assert not np.allclose(s["restored"], s["default"], atol=1e-3)
    np.testing.assert_allclose(s["restored"], s["by_params"], atol=1e-4)
    # The state's bytes are part of the stem's identity: a new state re-renders the stem.
    save_plugin_state("amsynth_vst.so", folder / "dark.fxp", {"filter_cutoff": 0.9})
    again = render_cue(p, "cue")
    assert ("main", "restored") not in again.cached_stems
    assert not np.allclose(again.stems["main"]["restored"], s["restored"], atol=1e-3)


def test_state_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    p = project(tmp_path / "p", [layer("x", "amsynth_vst.so", arpeggio(2), state="missing.fxp")], bars=1)
    with pytest.raises(PluginError, match="layer 'x'.*state file .*missing.fxp not found"):
        render_cue(p, "cue")
    with pytest.raises(PluginError, match="Faust"):
        save_plugin_state("pad", tmp_path / "x.fxp")
    info = probe_plugin("MVerb-vst.so")
    assert info.ok and {"Mix", "Decay"} <= {q["name"] for q in info.params}


def test_a_state_file_saved_by_another_plugin_is_refused(tmp_path, monkeypatch):
    """amsynth's FXP given to Kars rendered without a word, the bytes read as Kars settings."""
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "p"
    folder.mkdir()
    save_plugin_state("amsynth_vst.so", folder / "am.fxp", {"filter_cutoff": 0.1})
    p = project(folder, [layer("k", "Kars-vst.so", arpeggio(2), state="am.fxp")], bars=1)
    with pytest.raises(PluginError, match=r"layer 'k'.*state file .*am.fxp was saved by another plugin "
                                          r"\(its id 'amsy', this plugin's '[^']+'\)"):
        render_cue(p, "cue")
