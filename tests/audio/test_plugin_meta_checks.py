"""Faust plugin metadata is type- and range-checked, naming the json file and key."""

from __future__ import annotations

import json

import pytest

from composer_assist.core.errors import PluginError, ProjectError
from composer_assist.core.plugins.meta import faust_meta, note_ranges, playable_notes, silent_notes
from composer_assist.core.project import check_plugins, load_project

GOOD = {"kind": "instrument", "voices": 4, "release_s": 0.2,
        "params": {"cutoff": {"default": 4000, "min": 50, "max": 16000, "unit": "Hz"}}}


@pytest.mark.parametrize("change,msg", [
    ({"release_s": "long"}, r"release_s: expected a number, got \"long\""),
    ({"release_s": -100}, r"release_s: -100 is outside 0..30"),
    ({"release_s": 1e9}, r"release_s: 1e\+09 is outside 0..30"),
    ({"voices": "eight"}, r"voices: expected a whole number 1..64, got \"eight\""),
    ({"voices": 0}, r"voices: 0 is outside 1..64"),
    ({"voices": 2.5}, r"voices: expected a whole number"),
    ({"voices": True}, r"voices: expected a whole number"),
    ({"params": {"gain": "abc"}}, r"params.gain: expected an object"),
    ({"params": {"g": {"default": 0, "min": "0", "max": 1}}}, r"params.g.min: expected a number, got \"0\""),
    ({"params": {"g": {"default": 0, "min": 2, "max": 1}}}, r"params.g: min 2 is above max 1"),
    ({"params": {"g": {"default": 5, "min": 0, "max": 1}}}, r"params.g.default: 5 is outside 0..1"),
    ({"params": {"g": {"min": 0, "max": 1}}}, r"params.g.default: missing"),
    ({"notes": "35-51"}, r"notes: expected a list of MIDI notes and \[low, high\] ranges, got \"35-51\""),
    ({"notes": []}, r"notes: expected a list"),
    ({"notes": [35, 128]}, r"notes\[1\]: 128 is outside 0..127"),
    ({"notes": [[51, 35]]}, r"notes\[0\]: low 51 is above high 35"),
    ({"notes": [[35, 40, 45]]}, r"notes\[0\]: a range is \[low, high\], got \[35, 40, 45\]"),
    ({"notes": [["a", 40]]}, r"notes\[0\]\[0\]: expected a whole number 0..127, got \"a\""),
])
def test_bad_metadata_names_file_and_key(tmp_path, change, msg):
    (tmp_path / "x.dsp").write_text("process = _;")
    (tmp_path / "x.json").write_text(json.dumps(dict(GOOD, **change)))
    with pytest.raises(PluginError, match=r"x\.json: " + msg):
        faust_meta(tmp_path / "x.dsp")


def test_effects_may_say_zero_voices_and_builtins_pass(tmp_path, root):
    (tmp_path / "fx.dsp").write_text("process = _;")
    (tmp_path / "fx.json").write_text(json.dumps(dict(GOOD, kind="effect", voices=0)))
    assert faust_meta(tmp_path / "fx.dsp")["voices"] == 0
    for dsp in sorted((root / "plugins").glob("*.dsp")):
        meta = faust_meta(dsp)
        assert meta["params"] and all(isinstance(p["min"], float) for p in meta["params"].values())


def test_project_load_reports_bad_metadata_without_a_traceback(tmp_path):
    (tmp_path / "x.dsp").write_text("process = _;")
    (tmp_path / "x.json").write_text(json.dumps(dict(GOOD, params={"gain": "abc"})))
    data = {"schema_version": 1, "name": "t", "sample_rate": 48000, "cues": [
        {"name": "c", "tempo": 120, "length_bars": 1, "variants": [
            {"name": "v", "valence": 0, "arousal": 0, "layers": [
                {"name": "l", "instrument": {"plugin": "./x.dsp", "params": {"gain": 0.5}},
                 "clips": [{"start": 0, "notes": [[0, 1, 60, 100]]}]}]}]}]}
    (tmp_path / "project.json").write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=r"x\.json: params\.gain: expected an object"):
        check_plugins(load_project(tmp_path))


def test_notes_field_lists_what_an_instrument_sounds(tmp_path, root):
    (tmp_path / "x.dsp").write_text("process = _;")
    (tmp_path / "x.json").write_text(json.dumps(dict(GOOD, notes=[[60, 62], 40, 61])))
    meta = faust_meta(tmp_path / "x.dsp")
    assert meta["notes"] == [40, 60, 61, 62] and playable_notes(meta) == {40, 60, 61, 62}
    assert silent_notes(meta, [62, 10, 40, 10, 99]) == [10, 99]
    assert silent_notes(faust_meta(root / "plugins" / "pad.dsp"), [0, 127]) == []  # no "notes": all sound
    assert note_ranges(faust_meta(root / "plugins" / "drums.dsp")["notes"]) == "35-51, 57"
    assert note_ranges([5, 1, 2, 3, 9, 10]) == "1-3, 5, 9-10"
