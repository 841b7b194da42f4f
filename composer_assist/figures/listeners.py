"""The listener-model figure: listeners by cluster in 2-D and each cluster's preference profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from composer_assist.core.profile import CONTEXTS
from composer_assist.learn.model import ListenerPreferenceModel

from .png import new_figure, write_png


def plot_report(model: ListenerPreferenceModel, features: np.ndarray | None, path: str | Path,
                max_points: int = 4000, seed: int = 0) -> Path:
    """PNG: listeners in 2-D (PCA of the scaled features) coloured by cluster, and per-cluster profile bars."""
    from matplotlib import colormaps
    from sklearn.decomposition import PCA

    k = model.n_clusters_
    colours = colormaps["tab10"](np.arange(k) % 10)
    fig = new_figure(figsize=(6 + 3.2 * min(k, 4), 4.2 + 3.0 * ((k - 1) // 4)), dpi=100)
    grid = fig.add_gridspec(1 + (k - 1) // 4, 1 + min(k, 4), width_ratios=[1.6] + [1] * min(k, 4))
    ax = fig.add_subplot(grid[:, 0])
    if features is not None and len(features):
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(features), min(max_points, len(features)), replace=False)
        z = model.pipeline_.named_steps["scale"].transform(features[pick])
        xy = PCA(2, random_state=seed).fit_transform(z) if z.shape[1] >= 2 else np.c_[z, np.zeros(len(z))]
        lab = model.predict(features[pick])
        for c in range(k):
            m = lab == c
            ax.scatter(xy[m, 0], xy[m, 1], s=5, alpha=0.5, color=colours[c], label=f"{c}: {model.profiles_[c].label}")
        ax.legend(fontsize=7, markerscale=3, loc="best")
    ax.set_title("Listeners (PCA of taste features)")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    tags = model.catalog_.tags
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
            a.barh(y + (i - 1.5) * h, vals, height=h, label=short[ctx])
        a.axvline(0, color="k", lw=0.5)
        a.set_yticks(y, names, fontsize=7)
        a.invert_yaxis()
        a.set_xlim(-1, 1)
        a.set_title(f"{c}: {prof.label} ({prof.share:.0%})", fontsize=9, color=colours[c])
        if c == 0:
            a.legend(fontsize=6, title="scene", title_fontsize=6)
    fig.tight_layout()
    write_png(fig, path)
    return Path(path)
