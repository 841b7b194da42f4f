"""The transport toolbar: cue, mode, play/pause, stop, bar jumps, loop, follow, trace, status."""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QCheckBox, QComboBox, QLabel, QToolBar, QToolButton

from composer_assist.core.timing import beat_text


class TransportBar(QToolBar):
    def __init__(self) -> None:
        super().__init__("Transport")
        self.setObjectName("Transport")
        self.setMovable(False)
        self.cue = QComboBox()
        self.cue.setMinimumWidth(140)
        self.cue.setToolTip("The cue to preview")
        self.mode = QComboBox()
        self.mode.addItems(["live", "planned"])
        self.mode.setToolTip("live: each moment sees only the emotion up to now; planned: the whole trace ahead")
        self.play = self._button("▶ Play", "Play / pause (Space)")
        self.stop = self._button("■ Stop", "Stop and return to the start (Esc)")
        self.back = self._button("◀◀ Bar", "One bar back (Ctrl+Left)")
        self.forward = self._button("Bar ▶▶", "One bar forward (Ctrl+Right)")
        self.loop = QCheckBox("Loop region")
        self.loop.setToolTip("Loop the region marked on the variant lane (L)")
        self.follow = QCheckBox("Follow playhead")
        self.follow.setChecked(True)
        self.follow.setToolTip("Scroll the timeline with the playhead (F)")
        self.trace = QLabel("no trace (drop a trace file on the window)")
        self.position = QLabel("stopped")
        self.position.setMinimumWidth(330)
        for w in (QLabel(" Cue "), self.cue, QLabel(" Mode "), self.mode):
            self.addWidget(w)
        self.addSeparator()
        for w in (self.play, self.stop, self.back, self.forward, self.loop, self.follow):
            self.addWidget(w)
        self.addSeparator()
        self.addWidget(self.position)
        self.addSeparator()
        self.addWidget(self.trace)

    def _button(self, text: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        return b

    def set_cues(self, names: list[str]) -> None:
        self.cue.blockSignals(True)
        self.cue.clear()
        self.cue.addItems(names)
        self.cue.blockSignals(False)

    def show_status(self, st: Any) -> None:
        if st is None:
            self.position.setText("stopped")
            self.play.setText("▶ Play")
            return
        m, s = divmod(st.seconds, 60)
        self.position.setText(f"{int(m):02d}:{s:04.1f}  bar {st.bar} beat {beat_text(st.beat)}  ▶ {st.variant or '-'}"
                              + (f" → {st.target}" if st.target else "")
                              + (f"  listener: {st.profile}" if st.profile else "")
                              + ("  OVERRIDE" if st.override else ""))
        self.play.setText("❚❚ Pause" if st.state == "playing" else "▶ Play")
