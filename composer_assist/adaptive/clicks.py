"""The click check: what an adaptive render adds at transitions beyond the stems themselves.

At every switch, fade end, loop wrap and seam end, the output is compared with a reference mixed
here from the stems at the gains the mixer should apply at each sample (crossfade curve, intensity
law, and every stinger still sounding there).  The music's own onsets cancel, and only what the
mixing added (a click) remains, as the largest sample step of the difference.

At a loop wrap the seam itself is checked too (the reference reads the same seam, so a cut in it
would cancel): the output must not step more at the wrap than the music on both sides of it
can (the leaving pass's steps before it plus the bare loop start's after it).  A note cut dead there, or a fragment of
the next notes played over the loop start, shows as its size; a release tail ringing on, or a
loop that tiles seamlessly, does not.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from composer_assist.core.mixmath import LUT_STEPS
from composer_assist.playback.curves import CURVE_IDS, fade_in, fade_out
from composer_assist.playback.level_trim import NO_TRIM, Trim, transition_gains
from composer_assist.playback.schedule import Schedule, Switch

CLICK_WINDOW_S = 0.002  # look for steps this close to a transition point
OWN_STEPS_S = 0.05  # at a wrap, the music's own steps are those this close on either side


def _read(stems, v: int, pos: int, passes: int, n: int, seam: bool = True) -> np.ndarray:
    """``n`` frames of variant ``v``'s layers from a cue position, read as the mixer reads them
    (loop wraps, the seam on later passes; ``seam=False``: the bare body): (n, 2, layers) float64."""
    cl = stems.clock
    out = np.empty((n, 2, stems.stacks[v].shape[1]))
    i = 0
    while i < n:
        lim = cl.limit(pos)
        if seam and passes >= 1 and cl.loop_start <= pos < cl.loop_start + stems.seam:
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


def click_excess(schedule: Schedule, stems, audio: np.ndarray, sr: int, block: int) -> float:
    """Largest sample step of (output - reference) near every switch, fade end, loop wrap and seam
    end (see the module docstring)."""
    ref = _Reference(schedule, stems, block)
    w = max(2, int(CLICK_WINDOW_S * sr))
    return max(_switch_steps(ref, audio, w), _wrap_steps(ref, audio, w))


class _Reference:
    """The stems mixed at the gains the mixer should apply, window by window."""

    def __init__(self, schedule: Schedule, stems, block: int) -> None:
        self.schedule, self.stems, self.block = schedule, stems, block
        self.decks = _decks(schedule, stems)
        # The intensity path exactly as the mixer slews it towards each target.
        self.slew = stems.cue.adaptive.intensity_slew / stems.sample_rate
        self.ev = np.array([0] + [e for e, _ in schedule.intensity], dtype=np.float64)
        self.tg = np.array([schedule.start_intensity] + [min(1.0, max(0.0, x)) for _, x in schedule.intensity])
        self.val = np.empty_like(self.tg)
        self.val[0] = self.tg[0]
        for j in range(1, self.ev.size):
            d = self.tg[j - 1] - self.val[j - 1]
            self.val[j] = self.val[j - 1] + np.sign(d) * min(abs(d), self.slew * (self.ev[j] - self.ev[j - 1]))
        self.marks = np.unique(np.concatenate([self.ev, [x.sample for x in schedule.switches],
                                               [x.arrival for x in schedule.switches]])).astype(np.int64)
        self.trims, self.shots = self._trims()

    def _trims(self) -> tuple[list[Trim], list[Trim]]:
        """Each deck's transition trim and each switch's stinger gain, as the mixer computes them at
        the switch sample."""
        out, shots, cl = [NO_TRIM], [], self.stems.clock
        for i, sw in enumerate(self.schedule.switches):
            start, _, v, pos, passes = self.decks[i]
            leave = (v, *cl.advance(pos, passes, sw.sample - start))
            i_now = float(self.intensity(np.array([float(sw.sample)]))[0])
            prev = self.schedule.switches[i - 1] if i else None
            env = 1.0 if prev is None or sw.sample >= prev.arrival else fade_in(
                CURVE_IDS[prev.rule.curve], (sw.sample - prev.sample) / max(1, prev.fade))
            names = self.stems.stinger_names
            stinger = names.index(sw.rule.stinger) if sw.rule.stinger in names else -1
            trim, shot = transition_gains(self.stems, sw.sample, sw.fade, leave, out[-1],
                                          (sw.target, sw.enter_pos, sw.enter_passes), i_now,
                                          CURVE_IDS[sw.rule.curve], env, stinger)
            out.append(trim)
            shots.append(shot)
        return out, shots

    def intensity(self, n: np.ndarray) -> np.ndarray:
        j = np.searchsorted(self.ev, n, side="right") - 1
        d = self.tg[j] - self.val[j]
        return self.val[j] + np.sign(d) * np.minimum(np.abs(d), self.slew * (n - self.ev[j]))

    def gains(self, v: int, lo: int, n: int, trim: Trim = NO_TRIM) -> np.ndarray:
        """The mixer's gains: the table row of the quantised intensity at each segment end (block
        starts, events, fade ends), times the deck's transition trim there, linear in between."""
        block, marks = self.block, self.marks
        bp = np.arange((lo // block) * block, lo + n + block + 1, block)
        bp = np.unique(np.concatenate([bp, marks[(marks > bp[0]) & (marks < bp[-1])], _knots(trim, bp[0], bp[-1])]))
        k = np.clip((self.intensity(bp.astype(np.float64)) * LUT_STEPS + 0.5).astype(np.int64), 0, LUT_STEPS)
        rows = self.stems.luts[v][k].astype(np.float64)
        if trim.last > bp[0]:
            rows *= np.array([trim.gain_at(float(b)) for b in bp])[:, None]
        x = np.arange(lo, lo + n)
        return np.stack([np.interp(x, bp, rows[:, i]) for i in range(rows.shape[1])], axis=1)

    def stinger_frames(self, lo: int, n: int) -> np.ndarray:
        """(n, 2) every stinger sounding in [lo, lo + n): each starts at its switch sample."""
        out = np.zeros((n, 2))
        for s, shot in zip(self.schedule.switches, self.shots):
            if s.rule.stinger not in self.stems.stinger_names:
                continue
            st = self.stems.stingers[self.stems.stinger_names.index(s.rule.stinger)].reshape(-1, 2)
            a, b = max(lo, s.sample), min(lo + n, s.sample + st.shape[0])
            if b > a:
                part = st[a - s.sample:b - s.sample].astype(np.float64)
                if shot.guard:  # the peak guard's gain, linear between its knots
                    knots = shot.g0 + shot.gstep * np.arange(len(shot.guard))
                    part = part * np.interp(np.arange(a, b), knots, shot.guard)[:, None]
                out[a - lo:b - lo] += part
        return out

    def deck_frames(self, d, lo: int, n: int, seam: bool = True) -> np.ndarray:
        start, _, v, pos, passes = d
        x = np.zeros((n, 2, self.stems.stacks[v].shape[1]))
        skip = min(n, max(0, start - lo))  # silent before the deck starts (its fade-in is 0 there)
        pos, passes = self.stems.clock.advance(pos, passes, lo + skip - start)
        x[skip:] = _read(self.stems, v, pos, passes, n - skip, seam)
        trim = next((tr for dk, tr in zip(self.decks, self.trims) if dk is d), NO_TRIM)
        return np.einsum("ncl,nl->nc", x, self.gains(v, lo, n, trim))


def _knots(trim: Trim, lo: int, hi: int) -> np.ndarray:
    """The peak guard's knots strictly inside (lo, hi): the mixer ends a sub-block at each."""
    if not trim.guard:
        return np.zeros(0, dtype=np.int64)
    k = trim.g0 + trim.gstep * np.arange(len(trim.guard), dtype=np.int64)
    return k[(k > lo) & (k < hi)]


def _residual_step(audio, ref: np.ndarray, lo: int) -> float:
    r = audio[lo:lo + ref.shape[0]].astype(np.float64) - ref
    return float(np.max(np.abs(np.diff(r, axis=0)))) if r.shape[0] > 1 else 0.0


def _switch_steps(ref: _Reference, audio, w: int) -> float:
    """At each switch and fade end: both decks at their crossfade gains, plus the stinger."""
    sw, n_out, worst = ref.schedule.switches, audio.shape[0], 0.0
    for i, s in enumerate(sw):
        prev_end = sw[i - 1].arrival if i else -(1 << 62)
        nxt = sw[i + 1].sample if i + 1 < len(sw) else 1 << 62
        curve = CURVE_IDS[s.rule.curve]
        for p in (s.sample, s.arrival):
            lo, hi = max(0, p - w), min(n_out, p + w)
            if hi - lo < 2 or lo < prev_end or hi > nxt:
                continue  # overlapping fades: more decks than this reference models
            u = np.clip((np.arange(lo, hi) - s.sample) / max(1, s.fade), 0.0, 1.0)
            e_in = np.array([fade_in(curve, x) for x in u])
            e_out = np.array([fade_out(curve, x) for x in u])
            mix = (ref.deck_frames(ref.decks[i], lo, hi - lo) * e_out[:, None]
                   + ref.deck_frames(ref.decks[i + 1], lo, hi - lo) * e_in[:, None]
                   + ref.stinger_frames(lo, hi - lo))
            worst = max(worst, _residual_step(audio, mix, lo))
    return worst


def _wrap_steps(ref: _Reference, audio, w: int) -> float:
    """Loop wraps and seam ends while one variant plays alone.  At a seam end the reference reads
    the body without the seam: the step there is how much wrap tail stops dead."""
    sw, stems, cl, worst = ref.schedule.switches, ref.stems, ref.stems.clock, 0.0
    for j, d in enumerate(ref.decks):
        start, until, v, pos, passes = d
        begin = ref.decks[j - 1][1] if j else 0  # the previous deck's fade is over
        end = min(until if j + 1 == len(ref.decks) else sw[j].sample, audio.shape[0])
        t = start + cl.limit(pos) - pos  # first wrap
        while t < end:
            # (A seam as long as the loop ends at the next wrap, checked as a wrap.)
            points = ((t, True),) if stems.seam >= cl.loop_len else ((t, True), (t + stems.seam, False))
            for p, seam in points:
                lo, hi = p - w, p + w
                if lo >= begin and hi <= end:
                    mix = ref.deck_frames(d, lo, hi - lo, seam) + ref.stinger_frames(lo, hi - lo)
                    if not seam:
                        mix[:w] = ref.deck_frames(d, lo, w) + ref.stinger_frames(lo, w)  # the seam, up to its end
                    else:
                        worst = max(worst, _cut_step(ref, d, audio, p, w, begin))
                    worst = max(worst, _residual_step(audio, mix, lo))
            t += cl.loop_len
    return worst


def _cut_step(ref: _Reference, d, audio, p: int, w: int, begin: int) -> float:
    """How much more the output steps at a wrap (at ``p``) and within ``w`` after it than the
    music on both sides can: the leaving pass's largest step in the OWN_STEPS_S before the wrap
    plus the entering bare loop start's (its own entry and any stinger included) in as long after
    it.  A tail that rings on steps no more than before, and steps of a sum are at most the sum of
    the steps; the span is longer than a low note's period, so a waveform's own edge counts."""
    b = max(2 * w, int(OWN_STEPS_S * ref.stems.sample_rate))
    lo = max(begin, p - b)
    before = np.asarray(audio[lo:p], dtype=np.float64)
    after = np.asarray(audio[p - 1:p + w], dtype=np.float64)
    if before.shape[0] < 2 or after.shape[0] < 2:
        return 0.0
    entering = np.zeros((b + 1, 2))
    entering[1:] = ref.deck_frames(d, p, b, seam=False) + ref.stinger_frames(p, b)
    own = float(np.abs(np.diff(before, axis=0)).max()) + float(np.abs(np.diff(entering, axis=0)).max())
    return max(0.0, float(np.abs(np.diff(after, axis=0)).max()) - own)


def loop_wraps(schedule: Schedule, stems, frames: int) -> list[int]:
    """Output samples where the playing variant wraps from the loop end to the loop start."""
    cl, out = stems.clock, []
    decks = _decks(schedule, stems)
    for j, (start, until, _, pos, _) in enumerate(decks):
        end = min(frames, until if j + 1 == len(decks) else schedule.switches[j].sample)
        t = start + cl.limit(pos) - pos
        while t < end:
            out.append(int(t))
            t += cl.loop_len
    return out


def both_sides(schedule: Schedule, stems, block: int, n: int, frames: int
               ) -> Iterator[tuple[Switch, np.ndarray, np.ndarray]]:
    """(switch, leaving, entering) for each switch whose ``n`` samples after the crossfade lie
    within ``frames``: both variants over those samples, each alone at the gains the mixer gives
    it (intensity and trim included, no crossfade): what staying would have sounded like, and what
    the switch brought in, at the same moment."""
    ref = _Reference(schedule, stems, block)
    for i, s in enumerate(schedule.switches):
        if s.arrival + n <= frames:
            yield s, ref.deck_frames(ref.decks[i], s.arrival, n), ref.deck_frames(ref.decks[i + 1], s.arrival, n)
