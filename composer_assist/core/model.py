"""The project data model: Project > Cue > Variant > Layer > Clip.

Positions and lengths are in beats (quarter notes, see ``timing``).  The JSON form is written
by :func:`project_to_json` and read back by :func:`project_from_json` (see ``project_file`` for
loading and atomic saving).  Nothing here touches audio or a GUI.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PluginError, ProjectError
from .fields import Fields
from .plugin_meta import faust_meta
from .plugin_paths import resolve_plugin
from .timing import Meter, TempoMap, TempoPoint

SCHEMA_VERSION = 1
SAMPLE_RATES = (44100, 48000)
TEMPO_RANGE = (1.0, 1000.0)  # BPM a cue accepts
METER_DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)
MAX_BARS = 10000

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

    def placed_notes(self) -> list[Note]:
        """Notes with positions relative to the cue start."""
        return [Note(n.start + self.start, n.duration, n.pitch, n.velocity) for n in self.notes]


@dataclass
class PluginRef:
    """An instrument or effect: plugin reference, parameter values by name, optional state blob."""

    plugin: str
    params: dict[str, float] = field(default_factory=dict)
    state: str | None = None  # VST state file relative to the project folder (never inline)


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


@dataclass
class Cue:
    name: str
    tempo: TempoMap = field(default_factory=TempoMap)
    meter: Meter = field(default_factory=Meter)
    key: str = "C major"
    length_bars: int = 8
    loop: tuple[float, float] | None = None  # beats; None = the whole cue
    markers: list[Marker] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    transitions: list[TransitionRule] = field(default_factory=list)
    stingers: list[Layer] = field(default_factory=list)
    adaptive: AdaptiveSettings = field(default_factory=AdaptiveSettings)

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

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    def cue(self, name: str) -> Cue:
        for c in self.cues:
            if c.name == name:
                return c
        raise KeyError(f"project {self.name!r} has no cue {name!r} "
                       f"(cues: {', '.join(c.name for c in self.cues) or 'none'})")


# ---------------------------------------------------------------------------------------------
# JSON (de)serialisation


def _range(f: Fields, key: str, default: tuple[float, float], lo: float, hi: float) -> tuple[float, float]:
    raw = f.list(key, list(default))
    where = f.where(key)
    if len(raw) != 2:
        raise f.fail(f"expected [low, high], got {len(raw)} values", where)
    a = f.check_num(raw[0], f"{where}[0]", lo, hi)
    b = f.check_num(raw[1], f"{where}[1]", lo, hi)
    if a > b:
        raise f.fail(f"low {a:g} is above high {b:g}", where)
    return (a, b)


def _parse_plugin(f: Fields, project_dir: Path | None, check_files: bool) -> PluginRef:
    f.refuse_unknown_keys(("plugin", "params", "state"))
    ref = f.str("plugin")
    known: dict[str, Any] | None = None  # Faust params from the plugin's metadata, when checked
    if check_files:
        try:
            resolved = resolve_plugin(ref, project_dir)
            if resolved.kind == "faust":
                known = faust_meta(resolved.path)["params"] or None
        except PluginError as exc:  # name the field too
            raise f.fail(str(exc), f.where("plugin")) from None
    params = {}
    for k, v in f.dict("params", {}).items():
        where = f"{f.where('params')}.{k}"
        if known is not None and k not in known:
            close = difflib.get_close_matches(k, list(known), n=2, cutoff=0.5)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise f.fail(f"{ref} has no parameter {k!r}; {hint}its parameters: {', '.join(known)}", where)
        spec = known.get(k, {}) if known is not None else {}
        params[k] = f.check_num(v, where, spec.get("min"), spec.get("max"))
    state = f.str("state", None)
    if state is not None and check_files and project_dir is not None and not (project_dir / state).exists():
        raise f.fail(f"state file {state!r} not found in {project_dir}", f.where("state"))
    return PluginRef(ref, params, state)


def _parse_clip(f: Fields, project_dir: Path | None, check_files: bool) -> Clip:
    f.refuse_unknown_keys(("start", "file", "track", "notes"))
    start = f.num("start", 0.0, lo=0.0)
    file = f.str("file", None)
    track = f.int("track", None, lo=0)
    notes: list[Note] = []
    if file is not None:
        if "notes" in f.data:
            raise f.fail("give either 'file' or 'notes', not both")
        if project_dir is not None and check_files:
            from .midi import read_midi  # local import: the model needs it only for file clips

            path = project_dir / file
            if not path.exists():
                raise f.fail(f"clip file {file!r} not found in {project_dir}", f.where("file"))
            try:
                notes = read_midi(path, track=track).notes
            except Exception as exc:
                raise f.fail(str(exc), f.where("file")) from None
    else:
        for i, raw in enumerate(f.list("notes", [])):
            where = f"{f.where('notes')}[{i}]"
            if not isinstance(raw, list) or len(raw) != 4:
                raise f.fail("expected [start_beat, duration_beats, pitch, velocity]", where)
            s = f.check_num(raw[0], f"{where}[0]", lo=0.0)
            d = f.check_num(raw[1], f"{where}[1]", lo=0.0, lo_open=True)
            p = f.check_num(raw[2], f"{where}[2]", lo=0, hi=127)
            v = f.check_num(raw[3], f"{where}[3]", lo=1, hi=127)
            for j, x in ((2, p), (3, v)):
                if x != int(x):
                    raise f.fail(f"{x:g} is not a whole number (MIDI pitch and velocity are 0..127)",
                                 f"{where}[{j}]")
            notes.append(Note(s, d, int(p), int(v)))
    return Clip(start, notes, file, track)


def _parse_layer(f: Fields, project_dir: Path | None, check_files: bool) -> Layer:
    f.refuse_unknown_keys(("name", "instrument", "effects", "gain_db", "pan", "intensity", "fade", "clips"))
    return Layer(
        name=f.str("name"),
        instrument=_parse_plugin(f.sub("instrument"), project_dir, check_files),
        effects=f.items("effects", lambda g: _parse_plugin(g, project_dir, check_files), []),
        gain_db=f.num("gain_db", 0.0, lo=-120.0, hi=24.0),
        pan=f.num("pan", 0.0, lo=-1.0, hi=1.0),
        intensity=_range(f, "intensity", (0.0, 1.0), 0.0, 1.0),
        fade=f.num("fade", 0.1, lo=0.0, hi=1.0),
        clips=f.items("clips", lambda g: _parse_clip(g, project_dir, check_files), []),
    )


def _parse_variant(f: Fields, project_dir: Path | None, check_files: bool) -> Variant:
    f.refuse_unknown_keys(("name", "valence", "arousal", "tags", "intensity", "layers"))
    tags = f.list("tags", [])
    for i, t in enumerate(tags):
        if not isinstance(t, str):
            raise f.fail("expected a string", f"{f.where('tags')}[{i}]")
    v = Variant(
        name=f.str("name"),
        valence=f.num("valence", lo=-1.0, hi=1.0),
        arousal=f.num("arousal", lo=-1.0, hi=1.0),
        tags=list(tags),
        intensity=_range(f, "intensity", (0.0, 1.0), 0.0, 1.0),
        layers=f.items("layers", lambda g: _parse_layer(g, project_dir, check_files), []),
    )
    _unique_names(f, "layers", [l.name for l in v.layers])
    return v


def _parse_rule(f: Fields) -> TransitionRule:
    f.refuse_unknown_keys(("from", "to", "leave", "bars", "leave_marker", "enter", "enter_marker", "fade_beats",
                           "curve", "stinger"))
    return TransitionRule(
        source=f.str("from", ANY),
        target=f.str("to", ANY),
        leave=f.str("leave", "bar", choices=LEAVE_MODES),
        bars=f.int("bars", 1, lo=1),
        leave_marker=f.str("leave_marker", None),
        enter=f.str("enter", "same", choices=ENTER_MODES),
        enter_marker=f.str("enter_marker", None),
        fade_beats=f.num("fade_beats", 2.0, lo=0.0),
        curve=f.str("curve", "equal_power", choices=FADE_CURVES),
        stinger=f.str("stinger", None),
    )


def _parse_tempo_point(f: Fields) -> TempoPoint:
    f.refuse_unknown_keys(("beat", "bpm"))
    return TempoPoint(f.num("beat", lo=0.0), f.num("bpm", lo=TEMPO_RANGE[0], hi=TEMPO_RANGE[1]))


def _parse_tempo(f: Fields) -> TempoMap:
    raw = f.data.get("tempo", 120.0)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return TempoMap.constant(f.num("tempo", 120.0, lo=TEMPO_RANGE[0], hi=TEMPO_RANGE[1]))
    points = f.items("tempo", _parse_tempo_point)
    if not points:
        raise f.fail("needs at least one tempo point", f.where("tempo"))
    if min(p.beat for p in points) != 0.0:
        raise f.fail("the first tempo point must be at beat 0", f.where("tempo"))
    return TempoMap(points)


def _parse_meter(f: Fields) -> Meter:
    raw = f.str("meter", "4/4")
    try:
        num, den = (int(x) for x in raw.split("/"))
    except ValueError:
        raise f.fail(f"{raw!r} is not a time signature like 4/4 or 6/8", f.where("meter")) from None
    if num < 1 or den not in METER_DENOMINATORS:
        raise f.fail(f"{raw!r} is not a valid time signature", f.where("meter"))
    return Meter(num, den)


def _parse_marker(f: Fields) -> Marker:
    f.refuse_unknown_keys(("name", "beat"))
    return Marker(f.str("name"), f.num("beat", lo=0.0))


def _parse_cue(f: Fields, project_dir: Path | None, check_files: bool) -> Cue:
    f.refuse_unknown_keys(("name", "tempo", "meter", "key", "length_bars", "loop", "markers", "variants",
                           "transitions", "stingers", "adaptive"))
    a = f.sub("adaptive", {})
    a.refuse_unknown_keys(("dwell_bars", "hysteresis", "intensity_slew", "control_rate", "congruence_radius"))
    cue = Cue(
        name=f.str("name"),
        tempo=_parse_tempo(f),
        meter=_parse_meter(f),
        key=f.str("key", "C major"),
        length_bars=f.int("length_bars", lo=1, hi=MAX_BARS),
        markers=f.items("markers", _parse_marker, []),
        variants=f.items("variants", lambda g: _parse_variant(g, project_dir, check_files)),
        transitions=f.items("transitions", _parse_rule, []),
        stingers=f.items("stingers", lambda g: _parse_layer(g, project_dir, check_files), []),
        adaptive=AdaptiveSettings(
            dwell_bars=a.num("dwell_bars", 2.0, lo=0.0),
            hysteresis=a.num("hysteresis", 0.15, lo=0.0, hi=2.0),
            intensity_slew=a.num("intensity_slew", 0.5, lo=0.0, lo_open=True),
            control_rate=a.num("control_rate", 10.0, lo=0.0, hi=1000.0, lo_open=True),
            congruence_radius=a.num("congruence_radius", 0.5, lo=0.0, lo_open=True),
        ),
    )
    if "loop" in f.data and f.data["loop"] is not None:
        lo, hi = _range(f, "loop", (0.0, cue.length_beats), 0.0, cue.length_beats)
        if hi <= lo:
            raise f.fail("loop end must be after loop start", f.where("loop"))
        cue.loop = (lo, hi)
    if not cue.variants:
        raise f.fail("a cue needs at least one variant", f.where("variants"))
    _unique_names(f, "variants", [v.name for v in cue.variants])
    _unique_names(f, "markers", [m.name for m in cue.markers])
    _unique_names(f, "stingers", [s.name for s in cue.stingers])
    names = {v.name for v in cue.variants}
    markers = {m.name for m in cue.markers}
    stingers = {s.name for s in cue.stingers}
    for i, r in enumerate(cue.transitions):
        where = f"{f.where('transitions')}[{i}]"
        for side, name in (("from", r.source), ("to", r.target)):
            if name != ANY and name not in names:
                raise f.fail(f"unknown variant {name!r}", f"{where}.{side}")
        for key, name in (("leave_marker", r.leave_marker), ("enter_marker", r.enter_marker)):
            if name is not None and name not in markers:
                raise f.fail(f"unknown marker {name!r}", f"{where}.{key}")
        if r.enter == "marker" and r.enter_marker is None:
            raise f.fail("enter 'marker' needs 'enter_marker'", where)
        if r.stinger is not None and r.stinger not in stingers:
            raise f.fail(f"unknown stinger {r.stinger!r}", f"{where}.stinger")
    for i, m in enumerate(cue.markers):
        if m.beat > cue.length_beats:
            raise f.fail(f"beat {m.beat:g} is past the cue end ({cue.length_beats:g})",
                         f"{f.where('markers')}[{i}].beat")
    return cue


def _unique_names(f: Fields, key: str, names: list[str]) -> None:
    seen = set()
    for i, n in enumerate(names):
        if n in seen:
            raise f.fail(f"duplicate name {n!r}", f"{f.where(key)}[{i}].name")
        seen.add(n)


def project_from_json(data: Any, source: str = "<project>", project_dir: Path | None = None,
                      check_files: bool = True) -> Project:
    """Build a Project from parsed JSON, validating every field."""
    f = Fields(data, "", source, ProjectError)
    version = f.int("schema_version")
    if version == SCHEMA_VERSION:
        f.refuse_unknown_keys(("schema_version", "name", "sample_rate", "cues"))
    if version != SCHEMA_VERSION:
        raise f.fail(f"schema version {version} is not supported (this Composer Assist reads "
                     f"version {SCHEMA_VERSION}); upgrade Composer Assist", "schema_version")
    sr = f.int("sample_rate", 48000)
    if sr not in SAMPLE_RATES:
        raise f.fail(f"{sr} is not one of {', '.join(map(str, SAMPLE_RATES))}", "sample_rate")
    project = Project(
        name=f.str("name"),
        sample_rate=sr,
        cues=f.items("cues", lambda g: _parse_cue(g, project_dir, check_files), []),
    )
    _unique_names(f, "cues", [c.name for c in project.cues])
    return project


def _plugin_json(p: PluginRef) -> dict:
    out: dict[str, Any] = {"plugin": p.plugin}
    if p.params:
        out["params"] = dict(p.params)
    if p.state:
        out["state"] = p.state
    return out


def _clip_json(c: Clip) -> dict:
    out: dict[str, Any] = {"start": c.start}
    if c.file is not None:
        out["file"] = c.file
        if c.track is not None:
            out["track"] = c.track
    else:
        out["notes"] = [[round(n.start, 6), round(n.duration, 6), n.pitch, n.velocity] for n in c.notes]
    return out


def layer_to_json(layer: Layer) -> dict:
    out: dict[str, Any] = {"name": layer.name, "instrument": _plugin_json(layer.instrument)}
    if layer.effects:
        out["effects"] = [_plugin_json(e) for e in layer.effects]
    out.update(gain_db=layer.gain_db, pan=layer.pan, intensity=list(layer.intensity), fade=layer.fade,
               clips=[_clip_json(c) for c in layer.clips])
    return out


def _rule_json(r: TransitionRule) -> dict:
    out: dict[str, Any] = {"from": r.source, "to": r.target, "leave": r.leave}
    if r.leave == "bars":
        out["bars"] = r.bars
    if r.leave_marker:
        out["leave_marker"] = r.leave_marker
    out["enter"] = r.enter
    if r.enter_marker:
        out["enter_marker"] = r.enter_marker
    out.update(fade_beats=r.fade_beats, curve=r.curve)
    if r.stinger:
        out["stinger"] = r.stinger
    return out


def project_to_json(project: Project) -> dict:
    cues = []
    for c in project.cues:
        tempo: Any = c.tempo.initial_bpm if len(c.tempo.points) == 1 else c.tempo.to_json()
        cue: dict[str, Any] = {
            "name": c.name, "tempo": tempo, "meter": str(c.meter), "key": c.key,
            "length_bars": c.length_bars,
        }
        if c.loop is not None:
            cue["loop"] = list(c.loop)
        cue["markers"] = [{"name": m.name, "beat": m.beat} for m in c.markers]
        a = c.adaptive
        cue["adaptive"] = {"dwell_bars": a.dwell_bars, "hysteresis": a.hysteresis,
                           "intensity_slew": a.intensity_slew, "control_rate": a.control_rate,
                           "congruence_radius": a.congruence_radius}
        cue["transitions"] = [_rule_json(r) for r in c.transitions]
        if c.stingers:
            cue["stingers"] = [layer_to_json(s) for s in c.stingers]
        cue["variants"] = [
            {"name": v.name, "valence": v.valence, "arousal": v.arousal, "tags": list(v.tags),
             "intensity": list(v.intensity), "layers": [layer_to_json(l) for l in v.layers]}
            for v in c.variants
        ]
        cues.append(cue)
    return {"schema_version": SCHEMA_VERSION, "name": project.name, "sample_rate": project.sample_rate,
            "cues": cues}
