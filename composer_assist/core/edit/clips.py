"""Clips of a layer: import a MIDI file as a clip, remove, move, trim and transpose one.

A clip read from a ``.mid`` file that is trimmed or transposed keeps its notes inline from then
on (the file's notes are no longer what it plays); undo gives back the clip as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import ComposerAssistError
from ..midi import read_midi
from ..project.model import Clip, Note, Project
from .base import Command, EditError, Loc, SetAttr, find_cue, find_layer


@dataclass
class InsertClip(Command):
    loc: Loc
    clip: Clip
    index: int

    def __post_init__(self) -> None:
        self.text = f"{self.loc}: add clip {self.index}"

    def touches_clips(self) -> bool:
        return True

    def apply(self, project: Project) -> None:
        find_layer(project, self.loc).clips.insert(self.index, self.clip)

    def undo(self, project: Project) -> None:
        del find_layer(project, self.loc).clips[self.index]


@dataclass
class RemoveClip(Command):
    loc: Loc
    index: int
    _clip: Clip | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.text = f"{self.loc}: remove clip {self.index}"

    def apply(self, project: Project) -> None:
        self._clip = find_layer(project, self.loc).clips.pop(self.index)

    def undo(self, project: Project) -> None:
        assert self._clip is not None
        find_layer(project, self.loc).clips.insert(self.index, self._clip)


def _clip(project: Project, loc: Loc, index: int) -> Clip:
    clips = find_layer(project, loc).clips
    if not isinstance(index, int) or not 0 <= index < len(clips):
        raise EditError(f"{loc}.clips[{index}]: the layer has {len(clips)} clip{'s' * (len(clips) != 1)}"
                        + (f" (0 .. {len(clips) - 1})" if clips else ""))
    return clips[index]


def _notes(clip: Clip, loc: Loc, index: int) -> list[Note]:
    if clip.file is not None and not clip.notes:
        raise EditError(f"{loc}.clips[{index}]: the notes of {clip.file} were not read (load the project with "
                        f"its clip files)")
    return clip.notes


def _replace(project: Project, loc: Loc, index: int, new: Clip, label: str) -> SetAttr:
    return SetAttr(loc, ("clips", index), new, text=f"{loc}.clips[{index}]: {label}").checked(project)  # type: ignore


def import_clip(project: Project, loc: Loc, midi_path: str | Path, start: float = 0.0,
                track: int | None = None) -> InsertClip:
    """The notes of a MIDI file (bars and beats as in the file) as a new inline clip at ``start``."""
    layer = find_layer(project, loc)
    try:
        notes = [Note(*n) for n in read_midi(midi_path, track=track).notes]
    except ComposerAssistError as exc:
        raise EditError(f"{loc}: {exc}") from None
    if not notes:
        raise EditError(f"{loc}: {midi_path} has no notes{'' if track is None else f' in track {track}'}")
    cmd = InsertClip(loc, Clip(start=start, notes=notes), len(layer.clips)).checked(project)
    cue = find_cue(project, loc)
    end = start + max(n.start + n.duration for n in notes)
    if end > cue.length_beats + 1e-6:
        cmd.warnings = (f"the clip ends at beat {end:g}, after the cue's end ({cue.length_beats:g} beats, "
                        f"{cue.length_bars} bars): notes past the end are not rendered",)
    return cmd  # type: ignore[return-value]


def remove_clip(project: Project, loc: Loc, index: int) -> RemoveClip:
    _clip(project, loc, index)
    return RemoveClip(loc, index).checked(project)  # type: ignore


def move_clip(project: Project, loc: Loc, index: int, start: float) -> SetAttr:
    """Place the clip at ``start`` beats in the cue."""
    clip = _clip(project, loc, index)
    return _replace(project, loc, index, replace(clip, start=start), f"move to beat {start:g}")


def trim_clip(project: Project, loc: Loc, index: int, begin: float, end: float) -> SetAttr:
    """Keep the notes that start in [begin, end) beats of the clip, cut at ``end``; they stay where they sound."""
    clip = _clip(project, loc, index)
    where = f"{loc}.clips[{index}]"
    if not 0 <= begin < end:
        raise EditError(f"{where}: trim needs 0 <= BEGIN < END (beats in the clip), got {begin:g}, {end:g}")
    kept = [Note(n.start - begin, min(n.duration, end - n.start), n.pitch, n.velocity)
            for n in _notes(clip, loc, index) if begin <= n.start < end]
    if not kept:
        raise EditError(f"{where}: no note starts between beat {begin:g} and {end:g} of the clip")
    new = replace(clip, start=clip.start + begin, notes=kept, file=None, track=None)
    return _replace(project, loc, index, new, f"trim to beats {begin:g}..{end:g}")


def transpose_clip(project: Project, loc: Loc, index: int, semitones: int) -> SetAttr:
    """Every note ``semitones`` up (negative: down); refused when a note would leave MIDI's 0..127."""
    clip = _clip(project, loc, index)
    notes = _notes(clip, loc, index)
    for n in notes:
        if not 0 <= n.pitch + semitones <= 127:
            raise EditError(f"{loc}.clips[{index}]: transposing by {semitones:+d} takes note {n.pitch} at beat "
                            f"{n.start:g} to {n.pitch + semitones}, outside MIDI's 0..127")
    new = replace(clip, notes=[replace(n, pitch=n.pitch + semitones) for n in notes], file=None, track=None)
    return _replace(project, loc, index, new, f"transpose {semitones:+d}")
