"""Adding, removing and renaming cues, variants and layers.

A variant's name also appears in its cue's transition rules: renaming a variant renames it there
too, and removing one removes the rules that name it (undo puts them back where they were).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..project.model import ANY, Cue, Layer, PluginRef, Project, TransitionRule, Variant
from ..timing import Meter, TempoMap
from .base import Command, EditError, Loc, check_name, find, find_cue, siblings
from .plugin_slots import check_plugin_role

DEFAULT_INSTRUMENT = "keys"


@dataclass
class Insert(Command):
    """Put a new cue, variant or layer at ``loc`` (appended, or at ``index``)."""

    loc: Loc
    item: Cue | Variant | Layer
    index: int | None = None

    def __post_init__(self) -> None:
        self.text = f"add {self.loc.level} {self.loc}"

    def apply(self, project: Project) -> None:
        items = siblings(project, self.loc)
        items.insert(len(items) if self.index is None else self.index, self.item)

    def undo(self, project: Project) -> None:
        items = siblings(project, self.loc)
        items.remove(next(i for i in items if i.name == self.loc_name))

    @property
    def loc_name(self) -> str:
        return self.item.name


@dataclass
class Remove(Command):
    """Remove the cue, variant or layer at ``loc`` (and the transition rules naming a variant)."""

    loc: Loc
    _index: int = field(default=-1, repr=False)
    _item: object = field(default=None, repr=False)
    _rules: list[tuple[int, TransitionRule]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.text = f"remove {self.loc.level} {self.loc}"

    def apply(self, project: Project) -> None:
        items = siblings(project, self.loc)
        self._item = find(project, self.loc)
        self._index = items.index(self._item)
        del items[self._index]
        self._rules = []
        if self.loc.level == "variant":
            cue = find_cue(project, self.loc)
            self._rules = [(i, r) for i, r in enumerate(cue.transitions) if self.loc.variant in (r.source, r.target)]
            cue.transitions[:] = [r for r in cue.transitions if self.loc.variant not in (r.source, r.target)]

    def undo(self, project: Project) -> None:
        siblings(project, self.loc).insert(self._index, self._item)
        if self._rules:
            rules = find_cue(project, self.loc).transitions
            for i, r in self._rules:
                rules.insert(i, r)


@dataclass
class Rename(Command):
    """Rename the cue, variant or layer at ``loc`` (a variant's transition rules follow)."""

    loc: Loc
    new_name: str

    def __post_init__(self) -> None:
        self.text = f"rename {self.loc.level} {self.loc} to {self.new_name}"

    def _swap(self, project: Project, old: str, new: str) -> None:
        loc = self.loc if old == self._old else _renamed(self.loc, old)
        find(project, loc).name = new
        if self.loc.level == "variant":
            for r in find_cue(project, loc).transitions:
                r.source = new if r.source == old else r.source
                r.target = new if r.target == old else r.target

    @property
    def _old(self) -> str:
        return {"cue": self.loc.cue, "variant": self.loc.variant, "layer": self.loc.layer}[self.loc.level]

    def apply(self, project: Project) -> None:
        self._swap(project, self._old, self.new_name)

    def undo(self, project: Project) -> None:
        self._swap(project, self.new_name, self._old)


def _renamed(loc: Loc, name: str) -> Loc:
    if loc.layer is not None:
        return Loc(loc.cue, loc.variant, name)
    if loc.variant is not None:
        return Loc(loc.cue, name)
    return Loc(name)


def _taken(project: Project, loc: Loc) -> list[str]:
    return [i.name for i in siblings(project, loc)]


def add_cue(project: Project, name: str, variant: str = "main", tempo: float = 120.0, meter: str = "4/4",
            length_bars: int = 8, key: str | None = None) -> Insert:
    """A new cue with one (empty) variant: a cue needs at least one."""
    check_name(name, _taken(project, Loc(name)), name, "cue")
    check_name(variant, [], f"{name}/{variant}", "variant")
    try:
        num, den = (int(x) for x in meter.split("/"))
    except (ValueError, AttributeError):
        raise EditError(f"{name}.meter: {meter!r} is not a time signature like 4/4 or 6/8") from None
    cue = Cue(name=name, tempo=TempoMap.constant(tempo), meter=Meter(num, den), key=key, length_bars=length_bars,
              variants=[Variant(name=variant)])
    return Insert(Loc(name), cue).checked(project)  # type: ignore[return-value]


def add_variant(project: Project, loc: Loc, valence: float = 0.0, arousal: float = 0.0,
                tags: list[str] | None = None, copy_from: str | None = None) -> Insert:
    """A new variant at ``loc`` (cue/name); ``copy_from`` copies another variant's layers and intensity."""
    check_name(loc.variant or "", _taken(project, loc), str(loc), "variant")
    if loc.variant == ANY:
        raise EditError(f"{loc}: {ANY!r} means any variant in transition rules; choose another name")
    v = Variant(name=loc.variant or "", valence=valence, arousal=arousal, tags=list(tags or []))
    if copy_from is not None:
        src = find(project, Loc(loc.cue, copy_from))
        assert isinstance(src, Variant)
        v.layers = copy.deepcopy(src.layers)
        v.intensity = src.intensity
        v.level_offset_lu = src.level_offset_lu
        v.arousal_follows_intensity = src.arousal_follows_intensity
    return Insert(loc, v).checked(project)  # type: ignore[return-value]


def add_layer(project: Project, loc: Loc, instrument: str = DEFAULT_INSTRUMENT, gain_db: float = 0.0,
              pan: float = 0.0) -> Insert:
    """A new empty layer at ``loc`` (cue/variant/name) played by ``instrument``."""
    check_name(loc.layer or "", _taken(project, loc), str(loc), "layer")
    check_plugin_role(project, instrument, "instrument", f"{loc}.instrument")
    layer = Layer(name=loc.layer or "", instrument=PluginRef(instrument), gain_db=gain_db, pan=pan)
    return Insert(loc, layer).checked(project)  # type: ignore[return-value]


def remove(project: Project, loc: Loc) -> Remove:
    """Remove what ``loc`` names; a cue's last variant cannot go (remove the cue instead)."""
    find(project, loc)
    if loc.level == "variant" and len(find_cue(project, loc).variants) == 1:
        raise EditError(f"{loc}: a cue needs at least one variant; remove the cue {loc.cue!r} instead")
    cmd = Remove(loc).checked(project)
    if loc.level == "variant":
        rules = [r for r in find_cue(project, loc).transitions if loc.variant in (r.source, r.target)]
        if rules:  # they go with it (and come back on undo): say so, they were the composer's work
            cmd.warnings = (f"also removes the transition rule{'s' * (len(rules) != 1)} naming {loc.variant!r}: "
                            + ", ".join(f"{r.source} → {r.target}" for r in rules),)
    return cmd  # type: ignore[return-value]


def rename(project: Project, loc: Loc, new_name: str) -> Rename:
    find(project, loc)
    check_name(new_name, _taken(project, loc), str(loc), loc.level)
    if loc.level == "variant" and new_name == ANY:
        raise EditError(f"{loc}: {ANY!r} means any variant in transition rules; choose another name")
    return Rename(loc, new_name).checked(project)  # type: ignore[return-value]
