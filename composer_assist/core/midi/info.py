"""What a MIDI file holds, track by track (``composer-assist midi info``): names, channels, note
counts and ranges, programs; and the file's tempo map, time signatures, key and length."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .read import MidiData, _open, read_midi

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(pitch: int) -> str:
    """MIDI 60 is C4."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


@dataclass
class TrackInfo:
    index: int
    name: str
    channels: list[int]  # 0-based, as MIDI counts them
    notes: int
    lowest: int | None
    highest: int | None
    programs: list[int] = field(default_factory=list)


@dataclass
class MidiInfo:
    data: MidiData  # the whole file as ``read_midi`` reads it (tempo map, meters, key, length)
    tracks: list[TrackInfo]


def midi_info(path: str | Path) -> MidiInfo:
    """Read ``path`` (``MidiImportError`` naming the file when it is not a readable SMF)."""
    data = read_midi(path)
    tracks = []
    for ti, trk in enumerate(_open(Path(path)).tracks):
        channels: set[int] = set()
        programs: list[int] = []
        pitches: list[int] = []
        for msg in trk:
            if msg.is_meta:
                continue
            if hasattr(msg, "channel"):
                channels.add(msg.channel)
            if msg.type == "note_on" and msg.velocity > 0:
                pitches.append(msg.note)
            elif msg.type == "program_change" and msg.program not in programs:
                programs.append(msg.program)
        name = data.track_names[ti] if ti < len(data.track_names) else ""
        tracks.append(TrackInfo(ti, name, sorted(channels), len(pitches), min(pitches, default=None),
                                max(pitches, default=None), programs))
    return MidiInfo(data, tracks)
