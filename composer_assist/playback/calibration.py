"""Viewer calibration: a viewer's own baseline and range mapped onto the cue's emotion plane.

Per axis (valence, arousal), with the viewer's mean ``m`` and standard deviation ``s``, and the
cue's centre ``c`` and spread ``S`` (mean and standard deviation of its variants' targets)::

    full(x) = c + S / max(s, S_MIN) * (x - m)            the viewer's baseline -> the cue's centre,
                                                         their range -> the cue's spread
    w       = s^2 / (s^2 + TAU^2)                        how far the viewer's statistics are trusted
    x'      = clip((1 - w) * x + w * full(x), -1, 1)

A curve that moves a lot has been through varied scenes, so its mean is the viewer's baseline and
its spread their range (w near 1); a flat curve (one song, one mood) says more about the stimulus
than about the viewer and is left nearly as read (w near 0).  The slope (1 - w) + w S / s never
exceeds 1 + S / (2 TAU).

Planned mode uses the whole trace's statistics (``calibrate_whole``).  Live mode is causal
(``RunningCalibration``): a running mean and variance of the values seen so far, and during the
first ``WARMUP_S`` seconds w is scaled by the share of the warm-up elapsed, so it blends in from
the identity.

A trace that is part of a longer viewing (``trace.viewing``, core/trace/viewing.py: a scene cut
from a film) is calibrated by the viewer over that viewing: planned mode by the whole recording's
statistics (``viewing_stats``), live mode with its running statistics seeded by the recording up
to where the trace starts (``seen_before``), its warm-up counting the time already watched.
numpy only, no allocation per step (it also runs in a client runtime).
"""

from __future__ import annotations

import math

import numpy as np

TAU = 0.2  # spread at which the viewer's own statistics get half the weight
S_MIN = 0.05  # floor of the viewer's spread (a still curve is not blown up)
WARMUP_S = 20.0  # live: seconds over which the calibration blends in from the identity


def cue_plane(targets_v: np.ndarray, targets_a: np.ndarray) -> tuple[float, float, float, float]:
    """(centre valence, spread valence, centre arousal, spread arousal) of the cue's variants."""
    tv, ta = np.asarray(targets_v, dtype=np.float64), np.asarray(targets_a, dtype=np.float64)
    return float(tv.mean()), float(tv.std()), float(ta.mean()), float(ta.std())


def _map(x, m: float, s: float, c: float, spread: float, weight: float = 1.0):
    """The calibration of one axis (scalar or array) given the viewer's mean and spread."""
    w = weight * s * s / (s * s + TAU * TAU)
    full = c + spread / max(s, S_MIN) * (x - m)
    return np.clip((1.0 - w) * x + w * full, -1.0, 1.0)


def viewer_stats(valence: np.ndarray, arousal: np.ndarray) -> tuple[float, float, float, float]:
    """(mean valence, spread valence, mean arousal, spread arousal) of a curve sampled per tick."""
    v, a = np.asarray(valence, dtype=np.float64), np.asarray(arousal, dtype=np.float64)
    return float(v.mean()), float(v.std()), float(a.mean()), float(a.std())


def calibrate_whole(valence: np.ndarray, arousal: np.ndarray, plane: tuple[float, float, float, float],
                    stats: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Planned mode: the whole curve's mean and spread (per tick, so time-weighted), or the
    viewer's ``stats`` over a longer viewing the curve is part of (``viewing_stats``)."""
    cv, sv, ca, sa = plane
    v, a = np.asarray(valence, dtype=np.float64), np.asarray(arousal, dtype=np.float64)
    mv, s_v, ma, s_a = viewer_stats(v, a) if stats is None else stats
    return _map(v, mv, s_v, cv, sv), _map(a, ma, s_a, ca, sa)


def _viewing_ticks(viewing, rate: float, count: int) -> np.ndarray:
    """The first ``count`` control ticks through the recording, from its first row."""
    return float(viewing.whole.times[0]) + np.arange(max(1, count), dtype=np.float64) / rate


def viewing_stats(viewing, rate: float) -> tuple[float, float, float, float]:
    """The viewer's statistics over the whole recording of ``viewing`` (a ``ViewingContext``),
    interpolated at the control ``rate`` as planned mode reads a trace (policy.control_ticks)."""
    w = viewing.whole
    ticks = _viewing_ticks(viewing, rate, int(math.floor((w.times[-1] - w.times[0]) * rate + 1e-9)) + 1)
    return viewer_stats(np.interp(ticks, w.times, w.valence), np.interp(ticks, w.times, w.arousal))


def seen_before(viewing, rate: float) -> np.ndarray:
    """(ticks, 2) valence/arousal a live device read from the recording before the trace starts
    (``viewing.at``): one per control tick, the latest row at or before it.  Empty at the start."""
    w = viewing.whole
    if not viewing.at > float(w.times[0]):
        return np.empty((0, 2))
    ticks = _viewing_ticks(viewing, rate, int(math.ceil((viewing.at - w.times[0]) * rate - 1e-9)))
    i = np.searchsorted(w.times, ticks, side="right") - 1
    return np.column_stack((w.valence[i], w.arousal[i]))


class RunningCalibration:
    """Live mode: causal running statistics (Welford), blended in over the warm-up; ``seen``
    ((ticks, 2) readings already watched, ``seen_before``) seeds them and counts in the warm-up."""

    __slots__ = ("plane", "rate", "n", "mean_v", "m2_v", "mean_a", "m2_a")

    def __init__(self, plane: tuple[float, float, float, float], rate: float, seen: np.ndarray | None = None) -> None:
        self.plane, self.rate = plane, float(rate)
        self.n, self.mean_v, self.m2_v, self.mean_a, self.m2_a = 0, 0.0, 0.0, 0.0, 0.0
        if seen is not None and len(seen):
            m = seen.mean(axis=0)
            m2 = ((seen - m) ** 2).sum(axis=0)
            self.n, self.mean_v, self.m2_v, self.mean_a, self.m2_a = (len(seen), float(m[0]), float(m2[0]),
                                                                      float(m[1]), float(m2[1]))

    def step(self, valence: float, arousal: float) -> tuple[float, float]:
        """Take one reading (one control tick) and return it calibrated by what was seen so far."""
        self.n += 1
        dv = valence - self.mean_v
        self.mean_v += dv / self.n
        self.m2_v += dv * (valence - self.mean_v)
        da = arousal - self.mean_a
        self.mean_a += da / self.n
        self.m2_a += da * (arousal - self.mean_a)
        warm = min(1.0, self.n / (self.rate * WARMUP_S))
        cv, sv, ca, sa = self.plane
        return (_map_one(valence, self.mean_v, math.sqrt(self.m2_v / self.n), cv, sv, warm),
                _map_one(arousal, self.mean_a, math.sqrt(self.m2_a / self.n), ca, sa, warm))


def _map_one(x: float, m: float, s: float, c: float, spread: float, weight: float) -> float:
    """``_map`` of one float in plain arithmetic (no numpy scalars made per control tick)."""
    w = weight * s * s / (s * s + TAU * TAU)
    y = (1.0 - w) * x + w * (c + spread / max(s, S_MIN) * (x - m))
    return min(1.0, max(-1.0, y))


def running_calibration(plane: tuple[float, float, float, float], rate: float, viewing=None) -> RunningCalibration:
    """Live mode's calibration of a trace, seeded by its ``viewing`` context when it has one."""
    return RunningCalibration(plane, rate, None if viewing is None else seen_before(viewing, rate))


def calibrate_running(valence: np.ndarray, arousal: np.ndarray, plane: tuple[float, float, float, float],
                      rate: float, viewing=None) -> tuple[np.ndarray, np.ndarray]:
    """Live mode's calibration of a whole curve sampled at the control ``rate``, tick by tick (what
    the live policy makes of it; the quality figures measure live congruence against it)."""
    cal = running_calibration(plane, rate, viewing)
    out = np.array([cal.step(float(v), float(a)) for v, a in zip(valence, arousal)]).reshape(-1, 2)
    return out[:, 0], out[:, 1]
