"""Reading a project from parsed JSON: every field type- and range-checked, errors naming the field.

Pure: no plugin is resolved or loaded here (``plugin_check`` checks a project against its plugins
as a separate step).  With ``check_files`` the clip MIDI files and VST state files are read from
the project folder, and refused when they would lead outside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ComposerAssistError, ProjectError
from ..fields import Fields
from ..midi import read_midi
from ..timing import Meter, TempoMap, TempoPoint
from .model import (ADAPTIVE_RANGES, ANY, ENTER_MODES, FADE_CURVES, LEAVE_MODES, MAX_BARS, MAX_BEATS,
                    MAX_CUE_SECONDS, MAX_FADE_BEATS, MAX_METER_NUMERATOR, MAX_SWITCHES_PER_MINUTE,
                    METER_DENOMINATORS, SAMPLE_RATES, SCHEMA_VERSION, TEMPO_RANGE, AdaptiveSettings, Clip, Cue,
                    Layer, Marker, Note, PluginRef, Project, TransitionRule, Variant)


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
    # Names and ranges are checked against the plugin's own metadata by ``plugin_check``: opening
    # a project must not need its plugins installed.
    params = {k: f.check_num(v, f"{f.where('params')}.{k}") for k, v in f.dict("params", {}).items()}
    state = f.str("state", None)
    if state is not None and check_files and project_dir is not None:
        inside_project(project_dir, state, f, "state")
        if not (project_dir / state).is_file():
            raise f.fail(f"state file {state!r} not found in {project_dir}", f.where("state"))
    return PluginRef(ref, params, state, extra=f.extras())


def inside_project(project_dir: Path, rel: str, f: Fields, key: str) -> Path:
    """``project_dir / rel``, refused unless it stays inside the project folder.

    A downloaded project must not read arbitrary files (``/etc/...``, ``../../secret``, or a
    symlink pointing out) into a render.
    """
    where = f.where(key)
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise f.fail(f"{rel!r} must be a path inside the project folder (no absolute path, no '..')", where)
    path = project_dir / rel
    try:
        real = path.resolve()
        root = project_dir.resolve()
    except (OSError, RuntimeError) as exc:
        raise f.fail(f"cannot resolve {rel!r}: {exc}", where) from None
    if root not in real.parents and real != root:
        raise f.fail(f"{rel!r} leads outside the project folder (to {real})", where)
    return path


def _parse_clip(f: Fields, project_dir: Path | None, check_files: bool) -> Clip:
    f.refuse_unknown_keys(("start", "file", "track", "notes"))
    start = f.num("start", 0.0, lo=0.0, hi=MAX_BEATS)
    file = f.str("file", None)
    track = f.int("track", None, lo=0)
    notes: list[Note] = []
    if file is not None:
        if "notes" in f.data:
            raise f.fail("give either 'file' or 'notes', not both")
        if project_dir is not None and check_files:
            path = inside_project(project_dir, file, f, "file")
            if not path.is_file():
                raise f.fail(f"clip file {file!r} not found in {project_dir}", f.where("file"))
            try:
                notes = [Note(*n) for n in read_midi(path, track=track).notes]
            except ComposerAssistError as exc:
                raise f.fail(str(exc), f.where("file")) from None
    else:
        for i, raw in enumerate(f.list("notes", [])):
            where = f"{f.where('notes')}[{i}]"
            if not isinstance(raw, list) or len(raw) != 4:
                raise f.fail("expected [start_beat, duration_beats, pitch, velocity]", where)
            s = f.check_num(raw[0], f"{where}[0]", lo=0.0, hi=MAX_BEATS)
            d = f.check_num(raw[1], f"{where}[1]", lo=0.0, hi=MAX_BEATS, lo_open=True)
            p = f.check_num(raw[2], f"{where}[2]", lo=0, hi=127)
            v = f.check_num(raw[3], f"{where}[3]", lo=1, hi=127)
            for j, x in ((2, p), (3, v)):
                if x != int(x):
                    raise f.fail(f"{x:g} is not a whole number (MIDI pitch and velocity are 0..127)",
                                 f"{where}[{j}]")
            notes.append(Note(s, d, int(p), int(v)))
    return Clip(start, notes, file, track, extra=f.extras())


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
        extra=f.extras(),
    )


def _parse_variant(f: Fields, project_dir: Path | None, check_files: bool) -> Variant:
    f.refuse_unknown_keys(("name", "valence", "arousal", "tags", "intensity", "layers", "level_offset_lu",
                           "arousal_follows_intensity"))
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
        level_offset_lu=f.num("level_offset_lu", 0.0, lo=-24.0, hi=24.0),
        arousal_follows_intensity=f.bool("arousal_follows_intensity", False),
        extra=f.extras(),
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
        bars=f.int("bars", 1, lo=1, hi=MAX_BARS),
        leave_marker=f.str("leave_marker", None),
        enter=f.str("enter", "same", choices=ENTER_MODES),
        enter_marker=f.str("enter_marker", None),
        fade_beats=f.num("fade_beats", 2.0, lo=0.0, hi=MAX_FADE_BEATS),
        curve=f.str("curve", "equal_power", choices=FADE_CURVES),
        stinger=f.str("stinger", None),
        extra=f.extras(),
    )


def _parse_tempo_point(f: Fields) -> TempoPoint:
    f.refuse_unknown_keys(("beat", "bpm"))
    return TempoPoint(f.num("beat", lo=0.0, hi=MAX_BEATS), f.num("bpm", lo=TEMPO_RANGE[0], hi=TEMPO_RANGE[1]))


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
    if not 1 <= num <= MAX_METER_NUMERATOR or den not in METER_DENOMINATORS:
        raise f.fail(f"{raw!r} is not a valid time signature", f.where("meter"))
    return Meter(num, den)


def _parse_marker(f: Fields) -> Marker:
    f.refuse_unknown_keys(("name", "beat"))
    return Marker(f.str("name"), f.num("beat", lo=0.0, hi=MAX_BEATS), extra=f.extras())


def _parse_cue(f: Fields, project_dir: Path | None, check_files: bool) -> Cue:
    f.refuse_unknown_keys(("name", "tempo", "meter", "key", "length_bars", "loop", "markers", "variants",
                           "transitions", "stingers", "adaptive"))
    a = f.sub("adaptive", {})
    a.refuse_unknown_keys(("dwell_bars", "hysteresis", "intensity_slew", "control_rate", "congruence_radius",
                          "max_switches_per_minute"))
    cue = Cue(
        name=f.str("name"),
        tempo=_parse_tempo(f),
        meter=_parse_meter(f),
        key=f.str("key", None),
        length_bars=f.int("length_bars", lo=1, hi=MAX_BARS),
        markers=f.items("markers", _parse_marker, []),
        variants=f.items("variants", lambda g: _parse_variant(g, project_dir, check_files)),
        transitions=f.items("transitions", _parse_rule, []),
        stingers=f.items("stingers", lambda g: _parse_layer(g, project_dir, check_files), []),
        adaptive=AdaptiveSettings(
            dwell_bars=a.num("dwell_bars", 2.0, *ADAPTIVE_RANGES["dwell_bars"]),
            hysteresis=a.num("hysteresis", 0.15, *ADAPTIVE_RANGES["hysteresis"]),
            intensity_slew=a.num("intensity_slew", 0.5, *ADAPTIVE_RANGES["intensity_slew"]),
            control_rate=a.num("control_rate", 10.0, *ADAPTIVE_RANGES["control_rate"]),
            congruence_radius=a.num("congruence_radius", 0.5, *ADAPTIVE_RANGES["congruence_radius"]),
            # null, like 0, is no budget
            max_switches_per_minute=(0 if a.data.get("max_switches_per_minute", 2) is None
                                     else a.int("max_switches_per_minute", 2, lo=0, hi=MAX_SWITCHES_PER_MINUTE)),
            extra=a.extras(),
        ),
        extra=f.extras(),
    )
    seconds = cue.length_seconds()
    if seconds > MAX_CUE_SECONDS:
        raise f.fail(f"the cue lasts {seconds / 3600:.1f} h ({cue.length_bars} bars of {cue.meter} at "
                     f"{cue.tempo.initial_bpm:g} BPM); a cue may last at most {MAX_CUE_SECONDS / 3600:g} h",
                     f.where("length_bars"))
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
    _check_references(f, cue, check_files)
    return cue


def _check_references(f: Fields, cue: Cue, check_files: bool) -> None:
    """Transition rules name existing variants, markers and stingers; markers sit inside the cue."""
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
    for i, s in enumerate(cue.stingers):
        if check_files and not s.notes():
            raise f.fail("a stinger needs at least one note", f"{f.where('stingers')}[{i}]")
    for i, m in enumerate(cue.markers):
        if m.beat > cue.length_beats:
            raise f.fail(f"beat {m.beat:g} is past the cue end ({cue.length_beats:g})",
                         f"{f.where('markers')}[{i}].beat")


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
        extra=f.extras(),
    )
    _unique_names(f, "cues", [c.name for c in project.cues])
    return project
