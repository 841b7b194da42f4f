"""What every edit shares: the command protocol, addresses (``cue/variant/layer``), the error type,
and the check that an edited project still loads.

A command is made against a project (which validates it), then ``apply``/``undo`` change the
project in place.  Commands find their objects by name at apply time, so undo and redo stay
right whatever the stack did in between.  The limits of every field live once, in
``core.project.parse``: a command is checked by applying it, reading the project back as
``load_project`` would, and undoing it; a refusal names the edit path (``night_chase/calm.valence``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ProjectError
from ..project.model import Cue, Layer, Project, Variant, name_problem
from ..project.parse import project_from_json
from ..project.serialize import project_to_json
from ..suggest import did_you_mean

class EditError(ProjectError):
    """An edit is refused: one line naming the path or field and what is allowed."""


class Command:
    """One undoable change of a project (``text`` labels it on an undo stack)."""

    text: str = ""
    warnings: tuple[str, ...] = ()  # what the author should know (e.g. notes past the cue's end)

    def apply(self, project: Project) -> None:
        raise NotImplementedError

    def undo(self, project: Project) -> None:
        raise NotImplementedError

    def touches_clips(self) -> bool:
        """Whether the notes of the layers it changes need checking (other edits skip every note)."""
        return False

    def checked(self, project: Project) -> "Command":
        """Validate against ``project`` (apply, read back, undo); returns self, raises ``EditError``."""
        self.apply(project)
        try:
            locs = affected(self)
            verify(project, {loc.cue for loc in locs} or None, set(locs) if self.touches_clips() else set())
        except EditError as exc:
            raise EditError(f"{exc}{self.hint(str(exc))}") from None
        finally:
            self.undo(project)
        return self

    def hint(self, refusal: str) -> str:
        """What to do first, when the refusal is about something else than the field edited."""
        return ""


@dataclass(frozen=True)
class Loc:
    """Where an edit applies: a cue, a variant of it, or a layer of that variant."""

    cue: str
    variant: str | None = None
    layer: str | None = None

    def __str__(self) -> str:
        return "/".join(p for p in (self.cue, self.variant, self.layer) if p is not None)

    @property
    def level(self) -> str:
        return "layer" if self.layer is not None else "variant" if self.variant is not None else "cue"

    def parent(self) -> "Loc":
        if self.layer is not None:
            return Loc(self.cue, self.variant)
        return Loc(self.cue)

    def child(self, name: str) -> "Loc":
        return Loc(self.cue, name) if self.variant is None else Loc(self.cue, self.variant, name)


class Batch(Command):
    """Several commands as one undo step (applied in order, undone in reverse)."""

    def __init__(self, text: str, commands: list[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def apply(self, project: Project) -> None:
        for c in self.commands:
            c.apply(project)

    def undo(self, project: Project) -> None:
        for c in reversed(self.commands):
            c.undo(project)

    def touches_clips(self) -> bool:
        return any(c.touches_clips() for c in self.commands)


Step = str | int  # an attribute name, or an index into a list


@dataclass
class SetAttr(Command):
    """Replace one value of the object at ``loc``: ``steps`` lead to it (``("adaptive", "dwell_bars")``,
    ``("effects", 0, "params")``); undo puts the old value (the very object) back."""

    loc: Loc
    steps: tuple[Step, ...]
    value: Any
    text: str = ""
    _old: Any = field(default=None, repr=False)

    def _owner(self, project: Project) -> Any:
        obj: Any = find(project, self.loc)
        for step in self.steps[:-1]:
            obj = obj[step] if isinstance(step, int) else getattr(obj, step)
        return obj

    def _swap(self, project: Project, value: Any) -> Any:
        owner, last = self._owner(project), self.steps[-1]
        if isinstance(last, int):
            old, owner[last] = owner[last], value
        else:
            old = getattr(owner, last)
            setattr(owner, last, value)
        return old

    def hint(self, refusal: str) -> str:
        # A shorter cue (meter, length) can leave its loop or a marker past its end: say which to move.
        if self.loc.level == "cue" and self.steps[:1] in (("meter",), ("length_bars",)) and (
                ".loop" in refusal or ".markers" in refusal):
            return f" (the cue gets shorter: move the loop or markers inside it first, e.g. `set ... {self.loc}.loop`)"
        return ""

    def touches_clips(self) -> bool:
        return self.steps[0] == "clips"

    def apply(self, project: Project) -> None:
        self._old = self._swap(project, self.value)

    def undo(self, project: Project) -> None:
        self._swap(project, self._old)

    @property
    def previous(self) -> Any:
        """The value it replaced (once applied): what undo puts back."""
        return self._old

    def current(self, project: Project) -> Any:
        """The value there now (before the command is applied: what undo restores)."""
        owner, last = self._owner(project), self.steps[-1]
        return owner[last] if isinstance(last, int) else getattr(owner, last)


def affected(command: Command) -> list[Loc]:
    """Where a command changes the project (for a view to refresh, or the stems to re-render)."""
    if isinstance(command, Batch):
        return [loc for c in command.commands for loc in affected(c)]
    loc = getattr(command, "loc", None)
    if isinstance(loc, Loc):
        return [loc]
    cue = getattr(command, "cue", None)
    return [Loc(cue)] if isinstance(cue, str) else []


def _pick(items: list, name: str, what: str, where: str):
    for item in items:
        if item.name == name:
            return item
    names = [i.name for i in items]
    raise EditError(f"{where}: no {what} {name!r}; {did_you_mean(name, names)}"
                    f"{what}s: {', '.join(names) or 'none'}")


def find_cue(project: Project, loc: Loc) -> Cue:
    return _pick(project.cues, loc.cue, "cue", loc.cue)


def find_variant(project: Project, loc: Loc) -> Variant:
    assert loc.variant is not None
    return _pick(find_cue(project, loc).variants, loc.variant, "variant", str(Loc(loc.cue, loc.variant)))


def find_layer(project: Project, loc: Loc) -> Layer:
    assert loc.layer is not None
    return _pick(find_variant(project, loc).layers, loc.layer, "layer", str(loc))


def find(project: Project, loc: Loc) -> Cue | Variant | Layer:
    """The object at ``loc``; ``EditError`` naming the missing part (with a guess) otherwise."""
    if loc.layer is not None:
        return find_layer(project, loc)
    if loc.variant is not None:
        return find_variant(project, loc)
    return find_cue(project, loc)


def siblings(project: Project, loc: Loc) -> list:
    """The list ``loc`` lives in (the project's cues, a cue's variants, a variant's layers)."""
    if loc.layer is not None:
        return find_variant(project, loc).layers
    if loc.variant is not None:
        return find_cue(project, loc).variants
    return project.cues


def check_name(name: str, taken: list[str], where: str, what: str) -> None:
    """A new name: not empty, no path separators, not used by a sibling."""
    problem = name_problem(name)
    if problem is not None:
        raise EditError(f"{where}: a {what} name {problem}")
    if name in taken:
        raise EditError(f"{where}: there is already a {what} named {name!r}")


_RULE = re.compile(r"^\.transitions\[(\d+)\]")
_WHERE = re.compile(r"^cues\[(\d+)\](?:\.variants\[(\d+)\](?:\.layers\[(\d+)\])?)?")


def edit_path(project: Project, where: str) -> str:
    """A JSON field path (``cues[0].variants[1].valence``) as an edit path (``night_chase/calm.valence``)."""
    m = _WHERE.match(where)
    if not m:
        return where
    try:
        cue = project.cues[int(m[1])]
        parts = [cue.name]
        if m[2] is not None:
            variant = cue.variants[int(m[2])]
            parts.append(variant.name)
            if m[3] is not None:
                parts.append(variant.layers[int(m[3])].name)
    except IndexError:
        return where
    rest = where[m.end():]
    rule = _RULE.match(rest)
    if rule and m[2] is None and int(rule[1]) < len(cue.transitions):
        r = cue.transitions[int(rule[1])]
        rest = f".transitions[{r.source} -> {r.target}]" + rest[rule.end():]
    return "/".join(parts) + rest


_SOURCE = "<edit>"


def verify(project: Project, cues: set[str] | None = None, notes_of: set[Loc] | None = None) -> None:
    """Refuse (``EditError`` naming the edit path) a project that would not load again.

    An editor checks what an edit changed, not a long score's every note: with ``cues`` only those
    cues, and with ``notes_of`` only the clips of those layers (every other layer's clips were
    checked when they were made, and nothing outside a layer depends on them).
    """
    if cues is not None:
        # Names are checked by the commands that give them; each cue is checked on its own.
        keep = notes_of or set()
        project = Project(project.name, project.sample_rate,
                          [_without_notes(c, keep) for c in project.cues if c.name in cues], path=project.path)
    try:
        project_from_json(project_to_json(project), source=_SOURCE, project_dir=project.folder, check_files=False)
    except ProjectError as exc:
        text = str(exc)
        if text.startswith(_SOURCE + ": "):
            where, _, message = text[len(_SOURCE) + 2:].partition(": ")
            text = f"{edit_path(project, where)}: {message}"
        raise EditError(text) from None


def _without_notes(cue: Cue, keep: set[Loc]) -> Cue:
    """A shallow copy of ``cue`` whose layers have no clips, except the layers in ``keep``."""
    variants = [replace(v, layers=[layer if Loc(cue.name, v.name, layer.name) in keep else replace(layer, clips=[])
                                   for layer in v.layers]) for v in cue.variants]
    return replace(cue, variants=variants)
