"""The listeners panel: clusters from a profiles file or model; choosing one is heard live."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

NO_PROFILE = "Everyone (no listener profile)"


class ListenersPanel(QWidget):
    chosen = pyqtSignal(object)  # profile index or None

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel("Load listener profiles or a listener model (File ▸ Load listener profiles, Ctrl+L) "
                            "to hear the same trace as a listener cluster would.")
        self.title.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._row)
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.list)

    def show_profiles(self, profiles: list[Any], source: str) -> None:
        self.title.setText(f"<b>{len(profiles)} listener clusters</b> from {source}. Pick one: while playing, "
                           "the music switches to that cluster's taste at once.")
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItem(QListWidgetItem(NO_PROFILE))
        for p in profiles:
            share = f", {p.share * 100:.0f} % of listeners" if getattr(p, "share", None) else ""
            text = f"{p.cluster}: {p.label or p.name}{share}"
            sentences = list(p.description or [])
            if sentences:
                text += f"\n    {sentences[0]}"
            item = QListWidgetItem(text)
            item.setToolTip("\n".join(sentences))
            item.setData(Qt.ItemDataRole.UserRole, p.cluster)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.blockSignals(False)

    def choose(self, index: int | None) -> None:
        """Select cluster ``index`` (None: everyone), as a click does."""
        self.list.setCurrentRow(0 if index is None else index + 1)

    def _row(self, row: int) -> None:
        self.chosen.emit(None if row <= 0 else row - 1)
