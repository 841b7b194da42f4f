"""How much of the viewers' time a cue's variants cover, and where a variant is missing.

A moment of a trace is *covered* when some variant's emotion (its target, or for a variant whose
arousal follows intensity the nearest point of its arousal span, core.emotion_span) lies within
the radius (the cue's ``adaptive.congruence_radius`` by default) of the trace there: the best any
variant choice could do (the quality figure ``oracle_congruence``).  Traces are read as the quality
figures read them: interpolated (not smoothed) at the cue's control rate.  Moments inside a long
gap marked invalid on load are left out (their values are only held).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from composer_assist.core.emotion_span import span_distances, spans
from composer_assist.core.errors import TraceError
from composer_assist.core.project import Cue
from composer_assist.playback.policy import control_ticks

GRID_STEP = 0.025  # candidate centres for a new variant, and the bins their gain is counted in
MIN_GAIN = 0.02  # a suggestion must cover at least this share of the time more
MAX_SUGGESTIONS = 3


def within_any(valence: np.ndarray, arousal: np.ndarray, variants, radius: float) -> np.ndarray:
    """Per point: can some variant express an emotion within ``radius``?  (Its target, or the
    nearest point of its arousal span, core.emotion_span; unweighted, as congruence.)"""
    valence = np.asarray(valence, dtype=np.float64)
    if not len(variants):
        return np.zeros(valence.shape, dtype=bool)
    return np.min(span_distances(valence, arousal, *spans(variants)), axis=1) <= radius


@dataclass
class TraceCoverage:
    name: str
    duration_s: float  # seconds counted (valid ticks / control rate)
    covered: float  # share of those seconds some variant is within the radius
    nearest: dict[str, float]  # share of the time each variant is the nearest one within the radius


@dataclass
class Suggestion:
    valence: float
    arousal: float
    gain: float  # share of all the time newly covered (after the suggestions before it)


@dataclass
class Coverage:
    cue: str
    radius: float
    variants: list[tuple[str, float, float, float, float]]  # (name, valence, arousal, lowest, highest arousal)
    traces: list[TraceCoverage]
    overall: float  # share of all the traces' time pooled (a long trace weighs more)
    mean_per_trace: float
    points: np.ndarray  # (n, 2) valence, arousal of every counted tick, all traces
    covered_mask: np.ndarray  # (n,) bool
    suggestions: list[Suggestion] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"cue": self.cue, "radius": self.radius, "overall": round(self.overall, 4),
                "mean_per_trace": round(self.mean_per_trace, 4),
                "variants": [{"name": n, "valence": v, "arousal": a, "arousal_span": [lo, hi]}
                             for n, v, a, lo, hi in self.variants],
                "traces": [{"name": t.name, "duration_s": round(t.duration_s, 2), "covered": round(t.covered, 4),
                            "nearest": {k: round(x, 4) for k, x in t.nearest.items()}} for t in self.traces],
                "suggestions": [{"valence": round(s.valence, 3), "arousal": round(s.arousal, 3),
                                 "gain": round(s.gain, 4)} for s in self.suggestions]}


def trace_points(trace, cue: Cue) -> np.ndarray:
    """(ticks, 2) valence and arousal at the control rate, interpolated; invalid moments left out."""
    ticks, rel, _ = control_ticks(trace, cue)
    v = np.interp(ticks, rel, np.asarray(trace.valence, dtype=np.float64))
    a = np.interp(ticks, rel, np.asarray(trace.arousal, dtype=np.float64))
    keep = np.ones(ticks.shape, dtype=bool)
    if getattr(trace, "valid", None) is not None:
        # A tick is valid when the row at or before it is (a marked gap holds its value).
        idx = np.clip(np.searchsorted(rel, ticks, side="right") - 1, 0, rel.size - 1)
        keep = np.asarray(trace.valid, dtype=bool)[idx]
    return np.column_stack([v, a])[keep]


def compute_coverage(cue: Cue, traces: list, radius: float | None = None,
                     max_suggestions: int = MAX_SUGGESTIONS, min_gain: float = MIN_GAIN) -> Coverage:
    """Coverage of ``traces`` (``core.trace.Trace``) by the variants of ``cue``."""
    r = float(cue.adaptive.congruence_radius if radius is None else radius)
    if not (r > 0 and math.isfinite(r)):
        raise TraceError(f"the radius must be a positive number, got {r:g}")
    if not traces:
        raise TraceError("no traces given")
    names = [v.name for v in cue.variants]
    tv, lo, hi = spans(cue.variants)
    rate = float(cue.adaptive.control_rate)
    per, pts, masks = [], [], []
    for i, trace in enumerate(traces):
        p = trace_points(trace, cue)
        name = getattr(trace, "name", "") or f"trace {i + 1}"
        if not p.shape[0]:
            raise TraceError(f"{name}: no valid samples to measure")
        d = span_distances(p[:, 0], p[:, 1], tv, lo, hi)
        cov = np.min(d, axis=1) <= r
        near = np.argmin(d, axis=1)
        per.append(TraceCoverage(name, p.shape[0] / rate, float(np.mean(cov)),
                                 {n: float(np.mean(cov & (near == j))) for j, n in enumerate(names)}))
        pts.append(p)
        masks.append(cov)
    points, covered = np.concatenate(pts), np.concatenate(masks)
    spans_of = [(v.name, v.valence, v.arousal, float(a), float(b)) for v, a, b in zip(cue.variants, lo, hi)]
    return Coverage(cue.name, r, spans_of, per, float(np.mean(covered)),
                    float(np.mean([t.covered for t in per])), points, covered,
                    suggest(points, covered, r, max_suggestions, min_gain))


def suggest(points: np.ndarray, covered: np.ndarray, radius: float, max_suggestions: int = MAX_SUGGESTIONS,
            min_gain: float = MIN_GAIN) -> list[Suggestion]:
    """Greedy: the centre (in [-1, 1]^2) whose radius holds the most uncovered time, then the
    next given that one, while each adds at least ``min_gain`` of the time."""
    n = points.shape[0]
    left = ~np.asarray(covered, dtype=bool)
    out: list[Suggestion] = []
    grid = np.arange(-1.0, 1.0 + GRID_STEP / 2, GRID_STEP)
    cv, ca = (g.ravel() for g in np.meshgrid(grid, grid, indexing="ij"))
    for _ in range(max_suggestions):
        if not n or not left.any():
            break
        # Uncovered time binned on the grid (exact counts are taken for the chosen centre).
        u = points[left]
        iv = np.clip(np.round((u[:, 0] + 1.0) / GRID_STEP).astype(np.int64), 0, grid.size - 1)
        ia = np.clip(np.round((u[:, 1] + 1.0) / GRID_STEP).astype(np.int64), 0, grid.size - 1)
        cells, weight = np.unique(iv * grid.size + ia, return_counts=True)
        bv, ba = grid[cells // grid.size], grid[cells % grid.size]
        best = np.zeros(cv.size)
        for s in range(0, cv.size, 256):
            d = np.hypot(cv[s:s + 256, None] - bv[None, :], ca[s:s + 256, None] - ba[None, :])
            best[s:s + 256] = (d <= radius) @ weight
        k = int(np.argmax(best))
        c = np.array([cv[k], ca[k]])
        # One mean-shift step: the middle of the time it would hold, if that holds no less.
        inside = np.hypot(*(u - c).T) <= radius
        if inside.any():
            m = np.clip(u[inside].mean(axis=0), -1.0, 1.0)
            if np.sum(np.hypot(*(u - m).T) <= radius) >= np.sum(inside):
                c = m
        gained = left & (np.hypot(*(points - c).T) <= radius)
        gain = float(np.sum(gained)) / n
        if gain < min_gain:
            break
        out.append(Suggestion(float(c[0]), float(c[1]), gain))
        left &= ~gained
    return out


def format_coverage(c: Coverage) -> str:
    """Lines a composer can read."""
    width = max([len(t.name) for t in c.traces] + [5])
    lines = [f"cue {c.cue!r}: {len(c.variants)} variants, radius {c.radius:g} "
             f"(the share of time some variant's emotion is within {c.radius:g} of the trace)",
             f"{'trace':<{width}} {'length':>9} {'covered':>8}   nearest variant within the radius"]
    for t in c.traces:
        near = ", ".join(f"{k} {x:.0%}" for k, x in sorted(t.nearest.items(), key=lambda kv: -kv[1]) if x > 0)
        lines.append(f"{t.name:<{width}} {t.duration_s:>8.0f}s {t.covered:>8.0%}   {near or '-'}")
    total = sum(t.duration_s for t in c.traces)
    lines.append(f"{'overall':<{width}} {total:>8.0f}s {c.overall:>8.0%}   (pooled time; mean over traces "
                 f"{c.mean_per_trace:.0%})")
    if not c.suggestions:
        lines.append("no variant missing: no spot would cover "
                     f"{MIN_GAIN:.0%} more of the viewers' time" if c.overall < 1 else "every moment is covered")
    for i, s in enumerate(c.suggestions):
        more = "more" if i == 0 else "more again"
        lines.append(f"{'add' if i == 0 else 'then'} a variant near valence {s.valence:+.2f}, arousal "
                     f"{s.arousal:+.2f} (covers {s.gain:.0%} {more} of the viewers' time)"
                     + (": the spot whose radius holds the most uncovered time" if i == 0 else ""))
    return "\n".join(lines)
