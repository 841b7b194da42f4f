"""The cue timeline in samples: loop wrapping and the legal leave boundaries of transition rules.

Positions are sample indices into the cue body (``tempo.sample_at(beat, sr)``).  Playback starts
at 0, runs to the loop end, then wraps to the loop start forever; a position entered past the
loop end (a marker in an outro) runs to the cue end and then wraps to the loop start too.  The
mixer advances its decks with exactly this arithmetic, so a boundary computed here is the sample
where the mixer switches.
"""

from __future__ import annotations

import math

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from composer_assist.core.project import Cue, TransitionRule

# A fade shorter than this clicks; "immediate" rules with fade 0 still get it.
MIN_FADE_S = 0.005


@dataclass(frozen=True)
class Boundary:
    """A legal switch point ``delay`` samples from now, where the old deck sits at ``pos``."""

    delay: int
    pos: int  # the leaving deck's cue position at the switch (after any wrap)
    passes: int


class CueClock:
    """Sample arithmetic of one cue at one sample rate."""

    def __init__(self, cue: Cue, sample_rate: int, length: int | None = None):
        self.cue = cue
        self.sr = int(sample_rate)
        self.length = int(length) if length is not None else cue.length_samples(self.sr)
        lo, hi = cue.loop_beats
        self.loop_start = min(cue.tempo.sample_at(lo, self.sr), self.length - 1)
        self.loop_end = min(cue.tempo.sample_at(hi, self.sr), self.length)
        if self.loop_end <= self.loop_start:
            self.loop_end = self.length
        self.loop_len = self.loop_end - self.loop_start
        self._grids: dict[tuple, list[int]] = {}

    # ---- position arithmetic -------------------------------------------------------------
    def limit(self, pos: int) -> int:
        """Where a deck at ``pos`` wraps back to the loop start."""
        return self.loop_end if pos < self.loop_end else self.length

    def advance(self, pos: int, passes: int, d: int) -> tuple[int, int]:
        """Position and pass count ``d`` samples after ``pos``."""
        lim = self.limit(pos)
        if pos + d < lim:
            return pos + d, passes
        d -= lim - pos
        return self.loop_start + d % self.loop_len, passes + 1 + d // self.loop_len

    def samples_for_beats(self, pos: int, beats: float) -> int:
        """Samples a deck at ``pos`` takes to play ``beats`` more beats (tempo map and wraps aware)."""
        d, p, left = 0, pos, float(beats)
        loop_beats = self.beat_of(self.loop_end) - self.beat_of(self.loop_start)
        while True:
            lim = self.limit(p)
            b0, b_lim = self.beat_of(p), self.beat_of(lim)
            if b0 + left <= b_lim:
                return d + max(0, self.sample_of(b0 + left) - p)
            left -= b_lim - b0
            d += lim - p
            p = self.loop_start
            if loop_beats > 0 and left > loop_beats:
                n = int(left // loop_beats)
                left -= n * loop_beats
                d += n * self.loop_len

    def bar_starts(self, until: int) -> list[int]:
        """Timeline samples (from cue position 0 at sample 0, the loop repeating) where a bar
        begins, up to ``until``: what "one bar back / forward" steps through."""
        per_bar = float(self.cue.meter.beats_per_bar)
        out, t, pos = [0], 0, 0
        while t <= until and len(out) < 1_000_000:
            lim = self.limit(pos)
            bar = math.floor(self.beat_of(pos) / per_bar + 1e-6) + 1
            nxt = self.sample_of(bar * per_bar)
            if nxt <= pos:  # rounding put ``pos`` a hair before the line it sits on
                nxt = self.sample_of((bar + 1) * per_bar)
            if nxt < lim:
                t, pos = t + nxt - pos, nxt
                out.append(t)
                continue
            t, pos = t + lim - pos, self.loop_start
            # the wrap lands on the loop start: a bar line there if the loop starts on one
            b = self.beat_of(pos) / per_bar
            if abs(b - round(b)) < 1e-6 and out[-1] != t:
                out.append(t)
        return [x for x in out if x <= until]

    def beat_of(self, pos: int) -> float:
        return self.cue.tempo.beat_at(pos / self.sr)

    def sample_of(self, beat: float) -> int:
        return min(self.cue.tempo.sample_at(beat, self.sr), self.length)

    # ---- transition rules ----------------------------------------------------------------
    def grid(self, rule: TransitionRule) -> list[int]:
        """Sorted cue positions (samples) where ``rule`` may leave."""
        key = (rule.leave, rule.bars, rule.leave_marker)
        g = self._grids.get(key)
        if g is not None:
            return g
        cue, meter = self.cue, self.cue.meter
        total = cue.length_beats
        if rule.leave in ("beat", "bar", "bars"):
            step = {"beat": meter.pulse_beats, "bar": meter.beats_per_bar,
                    "bars": meter.beats_per_bar * max(1, rule.bars)}[rule.leave]
            beats = np.arange(0.0, total + 1e-9, step)
            g = sorted({self.sample_of(float(b)) for b in beats})
        elif rule.leave == "marker":
            marks = [cue.marker(rule.leave_marker)] if rule.leave_marker else cue.markers
            g = sorted({self.sample_of(m.beat) for m in marks}) or [self.loop_end]
        elif rule.leave == "loop_end":
            g = sorted({self.loop_end, self.length})
        else:  # immediate: handled by next_boundary
            g = []
        self._grids[key] = g
        return g

    def next_boundary(self, pos: int, passes: int, rule: TransitionRule) -> Boundary:
        """The first legal leave point at or after a deck position."""
        if rule.leave == "immediate":
            return Boundary(0, pos, passes)
        grid = self.grid(rule)
        lim = self.limit(pos)
        i = bisect_left(grid, pos)
        if i < len(grid) and grid[i] <= lim:
            d = grid[i] - pos
        else:
            # Next pass: the first grid point inside the loop, or the wrap itself.
            j = bisect_left(grid, self.loop_start)
            g = grid[j] if j < len(grid) and grid[j] <= self.loop_end else self.loop_start
            d = (lim - pos) + (g - self.loop_start)
        npos, npasses = self.advance(pos, passes, d)
        return Boundary(d, npos, npasses)

    def entry(self, rule: TransitionRule, leave_pos: int, leave_passes: int) -> tuple[int, int]:
        """Where the destination deck starts: (cue position, passes)."""
        if rule.enter == "start":
            return 0, 0
        if rule.enter == "marker" and rule.enter_marker:
            return min(self.sample_of(self.cue.marker(rule.enter_marker).beat), self.length - 1), 0
        return leave_pos, leave_passes

    def fade_samples(self, rule: TransitionRule, pos: int) -> int:
        """Crossfade length in samples for ``rule.fade_beats`` at the tempo at ``pos``."""
        tempo = self.cue.tempo
        beat = self.beat_of(pos)
        secs = tempo.seconds_at(beat + rule.fade_beats) - tempo.seconds_at(beat)
        return max(int(round(secs * self.sr)), int(round(MIN_FADE_S * self.sr)))
