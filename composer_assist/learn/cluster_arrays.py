"""The per-cluster arrays of a fitted clusterer, reordered or cut together (renumbering clusters,
merging a small one away)."""

from __future__ import annotations

from typing import Any

import numpy as np


def take_clusters(est: Any, index: np.ndarray) -> None:
    """Index every per-cluster array of a fitted GaussianMixture or (MiniBatch)KMeans by ``index``
    (a new order, or a mask dropping clusters)."""
    names = ["weights_", "means_", "cluster_centers_", "_counts"]
    if getattr(est, "covariance_type", "tied") != "tied":  # a tied covariance is shared, not per cluster
        names += ["covariances_", "precisions_", "precisions_cholesky_"]
    for name in names:
        if hasattr(est, name):
            setattr(est, name, getattr(est, name)[index])
