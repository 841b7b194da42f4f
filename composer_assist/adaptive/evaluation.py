"""A cue and the engine judged over real viewer traces, live and planned, against stated targets.

Per trace and mode: congruence at the radius (calibrated when the engine calibrates the viewer,
else as read), the oracle (the best any variant choice could do) and the engine's share of it,
the constrained oracle (the best a sequence keeping what the engine keeps could do: the dwell, the
switch budget as the mode keeps it, the mode's opening rule) and
the engine's share of that, switches per minute and the most in any 60 s (what the switch target
is judged on), A -> B -> A returns within ``RETURN_WINDOW_S``, how far planned mode leads live and
the curve as read, the loudness jump at each transition less the composer's deliberate offsets,
the peak sample and the click excess.  ``summarise`` checks them against ``TARGETS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from composer_assist.core.emotion_span import span_distances, spans

from .quality import loudness_jump

RETURN_WINDOW_S = 15.0  # a return to the variant left this soon after leaving it is thrash
CLICK_TOL = 1e-3  # click excess at or under this (a -60 dBFS step) counts as 0
MOVE_EPS = 0.01  # distance change under which the curve as read is still "not moving"
SEARCH_S = 20.0  # how far a planned switch is matched to a live one, or to the curve's move


@dataclass(frozen=True)
class Targets:
    median_congruence: float = 0.80
    oracle_share: float = 0.90
    switches_per_minute: float = 2.0  # judged on the most switches in any 60 s (a shorter trace: all)
    returns: int = 0
    planned_lead_bars: float = 1.0  # planned ahead of live, at least (median over matched steps)
    ahead_extra_bars: float = 1.0  # planned ahead of the curve as read, at most fade + this
    loudness_jump_lu: float = 1.0
    peak: float = 1.0  # full scale: 0 dBFS
    click: float = CLICK_TOL


TARGETS = Targets()


@dataclass
class TraceEval:
    trace: str
    mode: str
    duration_s: float
    congruence: float
    calibrated: bool  # congruence is the calibrated one
    raw_congruence: float
    oracle: float | None  # against the same (calibrated or as read) curve as ``congruence``
    switches_per_minute: float
    returns: int  # A -> B -> A returns caused by a visit shorter than the dwell (the target: 0)
    all_returns: int = 0  # every A -> B -> A within RETURN_WINDOW_S
    lead_bars: float | None = None  # planned only: median lead over live on matched steps
    ahead_over: float | None = None  # planned only: worst (ahead of the curve - (fade + 1 bar)), s
    loudness_jump: float | None = None  # worst |level step - deliberate offset| at a transition, LU
    music_jump: float | None = None  # worst |short-term after - before| (the music's own movement in)
    peak: float = 0.0
    click_excess: float = 0.0
    # the peak at the cue package's delivery gain (the package plays adapt's samples times it)
    delivered_peak: float | None = None
    failures: list[str] = field(default_factory=list)
    max_switches_window: int = 0  # the most switches starting in any 60 s (a shorter trace: its count)
    constrained_oracle: float | None = None  # the best keeping the dwell, the budget, the opening rule
    window_oracle: float | None = None  # the budget read as N in any 60 s, any opening (None: not computed)
    follower: float | None = None  # live: a follower reacting ``follower_delay_s`` late (quality.follower_congruence)
    follower_delay_s: float | None = None

    @property
    def oracle_share(self) -> float | None:
        return None if not self.oracle else self.congruence / self.oracle

    @property
    def constrained_share(self) -> float | None:
        """The engine's share of the constrained oracle: below 1 the engine is short, while the
        gap between the two oracles is what the budget (and the dwell) costs."""
        return None if not self.constrained_oracle else self.congruence / self.constrained_oracle


def evaluate_pair(live, planned, radius: float, delivery_gain_db: float | None = None) -> list[TraceEval]:
    """Rows for one trace from its live and planned ``AdaptiveResult``s; ``delivery_gain_db``: the
    cue package's gain over ``adapt`` (``package.loudness``), for the peak as a package plays it."""
    rows = [_row(r) for r in (live, planned)]
    if delivery_gain_db is not None:
        for r in rows:
            r.delivered_peak = r.peak * 10.0 ** (delivery_gain_db / 20.0)
    bar_s = _bar_seconds(planned)
    leads = _planned_leads(live, planned)
    rows[1].lead_bars = float(np.median(leads)) / bar_s if leads else None
    rows[1].ahead_over = _ahead_over(planned, bar_s)
    for r in rows:
        r.failures = _failures(r)
    return rows


def _row(result) -> TraceEval:
    q = result.quality
    raw = getattr(q, "raw_congruence", None)  # set when the engine calibrated the viewer
    return TraceEval(
        trace=getattr(result.trace, "name", "") or "trace", mode=result.mode, duration_s=q.duration_s,
        congruence=q.congruence, calibrated=raw is not None,
        raw_congruence=q.congruence if raw is None else raw, oracle=q.oracle_congruence,
        switches_per_minute=q.switches_per_minute, max_switches_window=getattr(q, "max_switches_window", 0),
        constrained_oracle=getattr(q, "constrained_oracle", None), window_oracle=getattr(q, "window_oracle", None),
        follower=getattr(q, "follower_congruence", None), follower_delay_s=getattr(q, "follower_delay_s", None),
        returns=count_returns(result, short=True),
        all_returns=count_returns(result),
        loudness_jump=q.max_level_step, music_jump=_worst_jump(result),
        peak=0.0 if q.peak_dbfs is None else 10.0 ** (q.peak_dbfs / 20.0),
        click_excess=q.click_excess)


def count_returns(result, window_s: float = RETURN_WINDOW_S, short: bool = False) -> int:
    """A -> B -> A: a switch back to the variant the previous switch left, within ``window_s``;
    ``short``: only those caused by a visit shorter than the dwell.

    The engine's own counts (``Quality.returns``, ``short_returns``, adaptive/returns.py) when it
    keeps them; else every return counts, short or not."""
    own = getattr(result.quality, "short_returns" if short else "returns", None)
    if isinstance(own, int):
        return own
    return len(return_switches(result.schedule, result.sample_rate, window_s))


def return_switches(schedule, sample_rate: int, window_s: float = RETURN_WINDOW_S) -> list:
    """The switches that go back to the variant the switch before them left, within ``window_s``."""
    sw = schedule.switches
    return [b for a, b in zip(sw, sw[1:]) if b.target == a.source and (b.sample - a.sample) / sample_rate <= window_s]


def _bar_seconds(result) -> float:
    cue = result.cue
    return cue.tempo.seconds_at(cue.meter.beats_per_bar) - cue.tempo.seconds_at(0.0)


def _planned_leads(live, planned) -> list[float]:
    """Seconds each planned switch arrives before the live switch into the same variant that
    answers the same step (the first one within ``SEARCH_S`` after it, each used once)."""
    sr, used, leads = planned.sample_rate, set(), []
    for p in planned.schedule.switches:
        for j, s in enumerate(live.schedule.switches):
            dt = (s.arrival - p.arrival) / sr
            if j not in used and s.target == p.target and -1e-9 <= dt <= SEARCH_S:
                used.add(j)
                leads.append(dt)
                break
    return leads


def _ahead_over(planned, bar_s: float) -> float | None:
    """Worst (seconds a planned crossfade starts before the curve as read begins to move towards
    its target) - (its fade + one bar); <= 0 keeps the target.  The move is dated back along the
    approach from where the target becomes nearer than the variant the switch leaves, as planned
    mode dates it (``planned.curve_moves_at``)."""
    tr, sr, cue = planned.track, planned.sample_rate, planned.cue
    if not tr.times.size or not planned.schedule.switches:
        return None
    d = span_distances(tr.valence, tr.arousal, *spans(cue.variants))
    worst = -math.inf
    for s in planned.schedule.switches:
        t_sw = s.sample / sr
        # A late switch (held by the dwell or the switch budget) answers the change it was planned
        # for, not the next time the curve comes back to its target.
        t_from = t_sw if s.change_at is None else min(t_sw, s.change_at)
        k = int(np.searchsorted(tr.times, t_from))
        ahead = np.nonzero(d[k:, s.target] < d[k:, s.source])[0]
        if not ahead.size or tr.times[k + ahead[0]] - t_sw > SEARCH_S:
            continue
        i = k + int(ahead[0])
        dist = d[:, s.target]
        while i > 0 and dist[i - 1] >= dist[i] - MOVE_EPS and tr.times[i] > t_sw - SEARCH_S:
            i -= 1  # back along the approach: still moving towards the target
        worst = max(worst, (tr.times[i] - t_sw) - (s.fade / sr + bar_s))
    return None if worst == -math.inf else float(worst)


def _worst_jump(result) -> float | None:
    """Largest |short-term loudness jump - the deliberate offset between the two variants|:
    after the crossfade minus before it, as heard (the music's own movement included)."""
    offsets = [v.level_offset_lu for v in result.cue.variants]
    worst = None
    for s in result.schedule.switches:
        j = loudness_jump(s, result.audio, result.sample_rate)
        if j is not None:
            x = abs(j - (offsets[s.target] - offsets[s.source]))
            worst = x if worst is None else max(worst, x)
    return worst


def _failures(r: TraceEval, t: Targets = TARGETS) -> list[str]:
    out = []
    if r.oracle_share is not None and r.oracle_share < t.oracle_share:
        out.append("oracle")
    if r.max_switches_window > t.switches_per_minute:
        out.append("switches")
    if r.returns > t.returns:
        out.append("returns")
    if r.lead_bars is not None and r.lead_bars < t.planned_lead_bars:
        out.append("lead")
    if r.ahead_over is not None and r.ahead_over > 1e-6:
        out.append("ahead")
    if r.loudness_jump is not None and r.loudness_jump > t.loudness_jump_lu:
        out.append("loudness")
    if max(r.peak, r.delivered_peak or 0.0) > t.peak:
        out.append("peak")
    if r.click_excess > t.click:
        out.append("click")
    return out


def summarise(rows: list[TraceEval], t: Targets = TARGETS) -> list[tuple[str, str, bool]]:
    """(target, what was measured, met) for every target, over all rows."""
    out = []
    for mode in ("live", "planned"):
        rs = [r for r in rows if r.mode == mode]
        if not rs:
            continue
        kind = "calibrated" if all(r.calibrated for r in rs) else "as read (no calibration)"
        med = float(np.median([r.congruence for r in rs]))
        out.append((f"{mode}: median congruence ({kind}) >= {t.median_congruence:.0%}", f"{med:.0%}",
                    med >= t.median_congruence))
        shares = [r.oracle_share for r in rs if r.oracle_share is not None]
        low = min(shares) if shares else 1.0
        out.append((f"{mode}: engine >= {t.oracle_share:.0%} of the oracle on every trace",
                     f"lowest {low:.0%}, {sum(s < t.oracle_share for s in shares)} traces under", low >= t.oracle_share))
        top = max(r.max_switches_window for r in rs)
        mean = max(r.switches_per_minute for r in rs)
        out.append((f"{mode}: switches per minute <= {t.switches_per_minute:g} on every trace (the most in any "
                    f"60 s; a trace under a minute: its count)",
                    f"highest {top} in 60 s (highest average {mean:.2f} per minute)",
                    top <= t.switches_per_minute))
        ret = sum(r.returns for r in rs)
        every = sum(r.all_returns for r in rs)
        out.append((f"{mode}: A->B->A returns after a change shorter than the dwell = {t.returns}",
                    f"{ret} ({every} returns within {RETURN_WINDOW_S:g} s in all)", ret <= t.returns))
    out.extend(_planned_targets([r for r in rows if r.mode == "planned"], t))
    out.extend(_sound_targets(rows, t))
    return out


def constrained_lines(rows: list[TraceEval]) -> list[str]:
    """Not a target, information: the engine against the best a sequence keeping what the engine
    keeps (the dwell, the switch budget as the mode keeps it, the opening rule) could do, so a
    composer sees whether the engine or those rules are short."""
    out = []
    for mode in ("live", "planned"):
        shares = [r.constrained_share for r in rows if r.mode == mode and r.constrained_share is not None]
        gaps = [r.oracle - r.constrained_oracle for r in rows
                if r.mode == mode and r.oracle is not None and r.constrained_oracle is not None]
        if shares:
            out.append(f"  info  {mode}: engine / constrained oracle (dwell, switch budget, opening): median "
                       f"{float(np.median(shares)):.0%}, lowest {min(shares):.0%}, "
                       f"{sum(s < TARGETS.oracle_share for s in shares)} traces under {TARGETS.oracle_share:.0%}; "
                       f"those rules cost the oracle up to {max(gaps):.0%} "
                       f"(median {float(np.median(gaps)):.0%})")
            out.append(_out_of_reach(rows, mode))
    out += _reacting(rows)
    return out


def _reacting(rows: list[TraceEval]) -> list[str]:
    """How many live traces under the oracle target reacting alone leaves there: a follower that
    plays the variant nearest the viewer half a bar and half a crossfade ago, nothing else holding
    it (``quality.follower_congruence``)."""
    t = TARGETS.oracle_share
    live = [r for r in rows if r.mode == "live" and r.follower is not None and r.oracle]
    if not live:
        return []
    under = sum(r.follower < t * r.oracle for r in live)
    delay = float(np.median([r.follower_delay_s for r in live]))
    return [f"  info  live: a follower taking the variant nearest the viewer {delay:.2f} s ago (half a bar and half "
            f"a crossfade: what leaving on a bar line costs before anything is confirmed), nothing else holding "
            f"it, leaves {under} of {len(live)} traces under {t:.0%} of the oracle (benchmarks/live_reaction.py: "
            f"other delays)"]


def _out_of_reach(rows: list[TraceEval], mode: str) -> str:
    """How many traces under the oracle target no sequence keeping what the engine keeps could lift
    over it, and how many not even one keeping the most lenient reading of the budget alone: there
    the per-trace targets conflict with the budget (and the opening the issue asks for), whatever
    the engine does."""
    t = TARGETS.oracle_share
    under = [r for r in rows if r.mode == mode and r.oracle_share is not None and r.oracle_share < t]
    blocked = [r for r in under if r.constrained_oracle is not None and r.constrained_oracle < t * r.oracle]
    window = [r for r in under if r.window_oracle is not None and r.window_oracle < t * r.oracle]
    unknown = sum(r.window_oracle is None for r in under)
    kept = "the budget as its window (a spacing for N >= 3), " + (
        "the nearest opening" if mode == "live" else "an opening within the hysteresis of the nearest")
    return (f"  info  {mode}: of the {len(under)} traces under {t:.0%} of the oracle, {len(blocked)} cannot "
            f"reach it keeping the dwell and what {mode} mode keeps ({kept}; constrained oracle < {t:.0%} "
            f"of the oracle); {len(window)} cannot even with the budget read as a window and any opening "
            f"(at most N switches in any 60 s, the most lenient reading"
            + (f"; {unknown} not computed" if unknown else "") + ")")


def _planned_targets(rs: list[TraceEval], t: Targets) -> list[tuple[str, str, bool]]:
    leads = [r.lead_bars for r in rs if r.lead_bars is not None]
    aheads = [r.ahead_over for r in rs if r.ahead_over is not None]
    low = min(leads) if leads else None
    top = max(aheads) if aheads else None
    return [(f"planned ahead of live >= {t.planned_lead_bars:g} bar on emotion steps",
             "no matched steps" if low is None else f"lowest median lead {low:.2f} bars over {len(leads)} traces",
             low is None or low >= t.planned_lead_bars),
            (f"planned never more than fade + {t.ahead_extra_bars:g} bar ahead of the curve as read",
             "no switches" if top is None else f"worst {top:+.2f} s beyond it",
             top is None or top <= 1e-6)]


def _sound_targets(rows: list[TraceEval], t: Targets) -> list[tuple[str, str, bool]]:
    jumps = [r.loudness_jump for r in rows if r.loudness_jump is not None]
    jump = max(jumps) if jumps else 0.0
    peak = max(r.peak for r in rows)
    delivered = [r.delivered_peak for r in rows if r.delivered_peak is not None]
    top = max([peak, *delivered])
    at = f"; {_dbfs(max(delivered)):+.1f} dBFS as the package plays it (its delivery gain in)" if delivered else ""
    click = max(r.click_excess for r in rows)
    music = max([r.music_jump for r in rows if r.music_jump is not None], default=0.0)
    return [(f"loudness step at transitions <= {t.loudness_jump_lu:g} LU (less deliberate offsets)",
             f"worst {jump:.2f} LU (entering vs leaving variant over the same 3 s; heard before vs after, "
             f"the music's own movement in: {music:.2f} LU)", jump <= t.loudness_jump_lu),
            ("no sample over 0 dBFS", f"peak {_dbfs(peak):+.1f} dBFS in adapt{at}", top <= t.peak),
            ("click excess 0 at every transition, loop wrap and stinger",
             f"worst {click:.5f} (<= {t.click:g} counts as 0)", click <= t.click)]


def _dbfs(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else -math.inf


def _opt(x: float | None, fmt: str) -> str:
    """``x`` formatted, or a dash as wide as the format says."""
    width = "".join(c for c in fmt.split(".")[0] if c.isdigit())
    return format("-", f">{width}") if x is None else format(x, fmt)


def format_table(rows: list[TraceEval], radius: float) -> str:
    """One line per trace and mode, then the summary against the targets."""
    w = min(48, max([5] + [len(r.trace) for r in rows]))
    head = (f"{'trace':<{w}} {'mode':<7} {'dur s':>6} {'cong':>5} {'raw':>5} {'oracle':>6} {'eng/or':>6} "
            f"{'c-orac':>6} {'eng/co':>6} {'sw/min':>6} {'sw/60s':>6} {'ret':>5} {'lead bar':>8} {'ahead s':>7} {'LU':>5} {'heard':>5} {'peak dB':>7} {'click':>7}  fails")
    lines = [f"congruence at radius {radius:g}; cong = calibrated where the engine calibrates, raw = as read; "
             "c-orac = the best keeping the dwell, the switch budget and the opening rule as the mode keeps them, "
             "eng/co = the engine's share of it; "
             "sw/min = average, sw/60s = most in any 60 s (the target is judged on it; a trace under a minute: "
             "its count); ret = A->B->A returns after a change shorter than the dwell / all within 15 s; "
             "lead = planned over live (bars); ahead = planned start before the curve moves, beyond fade + 1 bar; "
             "LU = level step, entering vs leaving variant over the same 3 s; heard = short-term after - before",
             head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.trace[:w]:<{w}} {r.mode:<7} {r.duration_s:>6.0f} {r.congruence:>5.0%} {r.raw_congruence:>5.0%} "
            f"{_opt(r.oracle, '>6.0%')} {_opt(r.oracle_share, '>6.0%')} {_opt(r.constrained_oracle, '>6.0%')} "
            f"{_opt(r.constrained_share, '>6.0%')} {r.switches_per_minute:>6.2f} {r.max_switches_window:>6d} "
            f"{f'{r.returns}/{r.all_returns}':>5} "
            f"{_opt(r.lead_bars, '>8.2f')} {_opt(r.ahead_over, '>+7.2f')} {_opt(r.loudness_jump, '>5.2f')} {_opt(r.music_jump, '>5.2f')} "
            f"{_dbfs(r.peak):>7.1f} {r.click_excess:>7.4f}  {','.join(r.failures) or 'ok'}")
    lines += ["", f"summary over {sum(r.mode == 'live' for r in rows)} traces, "
              f"{sum(r.duration_s for r in rows if r.mode == 'live') / 60:.1f} min:"]
    for target, value, ok in summarise(rows):
        lines.append(f"  {'ok  ' if ok else 'FAIL'}  {target}: {value}")
    lines += constrained_lines(rows)
    return "\n".join(lines)
