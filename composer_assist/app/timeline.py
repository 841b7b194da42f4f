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

from composer_assist.core.emotion_span import arousal_at

from .palette import AROUSAL_COLOUR, GAIN_COLOUR, INTENSITY_COLOUR, PLAYHEAD_COLOUR, VALENCE_COLOUR, variant_hex
from .timeline_history import History, bar_times, loop_passes

FOLLOW_WINDOW_S = 30.0
TITLE_SIZE = "9pt"
MIN_ROW_PX = 13.0  # a row shorter than a line of axis text is named in its plot's title instead
CURVES_EVERY_S = 0.2  # history curves redrawn 5 times a second


class Timeline(pg.GraphicsLayoutWidget):
    seek = pyqtSignal(float)  # seconds on the timeline
    loop_changed = pyqtSignal(float, float)  # cue beats

    def __init__(self) -> None:
        super().__init__()
        self.setBackground("w")
        self.setMinimumHeight(330)
        pen = pg.QtCore.Qt.PenStyle
        self.emotion = self.addPlot(row=0, col=0)
        # the key is in the title, not a legend over the curves: at a small window the plot is
        # only a few dozen pixels high
        self.emotion.setTitle(
            f"Emotion: <span style='color:{VALENCE_COLOUR}'>━ valence</span> &nbsp; "
            f"<span style='color:{AROUSAL_COLOUR}'>╍ arousal</span> &nbsp; "
            f"<span style='color:{INTENSITY_COLOUR}'>┉ intensity played</span> (its scale on the right)",
            size=TITLE_SIZE)
        self.lane = self.addPlot(row=1, col=0)
        self.lane.showAxis("top")  # bar numbers
        self.gains = self.addPlot(row=2, col=0)
        self.plots = (self.emotion, self.lane, self.gains)
        for p in self.plots:
            p.showGrid(y=True, alpha=0.15)
            p.setMouseEnabled(y=False)
            p.getAxis("left").setWidth(70)
            p.showAxis("right")  # every plot, so the three time axes line up
            p.getAxis("right").setWidth(34)
        for p in self.plots[:2]:  # one time axis, under the last plot: the plots share it
            p.getAxis("bottom").setStyle(showValues=False)
            p.getAxis("bottom").setHeight(4)
        for p in self.plots[1:]:
            p.setXLink(self.emotion)
            p.getAxis("right").setStyle(showValues=False)
        self.gains.setLabel("bottom", "time (s)")
        for row, (stretch, preferred) in enumerate(((5, 150), (3, 100), (4, 110))):
            # preferred heights: the stretch factors only share out what is left above them
            self.ci.layout.setRowStretchFactor(row, stretch)
            self.ci.layout.setRowPreferredHeight(row, preferred)
        self.ci.layout.setRowMinimumHeight(0, 100)  # the curves stay readable in a small window
        self.emotion.setYRange(-1.05, 1.05)
        # intensity 0..1 is drawn as the arousal it stands for (core.emotion_span), read on the right
        self.emotion.getAxis("right").setTicks([[(-1.0, "0"), (0.0, "0.5"), (1.0, "1")], []])
        self.valence = self.emotion.plot([], [], pen=pg.mkPen(VALENCE_COLOUR, width=1.5))
        self.arousal = self.emotion.plot([], [], pen=pg.mkPen(AROUSAL_COLOUR, width=1.5, style=pen.DashLine))
        self.intensity = self.emotion.plot([], [], pen=pg.mkPen(INTENSITY_COLOUR, width=2, style=pen.DotLine))
        self.playheads = [p.addLine(x=0, pen=pg.mkPen(PLAYHEAD_COLOUR, width=2)) for p in self.plots]
        for line in self.playheads:
            line.setZValue(30)
        self.loop = pg.LinearRegionItem(brush=pg.mkBrush(255, 183, 3, 50), movable=True)
        self.loop.setZValue(-5)
        self.loop.sigRegionChangeFinished.connect(self._loop_moved)
        self.lane.addItem(self.loop)
        self.active_loop: tuple[float, float] | None = None  # beats the preview loops (None: the cue's loop)
        self._repeats: list = []  # the loop region's later passes, shaded
        self.history = History()
        self._lane_names: list[str] = []
        self._labelled: tuple | None = None  # what the lane titles and axes were last set for
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
        self._lane_names = names
        self.lane.setYRange(-0.6, max(0.6, len(names) - 0.4))
        if cue is not None and cue.name != self._loop_cue:  # a region the user set stays for its cue
            a, b = cue.loop_beats
            self.loop.setRegion((cue.tempo.seconds_at(a), cue.tempo.seconds_at(b)))
            self.active_loop = None
        self._loop_cue = cue.name if cue is not None else None
        self._draw_repeats()
        self.emotion.setXRange(0, min(span, FOLLOW_WINDOW_S), padding=0.01)
        self._draw_lanes()

    def set_active_loop(self, beats: tuple[float, float] | None) -> None:
        """The preview loops ``beats`` (None: the cue's own loop): the grid and the shaded repeats
        follow what the player plays."""
        self.active_loop = beats
        self._draw_grid(self._span)
        self._draw_repeats()

    def _draw_repeats(self) -> None:
        """The loop region's later passes, shaded lighter than the region itself (which is where
        it is edited)."""
        self._clear(self._repeats)
        if self.cue is None:
            return
        for start, end in loop_passes(self.cue, self._span, self.active_loop):
            item = pg.LinearRegionItem((start, end), brush=pg.mkBrush(255, 183, 3, 22), pen=pg.mkPen(None),
                                       movable=False)
            item.setZValue(-6)
            self.lane.addItem(item)
            self._repeats.append((self.lane, item))

    def forget_loop(self) -> None:
        """Another project: the next cue shown gets its own loop region."""
        self._loop_cue = None

    def _draw_grid(self, span: float) -> None:
        """Bar and beat lines as two curve items per plot (hundreds of separate lines made every
        repaint slow), bar numbers on the variant lane."""
        self._clear(self._grid)
        if self.cue is None:
            return
        lines = bar_times(self.cue, span, self.active_loop)
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
        self.intensity.setData(self.history.times(), arousal_at(self.history.intensity()))
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
        self.gains.setYRange(-0.1, max(1.0, len(self._lane_order)))
        self._label_lanes()

    def _label_lanes(self) -> None:
        """Name the variant rows and gain lanes on their axes where a row is tall enough for a
        line of text; the titles always carry the names (the variant key in its colours)."""
        names, layers = self._lane_names, self._lane_order
        crowded = self.lane.getViewBox().height() / max(1.0, len(names) + 0.2) < MIN_ROW_PX
        crowded_gains = self.gains.getViewBox().height() / max(1.0, len(layers) + 0.1) < MIN_ROW_PX
        shown = (tuple(names), tuple(layers), crowded, crowded_gains)
        if shown == self._labelled:  # called with every redraw while playing: a title change re-lays out
            return
        self._labelled = shown
        key = " ".join(f"<span style='color:{variant_hex(i)}'>■ {n}</span>" for i, n in enumerate(names))
        self.lane.setTitle(f"Playing variant{': ' + key if crowded else ''} (loop region: drag its edges)",
                           size=TITLE_SIZE)
        self.lane.getAxis("left").setTicks([[] if crowded else [(i, n) for i, n in enumerate(names)]])
        listed = f" ({', '.join(reversed(layers))}, top to bottom)" if crowded_gains and layers else ""
        self.gains.setTitle(f"Layer gains of the playing variant (while playing){listed}", size=TITLE_SIZE)
        self.gains.getAxis("left").setTicks([[] if crowded_gains else [(k + 0.4, n) for k, n in enumerate(layers)]])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if hasattr(self, "_labelled"):  # Qt resizes the widget while it is being built
            self._label_lanes()

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
