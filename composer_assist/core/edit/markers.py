"""A cue's markers (named beats that transition rules may leave or enter at): set and remove.

A marker a transition rule names cannot be removed; the error names the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..project.model import Marker, Project
from .base import Command, EditError, Loc, SetAttr, check_name, find_cue


@dataclass
class InsertMarker(Command):
    cue: str
    marker: Marker
    text: str = ""

    def apply(self, project: Project) -> None:
        find_cue(project, Loc(self.cue)).markers.append(self.marker)

    def undo(self, project: Project) -> None:
        find_cue(project, Loc(self.cue)).markers.pop()


@dataclass
class RemoveMarker(Command):
    cue: str
    index: int
    text: str = ""
    _marker: Marker | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        self._marker = find_cue(project, Loc(self.cue)).markers.pop(self.index)

    def undo(self, project: Project) -> None:
        assert self._marker is not None
        find_cue(project, Loc(self.cue)).markers.insert(self.index, self._marker)


def _index(project: Project, cue: str, name: str) -> int | None:
    return next((i for i, m in enumerate(find_cue(project, Loc(cue)).markers) if m.name == name), None)


def set_marker(project: Project, cue: str, name: str, beat: float) -> Command:
    """Add marker ``name`` at ``beat``, or move the one of that name there."""
    i = _index(project, cue, name)
    label = f"{cue}: marker {name} at beat {beat:g}"
    if i is None:
        check_name(name, [], f"{cue}.markers.{name}", "marker")
        return InsertMarker(cue, Marker(name, float(beat)), text=label).checked(project)
    old = find_cue(project, Loc(cue)).markers[i]
    return SetAttr(Loc(cue), ("markers", i), replace(old, beat=float(beat)), text=label).checked(project)


def remove_marker(project: Project, cue: str, name: str) -> RemoveMarker:
    c = find_cue(project, Loc(cue))
    i = _index(project, cue, name)
    if i is None:
        raise EditError(f"{cue}.markers: no marker {name!r} (markers: {', '.join(m.name for m in c.markers) or 'none'})")
    for r in c.transitions:
        if name in (r.leave_marker, r.enter_marker):
            raise EditError(f"{cue}.markers.{name}: the transition {r.source} -> {r.target} uses it; change that "
                            f"rule first")
    return RemoveMarker(cue, i, text=f"{cue}: remove marker {name}").checked(project)  # type: ignore
