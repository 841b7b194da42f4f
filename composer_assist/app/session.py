"""The open project: loading, saving, the undo stack, autosave and crash recovery.

Every change goes through ``push(command)`` so it can be undone; views listen to ``changed``.
Autosave writes a copy beside the project (``.project.autosave.json``) every minute while there
are unsaved changes; a clean save or close removes it, so one found at open means a crash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QUndoStack

from composer_assist.core.atomic import atomic_write_json
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import Project, load_project, project_from_json, project_json_path, save_project
from composer_assist.core.project import project_to_json

from .edits import UndoStep

AUTOSAVE_NAME = ".project.autosave.json"
AUTOSAVE_MS = 60_000


def autosave_path(project_file: Path) -> Path:
    return project_file.parent / AUTOSAVE_NAME


class Session(QObject):
    """One project open in the studio."""

    changed = pyqtSignal(object)  # the edit command applied or undone
    loaded = pyqtSignal()  # a new project (open, revert, recovery)
    clean_changed = pyqtSignal(bool)  # the project matches what is on disk (again / no longer)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.stack = QUndoStack(self)
        self.stack.cleanChanged.connect(self.clean_changed)  # signal to signal: no Python closure
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    @property
    def dirty(self) -> bool:
        return not self.stack.isClean()

    @property
    def path(self) -> Path | None:
        return self.project.path if self.project is not None else None

    def open(self, path: str | Path) -> Project:
        """Load a project (errors name the file and field; the open project stays on failure)."""
        project = load_project(path)
        self._set(project)
        return project

    def recovery_file(self, path: str | Path) -> Path | None:
        """An autosave left by a session that did not close cleanly, newer than the project."""
        p = project_json_path(path)
        auto = autosave_path(p)
        if auto.exists() and (not p.exists() or auto.stat().st_mtime >= p.stat().st_mtime):
            return auto
        return None

    def recover(self, path: str | Path) -> Project:
        """Open the autosaved state of ``path`` (unsaved: saving writes it to the project)."""
        p = project_json_path(path)
        auto = autosave_path(p)
        try:
            raw = json.loads(auto.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"{auto}: cannot read the autosave: {exc}") from None
        base = load_project(p)
        project = project_from_json(raw, source=str(auto), project_dir=p.parent)
        project.path, project.disk_hash = p, base.disk_hash
        self._set(project)
        self.stack.resetClean()  # differs from the file on disk until saved
        return project

    def _set(self, project: Project) -> None:
        self.project = project
        self.stack.clear()
        self.loaded.emit()

    def push(self, command: Any) -> None:
        """Apply an edit command now and keep it for undo."""
        if self.project is None:
            raise ProjectError("no project is open")
        # The command was validated when it was made (core.edit): pushing applies it.
        self.stack.push(UndoStep(self.project, command, self.changed.emit))

    def save(self, path: str | Path | None = None, force: bool = False) -> Path:
        if self.project is None:
            raise ProjectError("no project is open")
        old = self.project.path
        written = save_project(self.project, path, force=force)
        self.stack.setClean()
        for p in {old, written} - {None}:
            autosave_path(p).unlink(missing_ok=True)
        return written

    def autosave(self) -> Path | None:
        """Write the unsaved state beside the project (nothing when clean or never saved)."""
        if self.project is None or self.project.path is None or not self.dirty:
            return None
        target = autosave_path(self.project.path)
        atomic_write_json(target, project_to_json(self.project))
        return target

    def discard_autosave(self) -> None:
        if self.project is not None and self.project.path is not None:
            autosave_path(self.project.path).unlink(missing_ok=True)
