"""An open project as an editor holds it: the project, its undo history, whether it is saved,
and an autosave beside it for recovery after a crash.  Qt-free; the app wraps it.

The autosave is ``.project.json.autosave`` beside ``project.json``, written atomically while there
are unsaved edits and removed by a save or a close without saving.  When one is found newer than
the project on opening, ``recover`` gives the edits back (the user chooses; nothing is lost
silently).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from composer_assist.core.atomic import atomic_write_text, dumps_json
from composer_assist.core.edit import Command, UndoHistory
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import Project, load_project, project_from_json, project_to_json, save_project
from composer_assist.core.project.files import MAX_PROJECT_BYTES, project_json_path
from composer_assist.core.reading import read_limited


def autosave_path(path: str | os.PathLike) -> Path:
    pj = project_json_path(path)
    return pj.parent / f".{pj.name}.autosave"


class Document:
    """A project being edited: ``push`` edits, ``undo``/``redo``, ``save``, ``autosave``."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.history = UndoHistory(project)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Document":
        return cls(load_project(path))

    @property
    def modified(self) -> bool:
        return not self.history.is_clean

    def push(self, command: Command) -> None:
        self.history.push(command)

    def undo(self) -> Command | None:
        return self.history.undo()

    def redo(self) -> Command | None:
        return self.history.redo()

    def save(self, path: str | os.PathLike | None = None, force: bool = False) -> Path:
        """Save atomically (refused when the file changed on disk since it was read, unless ``force``)."""
        old = self.project.path
        target = save_project(self.project, path, force=force)
        self.history.mark_clean()
        for p in {old, target} - {None}:
            autosave_path(p).unlink(missing_ok=True)
        return target

    def autosave(self) -> Path | None:
        """Write the unsaved state beside the project (nothing when saved, or never saved anywhere)."""
        if self.project.path is None:
            return None
        dest = autosave_path(self.project.path)
        if not self.modified:
            dest.unlink(missing_ok=True)
            return None
        atomic_write_text(dest, dumps_json(project_to_json(self.project)) + "\n", announce=False)
        return dest

    def discard_autosave(self) -> None:
        """Closing without saving: the unsaved edits are given up on purpose."""
        if self.project.path is not None:
            autosave_path(self.project.path).unlink(missing_ok=True)


def recovery_for(path: str | os.PathLike) -> Path | None:
    """The autosave of the project at ``path`` when it is newer than the project (a crash left it)."""
    pj, auto = project_json_path(path), autosave_path(path)
    if not auto.is_file():
        return None
    if pj.exists() and auto.stat().st_mtime_ns < pj.stat().st_mtime_ns:
        return None
    return auto


def recover(path: str | os.PathLike) -> Document:
    """The project as last autosaved, ready to save over ``project.json`` (its edits count as unsaved)."""
    pj, auto = project_json_path(path), autosave_path(path)
    data = read_limited(auto, MAX_PROJECT_BYTES, ProjectError, "autosave")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProjectError(f"{auto}: the autosave is damaged ({exc}); open the project without it") from None
    project = project_from_json(raw, source=str(auto), project_dir=pj.parent)
    project.path = pj
    # A save replaces the file now on disk (whose edits the autosave already holds).
    project.disk_hash = hashlib.sha256(pj.read_bytes()).hexdigest() if pj.exists() else None
    doc = Document(project)
    doc.history.mark_unsaved()  # the recovered edits are not in project.json yet
    return doc
