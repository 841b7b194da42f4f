"""A fitted model in words and in a picture (listeners in 2-D by PCA, profile bars)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from composer_assist.core.profile import CONTEXTS

from .model import ListenerPreferenceModel
from .profiles import CONTEXT_WORDS


def quality_lines(q: dict[str, Any]) -> list[str]:
    """The quality figures ``learn fit`` measured (saved in the model file's metadata)."""
    if not q:
        return ["Quality: not measured (fit with --holdout > 0 to measure)."]
    try:
        return _quality_lines(q)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
        # the figures are informational JSON from the model file: a malformed entry must not
        # take the rest of the report down with a traceback
        return ["Quality: the figures in the model file are malformed."]


def _quality_lines(q: dict[str, Any]) -> list[str]:
    out = [f"Quality (measured on {q.get('train_listeners', '?')} listeners / {q.get('train_events', '?')} events"
           f"{'; SYNTHETIC population with planted clusters' if 'ari' in q else ''}):"]
    sel = q.get("selection", {})
    if sel.get("scores"):
        scores = ", ".join(f"{k}: {v:.4g}" for k, v in sorted(sel["scores"].items(), key=lambda kv: int(kv[0])))
        out.append(f"  number of clusters chosen by {sel['criterion']}: {q['n_clusters']}  ({scores})")
    if "ari" in q:
        out.append(f"  adjusted Rand index vs planted clusters: {q['ari']:.3f}")
    nc = q.get("next_choice")
    if nc and nc.get("events"):
        out.append(f"  held-out next choice (variant kept): model {nc['model']:.1%} vs popularity baseline "
                   f"{nc['popularity']:.1%} over {nc['events']} kept events")
    nl = q.get("new_listeners")
    if nl:
        needed = nl["events_for_90"]
        curve = dict((int(n), a) for n, a in nl["curve"])
        pts = ", ".join(f"{n}: {curve[n]:.0%}" for n in (0, 1, 3, 5, 10, 20) if n in curve)
        out.append(f"  new listeners assigned right ({q.get('convergence_reference', '')}) after n events: {pts}")
        out.append(f"  events needed for 90% right: {needed if needed is not None else 'not reached'} "
                   f"({nl['listeners']} new listeners)")
    if q.get("profile_agreement") is not None:
        out.append(f"  policy rule with each profile picks the cluster's most-kept variant: "
                   f"{q['profile_agreement']:.0%} of scene points")
    return out


def text_report(model: ListenerPreferenceModel, meta: dict[str, Any] | None = None) -> str:
    """Clusters and profiles in words; quality figures from ``meta["quality"]`` (as ``learn fit``
    saves them), and the model file's details when ``meta`` is a saved model's metadata."""
    meta = meta or {}
    lines = [f"{model.n_clusters_} listener clusters ({model.method}), "
             f"{len(model.listener_ids_)} listeners, variants: "
             + ", ".join(f"{v.cue}/{v.name}" for v in model.catalog_.variants)]
    for p in model.profiles_:
        lines.append("")
        lines.append(f"Cluster {p.cluster} [{p.name}]: {p.label} -- {p.size} listeners ({p.share:.0%})")
        lines += [f"  {s}" for s in p.description]
    lines.append("")
    lines += quality_lines(meta.get("quality") or {})
    if "created" in meta:
        v = meta["versions"] if isinstance(meta.get("versions"), dict) else {}
        lines.append(f"Model file: created {meta.get('created', '?')}, scikit-learn {v.get('scikit-learn', '?')}, "
                     f"sha256 {str(meta.get('sha256', ''))[:16]}...")
    return "\n".join(lines)


def plot_report(model: ListenerPreferenceModel, features: np.ndarray | None, path: str | Path,
                max_points: int = 4000, seed: int = 0) -> Path:
    """PNG: listeners in 2-D (PCA of the scaled features) coloured by cluster, and per-cluster profile bars."""
    from matplotlib import colormaps
    from sklearn.decomposition import PCA

    from composer_assist.core.png import new_figure, write_png

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


__all__ = ["text_report", "plot_report", "quality_lines", "CONTEXT_WORDS"]
