"""Reading standard MIDI files (format 0, 1 and 2) into notes placed in beats, with mido.

Positions are musical: a note at tick ``t`` sits at beat ``t / ticks_per_beat``.  The file's tempo
map, first time signature and key signature are returned alongside, so an importer can adopt them
for a new cue or convert by time for a cue whose tempo differs.  Format 2 files hold independent
patterns; they are laid one after the other.  The result is plain data: this package knows nothing
of the project model.
"""

from __future__ import annotations

import io
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import mido

from ..errors import MidiImportError
from ..reading import MiB, read_limited
from ..timing import Meter, TempoMap, TempoPoint
from .running_status import explicit_running_status

MAX_MIDI_BYTES = 16 * MiB  # the whole Goldberg variations are 80 KB


class MidiNote(NamedTuple):
    start: float  # beats from the file start
    duration: float  # beats
    pitch: int
    velocity: int


@dataclass
class MidiData:
    path: Path
    format: int
    ticks_per_beat: int
    notes: list[MidiNote]
    tempo: TempoMap
    meter: Meter
    length_beats: float
    meters: list[tuple[float, Meter]] = field(default_factory=list)  # every (beat, meter) change
    track_names: list[str] = field(default_factory=list)
    key: str | None = None  # the first key signature, e.g. "E minor"; None when the file has none


def read_midi(path: str | Path, track: int | None = None) -> MidiData:
    """Parse a .mid file; raise ``MidiImportError`` with a one-line reason naming the file."""
    path = Path(path)
    mf = _open(path)
    if track is not None and not 0 <= track < len(mf.tracks):
        raise MidiImportError(f"{path}: track {track} does not exist (the file has {len(mf.tracks)})")
    tpb = mf.ticks_per_beat
    events = _Events(path, tpb)
    offset = 0
    for ti, trk in enumerate(mf.tracks):
        end = events.read_track(ti, trk, offset, notes_wanted=track is None or ti == track)
        if mf.type == 2 and track is None:
            offset = end  # format 2: independent patterns, one after the other
    notes = sorted(events.notes)
    meters = events.meters
    return MidiData(
        path=path,
        format=mf.type,
        ticks_per_beat=tpb,
        notes=[MidiNote(on / tpb, (off - on) / tpb, pitch, vel) for on, off, pitch, vel in notes],
        tempo=_tempo_map(events.tempo_events, tpb),
        meter=min(meters, key=lambda bm: bm[0])[1] if meters else Meter(4, 4),
        meters=sorted(meters, key=lambda bm: bm[0]),
        length_beats=max([n[1] for n in notes], default=0) / tpb,
        track_names=events.names,
        key=min(events.keys)[1] if events.keys else None,
    )


def _open(path: Path) -> mido.MidiFile:
    data = explicit_running_status(read_limited(path, MAX_MIDI_BYTES, MidiImportError, "MIDI file"))
    try:
        # clip=True keeps out-of-range data bytes from aborting the parse of otherwise fine files.
        mf = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except EOFError:
        raise MidiImportError(f"{path}: truncated or empty MIDI file (unexpected end of data)") from None
    except Exception as exc:  # mido raises many kinds (ValueError, KeySignatureError, struct.error...)
        raise MidiImportError(f"{path}: not a readable standard MIDI file: {_reason(exc)}") from None
    if mf.type not in (0, 1, 2):
        raise MidiImportError(f"{path}: unsupported MIDI format {mf.type}")
    if not isinstance(mf.ticks_per_beat, int) or mf.ticks_per_beat <= 0:
        raise MidiImportError(f"{path}: SMPTE time division is not supported (only ticks per quarter note)")
    listed = int.from_bytes(data[10:12], "big") if data[:4] == b"MThd" and len(data) >= 14 else len(mf.tracks)
    if len(mf.tracks) < listed:  # mido stops at the end of the data without a word
        raise MidiImportError(f"{path}: the header lists {listed} tracks, more than the file holds (truncated?)")
    if not mf.tracks:
        raise MidiImportError(f"{path}: the file has no tracks")
    return mf


class _Events:
    """What the tracks of one file say: notes (in ticks), tempo, meter and key changes, track names."""

    def __init__(self, path: Path, tpb: int) -> None:
        self.path, self.tpb = path, tpb
        self.tempo_events: list[tuple[int, int]] = []  # (tick, microseconds per beat)
        self.meters: list[tuple[float, Meter]] = []  # (beat, meter) changes, in file order
        self.keys: list[tuple[int, str]] = []
        self.notes: list[tuple[int, int, int, int]] = []  # tick on, tick off, pitch, velocity
        self.names: list[str] = []

    def read_track(self, ti: int, trk: mido.MidiTrack, tick: int, notes_wanted: bool) -> int:
        """Collect one track starting at ``tick``; returns the tick where it ends."""
        open_notes: dict[tuple[int, int], deque] = defaultdict(deque)
        name = ""
        for msg in trk:
            tick += msg.time
            if msg.is_meta:
                given = self._meta(ti, msg, tick)
                name = name or given or ""  # the first name a track gives itself
            elif notes_wanted and msg.type == "note_on" and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)].append((tick, msg.velocity))
            elif notes_wanted and msg.type in ("note_off", "note_on"):
                q = open_notes.get((msg.channel, msg.note))
                if q:
                    on, vel = q.popleft()
                    self.notes.append((on, max(tick, on + 1), msg.note, vel))
        # Notes never switched off end with their track.
        for (_, pitch), q in open_notes.items():
            self.notes += [(on, max(tick, on + 1), pitch, vel) for on, vel in q]
        self.names.append(name)
        return tick

    def _meta(self, ti: int, msg: mido.MetaMessage, tick: int) -> str | None:
        """Record a tempo, meter or key change; returns the track's name when ``msg`` gives it."""
        if msg.type == "set_tempo":
            if msg.tempo <= 0:
                raise MidiImportError(f"{self.path}: track {ti}: tempo event at tick {tick} sets a tempo of 0")
            self.tempo_events.append((tick, msg.tempo))
        elif msg.type == "time_signature":
            if msg.numerator < 1 or msg.denominator < 1:
                raise MidiImportError(f"{self.path}: track {ti}: invalid time signature "
                                      f"{msg.numerator}/{msg.denominator} at tick {tick}")
            m = Meter(msg.numerator, msg.denominator)
            if not self.meters or self.meters[-1][1] != m:
                self.meters.append((tick / self.tpb, m))
        elif msg.type == "key_signature":
            self.keys.append((tick, _key_name(msg.key)))
        elif msg.type == "track_name":
            return msg.name
        return None


def _tempo_map(tempo_events: list[tuple[int, int]], tpb: int) -> TempoMap:
    points = [TempoPoint(0.0, 120.0)]
    for tick, us in sorted(tempo_events):
        bpm = mido.tempo2bpm(us)
        beat = tick / tpb
        if beat == points[-1].beat:
            points[-1] = TempoPoint(beat, bpm)
        elif bpm != points[-1].bpm:
            points.append(TempoPoint(beat, bpm))
    return TempoMap(points)


def _key_name(key: str) -> str:
    """mido's key (``"Bb"``, ``"F#m"``) as a cue key (``"Bb major"``, ``"F# minor"``)."""
    return f"{key[:-1]} minor" if key.endswith("m") else f"{key} major"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
