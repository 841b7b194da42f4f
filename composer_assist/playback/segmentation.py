"""Optimal variant sequence for planned mode: a Viterbi segmentation with a minimum visit length.

Planned mode knows the whole curve, so instead of following the nearest variant greedily it picks
the sequence of visits that maximises the summed per-tick gain (time within the congruence
radius, less a little distance to break ties) minus a penalty per switch, with every visit but
the first and the last at least ``min_len`` ticks long (the dwell).

The recursion, with ``C`` the running sum of the gain and ``E[t, v]`` the best score of ticks
``[0, t)`` whose last visit is ``v`` (complete: at least ``min_len`` ticks, or the opening one)::

    A[t, v] = E[t, v] - C[t, v] = max(A[t-1, v],  max_{u != v} E[t-L, u] - P - C[t-L, v])

``A`` at ``t`` reads ``E`` only ``L`` ticks back, so it is computed ``L`` ticks at a time: one
running maximum (``np.maximum.accumulate``) per block, vectorised over variants.  ``max`` is
exact, and every sum is the same sequence of float additions as a tick-by-tick loop, so the web
player's port (player/js/segmentation.js) makes the same choice; ties keep the older visit
(fewer, earlier switches) and, among variants, the lowest index.
"""

from __future__ import annotations

import math

import numpy as np

# The per-tick gain is 1 within the congruence radius, 0 outside, less DISTANCE_WEIGHT times the
# distance: among choices with equal time within the radius, the nearer one wins.
DISTANCE_WEIGHT = 0.3
# The switch penalty, in seconds of congruence: a switch is made only when it gains at least this
# much time within the radius over staying.  Measured on the real viewer traces (docs/adaptive.md).
SWITCH_PENALTY_S = 2.0


def tick_gain(distances: np.ndarray, radius: float, weight: float = DISTANCE_WEIGHT) -> np.ndarray:
    """Per tick and variant: 1 within ``radius`` (0 outside) less ``weight`` times the distance."""
    return (distances <= radius).astype(np.float64) - weight * distances


def gain_sums(gain: np.ndarray) -> np.ndarray:
    """Running sums of ``gain`` from a zero row: row t sums ticks [0, t) (one addition per tick)."""
    csum = np.zeros((gain.shape[0] + 1, gain.shape[1]))
    np.cumsum(gain, axis=0, out=csum[1:])
    return csum


def openings_mask(start: int | np.ndarray | None, nv: int) -> np.ndarray:
    """Which variants may open a sequence: ``start`` as an index, a boolean mask, or None (any)."""
    if start is None:
        return np.ones(nv, dtype=bool)
    if isinstance(start, np.ndarray):
        return start.astype(bool)
    return np.arange(nv) == int(start)


def best_sequence(gain: np.ndarray, start: int | np.ndarray | None, min_len: int, penalty: float
                  ) -> list[tuple[int, int]]:
    """The visits (first tick, variant) maximising the summed ``gain`` less ``penalty`` per switch,
    opening on ``start`` (an index, a mask of the variants that may open, or None: any), every
    visit between two switches at least ``min_len`` ticks long."""
    n, nv = gain.shape
    L = max(1, int(min_len))
    csum = gain_sums(gain)
    A = np.full((n + 1, nv), -math.inf)
    A[0, openings_mask(start, nv)] = 0.0
    src = np.full((n + 1, nv), -1, dtype=np.int64)  # the previous visit's variant where one starts
    A[1:L + 1] = A[0]  # no visit can start before tick 1, nor be complete before tick L + 1
    b = L + 1
    while b <= n:
        e = min(b + L, n + 1)
        m = e - b
        cand, arg = _new_visit(A[b - L:b - L + m] + csum[b - L:b - L + m], penalty, csum[b - L:b - L + m])
        run = np.maximum.accumulate(np.vstack([A[b - 1:b], cand]), axis=0)
        A[b:e] = run[1:]
        fresh = cand > run[:-1]
        src[b:e] = np.where(fresh, arg, -1)
        b = e
    return _trace_back(A, csum, src, gain, start, L, penalty)


def _new_visit(E: np.ndarray, penalty: float, c0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``E`` (complete scores at the new visit's first tick): the best score of a new
    visit of each variant from a different one, less the penalty and the running sum there, and
    the variant it comes from."""
    best, arg = best_of_others(E)
    return (best - penalty) - c0, arg


def best_of_others(E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``E`` (rows, variants) and variant: the largest value among the other variants
    (-inf with one variant), and which one (ties: the lowest index)."""
    nv = E.shape[1]
    i1 = np.argmax(E, axis=1)
    rows = np.arange(E.shape[0])
    m1 = E[rows, i1]
    if nv > 1:
        rest = E.copy()
        rest[rows, i1] = -math.inf
        i2 = np.argmax(rest, axis=1)
        m2 = rest[rows, i2]
    else:
        i2, m2 = i1, np.full(E.shape[0], -math.inf)
    own = np.arange(nv)[None, :] == i1[:, None]
    return np.where(own, m2[:, None], m1[:, None]), np.where(own, i2[:, None], i1[:, None])


def _trace_back(A: np.ndarray, csum: np.ndarray, src: np.ndarray, gain: np.ndarray, start, L: int,
                penalty: float) -> list[tuple[int, int]]:
    n = gain.shape[0]
    E = A[n] + csum[n]
    v = int(np.argmax(E))
    best, t, tail = float(E[v]), n, []
    # A last visit may be shorter than the dwell (nothing follows it): its first tick s > n - L.
    for s in range(max(1, n - L + 1), n):
        prev = A[s] + csum[s]
        for w in range(gain.shape[1]):
            for u in range(gain.shape[1]):
                if u == w:
                    continue
                score = ((prev[u] - penalty) - csum[s, w]) + csum[n, w]
                if score > best:
                    best, t, v, tail = score, s, u, [(s, w)]
    visits = list(tail)
    fresh = [np.flatnonzero(src[:, w] >= 0) for w in range(gain.shape[1])]  # where a visit of w starts + L
    while t > 0:
        i = int(np.searchsorted(fresh[v], t, side="right")) - 1
        if i < 0:
            break  # the opening visit, from tick 0
        t = int(fresh[v][i])
        visits.append((t - L, v))
        t, v = t - L, int(src[t, v])
    visits.append((0, v))  # the opening visit (one of ``start`` when given)
    return visits[::-1]


def per_tick(visits: list[tuple[int, int]], n: int) -> np.ndarray:
    """The variant of the visits (first tick, variant) at each of ``n`` ticks."""
    chosen = np.zeros(n, dtype=np.int64)
    for k, v in visits:
        chosen[k:] = v
    return chosen


def sequence_total(gain: np.ndarray, visits: list[tuple[int, int]]) -> float:
    """The summed ``gain`` of a visit sequence (first tick, variant), to the last tick."""
    ends = [k for k, _ in visits[1:]] + [gain.shape[0]]
    return float(sum(gain[k:e, v].sum() for (k, v), e in zip(visits, ends)))


def best_total(gain: np.ndarray, min_len: int, start: int | np.ndarray | None = None) -> float:
    """The largest summed ``gain`` any visit sequence reaches, opening on one of ``start`` (None:
    any variant), with no switch penalty and every visit between two switches at least ``min_len``
    ticks (exact)."""
    if not gain.shape[0]:
        return 0.0
    return sequence_total(gain, best_sequence(gain, start, min_len, 0.0))
