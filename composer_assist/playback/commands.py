"""Commands into a player: single-producer single-consumer queues, no lock on either side.

Each control thread (keyboard, OSC server, GUI) gets its own ``CommandQueue`` from the player, so
every queue has one writer and one reader.  The ring is preallocated; ``post`` writes the slot
before publishing the new tail, ``drain`` reads slots before publishing the new head, and each
index is written by one side only, so neither side ever waits for the other (a full queue refuses
the command and counts it).

A command is a plain tuple ``(name, *args)``; the constructors below name them.
"""

from __future__ import annotations

from typing import Any, Callable

PLAY, PAUSE, STOP, SEEK, SEEK_BEAT, LOOP = "play", "pause", "stop", "seek", "seek_beat", "loop"
EMOTION, LIVE, RELEASE, HEART_RATE, PROFILE = "emotion", "live", "release", "heart_rate", "profile"
MUTE, SOLO, SWAP = "mute", "solo", "swap"
NAMES = (PLAY, PAUSE, STOP, SEEK, SEEK_BEAT, LOOP, EMOTION, LIVE, RELEASE, HEART_RATE, PROFILE, MUTE, SOLO, SWAP)


class CommandQueue:
    """One writer thread, one reader (the player's producer thread)."""

    def __init__(self, capacity: int = 256) -> None:
        self._slots: list[Any] = [None] * capacity
        self._cap = capacity
        self._head = 0  # written by the reader only
        self._tail = 0  # written by the writer only
        self.dropped = 0

    def post(self, command: tuple) -> bool:
        """Queue ``command``; False (and counted) when the queue is full."""
        tail = self._tail
        if tail - self._head >= self._cap:
            self.dropped += 1
            return False
        self._slots[tail % self._cap] = command
        self._tail = tail + 1  # publish after the slot is written
        return True

    def drain(self, apply: Callable[[tuple], None]) -> int:
        """Apply every queued command in order; returns how many."""
        head, tail = self._head, self._tail
        n = tail - head
        while head < tail:
            i = head % self._cap
            command, self._slots[i] = self._slots[i], None
            head += 1
            self._head = head  # the slot is free once its command is taken
            apply(command)
        return n


# ---- constructors ------------------------------------------------------------------------------
def play() -> tuple:
    return (PLAY,)


def pause() -> tuple:
    return (PAUSE,)


def stop() -> tuple:
    """Stop and return to the start."""
    return (STOP,)


def seek(sample: int) -> tuple:
    """Jump the timeline (trace time) and the music to ``sample``."""
    return (SEEK, int(sample))


def seek_beat(bar: int, beat: float = 1.0) -> tuple:
    """Jump to bar:beat of the cue (1-based, as a composer counts)."""
    return (SEEK_BEAT, int(bar), float(beat))


def emotion(valence: float, arousal: float, intensity: float | None = None) -> tuple:
    """Override the emotion input (held until ``release``): the music answers at the next boundary."""
    return (EMOTION, float(valence), float(arousal), None if intensity is None else float(intensity))


def live(valence: float, arousal: float, intensity: float | None = None) -> tuple:
    """A reading from a live source (OSC, a sensor): smoothed like a trace, held until ``release``."""
    return (LIVE, float(valence), float(arousal), None if intensity is None else float(intensity))


def release() -> tuple:
    """Give the emotion input back to the trace (after ``emotion`` or ``live``)."""
    return (RELEASE,)


def heart_rate(bpm: float) -> tuple:
    """A live heart-rate reading (replaces the trace's heart rate from now on)."""
    return (HEART_RATE, float(bpm))


def profile(index: int | None) -> tuple:
    """Follow the player's listener profile ``index`` (None: no profile)."""
    return (PROFILE, index)


def mute(variant: int, layer: int, on: bool) -> tuple:
    return (MUTE, int(variant), int(layer), bool(on))


def solo(variant: int, layer: int, on: bool) -> tuple:
    return (SOLO, int(variant), int(layer), bool(on))


def swap(variant: int, layer: int, column: Any, seam_column: Any, clock: Any = None) -> tuple:
    """New audio for one layer, laid out by ``StemSet.layer_rows`` (built off the audio thread)
    for the loop region of ``clock`` (the stems' clock then): refused if the region changed since."""
    return (SWAP, int(variant), int(layer), column, seam_column, clock)
