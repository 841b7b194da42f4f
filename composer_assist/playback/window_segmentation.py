"""Planned mode's variant sequence with the switch budget kept as a sliding window (N = 2).

``adaptive.max_switches_per_minute = 2`` says at most two switches start in any 60 s.  A spacing
(30 s between any two, ``budget.py``) forbids two switches 10 s apart followed by a long visit,
which is what a short scene that turns twice needs.  Planned mode knows the whole curve, so it
keeps the window itself: with switch ticks s_1 < s_2 < ..., the rule is
s_{i+2} - s_i >= W, i.e. two consecutive gaps g_i + g_{i+1} >= W, and every visit between two
switches is at least the dwell L (the opening and the last visit may be shorter).

The recursion runs over switches: the state after a switch is (its slot, the variant entered, the
gap before it), the gap capped at Cs = W - L (a gap that long, or none, allows any next gap >= L).
Switches fall on a grid of ``step`` ticks (half a second, ``grid_ticks``: finer than the musical
boundaries they are placed on, and the same number of slots and gap states whatever the control
rate; the oracle's grid is a tenth of a second).  With ``C`` the running sums of the gain at
each slot and ``H[J, w, g]`` the best total of ticks [0, J) switching into w at slot J after a gap
of g slots, less ``C[J, w]``::

    H[J, w', g'] = max_{w != w'} max_{g >= W - g'} H[J - g', w, g] + C[J, w] - P - C[J, w']

for L <= g' < Cs; a gap g' >= Cs allows any g, so that case reads a running maximum over the slots
at least Cs back.  Each slot reads suffix maxima (over g) of the Cs slots before it, and only slots
at least L back, so L slots are computed at once: O(slots x Cs x V) time, O(Cs^2 x V) floats of
state, and two bytes per (slot, variant, gap) to trace back (on the half-second grid; about 16 MB
for 2 hours).  One segmentation of the whole 2-hour film (14 000 slots) takes about a quarter of a
second.  Gaps are whole slots, rounded
up from ticks, so every sequence kept is inside the window in ticks.  Ties keep the lowest variant
index and, among gaps, the shortest; the web player's ``segmentation.js`` does the same additions
and maxima one slot at a time.
"""

from __future__ import annotations

import math

import numpy as np

from .segmentation import best_of_others, gain_sums, openings_mask

GRID_S = 0.5  # planned mode's switches fall on a grid this fine


def grid_ticks(rate: float, seconds: float = GRID_S) -> int:
    """The grid step in control ticks at ``rate`` Hz (at least one tick)."""
    return max(1, int(round(seconds * rate)))


def best_sequence_window(gain: np.ndarray, start: int | np.ndarray | None, min_len: int, window: int,
                         penalty: float, step: int = 5) -> list[tuple[int, int]]:
    """The visits (first tick, variant) maximising the summed ``gain`` less ``penalty`` per
    switch, opening on one of ``start`` (an index, a mask, or None: any), with at most two switch
    starts in any ``window`` ticks, every visit between two switches at least ``min_len`` ticks,
    and every switch on a multiple of ``step`` ticks."""
    return _solve(gain, start, min_len, window, penalty, step, True)[1]


def best_total_window2(gain: np.ndarray, min_len: int, window: int, start: int | np.ndarray | None = None,
                       step: int = 1) -> float:
    """The largest summed ``gain`` of any visit sequence opening on one of ``start`` (None: any)
    with at most two switch starts in any ``window`` ticks and every visit between two switches at
    least ``min_len`` ticks, switches on multiples of ``step`` ticks (1: exact), no penalty."""
    return _solve(gain, start, min_len, window, 0.0, step, False)[0]


def _solve(gain: np.ndarray, start, min_len: int, window: int, penalty: float, step: int,
           trace: bool) -> tuple[float, list[tuple[int, int]]]:
    n, nv = gain.shape
    q = max(1, int(step))
    cs = gain_sums(gain)
    allowed = openings_mask(start, nv)
    opening = np.where(allowed, cs[n], -math.inf)
    slots = (n - 1) // q  # switch slots 1..slots, at tick J q (before the last tick)
    if slots < 1 or nv < 2:
        return float(opening.max()), [(0, int(np.argmax(opening)))]
    Ls = max(1, -(-int(min_len) // q))
    Ws = -(-int(window) // q)
    Cs = max(Ws - Ls, Ls)  # a gap of Cs slots or more (or none) allows any next gap >= Ls
    R = Cs + 1
    C = cs[q * np.arange(slots + 1)]
    ring = np.full((R, nv, R), -math.inf)  # per recent slot, variant, g: max of H over gaps >= g
    ring_at = np.zeros((R, nv, R), dtype=np.int64)  # the (shortest) gap that maximum is reached at
    # per slot and variant, the best H over gaps up to it (prefix maximum over slots), its slot, its gap
    top = np.full((slots + 1, nv), -math.inf)
    top_j, top_g = np.zeros((slots + 1, nv), dtype=np.int64), np.zeros((slots + 1, nv), dtype=np.int64)
    if trace:
        # the variant switched from, and its state's gap (-1: the opening): a byte each where they fit
        back_w = np.zeros((slots + 1, nv, R), dtype=np.int8 if nv <= 127 else np.int32)
        back_g = np.zeros((slots + 1, nv, R), dtype=np.int8 if R <= 127 else np.int32)
        back_j = np.zeros((slots + 1, nv), dtype=np.int32)  # its slot, for the capped gap
    best, end = float(opening.max()), None
    gaps = np.arange(Ls, Cs)
    cols = np.arange(R)
    # A slot reads only slots at least Ls back, so Ls slots are computed at a time.
    for b in range(1, slots + 1, Ls):
        Js = np.arange(b, min(b + Ls, slots + 1))
        B = Js.size
        CJ = C[Js]  # (B, variants)
        val = np.full((B, nv, R), -math.inf)
        src = np.zeros((B, nv, R), dtype=np.int64)
        src_g = np.full((B, nv, R), -1, dtype=np.int64)
        src_j = np.zeros((B, nv), dtype=np.int64)
        # the first switch, from the opening visit
        first, frm = best_of_others(np.where(allowed[None, :], CJ, -math.inf))
        val[:, :, Cs], src[:, :, Cs] = first - penalty, frm
        # a gap of Cs slots or more after an earlier switch: the window cannot bind
        back = Js - Cs
        late = back >= 1
        if late.any():
            jb = back[late]
            cand, frm = best_of_others((top[jb] + CJ[late]) - penalty)
            rows = np.flatnonzero(late)
            better = cand > val[rows, :, Cs]
            r, w = np.nonzero(better)
            u = frm[r, w]
            val[rows[r], w, Cs] = cand[r, w]
            src[rows[r], w, Cs] = u
            src_g[rows[r], w, Cs] = top_g[jb[r], u]
            src_j[rows[r], w] = top_j[jb[r], u]
        # a gap g' in [Ls, Cs) after a switch at J - g' whose own gap was at least Ws - g'
        if gaps.size:
            j0 = Js[:, None] - gaps[None, :]  # (B, gaps)
            rows, need = j0 % R, np.broadcast_to(np.clip(Ws - gaps, 0, Cs), j0.shape)
            prev = ring[rows, :, need]  # (B, gaps, variants)
            prev[j0 < 1] = -math.inf
            cand, frm = best_of_others(((prev + CJ[:, None, :]) - penalty).reshape(-1, nv))
            cand, frm = cand.reshape(B, gaps.size, nv), frm.reshape(B, gaps.size, nv)
            val[:, :, Ls:Cs] = cand.transpose(0, 2, 1)
            src[:, :, Ls:Cs] = frm.transpose(0, 2, 1)
            at = ring_at[rows[:, :, None], frm, need[:, :, None]]  # (B, gaps, variants)
            src_g[:, :, Ls:Cs] = at.transpose(0, 2, 1)
        H = val - CJ[:, :, None]
        if trace:
            back_w[Js], back_g[Js], back_j[Js] = src, src_g, src_j
        tot = H + cs[n][None, :, None]  # the sequence ends with this visit
        k = int(np.argmax(tot))
        if tot.flat[k] > best:
            best, end = float(tot.flat[k]), (int(Js[k // (nv * R)]), (k // R) % nv, k % R)
        # suffix maxima over the gap, and the shortest gap reaching each
        rev = H[:, :, ::-1]
        acc = np.maximum.accumulate(rev, axis=2)
        ring[Js % R] = acc[:, :, ::-1]
        ring_at[Js % R] = (Cs - np.maximum.accumulate(np.where(rev == acc, cols, 0), axis=2))[:, :, ::-1]
        # the running best over slots for the capped gap (the earliest slot on ties)
        hm, hg = acc[:, :, -1], ring_at[Js % R][:, :, 0]
        for i, J in enumerate(Js.tolist()):
            take = hm[i] > top[J - 1]
            top[J] = np.where(take, hm[i], top[J - 1])
            top_j[J] = np.where(take, J, top_j[J - 1])
            top_g[J] = np.where(take, hg[i], top_g[J - 1])
    if not trace:
        return best, []
    if end is None:
        return best, [(0, int(np.argmax(opening)))]
    J, w, g = end
    visits = []
    while True:
        visits.append((J * q, w))
        u, ug = int(back_w[J, w, g]), int(back_g[J, w, g])
        if ug < 0:
            visits.append((0, u))
            return best, visits[::-1]
        J, w, g = (J - g if g < Cs else int(back_j[J, w])), u, ug
