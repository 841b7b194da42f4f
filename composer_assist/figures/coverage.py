"""A PNG of a cue's coverage: where viewers spend time on the valence/arousal plane, the
variants' targets with their radius circles (around the whole arousal span of a variant whose
arousal follows intensity), the time no variant covers, suggested new variants."""

from __future__ import annotations

import os

import numpy as np

from composer_assist.adaptive.coverage import Coverage

from .colours import variant_hex
from .png import new_figure, write_png

BIN = 0.04  # cell size of the time density
BLUR = 0.05  # its Gaussian blur (standard deviation, valence/arousal units)
SUGGESTION_COLOUR = "#f2c200"  # gold: neither a variant's colour nor the density's blue or red


def stadium(v: float, lo: float, hi: float, radius: float, n: int = 48) -> np.ndarray:
    """The outline of every point within ``radius`` of the segment (v, lo)..(v, hi): (points, 2)."""
    top = np.linspace(0.0, np.pi, n)
    bottom = np.linspace(np.pi, 2.0 * np.pi, n)
    upper = np.stack([v + radius * np.cos(top), hi + radius * np.sin(top)], axis=1)
    lower = np.stack([v + radius * np.cos(bottom), lo + radius * np.sin(bottom)], axis=1)
    return np.concatenate([upper, lower])


def plot_coverage(c: Coverage, path: str | os.PathLike) -> None:
    """Draw ``c`` to ``path`` (PNG, written atomically)."""
    from matplotlib import patheffects, transforms
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Circle, Polygon

    fig = new_figure(figsize=(8.8, 7.6))
    gs = fig.add_gridspec(1, 3, width_ratios=[24, 0.8, 0.8], wspace=0.08)
    ax, cax_c, cax_u = fig.add_subplot(gs[0]), fig.add_subplot(gs[1]), fig.add_subplot(gs[2])
    edges = np.arange(-1.0, 1.0 + BIN / 2, BIN)
    pts = np.clip(c.points, -1.0, 1.0)
    n = max(1, pts.shape[0])
    # Time per cell as a share of all the time, lightly blurred (ratings are often quantised, e.g.
    # studyforrest's ninths, which a bare histogram turns into a false checkerboard); a cell is drawn
    # red where most of its time is not covered by any variant, blue where it is.
    cov_h = _blur(np.histogram2d(pts[c.covered_mask, 0], pts[c.covered_mask, 1], bins=[edges, edges])[0])
    unc_h = _blur(np.histogram2d(pts[~c.covered_mask, 0], pts[~c.covered_mask, 1], bins=[edges, edges])[0])
    tot = 100.0 * (cov_h + unc_h) / n
    top = max(float(tot.max()), 1e-9)
    shown = tot > top * 1e-3
    red = shown & (unc_h > cov_h)
    blues = LinearSegmentedColormap.from_list("covered", ["#dbe9f6", "#08306b"])
    reds = LinearSegmentedColormap.from_list("uncovered", ["#fdd0a2", "#a50f15"])
    # A square-root colour scale so the sparse edges of the cloud still show.
    from matplotlib.colors import PowerNorm
    norm = PowerNorm(0.5, vmin=0.0, vmax=top)
    mc = ax.pcolormesh(edges, edges, np.ma.array(tot, mask=~(shown & ~red)).T, cmap=blues, norm=norm, zorder=1)
    mu = ax.pcolormesh(edges, edges, np.ma.array(tot, mask=~red).T, cmap=reds, norm=norm, zorder=1)
    ax.axhline(0.0, color="0.75", lw=0.7, zorder=0)
    ax.axvline(0.0, color="0.75", lw=0.7, zorder=0)
    spans = False
    # Each variant in its colour of the adaptive figure, with a white halo over the density cells;
    # span bars that share a valence (tense and sad in the demo) are drawn side by side.
    halo = [patheffects.withStroke(linewidth=4.0, foreground="white")]
    dodge = _dodge(c.variants)
    for i, (name, v, a, lo, hi) in enumerate(c.variants):
        colour = variant_hex(i)
        if hi > lo:  # its arousal follows intensity: every point of the span, within the radius
            spans = True
            ax.add_patch(Polygon(stadium(v, lo, hi, c.radius), closed=True, fill=False, ec=colour, lw=1.6, ls="--",
                                 zorder=3, path_effects=halo))
            ax.plot([v, v], [lo, hi], "-", color=colour, lw=3.0, solid_capstyle="round", zorder=4,
                    transform=transforms.offset_copy(ax.transData, fig=fig, x=dodge[i], y=0.0, units="points"),
                    path_effects=[patheffects.withStroke(linewidth=5.0, foreground="white")])
        else:
            ax.add_patch(Circle((v, a), c.radius, fill=False, ec=colour, lw=1.6, ls="--", zorder=3, path_effects=halo))
        on_bar = transforms.offset_copy(ax.transData, fig=fig, x=dodge[i], y=0.0, units="points")
        ax.plot([v], [a], "o", color=colour, ms=7, mec="white", mew=1.2, zorder=5, transform=on_bar)
        ax.annotate(name, (v, a), xytext=(6, 6), textcoords="offset points", fontsize=11, weight="bold", color=colour,
                    zorder=6, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for i, s in enumerate(c.suggestions):
        # black and gold: no variant's colour, so a suggestion is never read as a variant
        ax.add_patch(Circle((s.valence, s.arousal), c.radius, fill=False, ec="black", lw=2.0, ls=":", zorder=3,
                            path_effects=[patheffects.withStroke(linewidth=4.0, foreground="white")]))
        ax.plot([s.valence], [s.arousal], "*", color=SUGGESTION_COLOUR, ms=17, mec="black", mew=0.8, zorder=5)
        ax.annotate(f"add {i + 1}: +{s.gain:.0%}", (s.valence, s.arousal), xytext=(8, -14),
                    textcoords="offset points", fontsize=10, color="black", weight="bold", zorder=6,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    lim = 1.0 + max(0.05, BIN)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("valence  (negative \u2190 \u2192 positive)")
    ax.set_ylabel("arousal  (calm \u2190 \u2192 excited)")
    names = ", ".join(t.name for t in c.traces)
    if len(names) > 70:
        names = f"{len(c.traces)} traces"
    ax.set_title(f"cue {c.cue}: {c.overall:.0%} of the viewers' time is within {c.radius:g} of a variant\n"
                 f"{names} ({sum(t.duration_s for t in c.traces):.0f} s)", fontsize=11, loc="left")
    # Two bars side by side on one scale: blue cells are covered time, red cells time no variant covers.
    cb_c = fig.colorbar(mc, cax=cax_c)
    cb_c.ax.set_yticklabels([])
    cax_c.set_title("covered", fontsize=8, rotation=90, va="bottom")
    cb_u = fig.colorbar(mu, cax=cax_u)
    cax_u.set_title("not\ncovered", fontsize=8, rotation=90, va="bottom")
    cb_u.set_label(f"% of all the time spent in a {BIN:g} x {BIN:g} cell (smoothed)", fontsize=9)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="o", color="0.3", ls="--", label=f"variant target, radius {c.radius:g} "
                                                                      "(each variant in its colour)")]
    if spans:
        handles.append(Line2D([], [], color="0.3", lw=3.0, label="arousal span of a variant whose arousal "
                                                                 "follows intensity (side by side where two share a "
                                                                 "valence)"))
    if c.suggestions:
        handles.append(Line2D([], [], marker="*", color="black", mfc=SUGGESTION_COLOUR, ls=":", ms=12, mec="black",
                              label="suggested variant (+ share of time it adds)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=1, fontsize=9, frameon=False)
    fig.subplots_adjust(left=0.09, right=0.9, top=0.86, bottom=0.14)
    write_png(fig, path, dpi=110)



def _dodge(variants: list) -> list[float]:
    """Per variant, a horizontal offset in points for its span bar: spans at the same valence whose
    arousal ranges overlap are set 5 points apart, centred on the valence."""
    out = [0.0] * len(variants)
    groups: dict[float, list[int]] = {}
    for i, (_, v, _, lo, hi) in enumerate(variants):
        if hi > lo:
            groups.setdefault(round(float(v), 6), []).append(i)
    for members in groups.values():
        overlapping = [i for i in members if any(j != i and variants[j][3] < variants[i][4] and
                                                 variants[i][3] < variants[j][4] for j in members)]
        for k, i in enumerate(overlapping):
            out[i] = 5.0 * (k - (len(overlapping) - 1) / 2.0)
    return out


def _blur(h: np.ndarray) -> np.ndarray:
    """A separable Gaussian blur of a 2-D histogram (mass kept inside the plane)."""
    w = int(np.ceil(3 * BLUR / BIN))
    k = np.exp(-0.5 * (np.arange(-w, w + 1) * BIN / BLUR) ** 2)
    k /= k.sum()
    h = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 0, h)
    return np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, h)
