"""Adding a standard MIDI file to a project as a clip (the logic behind ``import-midi``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_bytes, atomic_write_json, dumps_json, sweep_stale_temp_files
from ..errors import MidiImportError, PluginError, ProjectError
from ..midi import MidiData, read_midi
from ..midi.read import MAX_MIDI_BYTES
from ..reading import MiB, read_limited
from .model import (MAX_BARS, METER_DENOMINATORS, TEMPO_RANGE, Clip, Cue, Layer, Note, PluginRef, Project, Variant,
                    name_problem)
from .parse import project_from_json
from .serialize import project_to_json
from ..plugins.meta import faust_meta, note_ranges, silent_notes
from ..plugins.paths import resolve_plugin
from .files import MAX_PROJECT_BYTES, PROJECT_FILE, load_project, project_json_path, project_lock, save_project

TIMINGS = ("musical", "absolute")
DEFAULT_INSTRUMENT = "keys"


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
                layer_name: str, instrument: str | None = None, track: int | None = None, start: float = 0.0,
                timing: str = "musical", inline: bool = False) -> ImportResult:
    """Read ``midi_path`` and add it as a clip on cue/variant/layer, creating what is missing.

    ``instrument`` plays a new layer (default ``keys``) and replaces an existing layer's.
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
    pj = project_json_path(project_path)
    if not pj.exists() and pj.name != PROJECT_FILE and pj.suffix != ".json":
        pj = pj / PROJECT_FILE
    if pj.is_dir():
        raise ProjectError(f"{pj}: is a folder, not a project file")
    folder = pj.parent
    data = None
    if not inline:
        _check_clips_folder(folder)
        data = read_limited(midi_path, MAX_MIDI_BYTES, MidiImportError, "MIDI file")
    # Load, change and save under the project's lock: a concurrent import (or any other writer)
    # waits for this one and then builds on its result, so neither change is lost.
    edited: list[tuple[Project, str | None]] = []  # the project being changed, and its hash as loaded
    try:
        with project_lock(pj):
            _drop_unsaved_copies(pj)  # left by an import killed between copying and saving
            try:
                return _import_locked(midi, data, pj, cue_name, variant_name, layer_name, instrument, track,
                                      start, timing, inline, edited)
            finally:
                _drop_unsaved_copies(pj)
    except KeyboardInterrupt as exc:
        # Interrupted at the very end: say so if the import is nonetheless saved.
        if edited and not any("saved" in n for n in getattr(exc, "__notes__", ())) and _saved(*edited[0], pj):
            exc.add_note(f"{pj}: saved (the import had completed when the interrupt came)")
        raise


def _saved(project: Project, loaded_hash: str | None, pj: Path) -> bool:
    """Whether project.json now holds ``project`` as changed since it was loaded."""
    try:
        on_disk = read_limited(pj, MAX_PROJECT_BYTES, ProjectError, "project file")
    except ProjectError:
        return False
    ours = (dumps_json(project_to_json(project)) + "\n").encode("utf-8")
    return on_disk == ours and hashlib.sha256(ours).hexdigest() != loaded_hash


def _import_locked(midi: MidiData, data: bytes | None, pj: Path, cue_name: str, variant_name: str,
                   layer_name: str, instrument: str | None, track: int | None, start: float, timing: str,
                   inline: bool, edited: list[tuple[Project, str | None]]) -> ImportResult:
    created: list[str] = []
    if os.path.lexists(pj):
        project = load_project(pj)
    else:
        project = Project(name=pj.parent.name, path=pj)
        created.append("project")
    edited.append((project, project.disk_hash))
    cue, variant, layer, warnings = _target(project, midi, cue_name, variant_name, layer_name, instrument,
                                            start, created)
    notes, retimed, more = _notes_for(midi, cue, "cue" in created, timing, start)
    warnings += more + _silent_note_warnings(layer, notes, pj.parent)
    clip = Clip(start=start, notes=notes)
    layer.clips.append(clip)
    # Whatever the file held, never save a project that would not load again.
    project_from_json(project_to_json(project), source=f"{pj} (after importing {midi.path.name})",
                      project_dir=pj.parent, check_files=False)
    if not (inline or retimed):  # re-timed notes no longer match the file's ticks: stored inline
        assert data is not None
        clip.file = _copy_clip_file(data, pj, f"{cue.name}_{variant.name}_{layer.name}")
        clip.track = track
    save_project(project, pj)
    return ImportResult(project, cue, variant, layer, clip, midi, created, warnings)


def _target(project: Project, midi: MidiData, cue_name: str, variant_name: str, layer_name: str,
            instrument: str | None, start: float, created: list[str]) -> tuple[Cue, Variant, Layer, list[str]]:
    """The cue, variant and layer to import into, made when missing (``created`` says which)."""
    warnings: list[str] = []
    if instrument is not None:
        from ..edit.plugin_slots import check_plugin_role  # an effect cannot play the notes

        check_plugin_role(project, instrument, "instrument", "--instrument")
    try:
        cue = project.cue(cue_name)
    except KeyError:
        bars = max(1, math.ceil((start + midi.length_beats) / midi.meter.beats_per_bar - 1e-9))
        cue = Cue(name=_new_name("--cue", cue_name), tempo=midi.tempo, meter=midi.meter, key=midi.key,
                  length_bars=bars)
        project.cues.append(cue)
        created.append("cue")
    try:
        variant = cue.variant(variant_name)
    except KeyError:
        variant = Variant(name=_new_name("--variant", variant_name))
        cue.variants.append(variant)
        created.append("variant")
    try:
        layer = variant.layer(layer_name)
        if instrument is not None and instrument != layer.instrument.plugin:
            # An explicit instrument on an existing layer changes it; its parameters belonged to
            # the old plugin and are dropped (its effects stay).
            warnings.append(f"layer {layer.name!r} now plays {instrument} instead of {layer.instrument.plugin}"
                            + (" (its instrument parameters were reset)" if layer.instrument.params else ""))
            layer.instrument = PluginRef(instrument)
    except KeyError:
        layer = Layer(name=_new_name("--layer", layer_name), instrument=PluginRef(instrument or DEFAULT_INSTRUMENT))
        variant.layers.append(layer)
        created.append("layer")
    return cue, variant, layer, warnings


def _new_name(option: str, name: str) -> str:
    """A new cue, variant or layer gets a name the edit commands can address (as `add` and `mv`)."""
    problem = name_problem(name)
    if problem is not None:
        raise ProjectError(f"{option}: a name {problem}")
    return name


def _notes_for(midi: MidiData, cue: Cue, new_cue: bool, timing: str, start: float) -> tuple[list[Note], bool, list[str]]:
    """The file's notes in the cue's beats, whether they were re-timed, and what the user should know."""
    warnings = []
    if len(midi.meters) > 1:
        changes = ", ".join(f"{m} at beat {b:g}" for b, m in midi.meters)
        warnings.append(f"the file changes time signature ({changes}); cue {cue.name!r} keeps {cue.meter}, "
                        f"so bar-based transition rules follow {cue.meter} throughout")
    if not new_cue:
        warnings += _meter_and_key_warnings(midi, cue)
    notes = [Note(*n) for n in midi.notes]
    retimed = False
    if not new_cue and _tempo_differs(cue, midi):
        if timing == "absolute":
            notes, retimed = _retime(notes, midi, cue), True
        else:
            warnings.append(f"the file's tempo ({midi.tempo.initial_bpm:g} BPM) differs from cue "
                            f"{cue.name!r} ({cue.tempo.initial_bpm:g} BPM): notes keep their bars and beats "
                            f"(use --timing absolute to keep their time in seconds)")
    end = start + max(n.start + n.duration for n in notes)
    if end > cue.length_beats + 1e-6:
        warnings.append(f"the clip ends at beat {end:g}, after the cue's end ({cue.length_beats:g} beats, "
                        f"{cue.length_bars} bars): notes past the end are not rendered")
    return notes, retimed, warnings


def _silent_note_warnings(layer: Layer, notes: list[Note], folder: Path) -> list[str]:
    """Notes the layer's Faust instrument does not play (a drum kit's empty keys), named."""
    try:
        resolved = resolve_plugin(layer.instrument.plugin, folder)
        if resolved.kind != "faust":
            return []
        meta = faust_meta(resolved.path)
    except PluginError:
        return []  # an instrument that is not here is checked when rendering
    silent = silent_notes(meta, [n.pitch for n in notes])
    if not silent:
        return []
    return [f"notes {', '.join(map(str, silent))} are not in the {resolved.name} kit "
            f"({note_ranges(meta['notes'])}) and will be silent"]


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


def _check_clips_folder(folder: Path) -> None:
    """Refuse, before any work, a clips/ that is not a folder or that leads out of the project."""
    clips = folder / "clips"
    if not os.path.lexists(clips):
        return
    if not clips.is_dir():
        raise ProjectError(f"{clips}: is not a folder (the MIDI copy goes into clips/); move it away or "
                           f"use --inline")
    real, root = clips.resolve(), folder.resolve()
    if root not in real.parents:
        raise ProjectError(f"{clips}: leads outside the project folder (to {real}); clip files must stay "
                           f"inside the project")


def _pending_path(pj: Path) -> Path:
    return pj.parent / f".{pj.name}.import-pending"


def _copy_clip_file(data: bytes, pj: Path, stem: str) -> str:
    """Copy the MIDI file into the project's clips/ folder under a name not yet taken.

    Returns the clip's path relative to the project (an identical copy already there is reused).
    A new copy is first noted in a pending list beside project.json, so that should this import
    die before the project is saved, the next one removes the copy nobody refers to.
    """
    folder = pj.parent
    clips = folder / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    _check_clips_folder(folder)
    sweep_stale_temp_files(clips)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)
    dest = clips / f"{safe}.mid"
    i = 2
    while os.path.lexists(dest):
        if not dest.is_symlink() and dest.is_file() and dest.stat().st_size == len(data) and \
                read_limited(dest, MAX_MIDI_BYTES, MidiImportError, "MIDI file") == data:
            return dest.relative_to(folder).as_posix()
        dest = clips / f"{safe}_{i}.mid"
        i += 1
    rel = dest.relative_to(folder).as_posix()
    atomic_write_json(_pending_path(pj), {"pid": os.getpid(), "clips": [rel]}, announce=False)
    atomic_write_bytes(dest, data, announce=False)
    return rel


def _drop_unsaved_copies(pj: Path) -> None:
    """Remove clip copies listed as pending that the project on disk does not refer to.

    Called with the project lock held, so no other import is between copying and saving.
    """
    pending = _pending_path(pj)
    sweep_stale_temp_files(pj.parent)
    if (pj.parent / "clips").is_dir():
        sweep_stale_temp_files(pj.parent / "clips")
    if not os.path.lexists(pending):
        return
    try:
        listed = json.loads(read_limited(pending, MiB, ProjectError, "pending list"))["clips"]
        referenced = _clip_files(json.loads(read_limited(pj, MAX_PROJECT_BYTES, ProjectError))) \
            if os.path.lexists(pj) else set()
    except (ProjectError, ValueError, KeyError, TypeError, RecursionError):
        return  # unsure what the project refers to: keep everything
    for rel in listed:
        if isinstance(rel, str) and rel not in referenced and rel.startswith("clips/") and ".." not in rel:
            with contextlib.suppress(FileNotFoundError):
                (pj.parent / rel).unlink()
    pending.unlink(missing_ok=True)


def _clip_files(data: object) -> set[str]:
    """Every clip ``file`` in a project's JSON (layers and stingers alike)."""
    out: set[str] = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for c in x.get("clips", []) if isinstance(x.get("clips"), list) else []:
                if isinstance(c, dict) and isinstance(c.get("file"), str):
                    out.add(c["file"])
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return out
