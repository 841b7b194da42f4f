"""Quality figures of an adaptive render: switching rate, lag, congruence, clicks, loudness jumps."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from composer_assist.core.project import Cue

from composer_assist.playback.policy import ControlTrack
from composer_assist.playback.scheduler import Schedule

CLICK_WINDOW_S = 0.002  # look for steps this close to a transition point
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
    lags: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def _short_term(x: np.ndarray, sr: int) -> float | None:
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


def _read(stems, v: int, pos: int, passes: int, n: int) -> np.ndarray:
    """``n`` frames of variant ``v``'s layers from a cue position, read as the mixer reads them
    (loop wraps, the seam on later passes): (n, 2, layers) float64."""
    cl = stems.clock
    out = np.empty((n, 2, stems.stacks[v].shape[1]))
    i = 0
    while i < n:
        lim = cl.limit(pos)
        if passes >= 1 and cl.loop_start <= pos < cl.loop_start + stems.seam:
            src, off, end = stems.seams[v], cl.loop_start, cl.loop_start + stems.seam
        else:
            src, off, end = stems.stacks[v], 0, lim
        m = min(n - i, end - pos)
        out[i:i + m] = src[2 * (pos - off):2 * (pos - off + m)].reshape(m, 2, -1)
        i, pos = i + m, pos + m
        if pos == lim:
            pos, passes = cl.loop_start, passes + 1
    return out


def _decks(schedule: Schedule, stems) -> list[tuple[int, int, int, int, int]]:
    """(from sample, until sample, variant, cue position, passes) of each stretch a variant plays."""
    out, start, v, pos, passes = [], 0, schedule.start_variant, 0, 0
    for sw in schedule.switches:
        out.append((start, sw.arrival, v, pos, passes))
        start, v, pos, passes = sw.sample, sw.target, sw.enter_pos, sw.enter_passes
    out.append((start, 1 << 62, v, pos, passes))
    return out


def _click_excess(schedule: Schedule, stems, audio: np.ndarray, sr: int, block: int) -> float:
    """Largest sample step of (output - reference) near every switch, fade end, loop wrap and seam
    end.  The reference is mixed here from the stems with the gains the mixer should apply at each
    sample (crossfade curve, intensity law, stinger), so the music's own onsets cancel and only
    what the mixing added -- a click -- remains."""
    from composer_assist.playback.curves import CURVE_IDS, fade_in, fade_out
    from composer_assist.playback.stems import LUT_STEPS

    w = max(2, int(CLICK_WINDOW_S * sr))
    n_out = audio.shape[0]
    # The intensity path exactly as the mixer slews it towards each target.
    slew = stems.cue.adaptive.intensity_slew / sr
    ev = np.array([0] + [e for e, _ in schedule.intensity], dtype=np.float64)
    tg = np.array([schedule.start_intensity] + [min(1.0, max(0.0, x)) for _, x in schedule.intensity])
    val = np.empty_like(tg)
    val[0] = tg[0]
    for j in range(1, ev.size):
        d = tg[j - 1] - val[j - 1]
        val[j] = val[j - 1] + np.sign(d) * min(abs(d), slew * (ev[j] - ev[j - 1]))

    def inten(n: np.ndarray) -> np.ndarray:
        j = np.searchsorted(ev, n, side="right") - 1
        d = tg[j] - val[j]
        return val[j] + np.sign(d) * np.minimum(np.abs(d), slew * (n - ev[j]))

    marks = np.unique(np.concatenate([ev, [x.sample for x in schedule.switches],
                                      [x.arrival for x in schedule.switches]])).astype(np.int64)

    def gains(v: int, lo: int, n: int) -> np.ndarray:
        # The mixer's gains: the table row of the quantised intensity at each segment end (block
        # starts, events, fade ends), linear in between.
        bp = np.arange((lo // block) * block, lo + n + block + 1, block)
        bp = np.unique(np.concatenate([bp, marks[(marks > bp[0]) & (marks < bp[-1])]]))
        k = np.clip((inten(bp.astype(np.float64)) * LUT_STEPS + 0.5).astype(np.int64), 0, LUT_STEPS)
        rows = stems.luts[v][k].astype(np.float64)
        x = np.arange(lo, lo + n)
        return np.stack([np.interp(x, bp, rows[:, i]) for i in range(rows.shape[1])], axis=1)

    decks = _decks(schedule, stems)
    cl = stems.clock
    sw = schedule.switches
    worst = 0.0

    def deck_frames(d, lo: int, n: int, seam: bool = True) -> np.ndarray:
        start, _, v, pos, passes = d
        x = np.zeros((n, 2, stems.stacks[v].shape[1]))
        skip = min(n, max(0, start - lo))  # silent before the deck starts (its fade-in is 0 there)
        pos, passes = cl.advance(pos, passes, lo + skip - start)
        x[skip:] = _read(stems, v, pos, passes if seam else 0, n - skip)
        return np.einsum("ncl,nl->nc", x, gains(v, lo, n))

    def residual_step(ref: np.ndarray, lo: int) -> float:
        r = audio[lo:lo + ref.shape[0]].astype(np.float64) - ref
        return float(np.max(np.abs(np.diff(r, axis=0)))) if r.shape[0] > 1 else 0.0

    for i, s in enumerate(sw):
        prev_end = sw[i - 1].arrival if i else -(1 << 62)
        nxt = sw[i + 1].sample if i + 1 < len(sw) else 1 << 62
        curve = CURVE_IDS[s.rule.curve]
        for p in (s.sample, s.arrival):
            lo, hi = max(0, p - w), min(n_out, p + w)
            if hi - lo < 2 or lo < prev_end or hi > nxt:
                continue  # overlapping fades: more decks than this reference models
            n = np.arange(lo, hi)
            u = np.clip((n - s.sample) / max(1, s.fade), 0.0, 1.0)
            e_in = np.array([fade_in(curve, x) for x in u])
            e_out = np.array([fade_out(curve, x) for x in u])
            ref = deck_frames(decks[i], lo, hi - lo) * e_out[:, None] + deck_frames(decks[i + 1], lo, hi - lo) * e_in[:, None]
            if s.rule.stinger in stems.stinger_names and hi > s.sample:
                st = stems.stingers[stems.stinger_names.index(s.rule.stinger)].reshape(-1, 2)
                a0 = max(lo, s.sample)
                m = min(hi - a0, st.shape[0])
                ref[a0 - lo:a0 - lo + m] += st[:m]
            worst = max(worst, residual_step(ref, lo))
    # Loop wraps and seam ends while one variant plays alone.  At a seam end the reference reads
    # the body without the seam: the step there is how much wrap tail stops dead.
    for j, d in enumerate(decks):
        start, until, v, pos, passes = d
        begin = decks[j - 1][1] if j else 0  # the previous deck's fade is over
        end = min(until if j + 1 == len(decks) else sw[j].sample, n_out)
        t = start + cl.limit(pos) - pos  # first wrap
        while t < end:
            # (A seam as long as the loop ends at the next wrap, checked as a wrap.)
            points = ((t, True),) if stems.seam >= cl.loop_len else ((t, True), (t + stems.seam, False))
            for p, seam in points:
                lo, hi = p - w, p + w
                if lo >= begin and hi <= end:
                    ref = deck_frames(d, lo, hi - lo, seam)
                    if not seam:
                        ref[:w] = deck_frames(d, lo, w)  # the seam itself, up to its end
                    worst = max(worst, residual_step(ref, lo))
            t += cl.loop_len
    return worst


def compute_quality(cue: Cue, schedule: Schedule, reference: list[tuple[float, int]],
                    track: ControlTrack, audio: np.ndarray, sample_rate: int, stems=None,
                    block: int = 512) -> Quality:
    """Figures for one render; ``reference`` is the wanted (time, variant) change list and
    ``track`` the interpolated (planned-mode) view of the trace that congruence is measured on."""
    sr = sample_rate
    duration = audio.shape[0] / sr
    # A switch decided near the end but due after the last sample is never heard: not counted.
    sw = [s for s in schedule.switches if s.sample < audio.shape[0]]

    # Lag: each wanted change is answered by the first unused switch into its variant that was
    # decided after the previous change (a switch decided before it answered something earlier)
    # and, live, no earlier than the change itself less LIVE_EARLY_S (a live tick cannot answer a
    # turn it has not seen; the zero-phase reference dates a turn a little before it shows),
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
        earliest = max(prev, c - LIVE_EARLY_S) if schedule.mode == "live" else prev
        hit = next((j for j, s in enumerate(sw) if j not in used and s.target == v and _decided(s) >= earliest
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

    # Clicks: the largest sample step within a few ms of every switch point and fade end, and
    # the largest step of what the mix added there beyond the stems at their intended gains.
    w = max(1, int(CLICK_WINDOW_S * sr))
    worst = 0.0
    for s in sw:
        for p in (s.sample, s.arrival):
            lo, hi = max(1, p - w), min(audio.shape[0], p + w)
            if hi > lo:
                worst = max(worst, float(np.max(np.abs(audio[lo:hi] - audio[lo - 1:hi - 1]))))
    excess = _click_excess(schedule, stems, audio, sr, block) if stems is not None else 0.0
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


def _decided(s) -> float:
    """When a switch was settled: the scene change it was planned for, or the live tick that chose it."""
    return s.change_at if s.change_at is not None else s.decided_at


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
        f"click check          largest step at a transition {q.max_discontinuity:.4f}; beyond the "
        f"stems at their intended gains (transitions, loop wraps, seam ends): {q.click_excess:.4f} "
        f"(~0 is clean, a click shows as its size)",
        f"loudness jumps       {jump}",
    ])
