"""Quality figures of an adaptive render: switching rate, lag, congruence, clicks, loudness jumps."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from composer_assist.core.model import Cue

from .policy import ControlTrack
from .scheduler import Schedule

CLICK_WINDOW_S = 0.002  # look for steps this close to a transition point
LOUDNESS_WINDOW_S = 3.0  # EBU short-term window, before the fade and after it


@dataclass
class Quality:
    mode: str
    duration_s: float
    switches: int
    switches_per_minute: float
    changes: int  # emotion changes in the reference (zero-phase) view of the trace
    lag_mean: float | None  # s from an emotion change to the matching variant's arrival (< 0: early)
    lag_max: float | None
    missed: int  # changes never answered (superseded before the music arrived)
    congruence: float  # share of time the playing variant's target is within the radius of the trace
    max_discontinuity: float  # largest sample step near any transition point (full scale = 1)
    material_step: float  # the 99.9th percentile sample step of the whole render, for scale
    click_excess: float  # largest (step at a transition - the stems' own step there): > 0 hints a click
    loudness_jumps: list[float] = field(default_factory=list)  # LU after - before, per switch
    max_loudness_jump: float | None = None  # largest |jump|
    lags: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def _short_term(x: np.ndarray, sr: int) -> float | None:
    from composer_assist.audio.analysis import short_term_lufs

    _, lufs = short_term_lufs(x.T, sr, window_s=x.shape[0] / sr, hop_s=x.shape[0] / sr)
    if lufs.size == 0 or not math.isfinite(float(lufs[0])):
        return None
    return float(lufs[0])


def playing_at(schedule: Schedule, samples: np.ndarray) -> np.ndarray:
    """The dominant variant (the fade's midpoint counts as the switch) at each sample."""
    out = np.full(samples.shape, schedule.start_variant, dtype=np.int64)
    for sw in schedule.switches:
        out[samples >= sw.sample + sw.fade // 2] = sw.target
    return out


def _own_step(stems, variant: int, pos: int, w: int) -> float:
    """Largest sample step of a variant's layers summed at unity gain around a cue position."""
    lo, hi = max(0, pos - w), min(stems.length, pos + w)
    if hi - lo < 2:
        return 0.0
    x = stems.stacks[variant][2 * lo:2 * hi].sum(axis=1, dtype=np.float64).reshape(-1, 2)
    return float(np.max(np.abs(np.diff(x, axis=0))))


def compute_quality(cue: Cue, schedule: Schedule, reference: list[tuple[float, int]],
                    track: ControlTrack, audio: np.ndarray, sample_rate: int, stems=None) -> Quality:
    """Figures for one render; ``reference`` is the wanted (time, variant) change list and
    ``track`` the interpolated (planned-mode) view of the trace that congruence is measured on."""
    sr = sample_rate
    duration = audio.shape[0] / sr
    sw = schedule.switches

    # Lag: each wanted change is answered by the first unused switch into its variant that
    # arrives after the previous change and starts before the scene moves on to a variant the
    # music does go to (an early, planned arrival counts as negative lag).  One switch answers
    # at most one change.
    lags, missed = [], 0
    used: set[int] = set()
    for i, (c, v) in enumerate(reference):
        prev = reference[i - 1][0] if i else -math.inf
        nxt = math.inf
        for c2, v2 in reference[i + 1:]:
            if v2 != v and any(s.target == v2 and s.arrival / sr > c for s in sw):
                nxt = c2
                break
        hit = next((j for j, s in enumerate(sw) if j not in used and s.target == v
                    and prev < s.arrival / sr and s.sample / sr < nxt), None)
        if hit is None:
            missed += 1
        else:
            used.add(hit)
            lags.append(sw[hit].arrival / sr - c)

    # Congruence against the scene as the trace states it (interpolated, not smoothed).
    ticks = track.times
    playing = playing_at(schedule, np.round(ticks * sr).astype(np.int64))
    tv = np.array([v.valence for v in cue.variants])[playing]
    ta = np.array([v.arousal for v in cue.variants])[playing]
    dist = np.hypot(tv - track.valence, ta - track.arousal)
    congruence = float(np.mean(dist <= cue.adaptive.congruence_radius)) if ticks.size else 0.0

    # Clicks: the largest sample step within a few ms of every switch point and fade end.
    # Onsets on the bar line are music, not clicks: compare with the stems' own steps there.
    w = max(1, int(CLICK_WINDOW_S * sr))
    worst, excess = 0.0, 0.0
    for s in sw:
        for p, off in ((s.sample, 0), (s.arrival, s.fade)):
            lo, hi = max(1, p - w), min(audio.shape[0], p + w)
            if hi > lo:
                here = float(np.max(np.abs(audio[lo:hi] - audio[lo - 1:hi - 1])))
                own = max(_own_step(stems, s.source, s.leave_pos + off, w) if stems else 0.0,
                          _own_step(stems, s.target, s.enter_pos + off, w) if stems else 0.0)
                worst = max(worst, here)
                excess = max(excess, here - own)
    # The music's own steps, from evenly spaced excerpts (the whole render would cost more than
    # mixing it).
    win = min(audio.shape[0], 4096)
    starts = np.linspace(0, audio.shape[0] - win, num=min(64, max(1, audio.shape[0] // win))).astype(np.int64)
    step = np.concatenate([np.abs(np.diff(audio[a:a + win], axis=0)).ravel() for a in starts]) if win > 1 else np.zeros(1)
    material = float(np.percentile(step, 99.9)) if step.size else 0.0

    jumps = []
    n = int(LOUDNESS_WINDOW_S * sr)
    for s in sw:
        if s.sample - n < 0 or s.arrival + n > audio.shape[0]:
            continue
        before, after = _short_term(audio[s.sample - n:s.sample], sr), _short_term(audio[s.arrival:s.arrival + n], sr)
        if before is not None and after is not None:
            jumps.append(after - before)
    return Quality(
        mode=schedule.mode, duration_s=duration, switches=len(sw),
        switches_per_minute=len(sw) / (duration / 60.0) if duration > 0 else 0.0,
        changes=len(reference), lag_mean=float(np.mean(lags)) if lags else None,
        lag_max=float(np.max(lags)) if lags else None, missed=missed, congruence=congruence,
        max_discontinuity=worst, material_step=material, click_excess=excess, loudness_jumps=jumps,
        max_loudness_jump=float(max(abs(j) for j in jumps)) if jumps else None, lags=lags)


def format_quality(q: Quality) -> str:
    """A few lines a composer can read."""
    lag = ("no emotion changes to follow" if q.lag_mean is None else
           f"mean {q.lag_mean:+.2f} s, max {q.lag_max:+.2f} s over {len(q.lags)} changes"
           + (f" ({q.missed} superseded)" if q.missed else "") + "  (negative = arrived early)")
    jump = ("-" if q.max_loudness_jump is None else
            f"max {q.max_loudness_jump:.1f} LU over {len(q.loudness_jumps)} transitions "
            f"(mean {np.mean(np.abs(q.loudness_jumps)):.1f})")
    return "\n".join([
        f"mode                 {q.mode}",
        f"length               {q.duration_s:.1f} s",
        f"switches             {q.switches} ({q.switches_per_minute:.2f} per minute)",
        f"lag to emotion       {lag}",
        f"congruence           {q.congruence:.0%} of the time the playing variant is on target",
        f"click check          largest step at a transition {q.max_discontinuity:.4f} "
        f"(the stems' own steps there: {q.max_discontinuity - q.click_excess:.4f} or more; "
        f"excess {q.click_excess:+.4f}; crossfading two dense stems adds a little, a click adds a lot)",
        f"loudness jumps       {jump}",
    ])
