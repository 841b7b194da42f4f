"""The k of each cluster: no cluster describing fewer than k listeners leaves the machine it was fitted on.

A profile or an assignment table of a cluster of three listeners says a lot about those three.  So
before a model is saved or its profiles exported, every cluster with fewer than ``k`` listeners
(``MIN_CLUSTER_SIZE`` = 50 by default, ``--min-cluster-size K``) is merged into its nearest cluster:
the one the model itself would put the small cluster's centre in once the small one is gone.  The
per-cluster statistics are sums over listeners, so merging adds them up and the profiles and
tables are rebuilt from the sums.  If all listeners together are fewer than ``k``, nothing may be
saved or exported.  Each merge leaves a note (printed by the CLI and stored in the model file's
metadata and in exported profiles).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from composer_assist.core.errors import FeedbackError

from .cluster_arrays import take_clusters

MIN_CLUSTER_SIZE = 50


class TooFewListenersError(FeedbackError):
    """All listeners together are fewer than the minimum cluster size: nothing may leave."""


def check_min_size(k: Any, option: str = "--min-cluster-size") -> int:
    """``k`` as an int >= 1 (1 turns merging off), else a one-line error naming the option."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise FeedbackError(f"{option}: {k!r} must be a whole number >= 1 (1 keeps every cluster)")
    return int(k)


def small_clusters(model: Any, k: int) -> list[int]:
    """Clusters of ``model`` with fewer than ``k`` listeners."""
    return [int(c) for c in np.flatnonzero(np.asarray(model.cluster_sizes_) < k)]


def with_min_cluster_size(model: Any, k: int) -> Any:
    """``model`` itself when every cluster has at least ``k`` listeners, else a merged copy."""
    k = check_min_size(k)
    if not hasattr(model, "cluster_sizes_"):  # not a fitted model: the caller refuses it
        return model
    if not small_clusters(model, k):
        if getattr(model, "min_cluster_size_", 0) < k:
            model = copy.copy(model)  # a shallow copy: only the recorded k changes
            model.min_cluster_size_ = k
        return model
    model = copy.deepcopy(model)
    merge_small_clusters(model, k)
    return model


def merge_small_clusters(model: Any, k: int) -> list[str]:
    """Merge every cluster under ``k`` listeners into its nearest, in place; returns the notes."""
    k = check_min_size(k)
    total = int(np.sum(model.cluster_sizes_))
    if total < k:
        raise TooFewListenersError(f"only {total} listeners in all, fewer than the minimum cluster size {k}: "
                                   f"no cluster may be saved or exported (lower --min-cluster-size only if "
                                   f"the clusters cannot describe real people)")
    notes: list[str] = []
    # what the composer knows the clusters by (``learn report``), followed through the merges
    labels = [getattr(p, "label", "") for p in getattr(model, "profiles_", None) or []]
    if len(labels) != len(model.cluster_sizes_):
        labels = [""] * len(model.cluster_sizes_)
    while True:
        small = small_clusters(model, k)
        if not small:
            break
        sizes = np.asarray(model.cluster_sizes_)
        victim = min(small, key=lambda c: (sizes[c], -c))
        target = _merge(model, victim)
        gone, into = labels.pop(victim), labels[target]
        notes.append(f"a cluster of {int(sizes[victim])} listeners (fewer than {k}{_called(gone)}) was merged into "
                     f"its nearest cluster{_called(into)}, which now has {int(model.cluster_sizes_[target])}")
        labels[target] = " + ".join(x for x in (into, gone) if x)
    model._renumber()
    if hasattr(model, "stats_"):
        model.log_keep_, model.log_rating_, model.log_prior_ = model.stats_.event_log_tables()
        model.profiles_ = model.stats_.profiles(model.catalog_)
    model.min_cluster_size_ = max(k, getattr(model, "min_cluster_size_", 0))
    model.privacy_notes_ = list(getattr(model, "privacy_notes_", [])) + notes
    return notes


def _called(label: str) -> str:
    return f", {label}" if label else ""


def drop_small_exported(data: dict[str, Any], k: int, source: str = "<profiles>") -> dict[str, Any]:
    """Exported profiles (``learn export-profiles`` JSON) without clusters of 1..k-1 listeners.

    Without the model there is no nearest cluster to merge into, so small clusters are dropped:
    their profiles and their rows of the assignment tables; the rest are numbered again and a
    note per drop is added to ``"privacy"``.  A profile of size 0 was written by hand, not
    learned from listeners, and is kept."""
    k = check_min_size(k)
    profiles = sorted(data["profiles"], key=lambda p: p["cluster"])
    keep = [i for i, p in enumerate(profiles) if not 0 < int(p.get("size", 0)) < k]
    if len(keep) == len(profiles):
        return {**data, "privacy": {**data.get("privacy", {}), "min_cluster_size": max(
            k, int(data.get("privacy", {}).get("min_cluster_size", 0)))}}
    if not keep:
        raise TooFewListenersError(f"{source}: every cluster has fewer than {k} listeners: none may be exported")
    notes = [f"a cluster of {int(p['size'])} listeners (fewer than {k}) was dropped"
             for i, p in enumerate(profiles) if i not in keep]
    out = dict(data)
    out["profiles"] = [{**profiles[i], "cluster": n} for n, i in enumerate(keep)]
    table = dict(data["assignment"])
    for key in ("log_prior", "log_keep", "log_rating"):
        table[key] = [table[key][i] for i in keep]
    out["assignment"] = table
    old = data.get("privacy", {})
    out["privacy"] = {"min_cluster_size": max(k, int(old.get("min_cluster_size", 0))),
                      "notes": list(old.get("notes", [])) + notes}
    return out


def _merge(model: Any, victim: int) -> int:
    """Drop cluster ``victim`` from the clusterer and add its statistics to the nearest; returns
    the nearest's new index."""
    centre = model._centres()[victim][None, :]
    est = model.pipeline_[-1]
    n = model.n_clusters_
    keep = np.arange(n) != victim
    take_clusters(est, keep)
    if hasattr(est, "weights_"):
        est.weights_ = est.weights_ / est.weights_.sum()
    for param in ("n_components", "n_clusters"):
        if isinstance(getattr(est, param, None), (int, np.integer)):
            setattr(est, param, n - 1)
    target = int(est.predict(centre)[0])  # the model's own idea of nearest, in the new numbering
    old_target = int(np.flatnonzero(keep)[target])
    new_id = np.cumsum(keep) - 1
    new_id[victim] = target
    sizes = np.asarray(model.cluster_sizes_)
    merged = sizes.copy()
    merged[old_target] += sizes[victim]
    model.cluster_sizes_ = merged[keep]
    if hasattr(est, "labels_"):
        est.labels_ = new_id[est.labels_].astype(est.labels_.dtype)
    if hasattr(model, "labels_"):  # in the session that fitted it: listeners follow their cluster
        model.labels_ = new_id[model.labels_].astype(model.labels_.dtype)
    if hasattr(model, "stats_"):
        st = model.stats_
        for name in ("table", "ratings", "listeners"):
            arr = getattr(st, name).copy()
            arr[old_target] += arr[victim]
            setattr(st, name, arr[keep])
    model.n_clusters_ = n - 1
    return target


__all__ = ["MIN_CLUSTER_SIZE", "TooFewListenersError", "check_min_size", "drop_small_exported", "merge_small_clusters",
           "small_clusters",
           "with_min_cluster_size"]
