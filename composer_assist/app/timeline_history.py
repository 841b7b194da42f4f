"""What the timeline draws from: the player's status as polled, and the cue's bar grid."""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_POINTS = 200_000  # ~2 hours of polls at 30 a second


def bar_times(cue: Any, span: float, loop: tuple[float, float] | None = None) -> list[tuple[float, bool, str]]:
    """(seconds, is_bar, label) of bar and beat lines up to ``span`` seconds: the cue from its start,
    then its loop region (``loop`` in beats, None: the cue's own) again and again, as the player
    plays it.  Beats only when few."""
    per_bar = cue.meter.beats_per_bar
    beat_step = 4.0 / cue.meter.denominator
    a, b = cue.loop_beats if loop is None else loop
    first = cue.tempo.seconds_at(b)  # the player plays to the loop's end, then wraps to its start
    loop_len = first - cue.tempo.seconds_at(a)
    # The loop's end is drawn once: as the loop's start again when it repeats, else here.
    end = b + (1e-9 if span <= first + 1e-9 or loop_len <= 0 else -1e-9)
    beats = np.arange(0.0, end, beat_step)
    show_beats = span / max(1e-9, cue.tempo.seconds_at(beat_step)) < 400
    out: list[tuple[float, bool, str]] = []
    for beat in beats:
        is_bar = abs(beat / per_bar - round(beat / per_bar)) < 1e-9
        if is_bar or show_beats:
            out.append((cue.tempo.seconds_at(beat), is_bar, f"{int(round(beat / per_bar)) + 1}" if is_bar else ""))
    if loop_len > 0:
        loop_lines = [(t - cue.tempo.seconds_at(a), bar, lab) for t, bar, lab in out
                      if cue.tempo.seconds_at(a) <= t < cue.tempo.seconds_at(b)]
        start = first
        while start < span and len(out) < 5000:
            out += [(start + dt, bar, lab) for dt, bar, lab in loop_lines if start + dt <= span]
            start += loop_len
    return [x for x in out if x[0] <= span]


def loop_passes(cue: Any, span: float, loop: tuple[float, float] | None = None, most: int = 500
                ) -> list[tuple[float, float]]:
    """(start, end) seconds of the loop region's passes after the first, up to ``span``: where the
    player wraps to play it again (``loop`` in beats, None: the cue's own)."""
    a, b = cue.loop_beats if loop is None else loop
    first, length = cue.tempo.seconds_at(b), cue.tempo.seconds_at(b) - cue.tempo.seconds_at(a)
    out: list[tuple[float, float]] = []
    while length > 0 and first + len(out) * length < span and len(out) < most:
        start = first + len(out) * length
        out.append((start, start + length))
    return out


class History:
    """Status samples: time, playing variant, intensity and the playing variant's layer gains."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._t: list[float] = []
        self._v: list[int] = []
        self._i: list[float] = []
        self._gains: dict[str, tuple[list[float], list[float]]] = {}

    def add(self, status: Any, names: list[str]) -> None:
        if len(self._t) >= MAX_POINTS:
            return
        if self._t and status.seconds < self._t[-1]:
            self.clear()  # a seek back: what was drawn after it no longer happened
        t = status.seconds
        self._t.append(t)
        self._v.append(names.index(status.variant) if status.variant in names else -1)
        self._i.append(status.intensity)
        for layer, g in status.layer_gains.items():
            ts, gs = self._gains.setdefault(layer, ([], []))
            if ts and len(self._t) > 1 and ts[-1] != self._t[-2]:
                ts.append(float("nan"))  # the layer was away (another variant): a gap in its lane
                gs.append(float("nan"))
            ts.append(t)
            gs.append(float(g))

    def times(self) -> np.ndarray:
        return np.asarray(self._t)

    def intensity(self) -> np.ndarray:
        return np.asarray(self._i)

    def variant_segments(self, variant: int) -> np.ndarray:
        """Start/end seconds of the runs where ``variant`` played, as pairs (for connect="pairs")."""
        out: list[float] = []
        start = None
        for k, v in enumerate(self._v + [-2]):
            if v == variant and start is None:
                start = k
            elif v != variant and start is not None:
                end = self._t[k] if k < len(self._t) else self._t[k - 1]
                out += [self._t[start], end]
                start = None
        return np.asarray(out)

    def gain_lanes(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [(name, np.asarray(ts), np.asarray(gs)) for name, (ts, gs) in self._gains.items()]
