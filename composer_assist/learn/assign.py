"""Which cluster a listener belongs to: cold start at the population prior, Bayesian update per event.

``profile_for_listener`` is what ``composer-assist adapt --listener-model MODEL --listener ID``
uses to turn a listener's recent feedback into the ClusterProfile the adaptive policy follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from composer_assist.core.errors import FeedbackError, ModelStoreError
from composer_assist.core.suggest import did_you_mean
from composer_assist.learn.feedback_log import FeedbackLog, events_from_records, load_feedback_log
from composer_assist.core.profile import ClusterProfile

from .features import FEATURE_SCHEMA_VERSION, RATING_LEVELS, event_arrays
from .model import ListenerPreferenceModel
from .store import ModelStore, default_store_dir
from .tables import AssignmentTables, log_posterior, normalise


@dataclass
class Assignment:
    listener: str | None
    cluster: int
    confidence: float  # posterior probability of that cluster
    posterior: np.ndarray
    n_events: int
    profile: ClusterProfile


def load_model_with_meta(model: str | Path, store: str | Path | None = None
                         ) -> tuple[ListenerPreferenceModel, dict[str, Any]]:
    """A verified, type-checked model and its metadata from the store (default: default_store_dir())."""
    st = ModelStore(store if store is not None else default_store_dir())
    obj, meta = st.load(model, expect_feature_version=FEATURE_SCHEMA_VERSION)
    if not hasattr(obj, "profiles_"):
        raise ModelStoreError(f"{st.path_for(model)}: a model fitted on a feature matrix, not on a feedback log "
                              f"(it has no profiles to follow)")
    return obj, meta


def load_model(model: str | Path, store: str | Path | None = None) -> ListenerPreferenceModel:
    """A verified model from the store (``store`` defaults to default_store_dir())."""
    return load_model_with_meta(model, store)[0]


class OnlineAssigner:
    """A listener's cluster posterior, updated one feedback event at a time.

    Built from a fitted model or from AssignmentTables (e.g. read from exported JSON); both use
    the same tables, so they agree with ``assign`` (to rounding: events are added one at a time).
    """

    def __init__(self, model: ListenerPreferenceModel | AssignmentTables):
        self.tables = model if isinstance(model, AssignmentTables) else AssignmentTables.from_model(model)
        self.log_post = np.array(self.tables.log_prior, dtype=np.float64)
        self.n_events = 0

    def observe(self, cue: str, variant: str, valence: float, arousal: float, kept: bool | int | str,
                rating: int | float | None = None) -> np.ndarray:
        """One event, validated as a log row is: kept True/False, 0/1 or keep/skip...; rating None or 1..5."""
        c, j, k, r = self.tables.event_codes(cue, variant, valence, arousal, kept, rating)
        self.log_post += self.tables.log_keep[:, c, j, k] + self.tables.log_rating[:, c, j, r]
        self.n_events += 1
        return self.posterior

    @property
    def posterior(self) -> np.ndarray:
        return normalise(self.log_post)

    @property
    def cluster(self) -> int:
        return int(np.argmax(self.log_post))


def assign(model: ListenerPreferenceModel, events: FeedbackLog | None, listener: str | None = None) -> Assignment:
    """Posterior cluster of one listener from their events (all rows of ``events`` if listener is None)."""
    if events is not None and listener is not None:
        events = events.for_listener(listener)
    post = model.event_posterior(events)
    k = int(np.argmax(post))
    return Assignment(listener, k, float(post[k]), post, 0 if events is None else len(events), model.profiles_[k])


def assign_all(model: ListenerPreferenceModel, events: FeedbackLog) -> list[Assignment]:
    """``assign`` of every listener in ``events``, in the log's listener order, from one pass over
    the log (a ``for_listener`` each was quadratic: 22 s for 20,000 listeners).  Each listener's
    events are summed in the same order as ``assign`` sums them: the same posteriors exactly."""
    ev = event_arrays(events, model.catalog_, model.dwell_median_)
    n = len(events.listener_ids)
    order = np.argsort(ev.listener, kind="stable")  # each listener's events in log order
    counts = np.bincount(ev.listener, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = []
    for i, lid in enumerate(events.listener_ids):
        idx = order[starts[i]:starts[i] + counts[i]]
        post = normalise(log_posterior(model.log_prior_, model.log_keep_, model.log_rating_, ev.context[idx],
                                       ev.variant[idx], ev.kept[idx], ev.rating[idx]))
        k = int(np.argmax(post))
        out.append(Assignment(lid, k, float(post[k]), post, int(counts[i]), model.profiles_[k]))
    return out


def require_listener(log: FeedbackLog, listener: str, source: str | Path) -> None:
    """A listener named with a feedback log must have events in it: a mistyped id would silently
    fall back to the population prior."""
    if listener not in log.listener_ids:
        raise FeedbackError(f"{source}: no events of listener {listener!r}; "
                            f"{did_you_mean(listener, log.listener_ids)}({len(log.listener_ids)} listeners in the log)")


def _as_log(log_or_events: FeedbackLog | str | Path | Sequence[dict[str, Any]] | None) -> FeedbackLog | None:
    if log_or_events is None or isinstance(log_or_events, FeedbackLog):
        return log_or_events
    if isinstance(log_or_events, (str, Path)):
        return load_feedback_log(log_or_events)
    return events_from_records(list(log_or_events))


def profile_for_listener(model_path: str | Path, listener_id: str | None,
                         log_or_events: FeedbackLog | str | Path | Sequence[dict[str, Any]] | None = None,
                         store: str | Path | None = None) -> ClusterProfile:
    """The ClusterProfile for a listener: their events' posterior, or the population prior without any.

    ``model_path`` is a model name or a path inside ``store`` (default: default_store_dir());
    ``log_or_events`` a FeedbackLog, a log file or a list of event dicts (log columns as keys).
    """
    model = load_model(model_path, store)
    return assign(model, _as_log(log_or_events), listener_id).profile


__all__ = ["Assignment", "OnlineAssigner", "assign", "assign_all", "load_model", "load_model_with_meta", "profile_for_listener",
           "require_listener", "RATING_LEVELS"]
