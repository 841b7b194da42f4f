"""The decision log panel: every switch decision with its time (bar:beat), reason and the emotion behind it."""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ["time", "bar:beat", "switch", "reason", "emotion acted on (V, A)", "detail"]


def bar_beat(cue: Any, cue_beat: float | None) -> str:
    """A cue position in beats as ``bar:beat`` counted from 1 in the cue's meter."""
    if cue_beat is None:
        return "-"
    m = cue.meter
    bar, in_bar = divmod(cue_beat, m.beats_per_bar)
    return f"{int(bar) + 1}:{in_bar * m.denominator / 4.0 + 1.0:.2f}".rstrip("0").rstrip(".")


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


class DecisionLog(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        for i in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._seen = 0
        self._schedule: Any = None

    def clear(self) -> None:  # noqa: D102 - also forgets what was read
        self.setRowCount(0)
        self._seen = 0
        self._schedule = None

    def update_from(self, player: Any) -> None:
        """Add what the player decided since the last call (the log only grows)."""
        schedule = player.schedule
        if schedule is not self._schedule:  # an override handed a planned run to live control
            self._schedule, self._seen = schedule, 0
            self.setRowCount(0)
        log = schedule.log
        n = len(log)
        if n == self._seen:
            return
        for row in switch_rows(player.cue, log[self._seen:n]):
            r = self.rowCount()
            self.insertRow(r)
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.setItem(r, c, item)
        self._seen = n
        self.scrollToBottom()
