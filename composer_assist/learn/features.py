"""Per-listener features from a feedback log, and per-event quantities shared with the profiles.

Each event gets a *liking* score in [-1, 1] from whatever responses it has: kept (+1) or skipped
(-1), the explicit rating ((r - 3) / 2) and the dwell time (tanh of log dwell over the log's median).
Per listener and emotion context the features are, shrunk toward 0 by a prior count so that a
listener with few events in a context looks neutral there:

Features come pooled over all contexts (``all:...``) and per context (``<context>:...``):

* ``<context>:tag:<tag>`` -- how much more than their average the listener liked variants with the tag;
* ``<context>:valence`` / ``<context>:arousal`` -- liking-weighted offset of the variant's emotion
  from the scene's (positive = liked music brighter / more aroused than the scene).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from composer_assist.learn.feedback_log import FeedbackLog
from composer_assist.core.profile import CONTEXTS

from .catalog import VariantCatalog

FEATURE_SCHEMA_VERSION = 1
N_CONTEXTS = len(CONTEXTS)
RATING_LEVELS = 6  # 0 = no rating, 1..5


@dataclass
class EventArrays:
    """Per-event arrays in catalog terms (what features, tables and profiles are computed from)."""

    listener: np.ndarray  # codes into listener_ids
    listener_ids: list[str]
    context: np.ndarray  # index into CONTEXTS
    variant: np.ndarray  # index into catalog.variants
    kept: np.ndarray
    rating: np.ndarray  # int 0 (none) or 1..5
    liking: np.ndarray
    dv: np.ndarray  # variant valence - scene valence
    da: np.ndarray
    scene_v: np.ndarray
    scene_a: np.ndarray
    timestamp: np.ndarray

    def __len__(self) -> int:
        return int(self.listener.shape[0])

    def take(self, index: np.ndarray) -> "EventArrays":
        kw = {k: getattr(self, k)[index] for k in ("listener", "context", "variant", "kept", "rating",
                                                     "liking", "dv", "da", "scene_v", "scene_a", "timestamp")}
        return EventArrays(listener_ids=self.listener_ids, **kw)


def context_index(valence: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """Index into core.profile.CONTEXTS, the same quadrant rule as core.profile.context_of."""
    high = np.asarray(arousal) >= 0
    pos = np.asarray(valence) >= 0
    return np.where(high, np.where(pos, 0, 1), np.where(pos, 2, 3)).astype(np.int8)


def event_arrays(log: FeedbackLog, catalog: VariantCatalog, dwell_median: float | None = None) -> EventArrays:
    """Map a validated log onto the catalog (unknown cue/variant pairs raise FeedbackError)."""
    var = catalog.index_of_rows(log)
    var_v, var_a, _ = catalog.arrays()
    rating = np.nan_to_num(log.rating, nan=0.0).astype(np.int8)
    return EventArrays(
        listener=log.listener, listener_ids=log.listener_ids, context=context_index(log.valence, log.arousal),
        variant=var, kept=log.kept, rating=rating,
        liking=liking_score(log.kept, log.rating, log.dwell, dwell_median),
        dv=var_v[var] - log.valence, da=var_a[var] - log.arousal, scene_v=log.valence, scene_a=log.arousal,
        timestamp=log.timestamp)


def liking_score(kept: np.ndarray, rating: np.ndarray, dwell: np.ndarray, dwell_median: float | None = None) -> np.ndarray:
    keep = 2.0 * kept - 1.0
    has_rating = ~np.isnan(rating)
    # the training median, also when it is 0 (most skips logged with dwell 0); else this batch's own
    med = dwell_median if dwell_median is not None else float(np.median(dwell)) if dwell.size else 1.0
    dw = np.tanh(np.log((dwell + 1.0) / (max(med, 0.0) + 1.0)))
    total = keep + 0.5 * dw + np.where(has_rating, (np.nan_to_num(rating, nan=3.0) - 3.0) / 2.0, 0.0)
    return total / (1.5 + has_rating)


def feature_names(catalog: VariantCatalog) -> list[str]:
    names = [f"all:tag:{t}" for t in catalog.tags] + ["all:valence", "all:arousal"]
    for c in CONTEXTS:
        names += [f"{c}:tag:{t}" for t in catalog.tags] + [f"{c}:valence", f"{c}:arousal"]
    return names


def listener_features(ev: EventArrays, catalog: VariantCatalog, prior_count: float = 2.0) -> np.ndarray:
    """(n_listeners, n_features) matrix in the order of ``feature_names``; vectorised with bincount."""
    n_l = len(ev.listener_ids)
    pooled = _group_features(ev.listener.astype(np.int64), n_l, ev, catalog, prior_count)
    per_context = _group_features(ev.listener.astype(np.int64) * N_CONTEXTS + ev.context, n_l * N_CONTEXTS,
                                  ev, catalog, prior_count)
    return np.hstack([pooled, per_context.reshape(n_l, -1)])


def _group_features(group: np.ndarray, size: int, ev: EventArrays, catalog: VariantCatalog,
                    prior_count: float) -> np.ndarray:
    _, _, onehot = catalog.arrays()
    n_tags = onehot.shape[1]
    count = np.bincount(group, minlength=size)
    mean_like = np.bincount(group, weights=ev.liking, minlength=size) / np.maximum(count, 1)
    centred = ev.liking - mean_like[group]
    denom = count + prior_count
    per_group = np.empty((size, n_tags + 2))
    tag_rows = onehot[ev.variant]
    for t in range(n_tags):
        per_group[:, t] = np.bincount(group, weights=centred * tag_rows[:, t], minlength=size) / denom
    per_group[:, n_tags] = np.bincount(group, weights=centred * ev.dv, minlength=size) / denom
    per_group[:, n_tags + 1] = np.bincount(group, weights=centred * ev.da, minlength=size) / denom
    return per_group
