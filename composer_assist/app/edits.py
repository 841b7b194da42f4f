"""The studio's edits as undoable steps: a QUndoCommand over a Qt-free edit command.

An edit command has ``apply(project)``, ``undo(project)`` and ``text`` (``core.edit``).  Until that
layer is merged, ``SetField`` below is the one edit the inspector needs.
"""

from __future__ import annotations

from typing import Any, Callable

from PyQt6.QtGui import QUndoCommand

from composer_assist.core.errors import ProjectError
from composer_assist.core.project import Project

Path3 = tuple  # (cue, variant, layer) names, trailing ones None


def resolve(project: Project, path: Path3) -> Any:
    """The cue, variant or layer a path names."""
    cue, variant, layer = (tuple(path) + (None, None, None))[:3]
    try:
        obj: Any = project.cue(cue)
        if variant is not None:
            obj = obj.variant(variant)
        if layer is not None:
            obj = obj.layer(layer)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    return obj


def path_text(path: Path3) -> str:
    return "/".join(p for p in path if p is not None)


class SetField:
    """Set one attribute of a cue, variant or layer (the old value kept for undo)."""

    def __init__(self, path: Path3, field: str, value: Any) -> None:
        self.path, self.field, self.value = tuple(path), field, value
        self.old: Any = None
        self.text = f"set {path_text(self.path)}.{field}"

    def apply(self, project: Project) -> None:
        obj = resolve(project, self.path)
        if not hasattr(obj, self.field):
            raise ProjectError(f"{path_text(self.path)}: no field {self.field!r}")
        self.old = getattr(obj, self.field)
        setattr(obj, self.field, self.value)

    def undo(self, project: Project) -> None:
        path = self.path
        if self.field == "name":  # a renamed object is found under its new name
            depth = max(i for i, p in enumerate(path) if p is not None)
            path = tuple(self.value if i == depth else p for i, p in enumerate(path))
        setattr(resolve(project, path), self.field, self.old)


class SetParam:
    """Set (or, with None, clear) a parameter of a layer's instrument (slot -1) or effect ``slot``."""

    def __init__(self, path: Path3, slot: int, name: str, value: float | None) -> None:
        self.path, self.slot, self.name, self.value = tuple(path), slot, name, value
        self.old: float | None = None
        where = "instrument" if slot < 0 else f"effects[{slot}]"
        self.text = f"set {path_text(self.path)}.{where}.{name}"

    def _params(self, project: Project) -> dict:
        layer = resolve(project, self.path)
        return (layer.instrument if self.slot < 0 else layer.effects[self.slot]).params

    def _put(self, params: dict, value: float | None) -> None:
        if value is None:
            params.pop(self.name, None)
        else:
            params[self.name] = float(value)

    def apply(self, project: Project) -> None:
        params = self._params(project)
        self.old = params.get(self.name)
        self._put(params, self.value)

    def undo(self, project: Project) -> None:
        self._put(self._params(project), self.old)


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


class AddClip:
    """Add a .mid file's notes (bars and beats kept) as an inline clip of a layer."""

    def __init__(self, path: Path3, midi_file: str) -> None:
        from composer_assist.core.midi import read_midi
        from composer_assist.core.project import Clip, Note

        midi = read_midi(midi_file)  # a bad file fails here, with its name, before any change
        if not midi.notes:
            raise ProjectError(f"{midi_file}: the file has no notes")
        self.path = tuple(path)
        self.clip = Clip(start=0.0, notes=[Note(*n) for n in midi.notes])
        self.text = f"import {midi.path.name} into {path_text(self.path)}"

    def apply(self, project: Project) -> None:
        resolve(project, self.path).clips.append(self.clip)

    def undo(self, project: Project) -> None:
        clips = resolve(project, self.path).clips
        clips.remove(next(c for c in reversed(clips) if c is self.clip))
