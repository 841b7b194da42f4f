"""Standard MIDI files read into plain data (notes in beats, tempo map, meter, key); no project model."""

from .read import MAX_MIDI_BYTES, MidiData, MidiNote, read_midi

__all__ = ["MAX_MIDI_BYTES", "MidiData", "MidiNote", "read_midi"]
