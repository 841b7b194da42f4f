"""An undo history of edit commands (plain Python: the command line and tests; the app wraps the
same commands in a QUndoStack)."""

from __future__ import annotations

from ..project.model import Project
from .base import Command


class UndoHistory:
    """Commands done on one project, with undo, redo and a clean mark (the state last saved)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.done: list[Command] = []
        self.undone: list[Command] = []
        self._clean: int | None = 0  # len(done) when saved; None: that state can no longer be reached

    def push(self, command: Command) -> None:
        """Apply ``command`` and record it (what was undone can no longer be redone)."""
        command.apply(self.project)
        if self._clean is not None and self._clean > len(self.done):
            self._clean = None
        self.done.append(command)
        self.undone.clear()

    def undo(self) -> Command | None:
        if not self.done:
            return None
        command = self.done.pop()
        command.undo(self.project)
        self.undone.append(command)
        return command

    def redo(self) -> Command | None:
        if not self.undone:
            return None
        command = self.undone.pop()
        command.apply(self.project)
        self.done.append(command)
        return command

    @property
    def undo_text(self) -> str | None:
        return self.done[-1].text if self.done else None

    @property
    def redo_text(self) -> str | None:
        return self.undone[-1].text if self.undone else None

    def mark_clean(self) -> None:
        """The project as it is now is saved."""
        self._clean = len(self.done)

    def mark_unsaved(self) -> None:
        """No state of this history is saved (e.g. edits recovered from an autosave)."""
        self._clean = None

    @property
    def is_clean(self) -> bool:
        return self._clean == len(self.done)
