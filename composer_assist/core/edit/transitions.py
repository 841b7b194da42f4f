"""The transition table of a cue: set (add or change) and remove the rule for a source → target pair.

``*`` is any variant.  A rule is identified by its pair, as the matrix editor shows it; the fields
are those of ``TransitionRule`` (leave, bars, leave_marker, enter, enter_marker, fade_beats, curve,
stinger), checked like the project file's (unknown variants, markers and stingers are refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..project.model import ANY, Project, TransitionRule
from ..suggest import did_you_mean
from .base import Command, EditError, Loc, SetAttr, find_cue

RULE_FIELDS = tuple(f.name for f in fields(TransitionRule) if f.name not in ("source", "target", "extra"))


@dataclass
class InsertRule(Command):
    cue: str
    rule: TransitionRule
    index: int
    text: str = ""

    def apply(self, project: Project) -> None:
        find_cue(project, Loc(self.cue)).transitions.insert(self.index, self.rule)

    def undo(self, project: Project) -> None:
        del find_cue(project, Loc(self.cue)).transitions[self.index]


@dataclass
class RemoveRule(Command):
    cue: str
    index: int
    text: str = ""
    _rule: TransitionRule | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        self._rule = find_cue(project, Loc(self.cue)).transitions.pop(self.index)

    def undo(self, project: Project) -> None:
        assert self._rule is not None
        find_cue(project, Loc(self.cue)).transitions.insert(self.index, self._rule)


def rule_index(project: Project, cue: str, source: str, target: str) -> int | None:
    """Where the rule for exactly this pair sits in the cue's table, or None."""
    for i, r in enumerate(find_cue(project, Loc(cue)).transitions):
        if (r.source, r.target) == (source, target):
            return i
    return None


def _check_pair(project: Project, cue: str, source: str, target: str) -> None:
    names = [v.name for v in find_cue(project, Loc(cue)).variants]
    for side, name in (("from", source), ("to", target)):
        if name != ANY and name not in names:
            raise EditError(f"{cue}.transitions {source} -> {target}: {side}: no variant {name!r}; "
                            f"{did_you_mean(name, names)}variants: {', '.join(names)}, or {ANY} for any")


def set_rule(project: Project, cue: str, source: str, target: str, **values: Any) -> Command:
    """Add the rule for source → target, or change the fields given of the one there is."""
    _check_pair(project, cue, source, target)
    unknown = [k for k in values if k not in RULE_FIELDS]
    if unknown:
        raise EditError(f"{cue}.transitions {source} -> {target}: no field {unknown[0]!r}; "
                        f"{did_you_mean(unknown[0], RULE_FIELDS)}fields: {', '.join(RULE_FIELDS)}")
    i = rule_index(project, cue, source, target)
    label = f"{cue}: transition {source} -> {target}"
    if i is None:
        rule = replace(TransitionRule(source=source, target=target), **values)
        n = len(find_cue(project, Loc(cue)).transitions)
        return InsertRule(cue, rule, n, text=label).checked(project)
    old = find_cue(project, Loc(cue)).transitions[i]
    return SetAttr(Loc(cue), ("transitions", i), replace(old, **values), text=label).checked(project)


def remove_rule(project: Project, cue: str, source: str, target: str) -> RemoveRule:
    i = rule_index(project, cue, source, target)
    if i is None:
        pairs = [f"{r.source} -> {r.target}" for r in find_cue(project, Loc(cue)).transitions]
        raise EditError(f"{cue}.transitions: no rule for {source} -> {target} (rules: {', '.join(pairs) or 'none'})")
    return RemoveRule(cue, i, text=f"{cue}: remove transition {source} -> {target}").checked(project)  # type: ignore
