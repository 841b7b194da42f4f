"""Quality figures of an adaptive render: switching rate, lag, congruence, clicks, level steps and
loudness jumps."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from composer_assist.core.emotion_span import intensity_of, music_distances, span_distances, spans
from composer_assist.core.project import Cue, TransitionRule

from composer_assist.playback.budget import (BUDGET_WINDOW_S, budget_of, budget_spacing_s, max_in_window,
                                            min_visit_ticks, keeps_window)
from composer_assist.playback.policy import ControlTrack
from composer_assist.playback.schedule import Schedule, dwell_samples
from composer_assist.playback.segmentation import best_total

from .clicks import CLICK_WINDOW_S, both_sides, click_excess
from .returns import return_events
from .window_oracle import best_total_window

LOUDNESS_WINDOW_S = 3.0  # EBU short-term window, before the fade and after it
LIVE_EARLY_S = 1.0  # how far before a reference change a live decision may still answer it


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
    click_excess: float  # largest step of (output - stems at their intended gains) at transitions,
    # loop wraps and seam ends: ~0 when clean, a click shows as its own size
    loudness_jumps: list[float] = field(default_factory=list)  # LU after - before, per switch
    max_loudness_jump: float | None = None  # largest |jump|
    # per switch, the entering variant's short-term loudness minus the leaving one's over the same
    # 3 s after the crossfade, each alone at its gains, less the deliberate level_offset_lu
    # difference: the transition's own step (the jumps above also hold the music's own movement)
    level_steps: list[float] = field(default_factory=list)
    max_level_step: float | None = None  # largest |step|: what "a transition moves at most 1 LU" judges
    lags: list[float] = field(default_factory=list)
    # share of ticks some variant (any, not the playing one) is within the radius: the best any
    # variant choice could reach; the gap to ``congruence`` is the policy's, the rest the cue's
    oracle_congruence: float | None = None
    congruence_radius: float | None = None
    # A -> B -> A within 15 s (adaptive/returns.py): how many, how many were caused by a visit
    # shorter than the dwell, and each event with its times
    returns: int = 0
    short_returns: int = 0
    return_events: list[dict] = field(default_factory=list)
    # with viewer calibration (playback/calibration.py) ``congruence`` is against the calibrated
    # curve and this against the curve as read (the same music); None when not calibrated
    raw_congruence: float | None = None
    # the most switches starting in any 60 s of the output (all of them in a shorter render): what
    # the switch budget (adaptive.max_switches_per_minute) bounds
    max_switches_window: int = 0
    # the best congruence any variant sequence keeping what the engine keeps could reach: the
    # dwell, the switch budget as the mode keeps it (a budget of 1 or 2: the window, window_oracle,
    # None over 10 minutes; else the spacing, segmentation.best_total) and the mode's
    # opening rule (live: the nearest variant; planned: also one within the hysteresis of it);
    # exact.  The oracle above is free to switch every tick
    constrained_oracle: float | None = None
    # the best with the budget read as a sliding window (at most N switches start in any 60 s, the
    # most lenient reading) and any opening (adaptive/window_oracle.py): None for a budget over 2
    # or a render over 10 minutes
    window_oracle: float | None = None
    # live: the congruence of a follower that plays the variant nearest the viewer
    # ``follower_delay_s`` ago with nothing else holding it (``follower_congruence``): how much of
    # the gap to the oracle reacting alone costs; None in planned mode
    follower_congruence: float | None = None
    follower_delay_s: float | None = None
    # the output's highest sample (dBFS) and where (s): over 0 dBFS a device or file clips it
    # (variants are matched under the true-peak ceiling and the peak guard keeps crossfades, trims
    # and stingers under the loudest variant alone, but not a third deck); None when silent
    peak_dbfs: float | None = None
    peak_time_s: float | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def short_term(x: np.ndarray, sr: int) -> float | None:
    """EBU short-term loudness of a (frames, 2) excerpt taken whole (LUFS), None when silent."""
    from composer_assist.core.levels import short_term_lufs

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


def compute_quality(cue: Cue, schedule: Schedule, reference: list[tuple[float, int]],
                    track: ControlTrack, audio: np.ndarray, sample_rate: int, stems=None,
                    block: int = 512, intensity: np.ndarray | None = None,
                    peak: tuple[float, int] | None = None) -> Quality:
    """Figures for one render; ``reference`` is the wanted (time, variant) change list and
    ``track`` the interpolated (planned-mode) view of the trace that congruence is measured on.
    ``audio`` is any (frames, 2) array-like that can be sliced: only windows are read.
    ``intensity``: the intensity that played at each of ``track``'s ticks (default: the track's
    own), which sets the arousal of a variant whose arousal follows intensity.
    ``peak``: (the output's largest |sample|, its frame) when the caller saw every block go by;
    else it is read from ``audio``."""
    sr = sample_rate
    if intensity is not None:
        from dataclasses import replace

        track = replace(track, intensity=np.asarray(intensity, dtype=np.float64))
    duration = audio.shape[0] / sr
    # A switch decided near the end but due after the last sample is never heard: not counted.
    sw = [s for s in schedule.switches if s.sample < audio.shape[0]]
    then = playing_at(schedule, np.round(np.array([c for c, _ in reference], dtype=np.float64) * sr).astype(np.int64))
    lags, missed = _lags(schedule.mode, sw, reference, sr, then.tolist())
    distances = music_distance(cue, track)
    within = distances <= cue.adaptive.congruence_radius  # every variant's music at every tick, once
    jumps = _loudness_jumps(sw, audio, sr)
    steps = level_steps(cue, schedule, stems, block, audio.shape[0], sr) if stems is not None else []
    events = return_events(sw, [v.name for v in cue.variants], track, dwell_samples(cue, sr) / sr, sr)
    return Quality(
        mode=schedule.mode, duration_s=duration, switches=len(sw),
        switches_per_minute=len(sw) / (duration / 60.0) if duration > 0 else 0.0,
        changes=len(reference), lag_mean=float(np.mean(lags)) if lags else None,
        lag_max=float(np.max(lags)) if lags else None, missed=missed,
        congruence=_congruence(cue, schedule, track, sr, within), max_discontinuity=_largest_step(sw, audio, sr),
        material_step=_material_step(audio),
        click_excess=click_excess(schedule, stems, audio, sr, block) if stems is not None else 0.0,
        loudness_jumps=jumps, max_loudness_jump=float(max(abs(j) for j in jumps)) if jumps else None, lags=lags,
        level_steps=steps, max_level_step=float(max(abs(x) for x in steps)) if steps else None,
        oracle_congruence=_oracle_congruence(cue, track, within), congruence_radius=float(cue.adaptive.congruence_radius),
        returns=len(events), short_returns=sum(e["short"] for e in events), return_events=events,
        raw_congruence=_raw_congruence(cue, schedule, track, sr),
        max_switches_window=max_in_window([s.sample for s in sw], int(round(BUDGET_WINDOW_S * sr))),
        **_oracles(cue, within, sr, track, schedule.mode), **_follower(cue, distances, within, schedule.mode),
        **_peak(audio, sr, peak))


def _peak(audio, sr: int, peak: tuple[float, int] | None) -> dict:
    if peak is None:
        if not audio.shape[0]:
            return {}
        a = np.asarray(audio)
        i = int(np.argmax(np.max(np.abs(a), axis=1)))
        peak = (float(np.max(np.abs(a[i]))), i)
    value, frame = peak
    return {"peak_dbfs": 20.0 * math.log10(value), "peak_time_s": frame / sr} if value > 0 else {}


def peak_line(q: Quality, cue: Cue | None = None, schedule: Schedule | None = None, sample_rate: int = 0) -> str | None:
    """The output's peak; over 0 dBFS, where and what added up there (``schedule``)."""
    if q.peak_dbfs is None:
        return None
    at = f"{q.peak_dbfs:+.1f} dBFS at {q.peak_time_s:.2f} s"
    if q.peak_dbfs <= 0.0:
        return f"{at} (sample peak; 0 dBFS is full scale)"
    return (f"{at}: OVER full scale by {q.peak_dbfs:.1f} dB, a device or a fixed-point file clips it"
            f"{_peak_cause(q.peak_time_s, cue, schedule, sample_rate)}; lower the loudest variant's faders or give "
            f"it a negative level_offset_lu, or lower a stinger sounding there (its gain_db)")


def _peak_cause(t: float, cue: Cue | None, schedule: Schedule | None, sr: int) -> str:
    if cue is None or schedule is None or sr <= 0:
        return ""
    names = [v.name for v in cue.variants]
    s = int(round(t * sr))
    for sw in schedule.switches:
        if sw.sample <= s < sw.arrival:
            return f", in the crossfade {names[sw.source]} -> {names[sw.target]} from {sw.sample / sr:.2f} s"
    last = [sw for sw in schedule.switches if sw.arrival <= s]
    if last:
        return f", {names[last[-1].target]} playing since the switch at {last[-1].sample / sr:.2f} s (its transition trim in)"
    return f", {names[schedule.start_variant]} playing from the start"


def _lags(mode: str, sw: list, reference: list[tuple[float, int]], sr: int, then: list[int] | None = None
          ) -> tuple[list[float], int]:
    """(lag of each answered change, changes never answered).

    Each wanted change is answered by the first unused switch into its variant that was decided
    after the previous change (a switch decided before it answered something earlier) and, live,
    no earlier than the change itself less LIVE_EARLY_S (a live tick cannot answer a turn it has
    not seen; the zero-phase reference dates a turn a little before it shows), arrives after the
    previous change and starts before the scene moves on to a variant the music does go to, or
    is already playing there (``then``: the variant playing at each change), so a turn the music rightly let
    pass is not answered by a switch made for a later one (an early, planned arrival counts as
    negative lag).  One switch answers at most one change.
    """
    lags, missed = [], 0
    used: set[int] = set()
    for i, (c, v) in enumerate(reference):
        prev = reference[i - 1][0] if i else -math.inf
        nxt = math.inf
        for j, (c2, v2) in enumerate(reference[i + 1:], i + 1):
            if v2 != v and (any(s.target == v2 and s.arrival / sr > c for s in sw)
                            or (then is not None and then[j] == v2)):
                nxt = c2
                break
        earliest = max(prev, c - LIVE_EARLY_S) if mode == "live" else prev
        hit = next((j for j, s in enumerate(sw) if j not in used and s.target == v and _decided(s) >= earliest
                    and prev < s.arrival / sr and s.sample / sr < nxt), None)
        if hit is None:
            missed += 1
        else:
            used.add(hit)
            lags.append(sw[hit].arrival / sr - c)
    return lags, missed


def music_distance(cue: Cue, track: ControlTrack, playing: np.ndarray | None = None) -> np.ndarray:
    """Distance from the trace (as ``track`` states it) to the music's emotion at each tick:
    (ticks, variants) for every variant, or (ticks,) for the ``playing`` one.  A variant whose
    arousal follows intensity expresses the arousal of the track's intensity (core.emotion_span;
    a track without one: the intensity of its arousal)."""
    intensity = getattr(track, "intensity", None)
    d = music_distances(track.valence, track.arousal, intensity_of(track.arousal) if intensity is None else intensity,
                        *spans(cue.variants))
    return d if playing is None else d[np.arange(d.shape[0]), playing]


def reaction_floor_s(cue: Cue) -> float:
    """Half a bar and half the crossfade of the cue's default transition (``*`` to ``*``) at the
    opening tempo: what a player that leaves on a bar line waits on average before the music is
    heard to change, before it has confirmed anything."""
    rule = next((r for r in cue.transitions if r.source == "*" and r.target == "*"), TransitionRule())
    return 0.5 * (cue.meter.beats_per_bar + rule.fade_beats) * 60.0 / cue.tempo.initial_bpm


def follower_congruence(distances: np.ndarray, within: np.ndarray, delay_ticks: int) -> float:
    """Share of ticks on target for a follower that plays the variant nearest the viewer
    ``delay_ticks`` ago (the opening's nearest before that), with no dwell, confirmation, budget,
    boundary or crossfade.  A reference for a causal player, not a bound: one could also pick a
    variant that happens to cover the next turn."""
    n = distances.shape[0]
    if not n:
        return 0.0
    seen = np.argmin(distances, axis=1)[np.maximum(np.arange(n) - delay_ticks, 0)]
    return float(within[np.arange(n), seen].mean())


def _follower(cue: Cue, distances: np.ndarray, within: np.ndarray, mode: str) -> dict[str, float | None]:
    if mode != "live":
        return {}
    delay = reaction_floor_s(cue)
    ticks = int(round(delay * float(cue.adaptive.control_rate)))
    return {"follower_congruence": follower_congruence(distances, within, ticks), "follower_delay_s": delay}


def _within(cue: Cue, track: ControlTrack) -> np.ndarray:
    """(ticks, variants): each variant's music within the radius of the trace at each tick."""
    return music_distance(cue, track) <= cue.adaptive.congruence_radius


def _congruence(cue: Cue, schedule: Schedule, track: ControlTrack, sr: int, within: np.ndarray | None = None
                ) -> float:
    """Share of ticks the playing variant's music is within the radius of the scene as the trace
    states it (interpolated, not smoothed); ``within``: ``_within`` of the same track, if at hand."""
    ticks = track.times
    if not ticks.size:
        return 0.0
    playing = playing_at(schedule, np.round(ticks * sr).astype(np.int64))
    w = _within(cue, track) if within is None else within
    return float(np.mean(w[np.arange(ticks.size), playing]))


def _raw_congruence(cue: Cue, schedule: Schedule, track: ControlTrack, sr: int) -> float | None:
    """Congruence against the trace as read, before calibration (None: the track is not calibrated)."""
    if getattr(track, "read_valence", None) is None:
        return None
    from types import SimpleNamespace

    read = SimpleNamespace(times=track.times, valence=track.read_valence, arousal=track.read_arousal,
                           intensity=track.intensity)
    return _congruence(cue, schedule, read, sr)  # type: ignore[arg-type]


def _oracle_congruence(cue: Cue, track: ControlTrack, within: np.ndarray | None = None) -> float:
    """Share of ticks some variant's music is within the radius of the trace (the best any
    choice could do, at the intensity that played)."""
    if not track.times.size:
        return 0.0
    return float(np.mean(np.any(_within(cue, track) if within is None else within, axis=1)))


def _oracles(cue: Cue, within: np.ndarray, sr: int, track: ControlTrack, mode: str) -> dict[str, float | None]:
    """The constrained oracle (the dwell, the budget as ``mode`` keeps it, and the mode's opening
    rule) and the window oracle (the most lenient reading of the budget, any opening).  Where the
    budget is kept as its window, live's constrained oracle is the window too: live keeps the
    spacing inside it until the viewer has stayed a dwell, which no sequence known in advance needs."""
    if not within.shape[0]:
        return {"constrained_oracle": 0.0, "window_oracle": 0.0}
    d = span_distances(track.valence[:1], track.arousal[:1], *spans(cue.variants))[0]
    # live opens on the variant nearest the trace's opening; planned also on one within the
    # hysteresis of it (playback.planned.opening_candidates)
    openings = d <= d.min() + (cue.adaptive.hysteresis if mode == "planned" else 0.0)
    window = window_oracle(cue, within, sr)
    if not keeps_window(cue):
        kept = constrained_oracle(cue, within, sr, openings)
    else:  # the same recursion: with every variant an opening it is the window oracle itself
        kept = window if openings.all() else window_oracle(cue, within, sr, openings)
    return {"constrained_oracle": kept, "window_oracle": window}


def constrained_oracle(cue: Cue, within: np.ndarray, sr: int, openings: np.ndarray | None = None) -> float:
    """Share of ticks the best variant sequence keeping the dwell (at the opening tempo) and the
    switch budget's spacing has some variant within the radius: an exact DP (no switch penalty,
    opening on one of ``openings``, None: any) on the curve ``congruence`` is measured on
    (``within``: ``_within``)."""
    if not within.shape[0]:
        return 0.0
    min_len = min_visit_ticks(dwell_samples(cue, sr) / sr, budget_spacing_s(cue), float(cue.adaptive.control_rate))
    return best_total(within.astype(np.float64), min_len, openings) / within.shape[0]


def window_oracle(cue: Cue, within: np.ndarray, sr: int, openings: np.ndarray | None = None) -> float | None:
    """Share of ticks the best variant sequence with at most the budget's N switches starting in
    any 60 s (a window, not a spacing) and every visit the dwell long has some variant within the
    radius, opening on one of ``openings`` (None: any); None when not computed
    (adaptive/window_oracle.py).  No budget: the dwell alone."""
    if not within.shape[0]:
        return 0.0
    rate = float(cue.adaptive.control_rate)
    dwell = min_visit_ticks(dwell_samples(cue, sr) / sr, 0.0, rate)
    total = best_total_window(within.astype(np.float64), dwell, int(round(BUDGET_WINDOW_S * rate)), budget_of(cue),
                              openings, rate)
    return None if total is None else total / within.shape[0]


def _largest_step(sw: list, audio, sr: int) -> float:
    """The largest sample step within a few ms of every switch point and fade end."""
    w = max(1, int(CLICK_WINDOW_S * sr))
    worst = 0.0
    for s in sw:
        for p in (s.sample, s.arrival):
            lo, hi = max(1, p - w), min(audio.shape[0], p + w)
            if hi > lo:
                x = audio[lo - 1:hi]
                worst = max(worst, float(np.max(np.abs(x[1:] - x[:-1]))))
    return worst


def _material_step(audio) -> float:
    """The music's own 99.9th percentile step, from evenly spaced excerpts (the whole render
    would cost more than mixing it)."""
    win = min(audio.shape[0], 4096)
    if win < 2:
        return 0.0
    starts = np.linspace(0, audio.shape[0] - win, num=min(64, max(1, audio.shape[0] // win))).astype(np.int64)
    step = np.concatenate([np.abs(np.diff(audio[a:a + win], axis=0)).ravel() for a in starts])
    return float(np.percentile(step, 99.9)) if step.size else 0.0


def level_steps(cue: Cue, schedule: Schedule, stems, block: int, frames: int, sr: int) -> list[float]:
    """Per switch whose 3 s after the crossfade lie within ``frames``: entering minus leaving
    variant's short-term loudness over those 3 s, each alone at the gains the mixer gives it, less
    the deliberate ``level_offset_lu`` difference.  The music's own movement from one bar to the
    next (up to ~1.7 LU on the demo cue within one variant) is not the transition's, so both sides
    are measured at the same moment."""
    offsets, out = [v.level_offset_lu for v in cue.variants], []
    for s, leaving, entering in both_sides(schedule, stems, block, int(LOUDNESS_WINDOW_S * sr), frames):
        a, b = short_term(leaving, sr), short_term(entering, sr)
        if a is not None and b is not None:
            out.append(b - a - (offsets[s.target] - offsets[s.source]))
    return out


def _loudness_jumps(sw: list, audio, sr: int) -> list[float]:
    """Short-term loudness after each crossfade minus before it, in LU."""
    return [j for j in (loudness_jump(s, audio, sr) for s in sw) if j is not None]


def loudness_jump(s, audio, sr: int) -> float | None:
    """Short-term loudness (LOUDNESS_WINDOW_S) after a switch's crossfade minus before it, in LU;
    None when the render does not hold both windows or one is silent."""
    n = int(LOUDNESS_WINDOW_S * sr)
    if s.sample - n < 0 or s.arrival + n > audio.shape[0]:
        return None
    before, after = short_term(audio[s.sample - n:s.sample], sr), short_term(audio[s.arrival:s.arrival + n], sr)
    return None if before is None or after is None else after - before


def _decided(s) -> float:
    """When a switch was settled: the scene change it was planned for, or the live tick that chose it."""
    return s.change_at if s.change_at is not None else s.decided_at


def _congruence_line(q: Quality) -> str:
    radius = "" if q.congruence_radius is None else f" within radius {q.congruence_radius:g}"
    line = f"{q.congruence:.0%} of the time the playing variant is{radius} of the trace"
    if q.oracle_congruence is not None:
        line += f" (the best any variant choice could do: {q.oracle_congruence:.0%}"
        if q.constrained_oracle is not None:
            line += f"; keeping the dwell, the switch budget and the opening rule: {q.constrained_oracle:.0%}"
        line += ")"
    if q.raw_congruence is not None:
        line = (f"calibrated {line}; raw (the same music against the trace as read, uncalibrated) "
                f"{q.raw_congruence:.0%}")
    return line


def format_quality(q: Quality, cue: Cue | None = None, schedule: Schedule | None = None, sample_rate: int = 0
                   ) -> str:
    """A few lines a composer can read (``schedule``: to say what an over-full-scale peak is in)."""
    lag = ("no emotion changes to follow" if q.lag_mean is None else
           f"mean {q.lag_mean:+.2f} s, max {q.lag_max:+.2f} s over {len(q.lags)} changes"
           + (f" ({q.missed} superseded)" if q.missed else "") + "  (negative = arrived early)")
    jump = ("-" if q.max_loudness_jump is None else
            f"max {q.max_loudness_jump:.1f} LU over {len(q.loudness_jumps)} transitions "
            f"(mean {np.mean(np.abs(q.loudness_jumps)):.1f}; short-term after the crossfade minus before it, "
            f"the music's own movement in)")
    step = ("-" if q.max_level_step is None else
            f"max {q.max_level_step:.2f} LU over {len(q.level_steps)} transitions (entering minus leaving "
            f"variant over the same 3 s, deliberate offsets aside; the target is <= 1 LU)")
    return "\n".join([
        f"mode                 {q.mode}",
        f"length               {q.duration_s:.1f} s",
        f"switches             {q.switches} ({q.switches_per_minute:.2f} per minute, at most "
        f"{q.max_switches_window} in any 60 s)",
        f"lag to emotion       {lag}",
        f"congruence           {_congruence_line(q)}",
        f"click check          largest step at a transition {q.max_discontinuity:.4f}; beyond the "
        f"stems at their intended gains (transitions, loop wraps, seam ends): {q.click_excess:.4f} "
        f"(~0 is clean, a click shows as its size)",
        f"level step           {step}",
        f"loudness jumps       {jump}",
        f"returns A->B->A      {q.returns} within 15 s, {q.short_returns} after a visit shorter than the dwell",
        *([f"peak                 {peak}"] if (peak := peak_line(q, cue, schedule, sample_rate)) else []),
    ])
