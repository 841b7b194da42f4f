"""The listener-assignment formula and event codes shared by the learner (``learn``) and the package runtime."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# the feedback log's words for kept (1) and skipped (0)
KEPT_WORDS = {"1": 1, "0": 0, "keep": 1, "kept": 1, "skip": 0, "skipped": 0, "true": 1, "false": 0,
              "yes": 1, "no": 0, "1.0": 1, "0.0": 0}


def log_posterior(log_prior: np.ndarray, log_keep: np.ndarray, log_rating: np.ndarray, context: np.ndarray,
                  variant: np.ndarray, kept: np.ndarray, rating: np.ndarray) -> np.ndarray:
    """Unnormalised log posterior over clusters of one listener's coded events (the one formula
    shared by the model, ``OnlineAssigner``, the JSON path and the package runtime, so all agree exactly)."""
    lp = np.array(log_prior, dtype=np.float64)
    if len(context):
        lp += log_keep[:, context, variant, kept].sum(axis=1)
        lp += log_rating[:, context, variant, rating].sum(axis=1)
    return lp


def normalise(log_post: np.ndarray) -> np.ndarray:
    """Probabilities from an unnormalised log posterior."""
    p = np.exp(log_post - log_post.max())
    return p / p.sum()


def kept_code(value: Any) -> int:
    """1 kept / 0 skipped from a bool, 0/1 or the log's words (keep/skip, true/false...); -1 if none of those."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value) if value in (0, 1) else -1
    if isinstance(value, float):
        return int(value) if value in (0.0, 1.0) else -1
    if isinstance(value, str):
        return KEPT_WORDS.get(value.strip().lower(), -1)
    return -1


def rating_code(value: Any) -> int:
    """0 for no rating (None / NaN), else the whole number 1..5; -1 for anything else."""
    if value is None or isinstance(value, (float, np.floating)) and math.isnan(value):
        return 0
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return -1
    return int(value) if value == int(value) and 1 <= value <= 5 else -1
