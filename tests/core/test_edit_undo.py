"""Every kind of edit command changes the project, undo restores it exactly (serialized JSON
compared), redo gives the edited project again; a refused edit leaves the project untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer_assist.core import edit
from composer_assist.core.edit import EditError, Loc, UndoHistory
from composer_assist.core.project import load_project, project_to_json
from tests.core.project_testkit import write_midi

ROOT = Path(__file__).resolve().parents[2]
CALM, TENSE = Loc("night_chase", "calm"), Loc("night_chase", "tense")
BASS = Loc("night_chase", "calm", "bass")
KEYS = Loc("night_chase", "calm", "keys")


def dump(project) -> str:
    return json.dumps(project_to_json(project), sort_keys=False)


@pytest.fixture(scope="module")
def midi_file(tmp_path_factory) -> Path:
    return write_midi(tmp_path_factory.mktemp("midi") / "four.mid", pitches=(60, 64, 67, 72))


MAKERS = {
    "add cue": lambda p, m: edit.add_cue(p, "chase2", "calm", 100, "3/4", 4, "A minor"),
    "add variant": lambda p, m: edit.add_variant(p, Loc("night_chase", "eerie"), -0.3, 0.6, ["eerie"]),
    "add variant copied": lambda p, m: edit.add_variant(p, Loc("night_chase", "calm2"), copy_from="calm"),
    "add layer": lambda p, m: edit.add_layer(p, Loc("night_chase", "calm", "lead"), "strings", -3, 0.2),
    "remove cue": lambda p, m: edit.remove(p, Loc("night_chase")),
    "remove variant with rules": lambda p, m: edit.remove(p, TENSE),
    "remove layer": lambda p, m: edit.remove(p, BASS),
    "rename cue": lambda p, m: edit.rename(p, Loc("night_chase"), "chase"),
    "rename variant in rules": lambda p, m: edit.rename(p, TENSE, "scary"),
    "rename layer": lambda p, m: edit.rename(p, BASS, "low"),
    "valence": lambda p, m: edit.set_command(p, "night_chase/calm.valence", "0.25"),
    "emotion": lambda p, m: edit.set_command(p, "night_chase/calm.emotion", "-0.1,0.9"),
    "tags": lambda p, m: edit.set_command(p, "night_chase/calm.tags", "soft, slow"),
    "variant intensity": lambda p, m: edit.set_command(p, "night_chase/calm.intensity", "0.1,0.7"),
    "level offset": lambda p, m: edit.set_command(p, "night_chase/calm.level_offset_lu", "-2.5"),
    "gain": lambda p, m: edit.set_command(p, "night_chase/calm/bass.gain_db", "-12"),
    "pan": lambda p, m: edit.set_command(p, "night_chase/calm/bass.pan", "-0.5"),
    "layer fade": lambda p, m: edit.set_command(p, "night_chase/calm/bass.fade", "0.3"),
    "tempo": lambda p, m: edit.set_command(p, "night_chase.tempo", "110"),
    "meter": lambda p, m: edit.set_command(p, "night_chase.meter", "6/4"),
    "key none": lambda p, m: edit.set_command(p, "night_chase.key", "none"),
    "loop": lambda p, m: edit.set_command(p, "night_chase.loop", "4,28"),
    "dwell": lambda p, m: edit.set_command(p, "night_chase.adaptive.dwell_bars", "4"),
    "instrument": lambda p, m: edit.set_command(p, "night_chase/calm/bass.instrument", "pad"),
    "effects": lambda p, m: edit.set_command(p, "night_chase/calm/bass.effects", "room, delay"),
    "faust param": lambda p, m: edit.set_command(p, "night_chase/calm/bass.instrument.params.cutoff", "900"),
    "clip import": lambda p, m: edit.import_clip(p, BASS, m, start=4),
    "clip move": lambda p, m: edit.move_clip(p, BASS, 0, 8),
    "clip trim": lambda p, m: edit.trim_clip(p, BASS, 0, 4, 16),
    "clip transpose": lambda p, m: edit.transpose_clip(p, BASS, 0, 12),
    "clip transpose from file": lambda p, m: edit.transpose_clip(p, KEYS, 0, -5),
    "clip remove": lambda p, m: edit.remove_clip(p, BASS, 0),
    "transition new": lambda p, m: edit.set_rule(p, "night_chase", "calm", "sad", leave="bars", bars=2),
    "transition change": lambda p, m: edit.set_rule(p, "night_chase", "*", "*", fade_beats=6.0, curve="linear"),
    "transition remove": lambda p, m: edit.remove_rule(p, "night_chase", "*", "*"),
    "marker new": lambda p, m: edit.set_marker(p, "night_chase", "drop", 16),
    "marker move": lambda p, m: edit.set_marker(p, "night_chase", p.cues[0].markers[0].name, 12),
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_undo_redo_restores_exactly(kind, midi_file):
    project = load_project(ROOT / "projects" / "demo")
    before = dump(project)
    history = UndoHistory(project)
    history.push(MAKERS[kind](project, midi_file))
    after = dump(project)
    assert after != before, f"{kind}: the command changed nothing"
    assert not history.is_clean
    history.undo()
    assert dump(project) == before
    assert history.is_clean
    history.redo()
    assert dump(project) == after
    edit.verify(project)  # the edited project loads again


def test_a_long_history_unwinds_to_the_start(midi_file):
    """All the edits one after another (each on the project as the previous left it), then every undo."""
    project = load_project(ROOT / "projects" / "demo")
    before = dump(project)
    history = UndoHistory(project)
    states = [before]
    for kind in ("valence", "faust param", "effects", "clip transpose", "rename layer", "add layer",
                 "transition new", "rename variant in rules", "emotion", "remove variant with rules"):
        try:
            history.push(MAKERS[kind](project, midi_file))
        except EditError:  # a later edit may name what an earlier one renamed: skip it
            continue
        states.append(dump(project))
    assert len(states) > 6
    for expected in reversed(states[:-1]):
        history.undo()
        assert dump(project) == expected
    assert history.undo() is None
    while history.redo():
        pass
    assert dump(project) == states[-1]


@pytest.mark.parametrize("path, value, message", [
    ("night_chase/calm.valence", "1.5", "night_chase/calm.valence: 1.5 is outside [-1, 1]"),
    ("night_chase/calm.valence", "warm", "night_chase/calm.valence: expected a number, got 'warm'"),
    ("night_chase/clam.valence", "0", "night_chase/clam: no variant 'clam'; did you mean 'calm'?"),
    ("night_chase/calm.valance", "0", "night_chase/calm.valance: a variant has no field 'valance'; did you mean 'valence'?"),
    ("nite_chase.tempo", "90", "nite_chase: no cue 'nite_chase'; did you mean 'night_chase'?"),
    ("night_chase.tempo", "0", "night_chase.tempo: 0 is outside [1, 1000]"),
    ("night_chase.meter", "5/3", "night_chase.meter: '5/3' is not a valid time signature"),
    ("night_chase.loop", "30,4", "night_chase.loop: low 30 is above high 4"),
    ("night_chase/calm.intensity", "0.8", "night_chase/calm.intensity: expected LOW,HIGH such as 0.2,0.8"),
    ("night_chase/calm/bass.gain_db", "40", "night_chase/calm/bass.gain_db: 40 is outside [-120, 24]"),
    ("night_chase/calm/bass.instrument", "room", "night_chase/calm/bass.instrument: room is an effect, not an instrument"),
    ("night_chase/calm/bass.instrument", "nosuch", "night_chase/calm/bass.instrument: unknown plugin 'nosuch'"),
    ("night_chase/calm/bass.effects", "room,bass", "night_chase/calm/bass.effects[1]: bass is an instrument, not an effect"),
    ("night_chase/calm/bass.instrument.params.cutof", "500", "night_chase/calm/bass.instrument.params.cutof: bass has no parameter 'cutof'; did you mean 'cutoff'?"),
    ("night_chase/calm/bass.instrument.params.cutoff", "1", "night_chase/calm/bass.instrument.params.cutoff: 1 is outside [60, 5000]"),
    ("night_chase/calm/bass.effects[0].params.mix", "0.5", "night_chase/calm/bass.effects[0]: the layer has no effects"),
    ("night_chase/calm", "0.4", "night_chase/calm: name a field after a '.'"),
    ("night_chase/calm/bass/x.gain_db", "0", "expected CUE, CUE/VARIANT or CUE/VARIANT/LAYER"),
])
def test_bad_edits_name_the_path_and_leave_the_project_alone(path, value, message):
    project = load_project(ROOT / "projects" / "demo")
    before = dump(project)
    with pytest.raises(EditError) as err:
        edit.set_command(project, path, value)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert dump(project) == before


@pytest.mark.parametrize("make, message", [
    (lambda p: edit.add_variant(p, Loc("night_chase", "calm")), "there is already a variant named 'calm'"),
    (lambda p: edit.add_variant(p, Loc("night_chase", "a.b")), "may not contain '.'"),
    (lambda p: edit.rename(p, BASS, "keys"), "there is already a layer named 'keys'"),
    (lambda p: edit.rename(p, TENSE, "*"), "'*' may not"),
    (lambda p: edit.transpose_clip(p, BASS, 0, 100), "outside MIDI's 0..127"),
    (lambda p: edit.move_clip(p, BASS, 3, 0), "night_chase/calm/bass.clips[3]: the layer has 1 clip (0 .. 0)"),
    (lambda p: edit.trim_clip(p, BASS, 0, 8, 4), "trim needs 0 <= BEGIN < END"),
    (lambda p: edit.move_clip(p, BASS, 0, 2e6), "night_chase/calm/bass.clips[0].start: 2e+06 is outside [0, 1e+06]"),
    (lambda p: edit.set_rule(p, "night_chase", "calm", "tens"), "to: no variant 'tens'; did you mean 'tense'?"),
    (lambda p: edit.set_rule(p, "night_chase", "calm", "tense", leave="later"), "'later' is not one of"),
    (lambda p: edit.set_rule(p, "night_chase", "calm", "tense", stinger="boom"), "unknown stinger 'boom'"),
    (lambda p: edit.remove_rule(p, "night_chase", "calm", "sad"), "no rule for calm -> sad"),
    (lambda p: edit.set_marker(p, "night_chase", "drop", 40), "night_chase.markers[1].beat: beat 40 is past the cue end (32)"),
    (lambda p: edit.remove_marker(p, "night_chase", "nope"), "night_chase.markers: no marker 'nope'"),
])
def test_refused_commands(make, message):
    project = load_project(ROOT / "projects" / "demo")
    before = dump(project)
    with pytest.raises(EditError, match=None) as err:
        make(project)
    assert message in str(err.value), str(err.value)
    assert dump(project) == before


def test_the_last_variant_of_a_cue_cannot_be_removed():
    project = load_project(ROOT / "projects" / "demo")
    history = UndoHistory(project)
    for name in [v.name for v in project.cue("night_chase").variants][1:]:
        history.push(edit.remove(project, Loc("night_chase", name)))
    with pytest.raises(EditError, match="a cue needs at least one variant; remove the cue 'night_chase' instead"):
        edit.remove(project, CALM)


def test_affected_names_where_a_command_changes_the_project():
    project = load_project(ROOT / "projects" / "demo")
    assert edit.affected(edit.set_command(project, "night_chase/calm/bass.gain_db", "-3")) == [BASS]
    assert edit.affected(edit.set_command(project, "night_chase/calm.emotion", "0,0")) == [CALM, CALM]
    assert edit.affected(edit.set_rule(project, "night_chase", "calm", "sad")) == [Loc("night_chase")]


def test_plugin_params_for_an_inspector():
    project = load_project(ROOT / "projects" / "demo")
    params = {p["name"]: p for p in edit.plugin_params(project, "bass")}
    assert params["cutoff"]["min"] == 60 and params["cutoff"]["max"] == 5000 and params["cutoff"]["unit"] == "Hz"
    assert edit.plugin_params(project, "amsynth_vst.so", scan={}) is None  # a VST never scanned: unknown


def test_parse_path_splits_at_the_first_dot():
    assert edit.parse_path("night_chase/calm.valence") == (CALM, "valence")
    assert edit.parse_path("night_chase.adaptive.dwell_bars") == (Loc("night_chase"), "adaptive.dwell_bars")
    assert edit.parse_path("a/b/c.instrument.params.LFO Rate/Sync") == (Loc("a", "b", "c"), "instrument.params.LFO Rate/Sync")
    assert edit.parse_path("night_chase/calm") == (CALM, "")
    with pytest.raises(EditError, match="nothing after the '.'"):
        edit.parse_path("night_chase/calm.")


def test_a_marker_a_rule_uses_cannot_be_removed_until_the_rule_changes():
    project = load_project(ROOT / "projects" / "demo")
    history = UndoHistory(project)
    history.push(edit.set_marker(project, "night_chase", "drop", 16))
    history.push(edit.set_rule(project, "night_chase", "calm", "tense", leave="marker", leave_marker="drop"))
    with pytest.raises(EditError, match="night_chase.markers.drop: the transition calm -> tense uses it"):
        edit.remove_marker(project, "night_chase", "drop")
    history.undo()
    history.push(edit.remove_marker(project, "night_chase", "drop"))
    assert [m.name for m in project.cues[0].markers] == [m.name for m in load_project(ROOT / "projects" / "demo").cues[0].markers]


def test_removing_a_variant_says_which_transition_rules_go_with_it():
    project = load_project(ROOT / "projects" / "demo")
    cmd = edit.remove(project, Loc("night_chase", "tense"))
    # before: the rules * -> tense and tense -> calm went without a word
    assert cmd.warnings == ("also removes the transition rules naming 'tense': * → tense, tense → calm",)
    assert edit.remove(project, Loc("night_chase", "sad")).warnings == ()


def test_a_faust_effect_without_metadata_says_why_it_is_taken_for_an_instrument(tmp_path):
    """A project fx.dsp with no fx.json: "is an instrument, not an effect", and no word of why."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    folder = shutil.copytree(root / "projects" / "demo", tmp_path / "demo")
    (folder / "fx.dsp").write_text('process = _, _;\n')
    project = load_project(folder)
    with pytest.raises(EditError, match=r"is an instrument, not an effect \(there is no fx.json beside it: a Faust "
                                        r"dsp without metadata is taken for an instrument; write one with "
                                        r"\"kind\": \"effect\""):
        edit.set_command(project, "night_chase/calm/bass.effects", "./fx.dsp")


def test_set_field_on_a_plugin_slot_points_to_set_command():
    """It said "a layer has no field 'effects'; did you mean 'effects'?"."""
    project = load_project(ROOT / "projects" / "demo")
    with pytest.raises(EditError, match=r"bass.effects: a plugin slot: set it with edit.set_command"):
        edit.set_field(project, Loc("night_chase", "calm", "bass"), "effects", "room")
