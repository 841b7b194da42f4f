"""An open document: edits make it modified, save clears it and is refused when another program
changed the file, an autosave left by a crash is recovered exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from composer_assist.core import edit
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import load_project, project_to_json
from composer_assist.services.document import Document, autosave_path, recover, recovery_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def demo(tmp_path) -> Path:
    shutil.copytree(ROOT / "projects" / "demo", tmp_path / "demo")
    return tmp_path / "demo"


def test_edit_autosave_crash_and_recover(demo):
    doc = Document.open(demo)
    assert not doc.modified and doc.autosave() is None
    doc.push(edit.set_command(doc.project, "night_chase/calm.valence", "0.1"))
    doc.push(edit.rename(doc.project, edit.Loc("night_chase", "tense"), "scary"))
    assert doc.modified
    auto = doc.autosave()
    assert auto == autosave_path(demo) and auto.is_file()
    edited = project_to_json(doc.project)
    del doc  # the app crashed: project.json still holds the old project
    assert load_project(demo).cues[0].variants[0].valence == 0.5
    assert recovery_for(demo) == auto
    back = recover(demo)
    assert project_to_json(back.project) == edited and back.modified
    back.save()
    assert project_to_json(load_project(demo)) == edited
    assert not auto.exists() and recovery_for(demo) is None and not back.modified


def test_undo_to_the_saved_state_is_not_modified_and_leaves_no_autosave(demo):
    doc = Document.open(demo)
    doc.push(edit.set_command(doc.project, "night_chase/calm.valence", "0.1"))
    doc.autosave()
    doc.undo()
    assert not doc.modified
    assert doc.autosave() is None and not autosave_path(demo).exists()


def test_save_is_refused_when_another_program_changed_the_file(demo):
    doc = Document.open(demo)
    doc.push(edit.set_command(doc.project, "night_chase/calm.valence", "0.1"))
    data = json.loads((demo / "project.json").read_text())
    data["name"] = "changed elsewhere"
    (demo / "project.json").write_text(json.dumps(data))
    with pytest.raises(ProjectError, match="changed on disk since it was loaded"):
        doc.save()
    assert doc.modified
    doc.save(force=True)
    assert load_project(demo).cues[0].variants[0].valence == 0.1


def test_a_damaged_autosave_is_one_line(demo):
    autosave_path(demo).write_text("{half")
    assert recovery_for(demo) is not None
    with pytest.raises(ProjectError, match="the autosave is damaged"):
        recover(demo)
