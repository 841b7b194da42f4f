"""The decision log panel: every switch decision with its time (bar:beat), reason and the emotion behind it."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ["time", "bar:beat", "switch", "reason", "V, A", "detail"]
HEADER_TIPS = ["when the switch starts (s)", "where the leaving variant is left", "from → to", "why",
               "the (smoothed) valence and arousal the decision acted on", "the figures behind it"]


def bar_beat(cue: Any, cue_beat: float | None) -> str:
    """A cue position in beats as ``bar:beat`` counted from 1 in the cue's meter."""
    return "-" if cue_beat is None else cue.meter.bar_beat(cue_beat)


SHOWN = ("start", "switch", "retarget", "cancel")


def switch_rows(cue: Any, log: list[dict]) -> list[list[str]]:
    """Table rows for the decision log's (``Schedule.log``) switch decisions: the opening, each
    switch planned, moved to another target or boundary (``retarget``), or called off (``cancel``),
    so the last row about a switch says what will be heard."""
    rows = []
    for e in log:
        kind = e.get("kind")
        if kind not in SHOWN:
            continue
        trace = e.get("trace") or {}
        at = e.get("time", 0.0) if kind == "cancel" else e.get("boundary", e.get("time", 0.0))
        emotion = (f"{trace.get('smoothed_valence', trace.get('valence', 0)):+.2f}, "
                   f"{trace.get('smoothed_arousal', trace.get('arousal', 0)):+.2f}") if trace else "-"
        move = f"{e.get('from', '')} → {e.get('to', '')}"
        move = {"start": f"start on {e.get('to')}", "retarget": f"{move} (moved)",
                "cancel": f"{move} called off"}.get(kind, move)
        beat = 0.0 if kind == "start" else None if kind == "cancel" else e.get("leave_beat")
        rows.append([f"{at:7.2f} s", bar_beat(cue, beat), move, str(e.get("reason", "")), emotion,
                     str(e.get("detail", ""))])
    return rows


def row_text(row: list[str]) -> str:
    """One decision in a sentence: ``0.00 s, bar 1:1: start on ambient (emotion_distance); V, A ...``."""
    at, where, move, reason, emotion, detail = row
    text = f"{at.strip()}, bar {where}: {move} ({reason}); V, A {emotion}"
    return f"{text}; {detail}" if detail else text


class DecisionLog(QTableWidget):
    """The switch decisions as they come; a switch not yet heard is grey and italic, one moved or
    called off before it was heard is struck through, so the rows say what plays."""

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        for i, tip in enumerate(HEADER_TIPS):
            self.horizontalHeaderItem(i).setToolTip(tip)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        for i in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._seen = 0
        self._schedule: Any = None
        self._open: dict[int, tuple[int, str]] = {}  # row -> (switch sample, target) not yet heard
        self._ahead: set[int] = set()  # rows of _open already drawn as not heard yet

    def clear(self) -> None:  # noqa: D102 - also forgets what was read
        self.setRowCount(0)
        self._seen = 0
        self._schedule = None
        self._open, self._ahead = {}, set()

    def update_from(self, player: Any) -> None:
        """Add what the player decided since the last call (the log only grows), and mark the
        switches heard by now."""
        schedule = player.schedule
        if schedule is not self._schedule:  # an override handed a planned run to live control
            self._schedule, self._seen, self._open, self._ahead = schedule, 0, {}, set()
            self.setRowCount(0)
        log = schedule.log
        n = len(log)
        if n != self._seen:
            entries = [e for e in log[self._seen:n] if e.get("kind") in SHOWN]
            for e, row in zip(entries, switch_rows(player.cue, entries)):
                r = self.rowCount()
                self.insertRow(r)
                tip = row_text(row)  # the whole row, wherever the pointer rests: a narrow pane cuts columns
                for c, text in enumerate(row):
                    item = QTableWidgetItem(text)
                    item.setToolTip(tip)
                    self.setItem(r, c, item)
                if e["kind"] in ("switch", "retarget") and "sample" in e:
                    self._open[r] = (int(e["sample"]), str(e.get("to")))
                elif e["kind"] == "cancel":
                    self._style(r, "off")
            self._seen = n
            self.scrollToBottom()
        self._mark(player)

    def _mark(self, player: Any) -> None:
        """Restyle the rows whose switch was heard, or dropped from the schedule, since last time."""
        if not self._open:
            return
        now = int(player.status.sample)
        names = player.stems.variant_names
        planned = {(sw.sample, names[sw.target]) for sw in player.schedule.switches}
        for r, key in list(self._open.items()):
            if key not in planned:
                self._style(r, "off")  # moved or called off before it was heard
            elif key[0] <= now:
                self._style(r, "heard")
            else:
                if r not in self._ahead:
                    self._style(r, "ahead")
                    self._ahead.add(r)
                continue
            del self._open[r]
            self._ahead.discard(r)

    def _style(self, row: int, state: str) -> None:
        tip = {"ahead": "not heard yet: it can still move or be called off",
               "off": "moved or called off before it was heard", "heard": ""}[state]
        whole = row_text([self.item(row, c).text() if self.item(row, c) else "" for c in range(len(COLUMNS))])
        for c in range(self.columnCount()):
            item = self.item(row, c)
            if item is None:
                continue
            font = item.font()
            font.setItalic(state == "ahead")
            font.setStrikeOut(state == "off")
            item.setFont(font)
            if state == "heard":
                item.setData(Qt.ItemDataRole.ForegroundRole, None)  # the theme's text colour again
            else:
                item.setForeground(QColor("#8a8a8a"))
            item.setToolTip(f"{whole}\n({tip})" if tip else whole)
