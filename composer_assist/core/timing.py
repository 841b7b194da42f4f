"""Musical time: tempo maps and meters.

Positions are measured in *beats* = quarter notes (as in MIDI, ticks / ticks-per-quarter).
Tempi are quarter-note BPM.  A bar of ``num/den`` lasts ``num * 4 / den`` beats; the metrical
pulse ("next beat" in a transition rule) is one ``1/den`` note = ``4 / den`` beats.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TempoPoint:
    beat: float
    bpm: float


@dataclass
class TempoMap:
    """Step tempo changes; the first point must sit at beat 0."""

    points: list[TempoPoint] = field(default_factory=lambda: [TempoPoint(0.0, 120.0)])

    def __post_init__(self) -> None:
        if not self.points:
            self.points = [TempoPoint(0.0, 120.0)]
        self.points = sorted(self.points, key=lambda p: p.beat)
        # Cumulative seconds at each tempo point, so lookups are O(log n).
        self._beats = [p.beat for p in self.points]
        self._secs = [0.0]
        for a, b in zip(self.points, self.points[1:]):
            self._secs.append(self._secs[-1] + (b.beat - a.beat) * 60.0 / a.bpm)

    @classmethod
    def constant(cls, bpm: float) -> "TempoMap":
        return cls([TempoPoint(0.0, float(bpm))])

    @property
    def initial_bpm(self) -> float:
        return self.points[0].bpm

    def seconds_at(self, beat: float) -> float:
        """Time in seconds of a position in beats."""
        i = max(0, bisect.bisect_right(self._beats, beat) - 1)
        p = self.points[i]
        return self._secs[i] + (beat - p.beat) * 60.0 / p.bpm

    def beat_at(self, seconds: float) -> float:
        """Position in beats of a time in seconds."""
        i = max(0, bisect.bisect_right(self._secs, seconds) - 1)
        p = self.points[i]
        return p.beat + (seconds - self._secs[i]) * p.bpm / 60.0

    def sample_at(self, beat: float, sample_rate: int) -> int:
        """Sample index of a position: rounded, so boundaries are the same everywhere."""
        return int(round(self.seconds_at(beat) * sample_rate))

    def to_json(self) -> list[dict]:
        return [{"beat": p.beat, "bpm": p.bpm} for p in self.points]


@dataclass(frozen=True)
class Meter:
    numerator: int = 4
    denominator: int = 4

    @property
    def beats_per_bar(self) -> float:
        return self.numerator * 4.0 / self.denominator

    @property
    def pulse_beats(self) -> float:
        """Length of one metrical pulse in quarter-note beats."""
        return 4.0 / self.denominator

    def bar_start(self, bar: float) -> float:
        """Beat position of a (0-based, possibly fractional) bar number."""
        return bar * self.beats_per_bar

    def bar_beat(self, beat: float) -> str:
        """A cue position in quarter-note beats as ``bar:beat``, both counted from 1 in this meter
        (beats in the meter's own pulse: 6/8 has six)."""
        bar, in_bar = divmod(beat + 1e-9, self.beats_per_bar)  # a hair short of a bar line is on it
        return f"{int(bar) + 1}:{beat_text(max(0.0, in_bar - 1e-9) / self.pulse_beats + 1.0, 2)}".rstrip("0").rstrip(".")

    def span_text(self, start: float, end: float) -> str:
        """A region in beats as a composer reads it: "bars 1–8" when it starts and ends on bar
        lines (the end bar is the last one played), else "1:1–4:3" (its end exclusive)."""
        per = self.beats_per_bar
        if abs(start / per - round(start / per)) < 1e-9 and abs(end / per - round(end / per)) < 1e-9:
            first, last = int(round(start / per)) + 1, int(round(end / per))
            return f"bar {first}" if first == last else f"bars {first}–{last}"
        return f"{self.bar_beat(start)}–{self.bar_beat(end)}"

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


def beat_text(beat: float, places: int = 1) -> str:
    """A beat-in-bar position for a display, cut (not rounded) to ``places``: a counter that read
    "beat 5.0" in 4/4 just before bar 2 showed a beat the bar does not have."""
    scale = 10 ** places
    return f"{math.floor(beat * scale + 1e-6) / scale:.{places}f}"


def next_grid(position: float, step: float, origin: float = 0.0, eps: float = 1e-9) -> float:
    """The first grid line ``origin + k*step`` at or after ``position``."""
    k = math.ceil((position - origin) / step - eps)
    return origin + k * step
