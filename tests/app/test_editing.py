"""The studio edits the project through undoable commands: inspector, drops, save and reload."""

from __future__ import annotations

import math

import shutil

import pytest

from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl
from PyQt6.QtGui import QDropEvent

from composer_assist.core.project import load_project, project_to_json


def _select(w, path):
    w.tree.select_path(path)
    assert w.inspector.path == path


def test_inspector_valence_changes_the_project_and_undo_restores_it(window, demo, qtbot):
    assert window.open_project(demo)
    _select(window, ("night_chase", "calm", None))
    field = window.inspector.variant_page.valence
    field.spin.setFocus()
    field.spin.selectAll()
    qtbot.keyClicks(field.spin, "0.3")
    qtbot.keyClick(field.spin, Qt.Key.Key_Return)
    calm = window.session.project.cue("night_chase").variant("calm")
    assert calm.valence == 0.3
    assert window.session.dirty and window.windowTitle().startswith("*")
    # the emotion plane moved the point with it
    assert window.plane.targets["calm"].pos().x() == 0.3
    window.actions_by_name["undo"].trigger()
    assert calm.valence == 0.5 and not window.session.dirty
    assert field.value() == 0.5  # the inspector shows the model again
    window.actions_by_name["redo"].trigger()
    assert calm.valence == 0.3


def test_the_arousal_follows_intensity_box_edits_the_variant_and_draws_its_span(window, demo, qtbot):
    assert window.open_project(demo)
    _select(window, ("night_chase", "tense", None))
    box = window.inspector.variant_page.follows
    tense = window.session.project.cue("night_chase").variant("tense")
    assert box.isChecked() and tense.arousal_follows_intensity  # the demo's variants all follow
    span = window.plane.spans["tense"]
    # drawn just beside valence -0.6: sad's span shares the valence and overlaps it
    assert list(span.yData) == pytest.approx([-0.2, 1.0]) and list(span.xData) == pytest.approx([-0.62, -0.62])
    box.click()  # as a mouse click does: toggles and emits clicked
    assert not tense.arousal_follows_intensity and window.session.dirty, window.errors
    assert "tense" not in window.plane.spans  # a point again: no span drawn
    window.actions_by_name["undo"].trigger()
    assert tense.arousal_follows_intensity and box.isChecked() and "tense" in window.plane.spans


def test_a_refused_edit_is_a_message_and_changes_nothing(window, demo):
    from composer_assist.core.edit import Loc, set_field

    assert window.open_project(demo)
    before = project_to_json(window.session.project)
    window.edit(lambda p: set_field(p, Loc("night_chase", "calm"), "valence", 3.0))
    assert window.errors and "valence" in window.errors[-1]
    assert project_to_json(window.session.project) == before and window.session.stack.count() == 0


def test_dropping_a_mid_file_on_a_layer_imports_it(window, demo, root):
    assert window.open_project(demo)
    w = window
    path = ("night_chase", "sad", "keys")
    w.tree.expandAll()
    item = w.tree._find(path)
    rect = w.tree.visualItemRect(item)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(root / "projects" / "demo" / "clips" / "playful_keys.mid"))])
    layer = w.session.project.cue("night_chase").variant("sad").layer("keys")
    clips = len(layer.clips)
    event = QDropEvent(QPointF(rect.center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    w.tree.dropEvent(event)
    assert len(layer.clips) == clips + 1 and len(layer.clips[-1].notes) > 10
    assert "import" in w.session.stack.undoText() or "clip" in w.session.stack.undoText()
    w.session.stack.undo()
    assert len(layer.clips) == clips


def test_save_and_reload_give_the_same_project(window, demo, tmp_path):
    from composer_assist.core.edit import Loc, set_field

    assert window.open_project(demo)
    window.edit(lambda p: set_field(p, Loc("night_chase", "tense"), "tags", ["tense", "brooding"]))
    window.edit(lambda p: set_field(p, Loc("night_chase", "calm", "pad"), "gain_db", -7.5))
    assert window.save()
    assert not window.session.dirty
    again = load_project(demo)
    assert project_to_json(again) == project_to_json(window.session.project)
    assert again.cue("night_chase").variant("calm").layer("pad").gain_db == -7.5
    # save as: a new file, listed in the recent files
    target = tmp_path / "elsewhere" / "project.json"
    target.parent.mkdir()
    shutil.copytree(demo / "clips", target.parent / "clips")  # save-as writes project.json only
    assert window._save(target)
    assert project_to_json(load_project(target)) == project_to_json(again)
    assert window.recent()[0] == str(target)


def test_autosave_is_offered_back_after_a_crash(window, demo, qtbot):
    from composer_assist.core.edit import Loc, set_field

    assert window.open_project(demo)
    window.edit(lambda p: set_field(p, Loc("night_chase", "sad"), "valence", -0.9))
    auto = window.session.autosave()
    assert auto is not None and auto.exists()
    # a new window (the old one "crashed"): opening the project offers the autosave
    from composer_assist.app.window import MainWindow

    other = MainWindow(window.transport.settings)
    qtbot.addWidget(other)
    other.ask_recover = lambda path: True
    assert other.open_project(demo)
    assert other.session.project.cue("night_chase").variant("sad").valence == -0.9
    assert other.session.dirty
    assert other.save() and not auto.exists()


def test_dragging_a_variant_on_the_emotion_plane_moves_its_target(window, demo, qtbot):
    from qt_testkit import drag

    assert window.open_project(demo)
    sad = window.session.project.cue("night_chase").variant("sad")
    drag(qtbot, window.plane, window.plane.targets["sad"], (-0.3, -0.8))
    assert sad.valence == pytest.approx(-0.3, abs=0.03) and sad.arousal == pytest.approx(-0.8, abs=0.03)
    assert window.session.stack.count() == 1  # one undoable step for both values
    window.session.stack.undo()
    assert (sad.valence, sad.arousal) == (-0.6, -0.5)
    assert window.plane.targets["sad"].pos().x() == -0.6


def test_transition_matrix_shows_where_each_rule_comes_from_and_edits_a_pair(window, demo):
    assert window.open_project(demo)
    m = window.matrix
    names = m.names
    cell = lambda s, d: m.table.item(names.index(s), names.index(d)).text()  # noqa: E731
    assert "rule 3 (tense→calm)" in cell("tense", "calm") and cell("tense", "calm").startswith("2 bars")
    assert "rule 2 (*→tense)" in cell("sad", "tense") and cell("sad", "tense").startswith("beat")
    assert "rule 1 (*→*)" in cell("calm", "sad")
    window.edit(m.set_pair("calm", "sad", {"leave": "marker", "fade_beats": 4.0}))
    assert "marker" in cell("calm", "sad") and "(calm→sad)" in cell("calm", "sad")
    assert window.session.project.cue("night_chase").rule_for("calm", "sad").fade_beats == 4.0
    window.session.stack.undo()
    assert "rule 1 (*→*)" in cell("calm", "sad")


def test_the_rule_dialog_offers_only_what_it_can_keep(window, demo):
    from composer_assist.app.matrix import RuleDialog, effective

    assert window.open_project(demo)
    cue = window.session.project.cue("night_chase")
    rule, _, _ = effective(cue, "calm", "sad")
    d = RuleDialog(rule, "calm", "sad", [], window, markers=[m.name for m in cue.markers])
    shown = lambda w: d.form.isRowVisible(w)  # noqa: E731
    assert not shown(d.bars) and not shown(d.leave_marker) and not shown(d.enter_marker)
    d.leave.setCurrentText("bars")
    assert shown(d.bars)
    # Entering at a marker picks the marker (before: no field for it, and OK always failed with
    # "enter 'marker' needs 'enter_marker'").
    d.enter.setCurrentText("marker")
    assert shown(d.enter_marker) and d.enter_marker.currentText() == "phrase_b"
    values = d.values()
    assert values["enter_marker"] == "phrase_b" and values["curve"] == rule.curve  # kept as the project writes it
    window.edit(window.matrix.set_pair("calm", "sad", values))
    assert window.errors == [] or "enter_marker" not in window.errors[-1]
    assert window.session.project.cue("night_chase").rule_for("calm", "sad").enter_marker == "phrase_b"
    # a cue without markers is not offered an entry it cannot have
    plain = RuleDialog(rule, "calm", "sad", [], window, markers=[])
    assert "marker" not in [plain.enter.itemText(i) for i in range(plain.enter.count())]


def test_opening_another_project_asks_about_unsaved_changes(window, demo, tmp_path):
    from composer_assist.core.edit import Loc, set_field

    assert window.open_project(demo)
    window.edit(lambda p: set_field(p, Loc("night_chase", "sad"), "valence", -0.7))
    asked = []
    window.ask_unsaved = lambda: asked.append(1) or "cancel"
    assert not window.open_project(demo)  # cancelled: the edit stays
    assert window.session.project.cue("night_chase").variant("sad").valence == -0.7
    window.ask_unsaved = lambda: asked.append(1) or "save"
    assert window.open_project(demo) and len(asked) == 2
    assert window.session.project.cue("night_chase").variant("sad").valence == -0.7  # saved, then reopened


def test_tree_menu_adds_duplicates_renames_and_removes(window, demo):
    assert window.open_project(demo)
    names = iter(["brooding", "brooding2", "pulse", "dread"])
    window.ask_text = lambda *a: next(names)
    cue = window.session.project.cue("night_chase")
    window.tree.select_path(("night_chase", None, None))
    window.tree._menu(window.tree.visualItemRect(window.tree.currentItem()).center())
    entries = [a.text() for a in window.tree._last_menu.actions() if a.text()]
    assert "Add variant…" in entries and "Rename cue…" in entries
    window.tree.action_requested.emit("add_variant", ("night_chase", None, None))
    window.tree.action_requested.emit("duplicate", ("night_chase", "tense", None))
    assert [v.name for v in cue.variants][-2:] == ["brooding", "brooding2"]
    assert len(cue.variant("brooding2").layers) == len(cue.variant("tense").layers)
    window.tree.action_requested.emit("add_layer", ("night_chase", "brooding", None))
    assert [l.name for l in cue.variant("brooding").layers] == ["pulse"]
    assert window.inspector.path == ("night_chase", "brooding", "pulse")
    window.tree.action_requested.emit("rename", ("night_chase", "brooding2", None))
    assert "dread" in [v.name for v in cue.variants] and window.inspector.path == ("night_chase", "dread", None)
    assert "dread" in window.plane.targets and "brooding2" not in window.plane.targets
    window.tree.action_requested.emit("remove", ("night_chase", "dread", None))
    assert "dread" not in [v.name for v in cue.variants]
    for _ in range(5):
        window.session.stack.undo()
    assert [v.name for v in cue.variants] == ["calm", "tense", "playful", "sad", "ambient"]


def test_renaming_in_the_inspector_keeps_the_variant_selected(window, demo, qtbot):
    assert window.open_project(demo)
    _select(window, ("night_chase", "playful", None))
    name = window.inspector.variant_page.name
    name.setFocus()
    name.selectAll()
    qtbot.keyClicks(name, "cheeky")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    cue = window.session.project.cue("night_chase")
    assert [v.name for v in cue.variants] == ["calm", "tense", "cheeky", "sad", "ambient"]
    assert window.inspector.path == ("night_chase", "cheeky", None)
    window.session.stack.undo()
    assert [v.name for v in cue.variants] == ["calm", "tense", "playful", "sad", "ambient"]


def test_dropping_a_trace_file_on_the_window_loads_it(window, demo, root):
    assert window.open_project(demo)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(root / "projects" / "traces" / "calm_to_sad.csv"))])
    event = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.trace is not None and window.trace.duration > 10
    assert "calm_to_sad" in window.bar.trace.text()
    x, _y = window.plane.trace_path.getData()
    assert x is not None and len(x) > 10
    bad = QMimeData()
    bad.setUrls([QUrl.fromLocalFile(str(demo / "clips" / "calm_keys.mid.csv"))])
    window.dropEvent(QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, bad, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier))
    assert "calm_keys.mid.csv" in window.errors[-1]  # a message; the trace loaded before stays
    assert "calm_to_sad" in window.bar.trace.text()


def test_a_layer_parameter_slider_sets_the_parameter_of_a_projects_own_plugin(window, small):
    assert window.open_project(small)
    _select(window, ("cue", "calm", "lead"))
    box = window.inspector.layer_page._boxes[0]
    field = box.params["cutoff"]  # from the project's own tone.dsp metadata
    assert (field.lo, field.hi) == (50.0, 16000.0)
    field.slider.setValue(500)  # a keyboard step on the slider: one commit
    layer = window.session.project.cue("cue").variant("calm").layer("lead")
    # a frequency slider moves by ratios: its middle is the geometric middle (894 Hz), not 8 kHz
    assert layer.instrument.params["cutoff"] == round(50 * (16000 / 50) ** 0.5)  # 0 decimals over 200
    field.slider.setValue(STEPS := field.slider.maximum())
    assert layer.instrument.params["cutoff"] == 16000 and field.slider.value() == STEPS
    field.set_value(4000)  # the model's value puts the slider where a ratio scale has it
    assert abs(field.slider.value() - round(1000 * math.log(4000 / 50) / math.log(16000 / 50))) <= 1
    window.session.stack.undo()
    assert "instrument.params.cutoff" in window.session.stack.undoText()
    window.session.stack.undo()
    assert "cutoff" not in layer.instrument.params
    assert window.inspector.layer_page._boxes[0] is box  # values updated in place, not rebuilt


def test_the_cue_page_sets_the_switch_budget_and_undo_restores_it(window, demo, qtbot):
    assert window.open_project(demo)
    _select(window, ("night_chase", None, None))
    field = window.inspector.cue_page.budget
    assert field.value() == 2  # the demo's budget
    field.spin.setFocus()
    field.spin.selectAll()
    qtbot.keyClicks(field.spin, "4")
    qtbot.keyClick(field.spin, Qt.Key.Key_Return)
    adaptive = window.session.project.cue("night_chase").adaptive
    assert adaptive.max_switches_per_minute == 4 and window.session.dirty
    window.actions_by_name["undo"].trigger()
    assert adaptive.max_switches_per_minute == 2 and field.value() == 2


def test_recent_files_live_beside_the_shared_settings_as_absolute_paths(window, demo, monkeypatch):
    from composer_assist.app.window_files import studio_settings

    monkeypatch.delenv("COMPOSER_ASSIST_STUDIO_SETTINGS")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(demo.parent / "cfg"))
    # before: ~/.config whatever XDG_CONFIG_HOME said, unlike settings.json beside it
    assert studio_settings().fileName() == str(demo.parent / "cfg" / "composer-assist" / "studio.ini")
    monkeypatch.chdir(demo.parent)
    assert window.open_project("demo/project.json")
    # before: "demo/project.json" as typed, which no longer opened from another folder
    assert window.recent()[0] == str(demo / "project.json")
