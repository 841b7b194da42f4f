"""Edit paths: ``cue/variant/layer.field`` text (``night_chase/calm.valence``) resolved to a command.

The part before the first ``.`` names the object (a cue, ``cue/variant`` or
``cue/variant/layer``); the rest is the field, as the project file spells it: ``valence``,
``adaptive.dwell_bars``, ``instrument``, ``instrument.params.cutoff``, ``effects[0].params.mix``.
"""

from __future__ import annotations

import re

from ..project.model import Project
from .base import Command, EditError, Loc
from .fields import field_spec, names, number, set_field
from .plugin_slots import set_effects, set_instrument, set_param

_EFFECT_PARAM = re.compile(r"^effects\[(\d+)\]\.params\.(.+)$")
RESET_WORDS = ("default", "none")  # a parameter set to one of these goes back to the plugin's default


def parse_loc(text: str) -> Loc:
    """``cue``, ``cue/variant`` or ``cue/variant/layer`` as a ``Loc``."""
    parts = text.split("/")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise EditError(f"{text or '(empty path)'}: expected CUE, CUE/VARIANT or CUE/VARIANT/LAYER")
    return Loc(*parts)


def parse_path(path: str) -> tuple[Loc, str]:
    """``night_chase/calm.valence`` → (Loc('night_chase', 'calm'), 'valence'); the field may be ''."""
    # Names never hold a '.', so the first one ends the object part; the field may hold anything
    # (a VST parameter named "LFO Rate/Sync").
    head, dot, field = path.partition(".")
    loc = parse_loc(head)
    if dot and not field:
        raise EditError(f"{path}: nothing after the '.': name a field, e.g. {loc}.valence")
    return loc, field


def set_command(project: Project, path: str, value_text: str, scan: dict[str, dict] | None = None) -> Command:
    """The validated command that sets ``path`` (``cue/variant.field``) to the value ``value_text`` reads as."""
    loc, field = parse_path(path)
    if not field:
        raise EditError(f"{path}: name a field after a '.', e.g. {loc}.{_example(loc)}")
    if loc.level == "layer":
        if field == "instrument":
            return set_instrument(project, loc, value_text.strip(), scan)
        if field == "effects":
            return set_effects(project, loc, names(value_text), scan)
        m = _EFFECT_PARAM.match(field)
        if field.startswith("instrument.params.") or m:
            slot, name = (int(m[1]), m[2]) if m else ("instrument", field[len("instrument.params."):])
            return set_param(project, loc, slot, name, _param_value(path, value_text), scan)
    spec = field_spec(loc, field)
    try:
        value = spec.parse(value_text)
    except ValueError as exc:
        raise EditError(f"{path}: {exc} ({spec.takes})") from None
    return set_field(project, loc, field, value)


def _param_value(path: str, text: str) -> float | None:
    if text.strip().lower() in RESET_WORDS:
        return None
    try:
        return number(text)
    except ValueError as exc:
        raise EditError(f"{path}: {exc} (or 'default' to use the plugin's own)") from None


def _example(loc: Loc) -> str:
    return {"cue": "tempo", "variant": "valence", "layer": "gain_db"}[loc.level]
