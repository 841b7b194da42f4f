"""The emotion plane: variants on valence/arousal, the trace's path, the viewer's point now.

Variant points can be dragged (an undoable edit of the variant's target).  The yellow marker is
a free override: dragging it overrides the emotion live; releasing it returns to the trace.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal

from composer_assist.core.emotion_span import arousal_span

from .palette import OVERRIDE_COLOUR, TRACE_COLOUR, variant_hex

HOME = (1.35, -1.25)  # where the override marker rests, outside the plane: not overriding


class EmotionPlane(pg.PlotWidget):
    variant_moved = pyqtSignal(str, float, float)  # variant, valence, arousal (drag finished)
    override = pyqtSignal(float, float)  # the free marker is being dragged here
    released = pyqtSignal()  # the free marker was let go

    def __init__(self) -> None:
        super().__init__(background="w")
        self.setMinimumSize(420, 300)
        pi = self.getPlotItem()
        pi.setLabel("bottom", "valence (negative … positive)")
        pi.setLabel("left", "arousal (calm … excited)")
        pi.setTitle("Emotion plane")
        pi.showGrid(x=True, y=True, alpha=0.2)
        pi.setXRange(-1.1, 1.65, padding=0)  # room right of +1 for labels and the marker's home
        pi.setYRange(-1.45, 1.1, padding=0)
        # the plane ends at +-1: no valence 1.5 on the axis over the marker's home
        ticks = [[(v, f"{v:g}") for v in (-1.0, -0.5, 0.0, 0.5, 1.0)]]
        pi.getAxis("bottom").setTicks(ticks)
        pi.getAxis("left").setTicks(ticks)
        pi.setMouseEnabled(x=False, y=False)
        pi.hideButtons()
        pi.addLine(x=0, pen=pg.mkPen("#bbbbbb"))
        pi.addLine(y=0, pen=pg.mkPen("#bbbbbb"))
        self.trace_path = pi.plot([], [], pen=pg.mkPen(TRACE_COLOUR, width=1.2))
        self.viewer = pg.ScatterPlotItem(size=22, brush=pg.mkBrush(0, 0, 0, 200), pen=pg.mkPen("w", width=2),
                                         symbol="star")
        pi.addItem(self.viewer)
        self.targets: dict[str, pg.TargetItem] = {}
        self.spans: dict[str, pg.PlotDataItem] = {}
        self._labels = {}
        self.marker = pg.TargetItem(pos=HOME, size=18, symbol="crosshair", pen=pg.mkPen("k", width=2),
                                    brush=pg.mkBrush(OVERRIDE_COLOUR), movable=True, label="drag to\noverride",
                                    labelOpts={"offset": (-14, 0), "color": "#444444", "anchor": (1, 0.5)})
        self.marker.setZValue(20)
        pi.addItem(self.marker)
        self.marker.sigPositionChanged.connect(self._marker_moved)
        self.marker.sigPositionChangeFinished.connect(self._marker_released)
        self._quiet = False
        self._shown: tuple = (None, None, None)

    def show_variants(self, cue: Any) -> None:
        """One draggable point per variant, coloured as everywhere else, labelled with its tags
        (moved in place when the variants are the same ones)."""
        pi = self.getPlotItem()
        if cue is not None and list(self.targets) == [v.name for v in cue.variants]:
            for v in cue.variants:
                t = self.targets[v.name]
                if (t.pos().x(), t.pos().y()) != (v.valence, v.arousal):
                    t.setPos((v.valence, v.arousal))
                if self._labels.get(v.name) != self._label(v):
                    self._labels[v.name] = self._label(v)
                    t.setLabel(self._label(v), self._label_opts(cue.variants.index(v)))
            self._show_spans(cue)
            return
        for t in self.targets.values():
            pi.removeItem(t)
        self.targets = {}
        self._labels: dict[str, str] = {}
        if cue is None:
            return
        for i, v in enumerate(cue.variants):
            t = pg.TargetItem(pos=(v.valence, v.arousal), size=14, symbol="o", pen=pg.mkPen("k"),
                              brush=pg.mkBrush(variant_hex(i)), movable=True, label=self._label(v),
                              labelOpts=self._label_opts(i))
            t.sigPositionChangeFinished.connect(lambda item, name=v.name: self._variant_dropped(name, item))
            pi.addItem(t)
            self.targets[v.name] = t
            self._labels[v.name] = self._label(v)
        self._show_spans(cue)
        self._shown = (None, None, None)  # new points: highlight again

    def _show_spans(self, cue: Any) -> None:
        """A thick line along the arousal span of each variant whose arousal follows intensity."""
        pi = self.getPlotItem()
        for item in self.spans.values():
            pi.removeItem(item)
        self.spans = {}
        variants = list(cue.variants) if cue is not None else []
        for i, v in enumerate(variants):
            lo, hi = arousal_span(v)
            if hi > lo:
                c = pg.mkColor(variant_hex(i))
                c.setAlpha(150)
                x = v.valence + _side_by_side(variants, i)
                item = pg.PlotDataItem([x, x], [lo, hi], pen=pg.mkPen(c, width=6))
                item.setZValue(-1)  # under the draggable target
                pi.addItem(item)
                self.spans[v.name] = item

    @staticmethod
    def _label(v: Any) -> str:
        return v.name + (f"\n{', '.join(v.tags[:2])}" if v.tags else "")

    @staticmethod
    def _label_opts(i: int) -> dict:
        return {"offset": (9, 6), "color": variant_hex(i), "anchor": (0, 0)}

    def _variant_dropped(self, name: str, item: pg.TargetItem) -> None:
        p = item.pos()
        self.variant_moved.emit(name, float(np.clip(p.x(), -1, 1)), float(np.clip(p.y(), -1, 1)))

    def show_trace(self, trace: Any) -> None:
        if trace is None:
            self.trace_path.setData([], [])
            return
        step = max(1, trace.times.size // 4000)  # a path of a few thousand points draws fast
        self.trace_path.setData(trace.valence[::step], trace.arousal[::step])

    def show_status(self, status: Any) -> None:
        """The viewer's point now and the playing variant highlighted (redrawn only on change:
        painting holds Python's lock, which the audio producer needs too)."""
        point = None if status is None or status.valence is None else (round(status.valence, 3),
                                                                         round(status.arousal, 3))
        playing = status.variant if status is not None else None
        target = status.target if status is not None else None
        if (point, playing, target) == self._shown:
            return
        if point != self._shown[0]:
            self.viewer.setData(*(([point[0]], [point[1]]) if point else ([], [])))
        self._shown = (point, playing, target)
        for name, t in self.targets.items():
            width = 4 if name == playing else 2 if name == target else 1
            t.setPen(pg.mkPen("k", width=width))
            t.setScale(1.5 if name == playing else 1.0)

    def _marker_moved(self) -> None:
        if self._quiet:
            return
        p = self.marker.pos()
        if -1.0 <= p.x() <= 1.0 and -1.0 <= p.y() <= 1.0:
            self.override.emit(float(p.x()), float(p.y()))

    def _marker_released(self) -> None:
        self._quiet = True
        self.marker.setPos(HOME)  # back home: the trace leads again
        self._quiet = False
        self.released.emit()


SPAN_GAP = 0.04  # valence between two spans drawn side by side


def _side_by_side(variants: list, i: int) -> float:
    """Where variant ``i``'s span is drawn off its valence: spans at the same valence whose arousal
    ranges overlap (tense and sad on the demo cue) sit side by side instead of blending."""
    lo, hi = arousal_span(variants[i])
    same = [j for j, v in enumerate(variants)
            if abs(v.valence - variants[i].valence) < 1e-9 and arousal_span(v)[1] > arousal_span(v)[0]
            and min(hi, arousal_span(v)[1]) > max(lo, arousal_span(v)[0])]
    if len(same) < 2:
        return 0.0
    k = same.index(i)
    return (k - (len(same) - 1) / 2.0) * SPAN_GAP
