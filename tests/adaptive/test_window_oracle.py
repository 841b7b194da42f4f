"""The window oracle: the best sequence with at most N switches in any window, exact (brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from composer_assist.adaptive.window_oracle import best_total_window
from composer_assist.playback.segmentation import best_total


def _brute(gain: np.ndarray, min_len: int, window: int, per_window: int) -> float:
    n, nv = gain.shape
    best = -np.inf
    for k in range(n):
        for times in itertools.combinations(range(1, n), k):
            if any(b - a < min_len for a, b in zip(times, times[1:])):
                continue
            if any(times[i + per_window] - times[i] < window for i in range(len(times) - per_window)):
                continue
            for seq in itertools.product(range(nv), repeat=k + 1):
                if any(a == b for a, b in zip(seq, seq[1:])):
                    continue
                bounds = (0, *times, n)
                best = max(best, sum(gain[bounds[i]:bounds[i + 1], v].sum() for i, v in enumerate(seq)))
    return float(best)


@pytest.mark.parametrize("seed", range(12))
def test_it_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, nv = int(rng.integers(6, 11)), int(rng.integers(2, 4))
    gain = (rng.random((n, nv)) < 0.5).astype(np.float64)
    min_len, window = int(rng.integers(1, 3)), int(rng.integers(3, 8))
    got = best_total_window(gain, min_len, window, 2)
    assert got == pytest.approx(_brute(gain, min_len, window, 2)), (n, nv, min_len, window)


def test_it_is_at_least_the_spacing_and_at_most_the_free_oracle():
    rng = np.random.default_rng(5)
    gain = (rng.random((400, 4)) < 0.4).astype(np.float64)
    w = best_total_window(gain, 5, 60, 2)
    assert best_total(gain, 30) <= w <= best_total(gain, 5) <= gain.max(axis=1).sum()
    assert best_total_window(gain, 5, 60, 1) == best_total(gain, 60)
    assert best_total_window(gain, 5, 60, 3) is None


def test_two_quick_switches_then_a_pause_are_allowed():
    # A at 0-10, B at 10-20, A again from 20: two switches 10 ticks apart; the spacing of 30 would
    # forbid them, the window of 60 with 2 allowed does not.
    gain = np.zeros((90, 2))
    gain[:10, 0] = gain[10:20, 1] = gain[20:, 0] = 1.0
    assert best_total_window(gain, 5, 60, 2) == 90.0
    assert best_total(gain, 30) < 90.0
