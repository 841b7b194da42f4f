"""The listener-model figure: the clusters in 2-D and each cluster's preference profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from composer_assist.core.profile import CONTEXTS
from composer_assist.learn.model import ListenerPreferenceModel

from .png import new_figure, write_png


def cluster_cloud(model: ListenerPreferenceModel, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points drawn from each cluster's fitted spread in the model's space (as many per cluster as
    its share of listeners) and their cluster: a picture of the clusters that needs no listener data."""
    rng = np.random.default_rng(seed)
    est, centres = model.pipeline_[-1], model._centres()
    d = centres.shape[1]
    sizes = np.asarray(model.cluster_sizes_, float)
    counts = np.maximum(1, np.round(n * sizes / max(sizes.sum(), 1))).astype(int)
    cov_type = getattr(est, "covariance_type", None) if hasattr(est, "covariances_") else None
    points, labels = [], []
    for c, m in enumerate(counts):
        if cov_type == "full":
            cov = est.covariances_[c]
        elif cov_type == "tied":
            cov = est.covariances_
        elif cov_type == "diag":
            cov = np.diag(est.covariances_[c])
        elif cov_type == "spherical":
            cov = np.eye(d) * est.covariances_[c]
        else:  # k-means: the mean squared distance to a centre, spread over the dimensions
            cov = np.eye(d) * model.spread_ / d
        points.append(rng.multivariate_normal(centres[c], cov, m))
        labels.append(np.full(m, c))
    return np.vstack(points), np.concatenate(labels)


# the four scene contexts in greys, dark to light: the colours belong to the clusters
SCENE_GREYS = ("#303030", "#707070", "#a8a8a8", "#dcdcdc")


def plot_report(model: ListenerPreferenceModel, path: str | Path, max_points: int = 4000, seed: int = 0) -> Path:
    """PNG: the clusters in 2-D (drawn from their fitted spread) and per-cluster profile bars."""
    from matplotlib import colormaps
    from sklearn.decomposition import PCA

    k = model.n_clusters_
    colours = colormaps["tab10"](np.arange(k) % 10)
    fig = new_figure(figsize=(6 + 3.2 * min(k, 4), 4.2 + 3.0 * ((k - 1) // 4)), dpi=100)
    grid = fig.add_gridspec(1 + (k - 1) // 4, 1 + min(k, 4), width_ratios=[1.6] + [1] * min(k, 4))
    ax = fig.add_subplot(grid[:, 0])
    z, lab = cluster_cloud(model, max_points, seed)
    if "reduce" in model.pipeline_.named_steps or z.shape[1] < 2:  # already principal components
        xy = z[:, :2] if z.shape[1] >= 2 else np.c_[z, np.zeros(len(z))]
    else:
        xy = PCA(2, random_state=seed).fit_transform(z)
    for c in range(k):
        m = lab == c
        label = f"{c}: {model.profiles_[c].label}" if hasattr(model, "profiles_") else str(c)
        ax.scatter(xy[m, 0], xy[m, 1], s=5, alpha=0.5, color=colours[c], label=label)
    ax.legend(fontsize=7, markerscale=3, loc="best")
    ax.set_title("Clusters (drawn from each cluster's fitted spread;\nthe model holds no listener)", fontsize=9)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    # tags no cluster weighs (a variant the log never played) would only be empty rows
    tags = [t for t in model.catalog_.tags
            if any(abs(pref.tag_weights.get(t, 0.0)) > 1e-9 for prof in model.profiles_ for pref in prof.contexts.values())]
    short = {"high_arousal_positive": "exciting", "high_arousal_negative": "tense",
             "low_arousal_positive": "content", "low_arousal_negative": "subdued"}
    for c, prof in enumerate(model.profiles_):
        a = fig.add_subplot(grid[c // 4, 1 + c % 4])
        names = ["valence shift", "arousal shift"] + [f"tag {t}" for t in tags]
        y = np.arange(len(names))
        h = 0.8 / len(CONTEXTS)
        for i, ctx in enumerate(CONTEXTS):
            pref = prof.contexts.get(ctx)
            vals = [0.0] * len(names) if pref is None else \
                [pref.valence_shift, pref.arousal_shift] + [pref.tag_weights.get(t, 0.0) for t in tags]
            a.barh(y + (i - 1.5) * h, vals, height=h, label=short[ctx], color=SCENE_GREYS[i], edgecolor="k",
                   linewidth=0.3)
        a.axvline(0, color="k", lw=0.5)
        a.set_yticks(y, names, fontsize=7)
        a.invert_yaxis()
        a.set_xlim(-1, 1)
        a.set_xlabel("shift (V/A units) or tag weight", fontsize=7)
        a.set_title(f"{c}: {prof.label} ({prof.share:.0%})", fontsize=9, color=colours[c])
        a.legend(fontsize=6, title="scene", title_fontsize=6)  # on every panel: the greys are not the clusters' colours
    fig.tight_layout()
    write_png(fig, path)
    return Path(path)
