"""The adaptive render at a glance: trace on top, playing variant lane, layer gains, transitions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .adaptive_lanes import (Marks, bar_axis, distance_lane, intensity_lane, label_rows, lane_marks,
                             quality_lines)
from .colours import AROUSAL_COLOUR as ARO
from .colours import VALENCE_COLOUR as VAL
from .colours import variant_hex



def _peaks(times: np.ndarray, gains: dict[str, np.ndarray], points: int = 1500):
    """Gain curves cut to about one value per pixel, keeping each bucket's peak (a short fade stays visible).

    A block-rate curve of a long trace has tens of thousands of steps; drawing them all is what
    made the figure slow, not what made it readable.
    """
    if len(times) <= points:
        return times, gains
    starts = np.linspace(0, len(times), points + 1).astype(np.int64)[:-1]
    return times[starts], {k: np.maximum.reduceat(g, starts) for k, g in gains.items()}


@dataclass
class FigureData:
    """What the figure shows of an adaptive result, and nothing more (light to send to another process)."""

    track: Any  # playback.policy.ControlTrack
    schedule: Any  # playback.schedule.Schedule
    sample_rate: int
    frames: int
    variant_names: list[str]
    times: np.ndarray  # block times of ``gains``, about one per pixel
    gains: dict[str, np.ndarray]  # "variant/layer" -> effective gain
    cue: str
    trace: str
    mode: str
    cluster: int | None
    quality: Any  # adaptive.quality.Quality
    marks: Marks | None = None  # bar grid, loop wraps, stingers, returns, distance lane

    @classmethod
    def of(cls, result) -> "FigureData":
        times, gains = _peaks(*result.layer_gains())
        return cls(result.track, result.schedule, result.sample_rate, result.audio.shape[0],
                   list(result.stems.variant_names), times, gains, result.cue.name,
                   getattr(result.trace, "name", "") or "trace", result.mode,
                   result.profile.cluster if result.profile is not None else None, result.quality,
                   Marks.of(result))


def plot_adaptive(result, path: str | os.PathLike, width_in: float = 13.0) -> None:
    """Write a PNG of an adaptive result (see ``draw_adaptive``)."""
    draw_adaptive(FigureData.of(result), path, width_in)


def draw_adaptive(result: FigureData, path: str | os.PathLike, width_in: float = 13.0) -> None:
    """Write a PNG: emotion trace, variant lane with crossfades, layer gains, transition marks."""
    from matplotlib.patches import Patch

    from composer_assist.figures.png import new_figure, write_png

    tr, sched, sr = result.track, result.schedule, result.sample_rate
    names = result.variant_names
    colour = {n: variant_hex(i) for i, n in enumerate(names)}
    dur = result.frames / sr
    times, gains = result.times, result.gains
    layer_names: list[str] = []
    for key in gains:
        layer = key.split("/", 1)[1]
        if layer not in layer_names:
            layer_names.append(layer)
    nl = len(layer_names)
    fig = new_figure(figsize=(width_in, 7.6 + 0.55 * nl))
    axes = fig.subplots(4 + nl, 1, sharex=True,
                        gridspec_kw={"height_ratios": [2.2, 0.6, 0.9, 0.8] + [0.5] * nl, "hspace": 0.75})
    ax_t, ax_i, ax_d, ax_v = axes[:4]
    prof = f", listener cluster {result.cluster}" if result.cluster is not None else ""
    fig.suptitle(f"cue {result.cue!r} adapted to {result.trace} ({result.mode} mode{prof})", fontsize=12, x=0.06,
                 ha="left")
    fig.legend(handles=[Patch(color=colour[n], label=n) for n in names], loc="upper right", fontsize=9,
               ncol=len(names), frameon=False, bbox_to_anchor=(0.99, 0.995), title="variants",
               title_fontsize=8)

    m = result.marks
    _trace_panel(ax_t, tr, sched, names, colour, result.cluster)
    intensity_lane(ax_i, tr)
    if m is not None:
        distance_lane(ax_d, m)
    lane_note = _variant_lane(ax_v, axes, result, names, colour, dur)
    if m is not None:
        lane_marks(ax_v, axes, m, fig)
        bar_axis(ax_t, m, dur)
    _layer_strips(axes[4:], layer_names, times, gains, colour)
    axes[4].set_title("layer gains (height = gain 0..1, colour = variant; crossfades show both)",
                      fontsize=9, loc="left")
    axes[-1].set_xlabel("time (s)")
    lines = [lane_note] + quality_lines(result.quality)
    for i, line in enumerate(reversed(lines)):
        fig.text(0.07, 0.008 + 0.022 * i * 7.6 / (7.6 + 0.55 * nl), line, fontsize=8.5, color="0.2")
    axes[-1].set_xlim(0, dur)
    # room under the last lane for its tick labels, the axis label and the footer lines
    fig.subplots_adjust(left=0.08, right=0.99, top=0.885, bottom=0.045 + 0.022 * len(lines) * 7.6 / (7.6 + 0.55 * nl))
    write_png(fig, path, dpi=110)


def _trace_panel(ax_t, tr, sched, names, colour, cluster: int | None) -> None:
    """The emotion trace as read and smoothed, what a cluster steers by, where the scene turns.

    Valence and arousal are black and grey with their own line styles: never a variant colour."""
    ax_t.plot(tr.times, tr.valence, color=VAL, lw=0.7, alpha=0.4)
    ax_t.plot(tr.times, tr.arousal, color=ARO, lw=0.7, alpha=0.4, ls="--")
    ax_t.plot(tr.times, tr.smooth_valence, color=VAL, lw=1.8, label="valence")
    ax_t.plot(tr.times, tr.smooth_arousal, color=ARO, lw=1.8, ls="--", label="arousal")
    if cluster is not None:
        # The profile moves the target: this, not the trace, is what the choice follows.
        ax_t.plot(tr.times, tr.want_valence, color=VAL, lw=1.2, ls=":", label=f"valence cluster {cluster} steers by")
        ax_t.plot(tr.times, tr.want_arousal, color=ARO, lw=1.2, ls="-.", label=f"arousal cluster {cluster} steers by")
    ax_t.axhline(0, color="0.8", lw=0.6)
    ax_t.set_ylim(-1.08, 1.08)
    ax_t.set_ylabel("emotion")
    for c, v in sched.changes:
        ax_t.axvline(c, color=colour[names[v]], lw=1.2, ls=":", alpha=0.9)
    # Above the panel, right of its title and over the bar numbers: never on the curves.
    ax_t.legend(loc="lower right", bbox_to_anchor=(1.0, 1.1), fontsize=8, ncol=4, frameon=False,
                borderaxespad=0.0)
    cal = "calibrated to the cue's plane; " if getattr(tr, "read_valence", None) is not None else ""
    ax_t.set_title(f"trace ({cal}thin: as read, thick: smoothed); coloured dotted lines: the scene turns to that variant",
                   fontsize=9, loc="left", pad=20)


def _variant_lane(ax_v, axes, result, names, colour, dur: float) -> str:
    """The playing variant over time, crossfades as diagonal splits; returns the lane's caption."""
    sched, sr = result.schedule, result.sample_rate
    # Variant lane: solid while a variant plays alone, a diagonal split during crossfades.
    segs = []
    cur, start = sched.start_variant, 0.0
    for sw in sched.switches:
        b, e = sw.sample / sr, sw.arrival / sr
        segs.append((start, b, cur))
        ax_v.fill_between([b, e], [1, 0], [1, 1], color=colour[names[sw.source]], lw=0)
        ax_v.fill_between([b, e], [0, 0], [1, 0], color=colour[names[sw.target]], lw=0)
        cur, start = sw.target, e
    segs.append((start, dur, cur))
    for a, b, v in segs:
        ax_v.axvspan(a, b, color=colour[names[v]], lw=0)
        if b - a > dur * (0.01 + 0.0065 * len(names[v])):  # room for the name
            ax_v.text((a + b) / 2, 0.5, names[v], ha="center", va="center", fontsize=9, color="white",
                      fontweight="bold")
    starts = [sw.sample / sr for sw in sched.switches]
    above, below = label_rows(starts, dur * 0.035), label_rows(starts, dur * 0.075)
    for sw, b, up, down in zip(sched.switches, starts, above, below):
        for ax in axes:
            ax.axvline(b, color="black", lw=0.9, alpha=0.7)
        if sw.change_at is not None:
            ax_v.annotate("", xy=(sw.change_at, 1.08), xytext=(b, 1.08), annotation_clip=False,
                          arrowprops={"arrowstyle": "->", "color": "0.2", "lw": 0.8})
        ha = "right" if b > 0.93 * dur else "left"  # near the right edge: the label runs leftwards
        if up is not None:
            text = f"{sw.change_at - b:+.1f}s" if sw.change_at is not None else f"+{b - sw.decided_at:.1f}s"
            ax_v.text(b, 1.12 + 0.24 * up, text, fontsize=7, ha=ha, va="bottom", color="0.2")
        if result.marks is not None and down is not None:
            # Second row inside the lane, in white: below it is the next panel's title.
            y, va, c = (-0.06, "top", "0.2") if down == 0 else (0.04, "bottom", "white")
            ax_v.text(b, y, " " + result.marks.bar_beat(b), fontsize=7, ha=ha, va=va, color=c)
    ax_v.set_ylim(0, 1)
    ax_v.set_yticks([])
    ax_v.set_ylabel("variant")
    lane_note = ("black lines: switch boundaries (crossfade start, bar:beat and seconds under or at the foot of the "
                 "lane); above it: "
                 + ("how early the switch started before the scene turned" if result.mode == "planned"
                    else "quantisation/dwell wait after the decision"))
    return lane_note


def _layer_strips(axes, layer_names, times, gains, colour) -> None:
    # One strip per layer, like DAW tracks: its gain, coloured by the variant it belongs to.
    for li, layer in enumerate(layer_names):
        ax = axes[li]
        for key, g in gains.items():
            v, lname = key.split("/", 1)
            if lname == layer:
                ax.fill_between(times, 0, g, where=g > 1e-4, color=colour[v], lw=0, alpha=0.85, step="post")
        ax.set_ylim(0, 1.05)
        ax.set_yticks([0, 1])
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel(layer, rotation=0, ha="right", va="center", fontsize=9)
