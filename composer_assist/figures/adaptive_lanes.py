"""Lanes and marks of the adaptive figure a composer acts on: bar grid, intensity on its own 0..1
axis, the distance from the music's emotion to the viewer's against the radius, loop wraps,
stingers and A -> B -> A returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_BAR_LINES = 48  # more bars than this: the grid draws every 2nd, 4th, ... bar


@dataclass
class Marks:
    """What the lanes show besides the trace and the gains (light to send to another process)."""

    bar_times: np.ndarray  # audio seconds of each bar line, from 0
    beat_s: float
    beats_per_bar: float
    wraps: list[float] = field(default_factory=list)  # audio seconds the playing variant loops
    stingers: list[tuple[float, str]] = field(default_factory=list)
    returns: list[tuple[float, bool]] = field(default_factory=list)  # switches back (A -> B -> A), short?
    dist_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    distance: np.ndarray = field(default_factory=lambda: np.zeros(0))  # music emotion to viewer's
    radius: float = 0.5
    calibrated: bool = False  # the viewer's curve is calibrated onto the cue's plane

    @classmethod
    def of(cls, result) -> "Marks":
        from composer_assist.adaptive.clicks import loop_wraps
        from composer_assist.adaptive.quality import playing_at

        cue, sr, sched, tr = result.cue, result.sample_rate, result.schedule, result.track
        dur = result.audio.shape[0] / sr
        bpb = float(cue.meter.beats_per_bar)
        beat_s = cue.tempo.seconds_at(1.0) - cue.tempo.seconds_at(0.0)
        bars = [0.0]
        while bars[-1] < dur:
            bars.append(cue.tempo.seconds_at(len(bars) * bpb))
        from dataclasses import replace

        from composer_assist.adaptive.quality import music_distance

        playing = playing_at(sched, np.round(tr.times * sr).astype(np.int64))
        heard = replace(tr, intensity=result.played_intensity(tr.times))
        return cls(np.array(bars), beat_s, bpb,
                   [w / sr for w in loop_wraps(sched, result.stems, result.audio.shape[0])],
                   [(s.sample / sr, s.rule.stinger) for s in sched.switches if s.rule.stinger],
                   _returns(result),
                   tr.times.copy(), music_distance(cue, heard, playing),
                   float(cue.adaptive.congruence_radius), getattr(tr, "read_valence", None) is not None)

    def bar_beat(self, t: float) -> str:
        """``t`` seconds as bar:beat of the soundtrack (from 1:1) and seconds."""
        i = max(0, int(np.searchsorted(self.bar_times, t, side="right")) - 1)
        beat = (t - self.bar_times[i]) / self.beat_s
        return f"{i + 1}:{beat + 1:.1f} ({t:.1f}s)"


def _returns(result) -> list[tuple[float, bool]]:
    """(switch back, caused by a visit shorter than the dwell) of each A -> B -> A return."""
    from composer_assist.adaptive.evaluation import return_switches

    events = getattr(result.quality, "return_events", None)
    if events is not None:
        return [(float(e["back"]), bool(e["short"])) for e in events]
    return [(s.sample / result.sample_rate, False) for s in return_switches(result.schedule, result.sample_rate)]


def bar_axis(ax_top, m: Marks, dur: float) -> None:
    """Bar numbers on top of the figure and a light bar grid through every panel."""
    stride = 1
    while len(m.bar_times) / stride > MAX_BAR_LINES:
        stride *= 2
    bars = m.bar_times[::stride]
    for ax in ax_top.figure.axes:
        for b in bars:
            ax.axvline(b, color="0.88", lw=0.6, zorder=0)
    top = ax_top.secondary_xaxis("top")
    label_stride = stride * max(1, int(np.ceil(len(bars) / 16)))
    ticks = m.bar_times[::label_stride]
    ticks = ticks[ticks <= dur * 0.97]  # a label at the right edge would run off the figure
    top.set_xticks(ticks)
    top.set_xticklabels([f"bar {i * label_stride + 1}" for i in range(len(ticks))], fontsize=7)
    top.tick_params(length=2, pad=1)


def intensity_lane(ax, tr) -> None:
    ax.fill_between(tr.times, 0, tr.intensity, color="0.75", lw=0, step="post")
    ax.plot(tr.times, tr.intensity, color="0.3", lw=0.9, drawstyle="steps-post")
    ax.set_ylim(0, 1.02)
    ax.set_yticks([0, 0.5, 1])
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("intensity", fontsize=9)
    ax.set_title("intensity (0..1): raises and lowers layers", fontsize=9, loc="left")


def distance_lane(ax, m: Marks) -> None:
    """Distance from the playing variant's emotion to the viewer's; over the radius is off target."""
    d = m.distance
    ax.plot(m.dist_times, d, color="black", lw=0.9)
    ax.fill_between(m.dist_times, m.radius, d, where=d > m.radius, color="0.6", lw=0, hatch="///", alpha=0.5)
    ax.axhline(m.radius, color="black", lw=0.8, ls="--")
    top = max(1.0, float(d.max()) * 1.05) if d.size else 1.0
    ax.set_ylim(0, top)
    ax.set_yticks(sorted({0.0, m.radius, round(top, 1)}))
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("distance", fontsize=9)
    share = float(np.mean(d <= m.radius)) if d.size else 0.0
    who = "the viewer's (calibrated)" if m.calibrated else "the viewer's"
    ax.set_title(f"distance from the music's emotion (playing variant) to {who}: within radius {m.radius:g} "
                 f"{share:.0%} of the time (dashed: the radius; hatched: off target)", fontsize=9, loc="left")


def label_rows(xs: list[float], gap: float, rows: int = 2) -> list[int | None]:
    """Row (0, 1, ...) for a label at each sorted ``x`` so labels in a row are ``gap`` apart;
    None when every row is taken there (the label is left out rather than drawn over another)."""
    last = [-float("inf")] * rows
    out: list[int | None] = []
    for x in xs:
        row = next((r for r in range(rows) if x - last[r] >= gap), None)
        if row is not None:
            last[row] = x
        out.append(row)
    return out


def lane_marks(ax_v, axes, m: Marks, fig) -> None:
    """Loop wraps (triangles), stingers (stars) and A -> B -> A returns (plus signs; crosses for
    those after a visit shorter than the dwell) on the variant lane, at the switch back."""
    from matplotlib.lines import Line2D

    handles = []
    if m.wraps:
        ax_v.plot(m.wraps, [0.93] * len(m.wraps), "v", color="black", ms=5, clip_on=False)
        handles.append(Line2D([], [], marker="v", color="black", ls="", label="loop wrap"))
    if m.stingers:
        ax_v.plot([t for t, _ in m.stingers], [0.8] * len(m.stingers), "*", color="black", mec="white", ms=11)
        handles.append(Line2D([], [], marker="*", color="black", ls="", label="stinger"))
    for t, short in m.returns:
        for ax in axes:
            ax.axvline(t, color="black", lw=1.4 if short else 0.9, ls=(0, (1, 1)))
        ax_v.plot([t], [0.8], "X" if short else "P", color="black", mec="white", ms=9)  # above the name
    if m.returns:
        n_short = sum(short for _, short in m.returns)
        handles.append(Line2D([], [], marker="P", color="black", ls="", label=f"A→B→A return ({len(m.returns)})"))
        if n_short:
            handles.append(Line2D([], [], marker="X", color="black", ls="",
                                  label=f"... after a visit < dwell ({n_short})"))
    if handles:  # in the header, under the variant colours
        fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.99, 0.952), fontsize=8, frameon=False,
                   ncol=len(handles), handletextpad=0.2)


def quality_lines(q) -> list[str]:
    """The footer: switching, lag, congruence with its radius, the click check, the peak."""
    lag = "-" if q.lag_mean is None else f"{q.lag_mean:+.2f} / {q.lag_max:+.2f} s"
    radius = "" if q.congruence_radius is None else f" within radius {q.congruence_radius:g}"
    raw = getattr(q, "raw_congruence", None)  # set when the viewer was calibrated
    cong = (f"congruence{radius}: {q.congruence:.0%} as read" if raw is None
            else f"congruence{radius}: {q.congruence:.0%} calibrated, {raw:.0%} as read")
    if q.oracle_congruence is not None:
        cong += f" (best any variant choice could do: {q.oracle_congruence:.0%})"
    peak = getattr(q, "peak_dbfs", None)
    peak = "" if peak is None else f"   peak {peak:+.1f} dBFS" + (" OVER FULL SCALE" if peak > 0 else "")
    return [f"{q.switches} switch{'es' * (q.switches != 1)} ({q.switches_per_minute:.1f}/min)   lag mean/max {lag} "
            f"(negative = early)   {cong}", f"click excess {q.click_excess:.4f}{peak}"]
