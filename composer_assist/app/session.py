"""The open project in the studio: a ``services.document.Document`` (saving with compare-and-swap,
autosave, crash recovery) with the app's QUndoStack as its history.

Every change goes through ``push(command)`` so it can be undone; views listen to ``changed``.
While there are unsaved changes the document is autosaved every minute; a save or a clean close
removes the autosave, so one found when opening means a crash (``recovery_file``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QUndoStack

from composer_assist.core.errors import ProjectError
from composer_assist.core.project import Project
from composer_assist.services import document

from .edits import UndoStep

AUTOSAVE_MS = 60_000


class Session(QObject):
    """One project open in the studio."""

    changed = pyqtSignal(object)  # the edit command applied or undone
    loaded = pyqtSignal()  # a new project (open, recovery)
    clean_changed = pyqtSignal(bool)  # the project matches what is on disk (again / no longer)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc: document.Document | None = None
        self.stack = QUndoStack(self)
        self.stack.cleanChanged.connect(self.clean_changed)  # signal to signal: no Python closure
        self.stack.cleanChanged.connect(self._sync_clean)
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    @property
    def project(self) -> Project | None:
        return self.doc.project if self.doc is not None else None

    @property
    def dirty(self) -> bool:
        return not self.stack.isClean()

    @property
    def path(self) -> Path | None:
        return self.project.path if self.project is not None else None

    def _sync_clean(self, clean: bool) -> None:
        """The document's own history is unused; its clean mark follows the stack's (autosave reads it)."""
        if self.doc is not None:
            self.doc.history.mark_clean() if clean else self.doc.history.mark_unsaved()

    def open(self, path: str | Path) -> Project:
        """Load a project (errors name the file and field; the open project stays on failure)."""
        self._set(document.Document.open(path))
        return self.project

    def recovery_file(self, path: str | Path) -> Path | None:
        """An autosave left by a session that did not close cleanly, newer than the project."""
        return document.recovery_for(path)

    def recover(self, path: str | Path) -> Project:
        """Open the autosaved state of ``path`` (unsaved: saving writes it to the project)."""
        self._set(document.recover(path))
        self.stack.resetClean()  # differs from the file on disk until saved
        self._sync_clean(False)
        return self.project

    def _set(self, doc: document.Document) -> None:
        self.doc = doc
        self.stack.clear()
        self.loaded.emit()

    def push(self, command: Any) -> None:
        """Apply an edit command now and keep it for undo."""
        if self.project is None:
            raise ProjectError("no project is open")
        # The command was validated when it was made (core.edit): pushing applies it.
        self.stack.push(UndoStep(self.project, command, self.changed.emit))

    def save(self, path: str | Path | None = None, force: bool = False) -> Path:
        if self.doc is None:
            raise ProjectError("no project is open")
        written = self.doc.save(path, force=force)
        self.stack.setClean()
        return written

    def autosave(self) -> Path | None:
        """Write the unsaved state beside the project (nothing when clean or never saved)."""
        return self.doc.autosave() if self.doc is not None else None

    def discard_autosave(self) -> None:
        if self.doc is not None:
            self.doc.discard_autosave()
