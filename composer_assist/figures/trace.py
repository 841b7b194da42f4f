"""A PNG of a trace: valence and arousal over time, heart rate and EDA beneath when present."""

from __future__ import annotations

import os

import numpy as np

from .png import new_figure, write_png
from composer_assist.core.trace import Trace

_EXTRA = ("heart_rate", "eda")


def plot_trace(trace: Trace, path: str | os.PathLike, width_in: float = 11.0) -> None:
    """Draw the trace to ``path`` (PNG, written atomically); long gaps are shaded grey."""
    extra = [k for k in _EXTRA if k in trace.channels]
    fig = new_figure(figsize=(width_in, 3.2 + 1.8 * len(extra)))
    axes = fig.subplots(1 + len(extra), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [2.2] + [1] * len(extra)})
    axes = axes[:, 0]
    t = trace.times
    ax = axes[0]
    ax.plot(t, trace.valence, color="tab:blue", lw=1.3, label="valence")
    ax.plot(t, trace.arousal, color="tab:red", lw=1.3, label="arousal")
    ax.axhline(0.0, color="0.6", lw=0.7)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("[-1, 1]")
    # Legend above the axes, beside the title, so it never hides the curves.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=9, frameon=False)
    ax.set_title(trace.name or str(trace.source), fontsize=11, loc="left")
    units = {"heart_rate": "heart rate (bpm)", "eda": "EDA (norm.)"}
    for a, k in zip(axes[1:], extra):
        a.plot(t, trace.channels[k], color="tab:green" if k == "heart_rate" else "tab:purple", lw=1.1)
        a.set_ylabel(units[k], fontsize=9)
    if trace.valid is not None:
        bad = ~trace.valid
        edges = np.diff(np.concatenate(([0], bad.astype(np.int8), [0])))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            for a in axes:
                a.axvspan(t[max(s - 1, 0)], t[min(e, t.size - 1)], color="0.85", zorder=0)
    for a in axes:
        a.grid(True, alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1)
    fig.tight_layout()
    write_png(fig, path, dpi=100)
