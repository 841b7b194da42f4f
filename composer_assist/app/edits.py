"""The studio's edits as undoable steps: a QUndoCommand over a ``core.edit`` command.

The commands (validated when made, applied and undone in place) are the ones the command line
uses; the app only puts them on a QUndoStack and tells the views what changed.
"""

from __future__ import annotations

from typing import Any, Callable

from PyQt6.QtGui import QUndoCommand

from composer_assist.core.edit import Loc
from composer_assist.core.project import Project


def loc(path: tuple) -> Loc:
    """The app's (cue, variant, layer) selection as an edit location."""
    cue, variant, layer = (tuple(path) + (None, None, None))[:3]
    return Loc(cue, variant, layer)


class UndoStep(QUndoCommand):
    """One edit command on the QUndoStack; ``after(command)`` runs after each apply and undo."""

    def __init__(self, project: Project, command: Any, after: Callable[[Any], None]) -> None:
        super().__init__(str(command.text))
        self.project, self.command, self.after = project, command, after

    def redo(self) -> None:
        self.command.apply(self.project)
        self.after(self.command)

    def undo(self) -> None:
        self.command.undo(self.project)
        self.after(self.command)
