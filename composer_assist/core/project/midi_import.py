"""Adding a standard MIDI file to a project as a clip (the logic behind ``import-midi``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProjectError
from ..midi import MidiData, read_midi
from ..atomic import atomic_write_bytes
from .model import MAX_BARS, METER_DENOMINATORS, TEMPO_RANGE, Clip, Cue, Layer, Note, PluginRef, Project, Variant
from .parse import project_from_json
from .serialize import project_to_json
from ..plugins.paths import resolve_plugin
from .files import PROJECT_FILE, load_project, project_json_path, save_project

TIMINGS = ("musical", "absolute")


@dataclass
class ImportResult:
    project: Project
    cue: Cue
    variant: Variant
    layer: Layer
    clip: Clip
    midi: MidiData
    created: list[str]  # what did not exist before ("project", "cue", "variant", "layer")
    warnings: list[str]


def _tempo_differs(cue: Cue, midi: MidiData) -> bool:
    a = [(p.beat, round(p.bpm, 3)) for p in cue.tempo.points]
    b = [(p.beat, round(p.bpm, 3)) for p in midi.tempo.points]
    return a != b


def _retime(notes: list[Note], midi: MidiData, cue: Cue) -> list[Note]:
    """Move notes so they sound at the same seconds under the cue's tempo map as in the file."""
    out = []
    for n in notes:
        s0 = midi.tempo.seconds_at(n.start)
        s1 = midi.tempo.seconds_at(n.start + n.duration)
        b0, b1 = cue.tempo.beat_at(s0), cue.tempo.beat_at(s1)
        out.append(Note(b0, max(b1 - b0, 1e-3), n.pitch, n.velocity))
    return out


def import_midi(midi_path: str | Path, project_path: str | Path, cue_name: str, variant_name: str,
                layer_name: str, instrument: str = "keys", track: int | None = None, start: float = 0.0,
                timing: str = "musical", inline: bool = False) -> ImportResult:
    """Read ``midi_path`` and add it as a clip on cue/variant/layer, creating what is missing.

    ``timing='musical'`` keeps each note's bar and beat (a new cue adopts the file's tempo map
    and meter); ``'absolute'`` keeps each note's time in seconds under the cue's own tempo map.
    """
    if timing not in TIMINGS:
        raise ProjectError(f"timing {timing!r} is not one of {', '.join(TIMINGS)}")
    if not math.isfinite(start) or start < 0:
        raise ProjectError(f"start beat {start:g} must be a number >= 0")
    midi = read_midi(midi_path, track=track)
    if not midi.notes:
        raise ProjectError(f"{midi_path}: the file has no notes{'' if track is None else f' in track {track}'}")
    _check_fits_a_cue(midi)
    created: list[str] = []
    warnings: list[str] = []
    pj = project_json_path(project_path)
    if pj.exists():
        project = load_project(pj)
    else:
        if pj.name != PROJECT_FILE and pj.suffix != ".json":
            pj = pj / PROJECT_FILE
        project = Project(name=pj.parent.name, path=pj)
        created.append("project")
    folder = pj.parent

    try:
        cue = project.cue(cue_name)
    except KeyError:
        bars = max(1, math.ceil((start + midi.length_beats) / midi.meter.beats_per_bar - 1e-9))
        cue = Cue(name=cue_name, tempo=midi.tempo, meter=midi.meter, key=midi.key, length_bars=bars)
        project.cues.append(cue)
        created.append("cue")
    try:
        variant = cue.variant(variant_name)
    except KeyError:
        variant = Variant(name=variant_name)
        cue.variants.append(variant)
        created.append("variant")
    try:
        layer = variant.layer(layer_name)
    except KeyError:
        try:
            resolve_plugin(instrument, folder)
        except Exception as exc:
            raise ProjectError(f"--instrument: {exc}") from None
        layer = Layer(name=layer_name, instrument=PluginRef(instrument))
        variant.layers.append(layer)
        created.append("layer")

    if len(midi.meters) > 1:
        changes = ", ".join(f"{m} at beat {b:g}" for b, m in midi.meters)
        warnings.append(f"the file changes time signature ({changes}); cue {cue.name!r} keeps {cue.meter}, "
                        f"so bar-based transition rules follow {cue.meter} throughout")
    if "cue" not in created:
        warnings += _meter_and_key_warnings(midi, cue)
    notes = [Note(*n) for n in midi.notes]
    if "cue" not in created and _tempo_differs(cue, midi):
        if timing == "absolute":
            notes = _retime(notes, midi, cue)
            inline = True  # re-timed notes no longer match the file's ticks
        else:
            warnings.append(f"the file's tempo ({midi.tempo.initial_bpm:g} BPM) differs from cue "
                            f"{cue.name!r} ({cue.tempo.initial_bpm:g} BPM): notes keep their bars and beats "
                            f"(use --timing absolute to keep their time in seconds)")
    end = start + max(n.start + n.duration for n in notes)
    if end > cue.length_beats + 1e-6:
        warnings.append(f"the clip ends at beat {end:g}, after the cue's end ({cue.length_beats:g} beats, "
                        f"{cue.length_bars} bars): notes past the end are not rendered")

    clip = Clip(start=start, notes=list(notes))
    layer.clips.append(clip)
    # Whatever the file held, never save a project that would not load again.
    project_from_json(project_to_json(project), source=f"{pj} (after importing {midi.path.name})",
                      project_dir=folder, check_files=False)
    copied = None
    if not inline:
        clip.file, copied = _copy_clip_file(Path(midi_path), folder, f"{cue.name}_{variant.name}_{layer.name}")
        clip.track = track
    try:
        save_project(project, pj)
    except BaseException:
        if copied is not None:
            copied.unlink(missing_ok=True)  # the project never referred to it
        raise
    return ImportResult(project, cue, variant, layer, clip, midi, created, warnings)


def _meter_and_key_warnings(midi: MidiData, cue: Cue) -> list[str]:
    """What an existing cue changes about the file: its bar grid (6/8 is not 3/4) or its key."""
    out = []
    if midi.meter != cue.meter:
        same_length = midi.meter.beats_per_bar == cue.meter.beats_per_bar
        out.append(f"the file is in {midi.meter}, cue {cue.name!r} in {cue.meter}"
                   + (": bars are as long but beats group differently" if same_length else
                      ": its bars and beats no longer line up with the cue's"))
    if midi.key is not None and cue.key is not None and midi.key != cue.key:
        out.append(f"the file is in {midi.key}, cue {cue.name!r} in {cue.key}")
    return out


def _check_fits_a_cue(midi: MidiData) -> None:
    """Refuse, naming the file, what a cue could not hold (so a save never writes an unloadable project)."""
    lo, hi = TEMPO_RANGE
    for p in midi.tempo.points:
        if not lo <= p.bpm <= hi:
            raise ProjectError(f"{midi.path}: tempo {p.bpm:.4g} BPM at beat {p.beat:g} is outside the "
                               f"{lo:g}..{hi:g} BPM a cue accepts")
    for beat, m in midi.meters:
        if m.denominator not in METER_DENOMINATORS:
            raise ProjectError(f"{midi.path}: time signature {m} at beat {beat:g} is not one a cue accepts "
                               f"(denominators {', '.join(map(str, METER_DENOMINATORS))})")
    if midi.length_beats / midi.meter.beats_per_bar > MAX_BARS:
        raise ProjectError(f"{midi.path}: {midi.length_beats / midi.meter.beats_per_bar:.0f} bars is longer than "
                           f"the {MAX_BARS} bars a cue can hold")


def _copy_clip_file(src: Path, folder: Path, stem: str) -> tuple[str, Path | None]:
    """Copy the MIDI file into the project's clips/ folder under a name not yet taken.

    Returns the clip's path relative to the project and the file written (None when an identical
    copy was already there).
    """
    clips = folder / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)
    dest = clips / f"{safe}.mid"
    i = 2
    while dest.exists():
        if dest.read_bytes() == src.read_bytes():
            break
        dest = clips / f"{safe}_{i}.mid"
        i += 1
    written = None
    if not dest.exists():
        atomic_write_bytes(dest, src.read_bytes())
        written = dest
    return dest.relative_to(folder).as_posix(), written
