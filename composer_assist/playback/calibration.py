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
the identity.  numpy only, no allocation per step (it also runs in a client runtime).
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


def calibrate_whole(valence: np.ndarray, arousal: np.ndarray, plane: tuple[float, float, float, float]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Planned mode: the whole curve's mean and spread (per tick, so time-weighted)."""
    cv, sv, ca, sa = plane
    v, a = np.asarray(valence, dtype=np.float64), np.asarray(arousal, dtype=np.float64)
    return (_map(v, float(v.mean()), float(v.std()), cv, sv),
            _map(a, float(a.mean()), float(a.std()), ca, sa))


class RunningCalibration:
    """Live mode: causal running statistics (Welford), blended in over the warm-up."""

    __slots__ = ("plane", "rate", "n", "mean_v", "m2_v", "mean_a", "m2_a")

    def __init__(self, plane: tuple[float, float, float, float], rate: float) -> None:
        self.plane, self.rate = plane, float(rate)
        self.n, self.mean_v, self.m2_v, self.mean_a, self.m2_a = 0, 0.0, 0.0, 0.0, 0.0

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


def calibrate_running(valence: np.ndarray, arousal: np.ndarray, plane: tuple[float, float, float, float],
                      rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Live mode's calibration of a whole curve sampled at the control ``rate``, tick by tick (what
    the live policy makes of it; the quality figures measure live congruence against it)."""
    cal = RunningCalibration(plane, rate)
    out = np.array([cal.step(float(v), float(a)) for v, a in zip(valence, arousal)]).reshape(-1, 2)
    return out[:, 0], out[:, 1]
