"""The project data model: Project > Cue > Variant > Layer > Clip.

Positions and lengths are in beats (quarter notes, see ``core.timing``).  The JSON form is read by
``parse`` and written by ``serialize``; ``files`` loads and saves atomically.  Every object keeps
the ``_``-prefixed keys it was read with (comments, other tools' data) in ``extra``, so a save
loses nothing it does not understand.  Nothing here touches audio, plugins or a GUI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fields import unprintable
from ..timing import Meter, TempoMap

SCHEMA_VERSION = 1
SAMPLE_RATES = (44100, 48000)
TEMPO_RANGE = (1.0, 1000.0)  # BPM a cue accepts
METER_DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)
MAX_BARS = 10000
MAX_BEATS = 1_000_000.0  # a position or note length beyond this is a mistake, not music
MAX_CUE_SECONDS = 4 * 3600.0  # a cue is a scene's music: hours, never days (stems are held in memory)
MAX_METER_NUMERATOR = 64
MAX_FADE_BEATS = 1024.0
MAX_DWELL_BARS = 1000.0
MAX_SWITCHES_PER_MINUTE = 600  # a budget of one switch every 0.1 s is no budget at all
# (lowest, highest, lowest excluded) of each adaptive setting: a project, the package schema and the
# package runtime hold them to the same ranges
ADAPTIVE_RANGES = {
    "dwell_bars": (0.0, MAX_DWELL_BARS, False),
    "hysteresis": (0.0, 2.0, False),
    "intensity_slew": (0.0, 1000.0, True),
    "control_rate": (0.0, 1000.0, True),
    "congruence_radius": (0.0, 3.0, True),
}

NAME_FORBIDDEN = "/.*"  # '/' and '.' separate the parts of an edit path; '*' is "any variant" in rules


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new cue, variant or layer (None: it can)."""
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        return f"must be non-empty text without leading or trailing spaces, got {name!r}"
    odd = unprintable(name)
    if odd is not None:
        return f"{name!r} may not contain {odd}"
    bad = [c for c in NAME_FORBIDDEN if c in name]
    if bad:
        return f"{name!r} may not contain {' or '.join(map(repr, bad))} (they separate the parts of an edit path)"
    return None


LEAVE_MODES = ("immediate", "beat", "bar", "bars", "marker", "loop_end")
ENTER_MODES = ("same", "start", "marker")
FADE_CURVES = ("equal_power", "linear", "s_curve")
ANY = "*"


@dataclass(frozen=True)
class Note:
    start: float  # beats from the clip start
    duration: float  # beats
    pitch: int
    velocity: int


@dataclass
class Clip:
    """MIDI notes placed at ``start`` beats in the layer: inline, or read from a .mid file."""

    start: float = 0.0
    notes: list[Note] = field(default_factory=list)
    file: str | None = None  # relative to the project folder; notes are then read from it
    track: int | None = None  # only this track of ``file`` (all tracks when None)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def placed_notes(self) -> list[Note]:
        """Notes with positions relative to the cue start."""
        return [Note(n.start + self.start, n.duration, n.pitch, n.velocity) for n in self.notes]


@dataclass
class PluginRef:
    """An instrument or effect: plugin reference, parameter values by name, optional state blob."""

    plugin: str
    params: dict[str, float] = field(default_factory=dict)
    state: str | None = None  # VST state file relative to the project folder (never inline)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Layer:
    name: str
    instrument: PluginRef
    effects: list[PluginRef] = field(default_factory=list)
    gain_db: float = 0.0
    pan: float = 0.0  # -1 left .. +1 right
    intensity: tuple[float, float] = (0.0, 1.0)  # the layer sounds while intensity is inside this
    fade: float = 0.1  # intensity width over which the layer's gain ramps in/out at each edge
    clips: list[Clip] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def notes(self) -> list[Note]:
        out = [n for c in self.clips for n in c.placed_notes()]
        out.sort(key=lambda n: (n.start, n.pitch))
        return out


@dataclass
class Variant:
    name: str
    valence: float = 0.0
    arousal: float = 0.0
    tags: list[str] = field(default_factory=list)
    intensity: tuple[float, float] = (0.0, 1.0)
    layers: list[Layer] = field(default_factory=list)
    # The composer's deliberate loudness offset from the matched common level (LU, core.level_match).
    level_offset_lu: float = 0.0
    # Its intensity layers carry the arousal: over its intensity range the music expresses the
    # arousal the intensity stands for (core.emotion_span), not only ``arousal``.
    arousal_follows_intensity: bool = False

    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"variant {self.name!r} has no layer {name!r} "
                       f"(layers: {', '.join(l.name for l in self.layers) or 'none'})")


@dataclass
class Marker:
    name: str
    beat: float
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class TransitionRule:
    """How to move from one variant to another (``*`` matches any)."""

    source: str = ANY
    target: str = ANY
    leave: str = "bar"  # one of LEAVE_MODES
    bars: int = 1  # with leave == "bars": leave at the next multiple of this many bars
    leave_marker: str | None = None  # with leave == "marker": this marker, else the next one
    enter: str = "same"  # one of ENTER_MODES
    enter_marker: str | None = None
    fade_beats: float = 2.0
    curve: str = "equal_power"
    stinger: str | None = None  # name of a stinger of the cue, played at the switch point
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, source: str, target: str) -> int:
        """Specificity of a match (2 exact pair, 1 one side, 0 default), or -1."""
        if self.source not in (ANY, source) or self.target not in (ANY, target):
            return -1
        return (self.source != ANY) + (self.target != ANY)


@dataclass
class AdaptiveSettings:
    dwell_bars: float = 2.0  # minimum time on a variant before switching again
    hysteresis: float = 0.15  # an alternative must be this much nearer in V/A space to win
    intensity_slew: float = 0.5  # largest intensity change per second (layer gain ramps)
    control_rate: float = 10.0  # policy ticks per second
    congruence_radius: float = 0.5  # "on target" distance for the congruence figure
    # the switch budget: at most this many switches start in any 60 s of music (0: unlimited)
    max_switches_per_minute: int = 2
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Cue:
    name: str
    tempo: TempoMap = field(default_factory=TempoMap)
    meter: Meter = field(default_factory=Meter)
    key: str | None = None  # e.g. "E minor"; None when not stated
    length_bars: int = 8
    loop: tuple[float, float] | None = None  # beats; None = the whole cue
    markers: list[Marker] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    transitions: list[TransitionRule] = field(default_factory=list)
    stingers: list[Layer] = field(default_factory=list)
    adaptive: AdaptiveSettings = field(default_factory=AdaptiveSettings)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def length_beats(self) -> float:
        return self.length_bars * self.meter.beats_per_bar

    @property
    def loop_beats(self) -> tuple[float, float]:
        return self.loop if self.loop is not None else (0.0, self.length_beats)

    def length_seconds(self) -> float:
        return self.tempo.seconds_at(self.length_beats)

    def length_samples(self, sample_rate: int) -> int:
        return self.tempo.sample_at(self.length_beats, sample_rate)

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"cue {self.name!r} has no variant {name!r} "
                       f"(variants: {', '.join(v.name for v in self.variants) or 'none'})")

    def marker(self, name: str) -> Marker:
        for m in self.markers:
            if m.name == name:
                return m
        raise KeyError(f"cue {self.name!r} has no marker {name!r}")

    def stinger(self, name: str) -> Layer:
        for s in self.stingers:
            if s.name == name:
                return s
        raise KeyError(f"cue {self.name!r} has no stinger {name!r}")

    def rule_for(self, source: str, target: str) -> TransitionRule:
        """The most specific transition rule for a pair, or the built-in default."""
        best, best_score = TransitionRule(), -1
        for rule in self.transitions:
            s = rule.matches(source, target)
            if s > best_score:
                best, best_score = rule, s
        return best


@dataclass
class Project:
    name: str
    sample_rate: int = 48000
    cues: list[Cue] = field(default_factory=list)
    path: Path | None = None  # the project.json this was loaded from / saved to (not serialised)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # SHA-256 of the bytes of ``path`` when loaded or last saved (None: the file did not exist);
    # a save to ``path`` refuses when the file no longer has these bytes (see ``files.save_project``).
    disk_hash: str | None = field(default=None, compare=False, repr=False)

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    def cue(self, name: str) -> Cue:
        for c in self.cues:
            if c.name == name:
                return c
        raise KeyError(f"project {self.name!r} has no cue {name!r} "
                       f"(cues: {', '.join(c.name for c in self.cues) or 'none'})")
