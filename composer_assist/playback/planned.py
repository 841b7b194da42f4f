"""Planned scheduling: the whole curve is known, so each switch is placed where the viewer's
curve turns, not after it.

The variant sequence is the optimal segmentation of the curve as read (``chosen_changes``:
most time within the congruence radius less a penalty per switch, every visit between two
switches at least the dwell, the switch budget kept as its window, ``window_segmentation``, or for
N >= 3 as a spacing, ``segmentation``), opening on the variant nearest the trace's opening or one
within the hysteresis of it (``opening_candidates``).  The sequence is chosen on a grid finer than
the music's boundaries; each change then leaves on the legal boundary whose crossfade midpoint
(where the music is heard to change) keeps the music worth most on the curve as read, of those
that start no earlier than the fade and one bar before the viewer's curve as read (unsmoothed)
moves towards the new variant and no later than the change (or the move, where the curve gets
there later; ``_placed``; within the budget after the previous switches).  The greedy choice it
replaced (``wanted_changes``) is the reference view of the quality figures.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from composer_assist.core.project import Cue, TransitionRule

from .budget import (BUDGET_WINDOW_S, budget_of, budget_spacing_s, min_visit_ticks, next_start_allowed,
                     keeps_window)
from .clock import CueClock
from .policy import ControlTrack
from .segmentation import SWITCH_PENALTY_S, best_sequence, gain_sums, per_tick, tick_gain
from .window_segmentation import best_sequence_window, grid_ticks
from .schedule import Builder, IntensityTargets, Schedule, Switch, dwell_end, dwell_samples, leave_text


def schedule_planned(cue: Cue, clock: CueClock, track: ControlTrack, choice: str = "optimal") -> Schedule:
    """Look-ahead scheduling on the whole curve: the optimal visit sequence (``chosen_changes``),
    each change leaving on the legal boundary that keeps the music on the curve (``_placed``).
    ``choice="greedy"`` follows the smoothed curve's nearest variant instead (``wanted_changes``,
    the choice before; kept for comparison)."""
    bld = Builder(cue, clock, "planned", track.tick(0))
    sched, names, sr = bld.sched, bld.names, clock.sr
    dwell = dwell_samples(cue, sr)
    gain = planned_gain(cue, track)
    sums = gain_sums(gain)
    if choice == "greedy":
        changes = wanted_changes(track, cue.adaptive.hysteresis, dwell / sr)
    else:
        start, changes = chosen_changes(track, gain, sched.start_variant, dwell / sr, cue.adaptive.congruence_radius,
                                        _hold_logger(bld, track, dwell / sr), budget_of(cue), cue.adaptive.hysteresis)
        if start != sched.start_variant:
            _open_on(bld, track, start)
    sched.changes = [(c, v) for c, v, _ in changes]
    slowest = min(p.bpm for p in cue.tempo.points)
    # the longest fade plus one bar, at the slowest tempo: how far before the curve moves a switch may start
    reach = int((max(r.fade_beats for r in [TransitionRule(), *cue.transitions]) + cue.meter.beats_per_bar)
                * 60.0 / slowest * sr)
    playing = sched.start_variant
    held_until, fade_end, budget_until = -(1 << 40), 0, -(1 << 40)
    starts: list[int] = []
    window = keeps_window(cue)
    for i, (c, target, k) in enumerate(changes):
        if target == playing:
            continue
        # The budget holds on the switch samples too: a change's boundary may fall a little earlier
        # in its visit than the previous one's did.
        lower = max(1, held_until, fade_end, budget_until)
        moves = curve_moves_at(track, playing, target, k, changes[i + 1][2] if i + 1 < len(changes) else None)
        nxt = changes[i + 1][0] if i + 1 < len(changes) else None
        best, late = _placed(bld, sums, track, playing, target, (lower, reach, nxt), c, moves,
                             float(track.times[0]))
        if late and nxt is not None and best.arrival / sr >= nxt:
            bld.entry(track.tick(k), "skip", _held_by(lower, held_until, budget_until),
                      f"change to {names[target]} at {c:.3f} s cannot arrive before the next change "
                      f"at {nxt:.3f} s; skipped", to=target)
            continue
        k_next = changes[i + 1][2] if i + 1 < len(changes) else track.times.size
        if late and not (_still_nearer(track, best, playing, target, sr) if choice == "greedy"
                         else _still_wanted(track, sums, best, playing, target, k_next, sr)):
            kb = _tick_at(track, best.sample / sr)
            bld.entry(track.tick(kb), "cancel", "emotion_distance",
                      f"re-checked at its boundary {best.sample / sr:.3f} s: {names[target]} no longer gains "
                      f"over {names[playing]} until the next change; the switch is cancelled", frm=playing,
                      to=target)
            continue
        held_by = _held_by(lower, held_until, budget_until)
        bld.switch_entry(track.tick(k), best, "switch", "planned",
                         _detail(names, playing, target, c, best, late, held_by, sr))
        sched.switches.append(best)
        bld.head.move(best)
        playing, held_until, fade_end = target, dwell_end(cue, clock, best), best.arrival
        starts.append(best.sample)
        budget_until = next_start_allowed(starts, cue, sr, window)
    intensity = IntensityTargets(bld, float(track.intensity[0]))
    for k in range(1, track.times.size):
        intensity.step(track.tick(k))
    return sched


def opening_candidates(track: ControlTrack, hysteresis: float) -> np.ndarray:
    """The variants planned mode may open on: the nearest to the trace's opening as read, and any
    other within ``hysteresis`` of it there (the nearest is not nearer by the margin a switch
    would need)."""
    raw = (track.raw_scores if track.raw_scores is not None else track.scores)[0]
    return raw <= raw.min() + hysteresis


def _ticks_within(track: ControlTrack, visits: list[tuple[int, int]], radius: float) -> int:
    """How many ticks the visits' variant is within ``radius`` of the curve as read."""
    raw = track.raw_scores if track.raw_scores is not None else track.scores
    return int(np.count_nonzero(raw[np.arange(raw.shape[0]), per_tick(visits, raw.shape[0])] <= radius))


def _open_on(bld: Builder, track: ControlTrack, start: int) -> None:
    """Open on ``start`` instead of the nearest variant: the schedule and its first log entry."""
    names, near = bld.names, bld.sched.start_variant
    raw = (track.raw_scores if track.raw_scores is not None else track.scores)[0]
    bld.sched.start_variant = start
    e = bld.log[0]
    e["to"] = names[start]
    e["detail"] = (f"start on {names[start]}: within the hysteresis ({bld.cue.adaptive.hysteresis:g}) of "
                   f"{names[near]}, the nearest the trace's opening ({raw[start]:.2f} against {raw[near]:.2f}), "
                   f"and the music is within the radius longer over the scene opening on it")


def _hold_logger(bld: Builder, track: ControlTrack, dwell_s: float) -> Callable[[int, str, int, int, float], None]:
    """``on_hold`` for ``chosen_changes``: a decision-log entry per run not followed."""
    names = bld.names

    def on_hold(k: int, reason: str, cur: int, best: int, value: float) -> None:
        if reason == "dwell":
            text = (f"{names[best]} within the radius for only {value:.2f} s while {names[cur]} is not "
                    f"(shorter than the dwell of {dwell_s:.2f} s): not followed")
        elif reason == "budget":
            text = (f"{names[best]} within the radius for only {value:.2f} s while {names[cur]} is not "
                    f"(shorter than the switch budget's spacing of {budget_spacing_s(bld.cue):.2f} s): "
                    f"not followed")
        else:
            text = (f"{names[best]} within the radius for {value:.2f} s while {names[cur]} is not: "
                    f"following it gains less than the switch cost ({SWITCH_PENALTY_S:g} s within the radius "
                    f"per switch), or the switch budget leaves no room for it: not followed")
        bld.entry(track.tick(k), "hold", reason, text, frm=cur, to=best, distances=bld.distances(track.tick(k)))

    return on_hold


def _held_by(lower: int, held_until: int, budget_until: int) -> str:
    """What set the earliest boundary: the switch budget, the dwell (or the last fade), or nothing
    (the boundary grid itself)."""
    if lower > 1 and lower == budget_until and budget_until > held_until:
        return "budget"
    return "dwell" if lower > 1 else "quantisation_wait"


def _detail(names: list[str], playing: int, target: int, c: float, best: Switch, late: bool, held_by: str,
            sr: int) -> str:
    if late:
        why = {"budget": "switch budget", "dwell": "dwell"}.get(held_by, "quantisation")
        return (f"scene turns {names[target]} at {c:.3f} s; earliest legal {leave_text(best.rule)} "
                f"is {best.sample / sr:.3f} s ({why}), "
                f"arrives {best.arrival / sr - c:.3f} s late")
    return (f"scene turns {names[target]} at {c:.3f} s (the curve as read moves at {best.moves_at:.3f} s); "
            f"leaves {names[playing]} on the {leave_text(best.rule)} at {best.sample / sr:.3f} s, whose "
            f"{best.fade / sr:.3f} s crossfade keeps the music on the curve longest")


def _tick_at(track: ControlTrack, t: float) -> int:
    return int(min(track.times.size - 1, max(0, np.searchsorted(track.times, t - 1e-9))))


def _still_nearer(track: ControlTrack, sw: Switch, playing: int, target: int, sr: int) -> bool:
    """The greedy choice's re-check: is the target still nearer than what plays (smoothed)?"""
    row = track.scores[_tick_at(track, sw.sample / sr)]
    return bool(row[target] < row[playing])


def _still_wanted(track: ControlTrack, sums: np.ndarray, sw: Switch, playing: int, target: int, k_next: int,
                  sr: int) -> bool:
    """A late switch re-checked at its boundary: does its target still gain over what plays from
    there to the next change (``sums``: ``segmentation.gain_sums``)?  The visit it was chosen for
    may have passed by then."""
    kb = _tick_at(track, sw.sample / sr)
    if kb >= k_next:
        return False
    return bool(sums[k_next, target] - sums[kb, target] > sums[k_next, playing] - sums[kb, playing])


def curve_moves_at(track: ControlTrack, cur: int, new: int, k: int, k_next: int | None = None) -> float:
    """When the viewer's curve as read (unsmoothed) moves over from ``cur`` to ``new`` for the change
    committed at tick ``k``: the first tick of the run, holding ``k``, in which ``new`` is nearer than
    ``cur`` on the raw curve.  A change committed before the curve gets there (a visit the switch
    budget made start early, or one chosen where ``new`` is within the radius but not yet nearer
    than ``cur``) waits for the first tick before ``k_next`` at which it is; else tick ``k``.

    The zero-phase smoothing spreads a step backwards in time; this is where the curve itself turns.
    The evaluation dates "the curve begins to move" from the same crossing (``_ahead_over``).
    """
    raw = track.raw_scores if track.raw_scores is not None else track.scores
    ahead = raw[:, cur] - raw[:, new] > 0
    if ahead[k]:
        j = k
        while j > 0 and ahead[j - 1]:
            j -= 1
        return float(track.times[j])
    stop = track.times.size if k_next is None else k_next
    later = np.flatnonzero(ahead[k:stop])
    return float(track.times[k + later[0]]) if later.size else float(track.times[k])


def _placed(bld: Builder, sums: np.ndarray, track: ControlTrack, playing: int, target: int,
            bounds: tuple[int, int, float | None], c: float, moves: float, decided_at: float
            ) -> tuple[Switch, bool]:
    """(the switch for a change at ``c`` s whose curve moves at ``moves`` s, whether it is late).

    Of the legal boundaries that start at or after ``lower``, no earlier than their fade and one bar
    before ``moves`` and no later than the later of ``c`` and ``moves``, and arrive before the next
    change at ``until`` s, the one whose crossfade midpoint (where the music is heard to change)
    keeps the music worth most on the curve as read (``sums``: ``segmentation.gain_sums``, what the
    sequence was chosen by; ties: the earlier).  With none, the earliest at or after ``lower`` and
    that bound, late.  ``bounds``: (``lower``, ``reach``: the longest fade and one bar at the slowest
    tempo, ``until``)."""
    lower, reach, until = bounds
    sr = bld.sr
    goal, move = int(round(max(c, moves) * sr)), int(round(moves * sr))
    end = None if until is None else int(round(until * sr))
    tick = max(1, int(sr / float(track.rate)))
    best, worth = None, -np.inf
    probe = max(lower, move - reach)
    while probe <= goal:
        sw = bld.plan_switch(probe, playing, target, decided_at, c)
        if sw.sample > goal:
            break
        if sw.sample >= move - sw.fade - _bar(bld, sw) and (end is None or sw.arrival < end):
            m = _tick_at(track, (sw.sample + sw.fade // 2) / sr)
            w = sums[m, playing] - sums[m, target]  # the variant playing up to m, the target after
            if w > worth:
                best, worth = sw, w
        # an immediate rule may leave on any sample: the control ticks are as fine as the choice
        probe = sw.sample + (tick if sw.rule.leave == "immediate" else 1)
    late = best is None
    if late:
        best = bld.plan_switch(lower, playing, target, decided_at, c)
        floor = move - best.fade - _bar(bld, best)
        if best.sample < floor:  # a coarse rule (every N bars, loop end): the first boundary after the bound
            best = bld.plan_switch(floor, playing, target, decided_at, c)
    best.moves_at = moves
    return best, late


def _bar(bld: Builder, sw: Switch) -> int:
    """One bar in samples at the tempo where ``sw`` leaves."""
    return bld.clock.samples_for_beats(sw.leave_pos, bld.cue.meter.beats_per_bar)


def planned_gain(cue: Cue, track: ControlTrack) -> np.ndarray:
    """Per tick and variant, what playing it is worth (``segmentation.tick_gain``) on the curve as
    read (unsmoothed, the profile's shift applied): congruence is measured there."""
    raw = track.raw_scores if track.raw_scores is not None else track.scores
    return tick_gain(raw, float(cue.adaptive.congruence_radius))


def chosen_changes(track: ControlTrack, gain: np.ndarray, start: int, dwell_s: float, radius: float,
                   on_hold: Callable[[int, str, int, int, float], None] | None = None, budget: int = 0,
                   hysteresis: float | None = None) -> tuple[int, list[tuple[float, int, int]]]:
    """The optimal visit sequence: its opening variant and (landing time s, variant, tick) per
    change, every visit between two switches at least the dwell, at most ``budget`` switches
    starting in any 60 s (kept as the window for a budget of 2, ``window_segmentation``; as a
    spacing of 60/N s, a minimum visit, otherwise: for 1 that is the window).  It opens on
    ``start`` or, given ``hysteresis``, on another of the ``opening_candidates`` when that keeps
    the music within ``radius`` of the curve as read longer, by more than one switch's penalty
    (not merely a switch saved).  ``on_hold``
    hears of each run of ticks where another variant is within ``radius`` and the chosen one is not
    (reason "dwell" when the run is shorter than the dwell, "budget" when it is shorter than the
    budget's spacing, kept as a spacing, else "emotion_distance": it would not pay for its
    switches, or the budget does not leave room for them; value: the run's length in s)."""
    rate, penalty = float(track.rate), SWITCH_PENALTY_S * float(track.rate)
    dwell = min_visit_ticks(dwell_s, 0.0, rate)
    # a budget of 1 is a spacing of the whole window: the same rule
    spacing_s = BUDGET_WINDOW_S / budget if budget > 0 and budget != 2 else 0.0

    def best(opening: int | np.ndarray) -> list[tuple[int, int]]:
        if budget == 2:
            return best_sequence_window(gain, opening, dwell, int(round(BUDGET_WINDOW_S * rate)), penalty,
                                        grid_ticks(rate))
        return best_sequence(gain, opening, min_visit_ticks(dwell_s, spacing_s, rate), penalty)

    visits = best(start)
    if hysteresis is not None:
        candidates = opening_candidates(track, hysteresis)
        if np.count_nonzero(candidates) > 1:
            other = best(candidates)
            if (other[0][1] != start
                    and _ticks_within(track, other, radius) > _ticks_within(track, visits, radius) + penalty):
                visits = other
    if on_hold is not None:
        _report_holds(track, gain, visits, dwell_s, radius, on_hold, spacing_s)
    return visits[0][1], [(float(track.times[k]), v, k) for k, v in visits[1:]]


def _report_holds(track: ControlTrack, gain: np.ndarray, visits: list[tuple[int, int]], dwell_s: float,
                  radius: float, on_hold: Callable[[int, str, int, int, float], None],
                  spacing_s: float = 0.0) -> None:
    n = gain.shape[0]
    chosen = per_tick(visits, n)
    raw = track.raw_scores if track.raw_scores is not None else track.scores
    missed = (raw[np.arange(n), chosen] > radius) & (raw.min(axis=1) <= radius)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], missed.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2]):
        length = (b - a) / float(track.rate)
        best = int(np.argmin(raw[a]))
        reason = "dwell" if length < dwell_s else "budget" if length < spacing_s else "emotion_distance"
        on_hold(int(a), reason, int(chosen[a]), best, length)


def wanted_changes(track: ControlTrack, hysteresis: float, dwell_s: float,
                   on_hold: Callable[[int, str, int, int, float], None] | None = None
                   ) -> list[tuple[float, int, int]]:
    """The variant sequence the scene asks for: (landing time s, variant, tick) per change.

    Hysteresis applies as in live mode.  Each change is dated to the first tick of the new
    variant's run of being nearest at which it leads the current variant by half the hysteresis:
    later than the tick where the two are merely equally near (margin 0, which flickers and can
    precede the real turn by many seconds on slow drifts), earlier than the tick where the full
    hysteresis is met (which is when live mode can commit).  A visit shorter than the dwell is
    not followed (``drop_short_visits``), so no change is answered by a switch and a return.
    ``on_hold(tick, reason, current, wanted, value)`` hears about changes held back: reason
    "hysteresis" (value: the margin) or "dwell" (value: how long the visit lasted).
    """
    scores = track.scores
    nearest = np.argmin(scores, axis=1)
    cur = first = int(np.argmin(track.raw_scores[0])) if track.raw_scores is not None else int(nearest[0])
    half_k: int | None = None  # first tick of the current run with margin >= hysteresis / 2
    out: list[tuple[float, int, int]] = []
    held = None
    for k in range(1, track.times.size):
        best = int(nearest[k])
        if best != nearest[k - 1]:
            half_k = None
        if best == cur:
            held = None
            continue
        margin = float(scores[k, cur] - scores[k, best])
        if half_k is None and margin >= 0.5 * hysteresis:
            half_k = k
        if margin < hysteresis:
            if on_hold is not None and held != ("hysteresis", best):
                on_hold(k, "hysteresis", cur, best, margin)
            held = ("hysteresis", best)
            continue
        out.append((float(track.times[half_k if half_k is not None else k]), best, k))
        cur, held, half_k = best, None, None
    return drop_short_visits(out, first, dwell_s, on_hold)


def drop_short_visits(changes: list[tuple[float, int, int]], first: int, dwell_s: float,
                      on_hold: Callable[[int, str, int, int, float], None] | None = None
                      ) -> list[tuple[float, int, int]]:
    """Changes with every visit shorter than ``dwell_s`` removed, shortest first: A -> B -> A with a
    short B stays on A; A -> B -> C with a short B goes from A to C when C comes.  The last visit
    (to the end of the trace) is kept."""
    out = list(changes)
    while True:
        lengths = [out[i + 1][0] - out[i][0] for i in range(len(out) - 1)]
        short = [i for i, d in enumerate(lengths) if d < dwell_s]
        if not short:
            return out
        i = min(short, key=lambda j: lengths[j])
        before = out[i - 1][1] if i else first
        if on_hold is not None:
            on_hold(out[i][2], "dwell", before, out[i][1], lengths[i])
        del out[i:i + 2 if out[i + 1][1] == before else i + 1]
