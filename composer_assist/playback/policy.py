"""The policy: from an emotion trace (and optionally a listener profile), at every control tick,
how near each variant is and how intense the music should be.

Live mode is causal and incremental: ``LivePolicy.step`` takes the emotion of one moment (the
latest trace row at or before the tick, an override, or a live OSC value), smooths it with a
one-pole filter, and the heart-rate baseline uses only heart rate already seen.  Planned mode
interpolates the whole trace and smooths with the same filter run forward and backward (zero
phase: no lag).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from composer_assist.core.emotion_span import intensity_of, nearest_arousal, spans
from composer_assist.core.errors import TraceError
from composer_assist.core.project import Cue
from composer_assist.core.profile import ClusterProfile

from .calibration import calibrate_whole, cue_plane, running_calibration, viewing_stats

MODES = ("live", "planned")
# A recorded trace is known whole, so by default transitions are planned to land when the scene turns.
DEFAULT_MODE = "planned"
HEART_RATE_CHANNELS = ("heart_rate", "hr", "heartrate")
PROFILE_BLEND_WIDTH = 0.15  # valence/arousal width over which a profile's contexts blend


@dataclass
class PolicyConfig:
    smoothing_s: float = 0.75  # time constant of the trace smoothing
    valence_weight: float = 1.0  # weights of the emotion distance
    arousal_weight: float = 1.0
    heart_rate_weight: float = 0.3  # share of heart-rate arousal in the intensity, when present
    heart_rate_baseline_s: float = 30.0
    heart_rate_scale_bpm: float = 20.0
    # map the viewer's baseline and range onto the cue's plane (playback/calibration.py): live
    # from running statistics, planned from the whole trace (or the whole viewing the trace is
    # part of, ``trace.viewing``: live seeded with it up to the trace's start)
    calibrate: bool = False


@dataclass
class ControlTrack:
    """Per-tick policy inputs and outputs (ticks at ``rate`` Hz from audio time 0)."""

    mode: str
    rate: float
    times: np.ndarray  # audio seconds of each tick (trace time = times + trace_start)
    trace_start: float
    valence: np.ndarray  # trace as the policy sees it (sample-and-hold / interpolated), unsmoothed
    arousal: np.ndarray
    smooth_valence: np.ndarray
    smooth_arousal: np.ndarray
    want_valence: np.ndarray  # the emotion to match: the smoothed scene, or the profile's preference
    want_arousal: np.ndarray
    intensity: np.ndarray  # 0..1
    scores: np.ndarray  # (ticks, variants): weighted distance minus profile tag bonus (lower wins)
    heart_rate_arousal: np.ndarray | None = None
    # the same scores on the trace as read (unsmoothed, the tick's profile shift applied): what
    # the viewer's curve says at that instant (the opening variant, re-checks, planned onsets)
    raw_scores: np.ndarray | None = None
    # the trace as read before calibration (None: not calibrated, the same as valence/arousal)
    read_valence: np.ndarray | None = None
    read_arousal: np.ndarray | None = None

    def tick(self, k: int) -> "PolicyTick":
        hr = None if self.heart_rate_arousal is None else float(self.heart_rate_arousal[k])
        raw = self.scores[k] if self.raw_scores is None else self.raw_scores[k]
        return PolicyTick(float(self.times[k]), float(self.valence[k]), float(self.arousal[k]),
                          float(self.smooth_valence[k]), float(self.smooth_arousal[k]), float(self.want_valence[k]),
                          float(self.want_arousal[k]), float(self.intensity[k]), self.scores[k], hr,
                          self.trace_start, raw)


def ema(x: np.ndarray, alpha: float, backward: bool = False) -> np.ndarray:
    """The one-pole y[i] = y[i-1] + alpha (x[i] - y[i-1]) with y[-1] = x[0], run forward or backward.

    The same arithmetic as ``Smoother.step``, so the live policy stepped tick by tick and the
    whole-track evaluation give identical numbers.
    """
    seq = x[::-1] if backward else x
    out = np.empty(len(seq))
    y = float(seq[0]) if len(seq) else 0.0
    for i, v in enumerate(seq.tolist()):
        y += alpha * (v - y)
        out[i] = y
    return out[::-1] if backward else out


class Smoother:
    """``ema`` one value at a time (the causal smoothing of live mode)."""

    __slots__ = ("alpha", "y")

    def __init__(self, alpha: float) -> None:
        self.alpha, self.y = alpha, None

    def step(self, v: float) -> float:
        y = v if self.y is None else self.y
        y += self.alpha * (v - y)
        self.y = y
        return y

    def jump(self, v: float) -> None:
        """Forget the past (a manual override takes effect at the next tick, unsmoothed)."""
        self.y = v


@dataclass
class PolicyTick:
    """What the policy made of one control tick (live mode), in the units of ``ControlTrack``."""

    time: float  # audio seconds
    valence: float
    arousal: float
    smooth_valence: float
    smooth_arousal: float
    want_valence: float
    want_arousal: float
    intensity: float
    scores: np.ndarray  # per variant (lower wins)
    heart_rate_arousal: float | None = None
    trace_start: float = 0.0
    raw_scores: np.ndarray | None = None  # per variant, on the unsmoothed emotion (see ControlTrack)
    jump: bool = False  # a manual override jumped the emotion here: act on it without confirming
    read_valence: float | None = None  # the reading before calibration (None: not calibrated)
    read_arousal: float | None = None


class LivePolicy:
    """The live policy, stepped once per control tick with the emotion of that moment only."""

    def __init__(self, cue: Cue, profile: ClusterProfile | None = None, config: PolicyConfig | None = None,
                 viewing: Any = None):
        """``viewing``: the trace's viewing context (``viewing_of``), which seeds the calibration."""
        self.cue, self.profile, self.cfg = cue, profile, config or PolicyConfig()
        self.rate = float(cue.adaptive.control_rate)
        self.alpha = smoothing_alpha(self.rate, self.cfg.smoothing_s)
        self.sv, self.sa, self.hr = Smoother(self.alpha), Smoother(self.alpha), Smoother(self.alpha)
        self.tv = np.array([v.valence for v in cue.variants])
        self.ta = np.array([v.arousal for v in cue.variants])
        self.span = spans(cue.variants)[1:]
        self.tags = [v.tags for v in cue.variants]
        self._hr_seen: list[float] = []  # heart-rate samples inside the baseline window
        self._hr_base: float | None = None
        self._jumped = False
        self.calibration = (running_calibration(cue_plane(self.tv, self.ta), self.rate, viewing)
                            if self.cfg.calibrate else None)

    def heart_rate_sample(self, t: float, bpm: float) -> None:
        """A heart-rate reading at ``t`` s from the start: feeds the baseline (median of the first
        ``heart_rate_baseline_s``)."""
        if t <= self.cfg.heart_rate_baseline_s:
            self._hr_seen.append(float(bpm))

    def override(self, valence: float, arousal: float) -> None:
        """Jump the smoothed emotion to (valence, arousal): the next tick acts on it at once."""
        self.sv.jump(valence)
        self.sa.jump(arousal)
        self._jumped = True

    def step(self, time: float, valence: float, arousal: float, heart_rate: float | None = None,
             intensity: float | None = None, calibrate: bool = True) -> PolicyTick:
        """One tick: calibration (a viewer's reading, not a manual override: ``calibrate``),
        smoothing, listener profile, distances to every variant, intensity."""
        read: tuple[float | None, float | None] = (None, None)
        if self.calibration is not None and calibrate:
            read = (valence, arousal)
            valence, arousal = self.calibration.step(valence, arousal)
        sv, sa = self.sv.step(valence), self.sa.step(arousal)
        wv, wa, bonus = sv, sa, None
        if self.profile is not None:
            pref = self.profile.blended_preference(sv, sa, PROFILE_BLEND_WIDTH)
            wv = min(1.0, max(-1.0, sv + pref.valence_shift))
            wa = min(1.0, max(-1.0, sa + pref.arousal_shift))
            bonus = np.array([self.profile.tag_bonus(pref, tags) for tags in self.tags])
        scores = distances(self.cfg, self.tv, self.span, wv, wa, bonus)
        # The profile's shift of this tick applied to the emotion as read, unsmoothed.
        raw = distances(self.cfg, self.tv, self.span, min(1.0, max(-1.0, valence + wv - sv)),
                        min(1.0, max(-1.0, arousal + wa - sa)), bonus)
        drive, hr_a = wa, None
        if heart_rate is not None and self.cfg.heart_rate_weight > 0:
            hr_a = self._heart_rate_arousal(time, heart_rate)
            drive = (1.0 - self.cfg.heart_rate_weight) * wa + self.cfg.heart_rate_weight * hr_a
        if intensity is None:
            intensity = min(1.0, max(0.0, (drive + 1.0) / 2.0))  # intensity_of, on a float
        jump, self._jumped = self._jumped, False
        return PolicyTick(time, valence, arousal, sv, sa, wv, wa, float(intensity), scores, hr_a,
                          raw_scores=raw, jump=jump, read_valence=read[0], read_arousal=read[1])

    def _heart_rate_arousal(self, time: float, bpm: float) -> float:
        h = self.hr.step(bpm)
        if self._hr_base is None and time >= self.cfg.heart_rate_baseline_s and self._hr_seen:
            self._hr_base = float(np.median(self._hr_seen))  # the window is full: freeze it
        base = self._hr_base if self._hr_base is not None else float(np.median(self._hr_seen or [bpm]))
        return min(1.0, max(-1.0, (h - base) / self.cfg.heart_rate_scale_bpm))


def distances(cfg: PolicyConfig, tv: np.ndarray, span: tuple[np.ndarray, np.ndarray], wv, wa,
              bonus=None) -> np.ndarray:
    """Weighted distance of the emotion (wv, wa) to each variant's emotion, less the tag bonus
    (scalars give one row, (ticks, 1) columns give a table).  ``span``: each variant's (lowest,
    highest) arousal (``core.emotion_span.spans``); the distance is to its nearest point."""
    ta = nearest_arousal(span[0], span[1], wa)
    d = np.sqrt(cfg.valence_weight * (wv - tv) ** 2 + cfg.arousal_weight * (wa - ta) ** 2)
    return d if bonus is None else d - bonus


def smoothing_alpha(rate: float, smoothing_s: float) -> float:
    return 1.0 - math.exp(-1.0 / (rate * smoothing_s)) if smoothing_s > 0 else 1.0


def control_track(trace, cue: Cue, mode: str = DEFAULT_MODE, profile: ClusterProfile | None = None,
                  config: PolicyConfig | None = None, duration: float | None = None) -> ControlTrack:
    """Evaluate the policy at every control tick of ``cue.adaptive.control_rate``.

    Live mode steps ``LivePolicy`` tick by tick on the trace as a viewer would give it
    (sample-and-hold: the latest row at or before each tick), exactly as a player does.
    """
    if mode not in MODES:
        raise TraceError(f"unknown adaptive mode {mode!r} (choose live or planned)")
    ticks, rel, t0 = control_ticks(trace, cue, duration)
    if mode == "live":
        return _live_track(trace, cue, profile, config, ticks, rel, t0)
    return _planned_track(trace, cue, profile, config or PolicyConfig(), ticks, rel, t0)


def control_ticks(trace, cue: Cue, duration: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """(tick times in audio s, trace times relative to its first row, trace start)."""
    rate = float(cue.adaptive.control_rate)
    times_tr = np.asarray(trace.times, dtype=np.float64)
    t0 = float(times_tr[0])
    rel = times_tr - t0
    total = float(rel[-1]) if duration is None else float(duration)
    if not total > 0:
        raise TraceError(f"{getattr(trace, 'name', '') or 'trace'}: needs a positive duration, got {total:g} s")
    return np.arange(int(math.floor(total * rate + 1e-9)) + 1, dtype=np.float64) / rate, rel, t0


def viewing_of(trace) -> Any:
    """The longer viewing ``trace`` is part of (a ``core.trace.ViewingContext``), or None."""
    return getattr(trace, "viewing", None)


def heart_rate_of(trace) -> np.ndarray | None:
    channels = getattr(trace, "channels", {}) or {}
    for key in HEART_RATE_CHANNELS:
        if key in channels:
            return np.asarray(channels[key], dtype=np.float64)
    return None


def _live_track(trace, cue, profile, config, ticks, rel, t0) -> ControlTrack:
    policy = LivePolicy(cue, profile, config, viewing_of(trace))
    feed = TraceFeed(trace)
    rows = [feed.tick(policy, float(t)) for t in ticks.tolist()]
    col = lambda name: np.array([getattr(r, name) for r in rows])  # noqa: E731
    hr_a = col("heart_rate_arousal") if rows[0].heart_rate_arousal is not None else None
    return ControlTrack("live", policy.rate, ticks, t0, col("valence"), col("arousal"), col("smooth_valence"),
                        col("smooth_arousal"), col("want_valence"), col("want_arousal"), col("intensity"),
                        np.array([r.scores for r in rows]), hr_a, np.array([r.raw_scores for r in rows]),
                        *_read_columns(rows))


def _read_columns(rows: list[PolicyTick]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The readings before calibration, when the policy calibrated them."""
    if all(r.read_valence is None for r in rows):
        return None, None
    v = np.array([r.valence if r.read_valence is None else r.read_valence for r in rows])
    a = np.array([r.arousal if r.read_arousal is None else r.read_arousal for r in rows])
    return v, a


class TraceFeed:
    """A recorded trace given to a live policy as a viewer would give it: only rows already seen."""

    def __init__(self, trace) -> None:
        times = np.asarray(trace.times, dtype=np.float64)
        self.rel = (times - times[0]).tolist()
        self.start = float(times[0])
        self.valence = np.asarray(trace.valence, dtype=np.float64).tolist()
        self.arousal = np.asarray(trace.arousal, dtype=np.float64).tolist()
        hr = heart_rate_of(trace)
        self.hr = None if hr is None else hr.tolist()
        self.i = -1  # the latest row given so far

    def tick(self, policy: LivePolicy, t: float, calibrate: bool = True, **override: Any) -> PolicyTick:
        """Step ``policy`` at audio time ``t`` (seconds from the trace's first row); ``override``
        replaces any of valence, arousal, intensity, heart_rate from the trace (``calibrate``
        False: a manual override, not a viewer's reading)."""
        live_hr = override.get("heart_rate")
        while self.i + 1 < len(self.rel) and self.rel[self.i + 1] <= t:
            self.i += 1
            if self.hr is not None and live_hr is None:
                policy.heart_rate_sample(self.rel[self.i], self.hr[self.i])
        i = max(self.i, 0)
        hr = live_hr if live_hr is not None else (self.hr[i] if self.hr is not None else None)
        tick = policy.step(t, override.get("valence", self.valence[i]), override.get("arousal", self.arousal[i]),
                           hr, override.get("intensity"), calibrate)
        tick.trace_start = self.start
        return tick

    def seek(self, t: float) -> None:
        """Continue from audio time ``t`` (rows before it count as seen)."""
        self.i = max(-1, int(np.searchsorted(self.rel, t, side="right")) - 1)


def _planned_track(trace, cue, profile, cfg: PolicyConfig, ticks, rel, t0) -> ControlTrack:
    """The whole curve known: interpolated and smoothed forward and backward (zero phase, no lag)."""
    rate = float(cue.adaptive.control_rate)
    alpha = smoothing_alpha(rate, cfg.smoothing_s)
    v = np.interp(ticks, rel, np.asarray(trace.valence, dtype=np.float64))
    a = np.interp(ticks, rel, np.asarray(trace.arousal, dtype=np.float64))
    read_v, read_a = v, a
    if cfg.calibrate:
        viewing = viewing_of(trace)
        v, a = calibrate_whole(v, a, cue_plane(np.array([x.valence for x in cue.variants]),
                                               np.array([x.arousal for x in cue.variants])),
                               None if viewing is None else viewing_stats(viewing, rate))
    sv, sa = ema(ema(v, alpha), alpha, True), ema(ema(a, alpha), alpha, True)
    wv, wa = sv.copy(), sa.copy()
    n_var = len(cue.variants)
    bonus = np.zeros((ticks.size, n_var))
    if profile is not None:
        # Blended across quadrant edges (PROFILE_BLEND_WIDTH) so a scene on an edge does not thrash.
        for k in range(ticks.size):
            pref = profile.blended_preference(float(sv[k]), float(sa[k]), PROFILE_BLEND_WIDTH)
            wv[k] = min(1.0, max(-1.0, sv[k] + pref.valence_shift))
            wa[k] = min(1.0, max(-1.0, sa[k] + pref.arousal_shift))
            for j, var in enumerate(cue.variants):
                bonus[k, j] = profile.tag_bonus(pref, var.tags)
    tv, lo, hi = spans(cue.variants)
    scores = distances(cfg, tv, (lo, hi), wv[:, None], wa[:, None], bonus)
    raw_scores = distances(cfg, tv, (lo, hi), np.clip(v + wv - sv, -1.0, 1.0)[:, None],
                           np.clip(a + wa - sa, -1.0, 1.0)[:, None], bonus)
    drive, hr_a = wa, None
    hr = heart_rate_of(trace)
    if hr is not None and cfg.heart_rate_weight > 0:
        h = ema(ema(np.interp(ticks, rel, hr), alpha), alpha, True)
        base = float(np.median(hr[rel <= cfg.heart_rate_baseline_s]))
        hr_a = np.clip((h - base) / cfg.heart_rate_scale_bpm, -1.0, 1.0)
        drive = (1.0 - cfg.heart_rate_weight) * wa + cfg.heart_rate_weight * hr_a
    intensity = intensity_of(drive)
    return ControlTrack("planned", rate, ticks, t0, v, a, sv, sa, wv, wa, intensity, scores, hr_a, raw_scores,
                        read_v if cfg.calibrate else None, read_a if cfg.calibrate else None)
