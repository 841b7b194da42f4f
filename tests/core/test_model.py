"""Project files: validation errors name the file and field; saves are atomic and round-trip."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from composer_assist.core.errors import ProjectError
from composer_assist.core.project import SCHEMA_VERSION, project_to_json
from composer_assist.core.project import check_plugins, load_project, save_project
from composer_assist.core.timing import Meter, TempoMap, TempoPoint



def minimal() -> dict:
    return {
        "schema_version": SCHEMA_VERSION, "name": "t", "sample_rate": 48000,
        "cues": [{
            "name": "c", "tempo": 120, "meter": "4/4", "length_bars": 2,
            "variants": [
                {"name": "a", "valence": 0.2, "arousal": -0.3, "tags": ["calm"],
                 "layers": [{"name": "l", "instrument": {"plugin": "pad"},
                             "clips": [{"start": 0, "notes": [[0, 1, 60, 100]]}]}]},
                {"name": "b", "valence": -0.5, "arousal": 0.6, "tags": ["tense"], "layers": []},
            ],
        }],
    }


def write(tmp_path: Path, data) -> Path:
    p = tmp_path / "project.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def error_of(tmp_path: Path, data) -> str:
    """The error of opening a project and checking it against its plugins, as render does."""
    with pytest.raises(ProjectError) as exc:
        check_plugins(load_project(write(tmp_path, data)))
    return str(exc.value)


def test_opening_a_project_does_not_need_its_plugins(tmp_path):
    data = minimal()
    layer = data["cues"][0]["variants"][0]["layers"][0]
    layer["instrument"] = {"plugin": "not_installed_here_vst.so", "params": {"Cutoff": 0.4}}
    project = load_project(write(tmp_path, data))
    assert project.cue("c").variant("a").layers[0].instrument.params == {"Cutoff": 0.4}
    with pytest.raises(ProjectError, match=r"cues\[0\]\.variants\[0\]\.layers\[0\]\.instrument\.plugin: "
                                           r"plugin 'not_installed_here_vst.so' not found"):
        check_plugins(project)


def test_minimal_project_loads_and_round_trips(tmp_path):
    p = load_project(write(tmp_path, minimal()))
    cue = p.cue("c")
    assert cue.length_beats == 8 and cue.length_samples(48000) == 4 * 48000
    assert cue.variant("a").layers[0].notes()[0].pitch == 60
    save_project(p, tmp_path / "copy" / "project.json")
    again = load_project(tmp_path / "copy")
    assert project_to_json(again) == project_to_json(p)


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["cues"][0]["variants"][0].update(valence=1.7), "cues[0].variants[0].valence: 1.7 is outside [-1, 1]"),
    (lambda d: d["cues"][0]["variants"][1].update(arousal="high"), "cues[0].variants[1].arousal: expected a number"),
    (lambda d: d["cues"][0].pop("length_bars"), "cues[0].length_bars: is required but missing"),
    (lambda d: d.update(schema_version=99), "schema version 99 is not supported"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0]["instrument"].update(plugin="no_such_synth"),
     "cues[0].variants[0].layers[0].instrument.plugin: unknown plugin 'no_such_synth'"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0]["instrument"].update(plugin="missing.so"),
     "cues[0].variants[0].layers[0].instrument.plugin: plugin 'missing.so' not found"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0]["clips"][0].update(file="clips/none.mid", notes=None) or
     d["cues"][0]["variants"][0]["layers"][0]["clips"][0].pop("notes"),
     "cues[0].variants[0].layers[0].clips[0].file: clip file 'clips/none.mid' not found"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0]["clips"][0].update(notes=[[0, 1, 200, 100]]),
     "clips[0].notes[0][2]: 200 is outside [0, 127]"),
    (lambda d: d["cues"][0].update(meter="4-4"), "cues[0].meter: '4-4' is not a time signature"),
    (lambda d: d["cues"][0]["variants"][1].update(name="a"), "cues[0].variants[1].name: duplicate name 'a'"),
    (lambda d: d["cues"][0].update(transitions=[{"from": "a", "to": "zzz"}]), "cues[0].transitions[0].to: unknown variant 'zzz'"),
    (lambda d: d["cues"][0].update(transitions=[{"leave": "whenever"}]), "cues[0].transitions[0].leave: 'whenever' is not one of"),
    (lambda d: d.update(sample_rate=22050), "sample_rate: 22050 is not one of 44100, 48000"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0].update(gain=-60),
     "cues[0].variants[0].layers[0].gain: unknown field; did you mean 'gain_db'?"),
    (lambda d: d["cues"][0].update(bpm=90), "cues[0].bpm: unknown field"),
    (lambda d: d["cues"][0].update(length_bars=10 ** 400), "cues[0].length_bars: the number is far too large"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0]["clips"][0].update(notes=[[0, 1, 60.7, 100]]),
     "clips[0].notes[0][2]: 60.7 is not a whole number"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0].update(instrument={"plugin": "pad", "params": {"cutof": 900}}),
     "layers[0].instrument.params.cutof: pad has no parameter 'cutof'; did you mean 'cutoff'?"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0].update(instrument={"plugin": "pad", "params": {"cutoff": 1e6}}),
     "layers[0].instrument.params.cutoff: 1e+06 is outside [200, 12000]"),
    (lambda d: d["cues"][0]["variants"][0]["layers"][0].update(intensity=[0.8, 0.2]), "intensity: low 0.8 is above high 0.2"),
])
def test_bad_fields_name_file_and_field(tmp_path, mutate, expected):
    data = copy.deepcopy(minimal())
    mutate(data)
    msg = error_of(tmp_path, data)
    assert expected in msg
    assert str(tmp_path / "project.json") in msg
    assert "\n" not in msg


def test_invalid_json_names_line(tmp_path):
    msg = error_of(tmp_path, '{\n  "schema_version": 1,\n  "name": "x",,\n}')
    assert "line 3" in msg and "invalid JSON" in msg


def test_wrong_top_level_type(tmp_path):
    assert "expected an object, got a list" in error_of(tmp_path, "[1, 2]")


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    p = load_project(write(tmp_path, minimal()))
    before = (tmp_path / "project.json").read_bytes()
    p.name = "changed"

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save_project(p)
    assert (tmp_path / "project.json").read_bytes() == before  # the old file is intact
    assert [f.name for f in tmp_path.iterdir()] == ["project.json"]  # no stray temp file


def test_tempo_map_changes():
    tm = TempoMap([TempoPoint(0, 120), TempoPoint(8, 60)])
    assert tm.seconds_at(8) == pytest.approx(4.0)
    assert tm.seconds_at(10) == pytest.approx(6.0)
    assert tm.beat_at(6.0) == pytest.approx(10.0)
    assert tm.sample_at(10, 48000) == 288000
    assert Meter(6, 8).beats_per_bar == 3.0 and Meter(6, 8).pulse_beats == 0.5


def test_rule_lookup_prefers_most_specific(tmp_path):
    data = minimal()
    data["cues"][0]["transitions"] = [
        {"leave": "bar"}, {"to": "b", "leave": "beat"}, {"from": "a", "to": "b", "leave": "bars", "bars": 2}]
    cue = load_project(write(tmp_path, data)).cue("c")
    assert cue.rule_for("a", "b").leave == "bars"
    assert cue.rule_for("x", "b").leave == "beat"
    assert cue.rule_for("b", "a").leave == "bar"


def test_demo_project_loads(root):
    p = load_project(root / "projects" / "demo")
    cue = p.cues[0]
    assert len(cue.variants) == 5 and all(len(v.layers) == 4 for v in cue.variants)
    assert cue.variant("ambient").valence == cue.variant("ambient").arousal == 0.0  # the neutral centre
    assert all(l.notes() for v in cue.variants for l in v.layers)


def test_comment_fields_and_a_bom_are_accepted(tmp_path):
    data = minimal()
    data["_comment"] = "written by hand"
    data["cues"][0]["_note"] = "bars 5-8 are the B section"
    p = tmp_path / "project.json"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(data).encode())
    assert load_project(p).cue("c").length_bars == 2


def test_deeply_nested_json_is_one_line(tmp_path):
    msg = error_of(tmp_path, "[" * 100000 + "]" * 100000)
    assert "nested too deeply" in msg or "expected an object" in msg


def test_underscore_keys_survive_a_save_at_every_level(tmp_path):
    data = minimal()
    data["_comment"] = "top"
    cue = data["cues"][0]
    cue["_tool"] = {"x": [1, 2]}
    cue["markers"] = [{"name": "m", "beat": 1, "_note": "marker"}]
    cue["transitions"] = [{"from": "a", "to": "b", "_why": "rule"}]
    cue["adaptive"] = {"dwell_bars": 1, "_a": 1}
    var = cue["variants"][0]
    var["_v"] = "variant"
    var["layers"][0]["_l"] = "layer"
    var["layers"][0]["instrument"]["_p"] = "plugin"
    var["layers"][0]["clips"][0]["_c"] = "clip"
    project = load_project(write(tmp_path, data))
    save_project(project, tmp_path / "again" / "project.json")
    out = json.loads((tmp_path / "again" / "project.json").read_text())
    c = out["cues"][0]
    v = c["variants"][0]
    assert out["_comment"] == "top" and c["_tool"] == {"x": [1, 2]} and c["markers"][0]["_note"] == "marker"
    assert c["transitions"][0]["_why"] == "rule" and c["adaptive"]["_a"] == 1 and v["_v"] == "variant"
    assert v["layers"][0]["_l"] == "layer" and v["layers"][0]["instrument"]["_p"] == "plugin"
    assert v["layers"][0]["clips"][0]["_c"] == "clip"


@pytest.mark.parametrize("file", ["/etc/passwd", "../outside.mid", "clips/../../outside.mid", "link.mid"])
def test_clip_files_must_stay_inside_the_project(tmp_path, file):
    folder = tmp_path / "p"
    folder.mkdir()
    (tmp_path / "outside.mid").write_bytes(b"MThd")
    (folder / "link.mid").symlink_to(tmp_path / "outside.mid")
    data = minimal()
    data["cues"][0]["variants"][0]["layers"][0]["clips"] = [{"start": 0, "file": file}]
    msg = error_of(folder, data)
    assert "cues[0].variants[0].layers[0].clips[0].file" in msg
    assert "inside the project folder" in msg or "leads outside the project folder" in msg


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["cues"][0]["variants"][0]["layers"][0]["clips"][0].update(notes=[[0, 1e308, 60, 100]]),
     "clips[0].notes[0][1]: 1e+308 is outside"),
    (lambda d: d["cues"][0].update(transitions=[{"fade_beats": 1e300}]), "transitions[0].fade_beats: 1e+300 is outside"),
    (lambda d: d["cues"][0].update(adaptive={"dwell_bars": 1e308}), "adaptive.dwell_bars: 1e+308 is outside"),
    (lambda d: d["cues"][0].update(meter="1000000000/4"), "meter: '1000000000/4' is not a valid time signature"),
    (lambda d: d["cues"][0].update(tempo=1, length_bars=10000), "length_bars: the cue lasts 666.7 h (10000 bars of 4/4 at 1 BPM); a cue may last at most 4 h"),
    (lambda d: d["cues"][0].update(stingers=[{"name": "s", "instrument": {"plugin": "pad"}, "clips": []}]),
     "stingers[0]: a stinger needs at least one note"),
])
def test_numbers_outside_a_musical_range_are_refused_at_load(tmp_path, mutate, expected):
    data = copy.deepcopy(minimal())
    mutate(data)
    assert expected in error_of(tmp_path, data)


def test_a_region_in_beats_reads_as_bars_where_it_sits_on_bar_lines():
    from composer_assist.core.timing import Meter

    four = Meter(4, 4)
    # the inspector said "loop beats 0–32" for the demo's whole-cue loop; a composer counts bars
    assert four.span_text(0, 32) == "bars 1–8" and four.span_text(4, 8) == "bar 2"
    assert four.span_text(2, 14) == "1:3–4:3"  # off the bar lines: bar:beat, the end exclusive
    assert Meter(6, 8).bar_beat(4.5) == "2:4"  # six eighth-note beats a bar
    assert Meter(6, 8).span_text(0, 6) == "bars 1–2"


def test_a_position_just_before_a_bar_line_never_shows_a_beat_the_bar_does_not_have():
    from composer_assist.core.timing import Meter, beat_text

    # before: 2.49 s at 96 BPM read "bar 1 beat 5.0" in the studio and "1:5" in the decision log
    assert beat_text(4.96) == "4.9" and beat_text(2.0 - 1e-12) == "2.0"
    assert Meter(4, 4).bar_beat(3.996) == "1:4.99" and Meter(4, 4).bar_beat(4.0 - 1e-12) == "2:1"
