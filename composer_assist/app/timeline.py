"""The timeline: emotion and intensity over time, the variant lane, layer gain lanes, switches
and stingers, a bar/beat grid, the playhead, click to seek and a loop region.

Time is the preview's timeline (seconds from the start of the trace or the preview); the grid
is the cue's bars from its start, repeating its loop region once the cue has played through.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal

from .palette import AROUSAL_COLOUR, GAIN_COLOUR, INTENSITY_COLOUR, PLAYHEAD_COLOUR, VALENCE_COLOUR, variant_hex
from .timeline_history import History, bar_times

FOLLOW_WINDOW_S = 30.0
CURVES_EVERY_S = 0.2  # history curves redrawn 5 times a second


class Timeline(pg.GraphicsLayoutWidget):
    seek = pyqtSignal(float)  # seconds on the timeline
    loop_changed = pyqtSignal(float, float)  # cue beats

    def __init__(self) -> None:
        super().__init__()
        self.setBackground("w")
        self.setMinimumHeight(330)
        self.emotion = self.addPlot(row=0, col=0, title="Emotion: valence, arousal, intensity")
        self.lane = self.addPlot(row=1, col=0, title="Playing variant (loop region: drag its edges)")
        self.lane.showAxis("top")  # bar numbers
        self.gains = self.addPlot(row=2, col=0, title="Layer gains of the playing variant (while playing)")
        self.plots = (self.emotion, self.lane, self.gains)
        for p in self.plots:
            p.showGrid(y=True, alpha=0.15)
            p.setMouseEnabled(y=False)
            p.getAxis("left").setWidth(70)
        for p in self.plots[1:]:
            p.setXLink(self.emotion)
        self.gains.setLabel("bottom", "time (s)")
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 4)
        self.emotion.setYRange(-1.05, 1.05)
        self.emotion.addLegend(offset=(-5, 5), labelTextColor="#222222", brush=pg.mkBrush(255, 255, 255, 220),
                               pen=pg.mkPen("#cccccc"))
        self.valence = self.emotion.plot([], [], pen=pg.mkPen(VALENCE_COLOUR, width=1.5), name="valence")
        self.arousal = self.emotion.plot([], [], pen=pg.mkPen(AROUSAL_COLOUR, width=1.5), name="arousal")
        self.intensity = self.emotion.plot([], [], pen=pg.mkPen(INTENSITY_COLOUR, width=2), name="intensity played")
        self.playheads = [p.addLine(x=0, pen=pg.mkPen(PLAYHEAD_COLOUR, width=2)) for p in self.plots]
        for line in self.playheads:
            line.setZValue(30)
        self.loop = pg.LinearRegionItem(brush=pg.mkBrush(255, 183, 3, 50), movable=True)
        self.loop.setZValue(-5)
        self.loop.sigRegionChangeFinished.connect(self._loop_moved)
        self.lane.addItem(self.loop)
        self.history = History()
        self.cue: Any = None
        self.follow = True
        self._grid: list = []
        self._markers: list = []
        self._lane_items: list = []
        self._gain_items: list = []
        self._lane_order: list[str] = []  # layer names, in the order their lanes were made
        self._known_switches: tuple | None = None
        self._span = 10.0
        self._drawn = 0.0
        self._loop_cue: str | None = None  # the cue the loop region was set for (None: set it anew)
        for p in self.plots:
            p.scene().sigMouseClicked.connect(self._clicked)

    # ---- what is shown -----------------------------------------------------------------------
    def show_cue(self, cue: Any, trace: Any = None) -> None:
        """The grid, the lane's variant names and the trace's curves (the history is cleared)."""
        self.cue = cue
        self.history.clear()
        self._known_switches = None
        self._clear(self._markers)
        span = cue.length_seconds() if cue is not None else 10.0
        if trace is not None:
            self.valence.setData(trace.times - trace.start, trace.valence)
            self.arousal.setData(trace.times - trace.start, trace.arousal)
            span = max(span, trace.duration)
        else:
            self.valence.setData([], [])
            self.arousal.setData([], [])
        self._span = span
        self.intensity.setData([], [])
        self._clear(self._lane_items)
        self._clear(self._gain_items)
        self._lane_order = []
        self._draw_grid(span)
        names = [v.name for v in cue.variants] if cue is not None else []
        self.lane.getAxis("left").setTicks([[(i, n) for i, n in enumerate(names)]])
        self.lane.setYRange(-0.6, max(0.6, len(names) - 0.4))
        if cue is not None and cue.name != self._loop_cue:  # a region the user set stays for its cue
            a, b = cue.loop_beats
            self.loop.setRegion((cue.tempo.seconds_at(a), cue.tempo.seconds_at(b)))
        self._loop_cue = cue.name if cue is not None else None
        self.emotion.setXRange(0, min(span, FOLLOW_WINDOW_S), padding=0.01)
        self._draw_lanes()

    def forget_loop(self) -> None:
        """Another project: the next cue shown gets its own loop region."""
        self._loop_cue = None

    def _draw_grid(self, span: float) -> None:
        """Bar and beat lines as two curve items per plot (hundreds of separate lines made every
        repaint slow), bar numbers on the variant lane."""
        self._clear(self._grid)
        if self.cue is None:
            return
        lines = bar_times(self.cue, span)
        bars = [t for t, is_bar, _ in lines if is_bar]
        beats = [t for t, is_bar, _ in lines if not is_bar]
        labels = [(t, lab) for t, is_bar, lab in lines if is_bar and lab]
        every = max(1, len(labels) // 40)  # keep bar numbers apart when zoomed out
        for p in self.plots:
            lo, hi = -1e3, 1e3
            for xs, colour in ((beats, "#e4e4e4"), (bars, "#a8a8a8")):
                x = np.repeat(np.asarray(xs, dtype=float), 2)
                y = np.tile([lo, hi], len(xs))
                item = pg.PlotCurveItem(x, y, connect="pairs", pen=pg.mkPen(colour, width=1))
                item.setZValue(-10)
                p.addItem(item, ignoreBounds=True)
                self._grid.append((p, item))
        # bar numbers on the lane's top axis: above its rows, never under a variant's bar
        top = self.lane.getAxis("top")
        top.setTicks([[(t, lab) for k, (t, lab) in enumerate(labels) if k % every == 0], []])

    def _clear(self, items: list) -> None:
        for p, item in items:
            p.removeItem(item)
        items.clear()

    # ---- during playback ---------------------------------------------------------------------
    def show_status(self, status: Any, player: Any = None) -> None:
        if status is None:
            return
        names = [v.name for v in self.cue.variants] if self.cue is not None else []
        self.history.add(status, names)
        t = status.seconds
        for line in self.playheads:
            line.setPos(t)
        now = time.monotonic()
        if now - self._drawn < CURVES_EVERY_S:  # the playhead moves every poll, the curves less often
            return
        self._drawn = now
        self.intensity.setData(self.history.times(), self.history.intensity())
        self._draw_lanes()
        if player is not None and _switch_key(player.schedule.switches) != self._known_switches:
            self._draw_switches(player)
        if self.follow:
            lo, hi = self.emotion.viewRange()[0]
            width = hi - lo
            if not lo <= t <= hi - 0.1 * width:
                self.emotion.setXRange(max(0.0, t - 0.1 * width), max(0.0, t - 0.1 * width) + width, padding=0)

    def _draw_lanes(self) -> None:
        """Update the lane curves in place (items made once per variant / layer)."""
        n = len(self.cue.variants) if self.cue is not None else 0
        while len(self._lane_items) < n:
            vi = len(self._lane_items)
            item = pg.PlotCurveItem(pen=pg.mkPen(variant_hex(vi), width=12), connect="pairs")
            self.lane.addItem(item)
            self._lane_items.append((self.lane, item))
        for vi in range(n):
            x = self.history.variant_segments(vi)
            self._lane_items[vi][1].setData(x, np.full(x.size, float(vi)))
        lanes = {name: (ts, gs) for name, ts, gs in self.history.gain_lanes()}
        # a layer keeps its lane (and the lane its layer) through seeks, which clear the history
        self._lane_order += [name for name in lanes if name not in self._lane_order]
        while len(self._gain_items) < len(self._lane_order):
            # one neutral colour: the lanes are named on the axis, and variant colours mean variants
            item = pg.PlotCurveItem(pen=pg.mkPen(GAIN_COLOUR, width=1.5), connect="finite")
            self.gains.addItem(item)
            self._gain_items.append((self.gains, item))
        for k, name in enumerate(self._lane_order):
            ts, gs = lanes.get(name, ((), ()))
            self._gain_items[k][1].setData(np.asarray(ts), k + 0.85 * np.asarray(gs))  # nothing yet: no stale line
        self.gains.getAxis("left").setTicks([[(k + 0.4, name) for k, name in enumerate(self._lane_order)]])
        self.gains.setYRange(-0.1, max(1.0, len(self._lane_order)))

    def _draw_switches(self, player: Any) -> None:
        """A marker at each switch (its target, and the stinger its rule plays)."""
        self._clear(self._markers)
        switches = list(player.schedule.switches)
        names = player.stems.variant_names
        for sw in switches:
            label = f"→ {names[sw.target]}" + (f" ♪{sw.rule.stinger}" if sw.rule.stinger else "")
            line = pg.InfiniteLine(pos=sw.sample / player.sample_rate, angle=90,
                                   pen=pg.mkPen(variant_hex(sw.target), width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                   label=label, labelOpts={"position": 0.9, "color": variant_hex(sw.target)})
            self.emotion.addItem(line)
            self._markers.append((self.emotion, line))
        self._known_switches = _switch_key(switches)

    # ---- input -------------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        """A click (not a drag) in a plot seeks there."""
        if event.double() or event.button() != pg.QtCore.Qt.MouseButton.LeftButton:
            return
        for p in self.plots:
            vb = p.getViewBox()
            if vb.sceneBoundingRect().contains(event.scenePos()):
                x = vb.mapSceneToView(event.scenePos()).x()
                self.seek.emit(max(0.0, float(x)))
                return

    def _loop_moved(self) -> None:
        if self.cue is None:
            return
        a, b = self.loop.getRegion()
        beats = self.cue.length_beats
        ba = min(max(0.0, self.cue.tempo.beat_at(max(0.0, a))), beats)
        bb = min(max(0.0, self.cue.tempo.beat_at(max(0.0, b))), beats)
        if bb - ba >= 1.0:
            self.loop_changed.emit(round(ba), round(bb))


def _switch_key(switches: list) -> tuple:
    """What the markers show of the schedule: a retarget moves a switch without adding one."""
    return tuple((sw.sample, sw.target) for sw in switches)
