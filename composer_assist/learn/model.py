"""ListenerPreferenceModel: a scikit-learn clusterer of listeners by taste, with per-cluster profiles.

``fit`` accepts either a feature matrix (plain scikit-learn use) or a validated FeedbackLog, from
which it builds per-listener features (``features.py``), clusters them in a Pipeline (scaling,
PCA, GaussianMixture / KMeans / MiniBatchKMeans), chooses the number of clusters by BIC or
silhouette when ``n_clusters="auto"``, and -- for logs -- learns per-cluster event likelihoods
(for Bayesian online assignment) and readable ClusterProfiles.

Cluster ids are stable: after every fit (and every ``partial_fit`` batch) clusters are numbered by
size, largest first, equal sizes ordered by their centre in feature space (see ``_renumber``), so
two fits of the same data with different seeds give the same number to the same group.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from composer_assist.core.errors import FeedbackError
from composer_assist.learn.feedback_log import FeedbackLog

from .catalog import VariantCatalog, default_catalog
from .cluster_arrays import take_clusters
from .features import (FEATURE_SCHEMA_VERSION, EventArrays, event_arrays, feature_names, listener_features)
from .profiles import ClusterStats
from .tables import log_posterior, normalise

METHODS = ("gmm", "kmeans", "minibatch")
# Clusters a model may have.  Loading refuses more (a forged count must not size anything), so
# fitting does too: a model that could not be loaded again must not be saved.  Taste groups
# of at least 50 listeners each (the default minimum size) are far fewer than this.
MAX_CLUSTERS = 100

FLAT_FEATURE = 1e-9  # a listener feature spread less than this carries no signal


class LearnInputError(FeedbackError, ValueError):
    """Data or parameters a model cannot be fitted with: a one-line user error, and a ValueError for sklearn."""


def _source(X: Any) -> str:
    return f"{X.source}: " if isinstance(X, FeedbackLog) else ""


class ListenerPreferenceModel(ClusterMixin, TransformerMixin, BaseEstimator):
    """Cluster listeners by taste.

    Parameters
    ----------
    n_clusters : int or "auto" -- "auto" tries 1..max_clusters (2.. for k-means) and keeps the best.
    max_clusters : largest number of clusters tried by "auto".
    method : "gmm" (GaussianMixture, chosen by BIC), "kmeans" (KMeans, silhouette) or "minibatch"
        (MiniBatchKMeans, silhouette; the only method with ``partial_fit``, for logs too big to
        hold at once).
    n_components : PCA components between scaling and clustering (gmm / kmeans); capped by the data.
    covariance_type : GaussianMixture covariance type.
    selection_sample : model selection runs on at most this many listeners, the final fit on all.
    batch_size : MiniBatchKMeans batch size.
    prior_count : pseudo-events that shrink a listener's features toward neutral.
    catalog : VariantCatalog of the variants in the log (default: the built-in four variants).
    random_state : seed or RandomState.
    """

    def __init__(self, n_clusters: int | str = "auto", max_clusters: int = 8, method: str = "gmm",
                 n_components: int = 5, covariance_type: str = "full", selection_sample: int = 10000,
                 batch_size: int = 4096, prior_count: float = 2.0, catalog: VariantCatalog | None = None,
                 random_state: Any = None):
        self.n_clusters = n_clusters
        self.max_clusters = max_clusters
        self.method = method
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.selection_sample = selection_sample
        self.batch_size = batch_size
        self.prior_count = prior_count
        self.catalog = catalog
        self.random_state = random_state

    # ------------------------------------------------------------------------------------- fitting
    def fit(self, X: Any, y: Any = None, progress: Callable[[str], None] | None = None) -> "ListenerPreferenceModel":
        """Fit on a FeedbackLog (or EventArrays) or on a (n_listeners, n_features) matrix."""
        self._check_params()
        self._reset()
        say = progress or (lambda _msg: None)
        src = _source(X)
        ev = self._events(X)
        if ev is not None:
            _check_listeners(ev, src, "fit")
            say("features")
            feats = listener_features(ev, self.catalog_, self.prior_count)
            self.feature_names_ = feature_names(self.catalog_)
            X = feats
        X = validate_data(self, X, dtype=np.float64)
        if X.shape[0] < 2:
            raise LearnInputError(f"{src}n_samples={X.shape[0]}: at least 2 listeners are needed to cluster")
        rs = check_random_state(self.random_state)
        self.incremental_ = False
        self._fit_matrix(X, rs, say)
        if ev is not None:
            say("profiles")
            self._fit_tables(ev, self.labels_)
        return self

    def _streaming(self) -> bool:
        # available_if: partial_fit exists only where it can honour ``method`` (MiniBatchKMeans);
        # a GaussianMixture or KMeans has no incremental update, so those estimators do not
        # advertise one (hasattr(model, "partial_fit") is False, as scikit-learn expects).
        if self.method != "minibatch":
            raise AttributeError(f"partial_fit is available only with method='minibatch' (the streaming "
                                 f"MiniBatchKMeans path), not method={self.method!r}")
        return True

    @available_if(_streaming)
    def partial_fit(self, X: Any, y: Any = None) -> "ListenerPreferenceModel":
        """The streaming path (method="minibatch" only): update MiniBatchKMeans with one batch of
        listeners.  Each listener's events must all be in one batch (a listener seen in an earlier
        batch is an error).  The first batch fixes the scaling, the dwell median and -- when
        ``n_clusters="auto"`` -- the number of clusters; later batches only move the centres.
        ``listener_ids_`` / ``labels_`` then list every listener seen so far in this session (a
        saved model holds neither) with the cluster they were given when their batch arrived
        (renumbered with the clusters after each batch).  A
        model fitted with ``fit`` can be continued if it was fitted with method="minibatch"."""
        started = hasattr(self, "pipeline_")
        if started and not isinstance(self.pipeline_[-1], MiniBatchKMeans):
            raise LearnInputError(f"partial_fit: this model was fitted with {type(self.pipeline_[-1]).__name__}; "
                                  f"partial_fit continues only models started with partial_fit or fitted with "
                                  f"method='minibatch' (refit, or start a new model with partial_fit)")
        first = not started
        if first:
            self._check_params()
            self._reset()
            ev = self._events(X)
        elif isinstance(X, (FeedbackLog, EventArrays)):
            if not hasattr(self, "catalog_"):
                raise LearnInputError("partial_fit: this model was started on a feature matrix, not on a feedback log")
            ev = self._events_with(X)
        else:
            ev = None
        if ev is not None:
            _check_listeners(ev, _source(X), "partial_fit", minimum=2 if first else 1)
            # a loaded model holds no listener ids (privacy): the repeat check covers batches since loading
            if not first and hasattr(self, "listener_ids_"):
                again = set(ev.listener_ids).intersection(self.listener_ids_)
                if again:
                    raise LearnInputError(f"{_source(X)}listener {sorted(again)[0]!r} was in an earlier batch "
                                          f"({len(again)} such listener{'s' if len(again) != 1 else ''}); keep each "
                                          f"listener's events in one batch")
            X = listener_features(ev, self.catalog_, self.prior_count)
            self.feature_names_ = feature_names(self.catalog_)
        X = validate_data(self, X, dtype=np.float64, reset=first)
        if first:
            if X.shape[0] < 2:
                raise LearnInputError(f"n_samples={X.shape[0]}: the first batch needs at least 2 listeners")
            self._fit_matrix(X, check_random_state(self.random_state), lambda _m: None)
            self.n_seen_ = X.shape[0]
        else:
            # the scaler stays as the first batch fitted it: centres learned so far keep their meaning
            scale, cluster = self.pipeline_[:-1], self.pipeline_[-1]
            cluster.partial_fit(scale.transform(X))
            batch_labels = self.pipeline_.predict(X)
            seen = getattr(self, "n_seen_", int(self.cluster_sizes_.sum()))
            self.spread_ = (self.spread_ * seen + self._spread(X, batch_labels) * X.shape[0]) / (seen + X.shape[0])
            self.n_seen_ = seen + X.shape[0]
            self.labels_ = np.concatenate([getattr(self, "labels_", np.empty(0, batch_labels.dtype)), batch_labels])
            self.cluster_sizes_ = self.cluster_sizes_ + np.bincount(batch_labels, minlength=self.n_clusters_)
            self._renumber()
        self.incremental_ = True
        if ev is not None:
            self._fit_tables(ev, self.labels_[-X.shape[0]:], accumulate=not first)
        return self

    def _reset(self) -> None:
        """Forget a previous fit: attributes of a fit on a log must not outlive a refit on a matrix."""
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("__")]:
            delattr(self, name)

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise LearnInputError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.n_clusters != "auto" and not (isinstance(self.n_clusters, (int, np.integer))
                                              and 1 <= self.n_clusters <= MAX_CLUSTERS):
            raise LearnInputError(f"n_clusters must be 'auto' or an int 1..{MAX_CLUSTERS}, got {self.n_clusters!r}")
        if not (isinstance(self.max_clusters, (int, np.integer)) and 1 <= self.max_clusters <= MAX_CLUSTERS):
            raise LearnInputError(f"max_clusters must be an int 1..{MAX_CLUSTERS}, got {self.max_clusters!r}")

    def _events(self, X: Any) -> EventArrays | None:
        if isinstance(X, (FeedbackLog, EventArrays)):
            self.catalog_ = self.catalog if self.catalog is not None else default_catalog()
            self.dwell_median_ = float(np.median(X.dwell)) if isinstance(X, FeedbackLog) and len(X) else 1.0
            return self._events_with(X)
        return None

    def _events_with(self, X: FeedbackLog | EventArrays) -> EventArrays:
        return X if isinstance(X, EventArrays) else event_arrays(X, self.catalog_, self.dwell_median_)

    def _make_pipeline(self, k: int, n_features: int, n_samples: int, seed: int) -> Pipeline:
        method = self.method
        steps: list[tuple[str, Any]] = [("scale", StandardScaler())]
        if method != "minibatch":
            nc = max(1, min(self.n_components, n_features, n_samples))
            steps.append(("reduce", PCA(n_components=nc, random_state=seed)))
        if method == "gmm":
            cluster: Any = GaussianMixture(k, covariance_type=self.covariance_type, reg_covar=1e-4,
                                           random_state=seed, max_iter=200)
        elif method == "kmeans":
            cluster = KMeans(k, n_init=3, random_state=seed)
        else:
            cluster = MiniBatchKMeans(k, batch_size=self.batch_size, n_init=3, random_state=seed)
        steps.append(("cluster", cluster))
        return Pipeline(steps)

    def _fit_matrix(self, X: np.ndarray, rs: np.random.RandomState, say: Callable[[str], None]) -> None:
        method = self.method
        n = X.shape[0]
        # A feature with no signal (spread under FLAT_FEATURE: float noise, as when every event was
        # kept) would be scaled up to unit spread and split into clusters of noise: held at its mean.
        flat = X.std(axis=0) < FLAT_FEATURE
        if flat.any():
            X = X.copy()
            X[:, flat] = X[:, flat].mean(axis=0)
        seed = rs.randint(2**31 - 1)
        if self.n_clusters == "auto" and flat.all() and method == "gmm":
            ks = [1]  # nothing tells any listener from another: one cluster, no candidates to try
        elif self.n_clusters == "auto":
            lo = 1 if method == "gmm" else 2
            ks = list(range(lo, max(lo, min(self.max_clusters, n - 1)) + 1))
        else:
            ks = [int(self.n_clusters)]
            if ks[0] > n:
                raise LearnInputError(f"n_clusters={ks[0]} is more than the {n} listeners to cluster "
                                      f"(n_samples={n} should be >= n_clusters)")
        sample = X if n <= self.selection_sample else X[rs.choice(n, self.selection_sample, replace=False)]
        scores: dict[int, float] = {}
        fitted: dict[int, Pipeline] = {}
        criterion = "bic" if method == "gmm" else "silhouette"
        if len(ks) > 1:
            for k in ks:
                say(f"trying {k} cluster{'s' if k > 1 else ''}")
                pipe = self._make_pipeline(k, X.shape[1], sample.shape[0], seed).fit(sample)
                scores[k] = self._selection_score(pipe, sample, seed)
                fitted[k] = pipe
            best = (min if criterion == "bic" else max)(scores, key=scores.get)
        else:
            best = ks[0]
        say(f"fitting {best} clusters on {n} listeners")
        if best in fitted and sample is X:
            pipe = fitted[best]
        elif best in fitted:
            pipe = self._refit_warm(fitted[best], X, seed)
        else:
            with warnings.catch_warnings():
                if flat.all():  # PCA's explained variance ratio is 0/0 on data with no spread at all
                    warnings.simplefilter("ignore", RuntimeWarning)
                pipe = self._make_pipeline(best, X.shape[1], n, seed).fit(X)
        reduce = pipe.named_steps.get("reduce")
        if reduce is not None and not np.all(np.isfinite(reduce.explained_variance_ratio_)):
            # 0/0 on data with no spread: saved as NaN, the model would not load again
            reduce.explained_variance_ratio_ = np.nan_to_num(reduce.explained_variance_ratio_, nan=0.0)
        self.pipeline_ = pipe
        self.n_clusters_ = best
        self.selection_ = {"criterion": criterion if len(ks) > 1 else "fixed",
                           "scores": {int(k): float(v) for k, v in scores.items()}}
        self.labels_ = pipe.predict(X)
        self.cluster_sizes_ = np.bincount(self.labels_, minlength=best)
        self.spread_ = self._spread(X, self.labels_)
        self._renumber()

    def _renumber(self) -> None:
        """Give clusters stable ids: by size (``cluster_sizes_``), largest first; equal sizes
        by their centre mapped back to feature space, compared feature by feature, lowest first.

        A clusterer numbers its components in whatever order its random start found them, so
        without this the same group gets another number after a refit with another seed, and
        ``adapt --listener-cluster K`` would follow another group.  Every per-cluster array
        (the clusterer's components, ``labels_`` and accumulated statistics) is permuted together,
        so predictions are unchanged apart from the names.
        """
        k = self.n_clusters_
        sizes = self.cluster_sizes_
        centres = self.pipeline_[:-1].inverse_transform(self._centres())
        order = np.lexsort([centres[:, i] for i in reversed(range(centres.shape[1]))] + [-sizes])
        if np.array_equal(order, np.arange(k)):
            return
        new_id = np.empty(k, np.int64)
        new_id[order] = np.arange(k)
        est = self.pipeline_[-1]
        take_clusters(est, order)
        if hasattr(est, "labels_"):
            est.labels_ = new_id[est.labels_].astype(est.labels_.dtype)
        if hasattr(self, "labels_"):  # a loaded model has no labels (it holds no per-listener rows)
            self.labels_ = new_id[self.labels_].astype(self.labels_.dtype)
        self.cluster_sizes_ = sizes[order]
        if hasattr(self, "stats_"):  # accumulated by earlier partial_fit batches (fit starts afresh)
            self.stats_.permute(order)

    def _refit_warm(self, pipe: Pipeline, X: np.ndarray, seed: int) -> Pipeline:
        """Refit the chosen clusterer on everyone, starting from the sample's solution.

        Scaling and PCA stay as fitted on the (large, random) sample; only the clusters are refit,
        so the final pass converges in a few iterations instead of starting over.
        """
        Z = pipe[:-1].transform(X)
        old = pipe[-1]
        if isinstance(old, GaussianMixture):
            new: Any = GaussianMixture(old.n_components, covariance_type=old.covariance_type, reg_covar=old.reg_covar,
                                       weights_init=old.weights_, means_init=old.means_,
                                       precisions_init=old.precisions_, random_state=seed, max_iter=200)
        elif isinstance(old, MiniBatchKMeans):
            new = MiniBatchKMeans(old.n_clusters, init=old.cluster_centers_, n_init=1, batch_size=self.batch_size,
                                  random_state=seed)
        else:
            new = KMeans(old.n_clusters, init=old.cluster_centers_, n_init=1, random_state=seed)
        new.fit(Z)
        return Pipeline(pipe.steps[:-1] + [("cluster", new)])

    def _selection_score(self, pipe: Pipeline, X: np.ndarray, seed: int) -> float:
        Z = pipe[:-1].transform(X)
        if hasattr(pipe[-1], "bic"):
            return float(pipe[-1].bic(Z))
        labels = pipe[-1].predict(Z)
        if len(np.unique(labels)) < 2:
            return -1.0
        return float(silhouette_score(Z, labels, sample_size=min(3000, Z.shape[0]), random_state=seed))

    def _spread(self, X: np.ndarray, labels: np.ndarray) -> float:
        d = self.transform(X)
        return float(max(np.mean(d[np.arange(len(labels)), labels] ** 2), 1e-12))

    def _fit_tables(self, ev: EventArrays, listener_cluster: np.ndarray, accumulate: bool = False) -> None:
        if not accumulate or not hasattr(self, "stats_"):
            self.stats_ = ClusterStats(self.n_clusters_, len(self.catalog_.variants))
            self.listener_ids_ = list(ev.listener_ids)
        else:
            self.listener_ids_ = getattr(self, "listener_ids_", []) + list(ev.listener_ids)
        self.stats_.add(ev, listener_cluster[ev.listener], listener_cluster)
        self.log_keep_, self.log_rating_, self.log_prior_ = self.stats_.event_log_tables()
        self.profiles_ = self.stats_.profiles(self.catalog_)
        self.feature_schema_ = {"version": FEATURE_SCHEMA_VERSION, "features": list(self.feature_names_),
                                "variants": [(v.cue, v.name) for v in self.catalog_.variants]}

    # ---------------------------------------------------------------------------------- predicting
    def _matrix(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        if isinstance(X, (FeedbackLog, EventArrays)):
            if not hasattr(self, "catalog_"):
                raise ValueError("this model was fitted on a feature matrix, not on a feedback log")
            X = listener_features(self._events_with(X), self.catalog_, self.prior_count)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def predict(self, X: Any) -> np.ndarray:
        """Cluster of each listener (rows of X, or the listeners of a log in ``log.listener_ids`` order)."""
        X = self._matrix(X)
        return self.pipeline_.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Cluster membership probabilities (GaussianMixture posteriors; soft-min of distances for k-means)."""
        X = self._matrix(X)
        if hasattr(self.pipeline_[-1], "predict_proba"):
            return self.pipeline_.predict_proba(X)
        d2 = self._distances(X) ** 2
        logits = -d2 / (2.0 * self.spread_)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def transform(self, X: Any) -> np.ndarray:
        """Distance of each listener to each cluster centre in the scaled (and reduced) space."""
        return self._distances(self._matrix(X))

    def _centres(self) -> np.ndarray:
        """Cluster centres in the clusterer's (scaled, reduced) space."""
        last = self.pipeline_[-1]
        return last.means_ if hasattr(last, "means_") else last.cluster_centers_

    def _distances(self, X: np.ndarray) -> np.ndarray:
        return euclidean_distances(self.pipeline_[:-1].transform(X), self._centres())

    # ------------------------------------------------------------------------ online (Bayesian) assignment
    def cluster_posterior(self, context: np.ndarray, variant: np.ndarray, kept: np.ndarray,
                          rating: np.ndarray) -> np.ndarray:
        """P(cluster | events): the population prior times per-cluster event likelihoods."""
        check_is_fitted(self, "log_keep_")
        return normalise(log_posterior(self.log_prior_, self.log_keep_, self.log_rating_, context, variant, kept,
                                       rating))

    def event_posterior(self, events: FeedbackLog | EventArrays | None) -> np.ndarray:
        """Posterior over clusters from a listener's events (None or empty: the population prior)."""
        if events is None or len(events) == 0:
            return self.cluster_posterior(np.empty(0, int), np.empty(0, int), np.empty(0, int), np.empty(0, int))
        ev = self._events_with(events)
        return self.cluster_posterior(ev.context, ev.variant, ev.kept, ev.rating)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _check_listeners(ev: EventArrays, src: str, what: str, minimum: int = 2) -> None:
    n = len(np.unique(ev.listener)) if len(ev) else 0
    if n < minimum:
        raise LearnInputError(f"{src}{len(ev)} event{'s' if len(ev) != 1 else ''} from {n} listener"
                              f"{'s' if n != 1 else ''}: {what} needs events from at least {minimum} "
                              f"listener{'s' if minimum != 1 else ''}")
