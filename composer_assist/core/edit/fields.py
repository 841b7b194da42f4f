"""Setting one field of a cue, variant or layer: the fields there are, and their values as text.

``set_field`` takes a typed value (what the app's widgets give); ``FIELDS[level][name].parse``
reads the text a command line gives.  Ranges are not repeated here: the edit is checked by
reading the project back (``base.verify``), so the limits are those of ``core.project.parse``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ..project.model import Project
from ..suggest import did_you_mean
from ..timing import Meter, TempoMap
from .base import Batch, Command, EditError, Loc, SetAttr, find


def number(text: str) -> float:
    try:
        out = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"expected a finite number, got {text!r}")
    return out


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None


def pair(text: str) -> tuple[float, float]:
    """``0.2,0.8`` (or ``0.2..0.8``)."""
    parts = text.replace("..", ",").split(",")
    if len(parts) != 2:
        raise ValueError(f"expected LOW,HIGH such as 0.2,0.8, got {text!r}")
    return (number(parts[0].strip()), number(parts[1].strip()))


def boolean(text: str) -> bool:
    """``true``/``false`` (also yes/no, on/off, 1/0)."""
    t = text.strip().lower()
    if t in ("true", "yes", "on", "1"):
        return True
    if t in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``none`` (or an empty text) for None, else ``parse``."""
    return lambda text: None if text.strip().lower() in ("", "none") else parse(text)


def names(text: str) -> list[str]:
    """A comma-separated list (empty text: none)."""
    return [t.strip() for t in text.split(",") if t.strip()]


def meter(text: str) -> Meter:
    try:
        num, den = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time signature like 4/4 or 6/8") from None
    return Meter(num, den)


@dataclass(frozen=True)
class Field:
    """A settable field: where it lives on the object, how its text reads, what it takes."""

    steps: tuple[str, ...]
    parse: Callable[[str], Any]
    takes: str  # for help and errors: what a value looks like

    @property
    def name(self) -> str:
        return ".".join(self.steps)


def _fields(*specs: Field) -> dict[str, Field]:
    return {f.name: f for f in specs}


def budget(text: str) -> int:
    """A switch budget: a whole number, ``none`` (or 0) for no budget."""
    return optional(whole)(text) or 0


_ADAPTIVE = [*(Field(("adaptive", k), number, "a number") for k in
               ("dwell_bars", "hysteresis", "intensity_slew", "control_rate", "congruence_radius")),
             Field(("adaptive", "max_switches_per_minute"), budget,
                   "a whole number of switches in any 60 s of music, or none (0) for no budget")]

FIELDS: dict[str, dict[str, Field]] = {
    "cue": _fields(Field(("tempo",), lambda t: TempoMap.constant(number(t)), "BPM (a constant tempo)"),
                   Field(("meter",), meter, "a time signature such as 4/4"),
                   Field(("key",), optional(str), "a key such as 'E minor', or none"),
                   Field(("length_bars",), whole, "a whole number of bars"),
                   Field(("loop",), optional(pair), "START,END in beats, or none (the whole cue)"),
                   *_ADAPTIVE),
    "variant": _fields(Field(("valence",), number, "a number -1..1"),
                       Field(("arousal",), number, "a number -1..1"),
                       Field(("emotion",), pair, "VALENCE,AROUSAL, each -1..1"),
                       Field(("tags",), names, "comma-separated tags"),
                       Field(("intensity",), pair, "LOW,HIGH within 0..1"),
                       Field(("level_offset_lu",), number, "LU -24..24"),
                       Field(("arousal_follows_intensity",), boolean,
                             "true or false: its intensity layers carry the arousal, so over its "
                             "intensity range it expresses the arousal the intensity stands for")),
    "layer": _fields(Field(("gain_db",), number, "dB -120..24"),
                     Field(("pan",), number, "-1 (left) .. 1 (right)"),
                     Field(("intensity",), pair, "LOW,HIGH within 0..1"),
                     Field(("fade",), number, "an intensity width 0..1")),
}
# Handled by plugin_slots (named here so errors and help list them).
PLUGIN_FIELDS = ("instrument", "effects", "instrument.params.NAME", "effects[N].params.NAME")


def field_spec(loc: Loc, name: str) -> Field:
    """The field ``name`` of a cue, variant or layer, or an ``EditError`` listing those there are."""
    table = FIELDS[loc.level]
    spec = table.get(name)
    if spec is None and loc.level == "layer" and (name in ("instrument", "effects") or "params." in name):
        # "a layer has no field 'effects'; did you mean 'effects'?" said the opposite of the truth
        raise EditError(f"{loc}.{name}: a plugin slot: set it with edit.set_command(project, "
                        f"\"{loc}.{name}\", TEXT) (or the plugin_slots functions), not set_field")
    if spec is None:
        known = list(table) + (list(PLUGIN_FIELDS) if loc.level == "layer" else [])
        raise EditError(f"{loc}.{name}: a {loc.level} has no field {name!r}; {did_you_mean(name, known)}"
                        f"{loc.level} fields: {', '.join(known)}")
    return spec


def set_field(project: Project, loc: Loc, name: str, value: Any) -> Command:
    """Set field ``name`` of the cue, variant or layer at ``loc`` to ``value`` (validated now)."""
    find(project, loc)
    spec = field_spec(loc, name)
    label = f"{loc}.{name} = {shown(value)}"
    if name == "emotion":
        valence, arousal = value
        cmd: Command = Batch(label, [SetAttr(loc, ("valence",), float(valence)),
                                     SetAttr(loc, ("arousal",), float(arousal))])
    else:
        if isinstance(value, list):
            value = list(value)  # the project gets its own copy
        cmd = SetAttr(loc, spec.steps, value, text=label)
    return cmd.checked(project)


def shown(value: Any) -> str:
    if isinstance(value, TempoMap):
        return f"{value.initial_bpm:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(shown(v) for v in value) or "none"
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)
