"""The inspector: the selected cue, variant or layer's fields, each change an undoable edit."""

from __future__ import annotations

from typing import Any, Callable

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QScrollArea, QStackedWidget,
                             QVBoxLayout, QWidget)

from composer_assist.core.errors import ComposerAssistError
from composer_assist.core.project import Project

from composer_assist.core.edit import find, set_field

from .edits import loc
from .fields import NumberField
from .layer_page import LayerPage


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class RangeFields(QWidget):
    """An intensity range as two numbers in 0..1."""

    committed = pyqtSignal(tuple)

    def __init__(self) -> None:
        super().__init__()
        self.lo, self.hi = NumberField(0, 1), NumberField(0, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("from", self.lo)
        form.addRow("to", self.hi)
        self.lo.committed.connect(self._commit)
        self.hi.committed.connect(self._commit)

    def set_value(self, pair: tuple[float, float]) -> None:
        self.lo.set_value(pair[0])
        self.hi.set_value(pair[1])

    def _commit(self, _v: float) -> None:
        lo, hi = self.lo.value(), self.hi.value()
        self.committed.emit((min(lo, hi), max(lo, hi)))


class CuePage(QWidget):
    """What the cue is, and its switch budget (the adaptive setting a composer reaches for most)."""

    def __init__(self, commit: Callable[[str, Any], None]) -> None:
        super().__init__()
        self.title = QLabel()
        self.title.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        # Switches that may start in any 60 s of music; 0 lifts the budget.
        self.budget = NumberField(0, 60, 0, "a minute", 1)
        self.budget.setToolTip("At most this many switches start in any 60 s of music (0: no limit); "
                               "a manual override is exempt")
        form = QFormLayout()
        form.addRow("Switch budget", self.budget)
        box.addLayout(form)
        box.addStretch(1)
        self.budget.committed.connect(lambda v: commit("adaptive.max_switches_per_minute", int(round(v))))

    def show(self, cue: Any) -> None:  # noqa: A003 - a page shows one object
        loop = cue.loop_beats
        self.title.setText(
            f"<b>Cue {cue.name}</b><br>{cue.length_bars} bars of {cue.meter} at {cue.tempo.initial_bpm:g} BPM"
            f"{', ' + cue.key if cue.key else ''}<br>loop {cue.meter.span_text(*loop)} (beats {loop[0]:g}–{loop[1]:g})<br>"
            f"{len(cue.variants)} variants, {len(cue.transitions)} transition rules, {len(cue.stingers)} stingers")
        self.budget.set_value(cue.adaptive.max_switches_per_minute)


class VariantPage(QWidget):
    """Name, tags, valence/arousal target, intensity range and level offset of a variant."""

    def __init__(self, commit: Callable[[str, Any], None]) -> None:
        super().__init__()
        self.name, self.tags = QLineEdit(), QLineEdit()
        self.tags.setPlaceholderText("comma separated, e.g. tense, dark")
        self.valence, self.arousal = NumberField(-1, 1), NumberField(-1, 1)
        self.intensity = RangeFields()
        self.level = NumberField(-24, 24, 1, "LU", 0.5)
        self.follows = QCheckBox("Arousal follows intensity")
        self.follows.setToolTip("Its intensity layers carry the arousal: over its intensity range the music "
                                "expresses the arousal the intensity stands for (2 x intensity - 1), so a viewer "
                                "anywhere on that span is matched by intensity, without a switch")
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Tags", self.tags)
        form.addRow("Valence", self.valence)
        form.addRow("Arousal", self.arousal)
        group = QGroupBox("Intensity range")
        QVBoxLayout(group).addWidget(self.intensity)
        form.addRow(group)
        form.addRow(self.follows)
        form.addRow("Level offset", self.level)
        self.name.editingFinished.connect(lambda: self._text(commit, "name", self.name.text().strip()))
        self.tags.editingFinished.connect(lambda: self._text(commit, "tags", _tags(self.tags.text())))
        self.valence.committed.connect(lambda v: commit("valence", round(v, 4)))
        self.arousal.committed.connect(lambda v: commit("arousal", round(v, 4)))
        self.intensity.committed.connect(lambda p: commit("intensity", p))
        self.level.committed.connect(lambda v: commit("level_offset_lu", round(v, 2)))
        self.follows.clicked.connect(lambda on: commit("arousal_follows_intensity", bool(on)))
        self._shown: Any = None

    def _text(self, commit, field: str, value: Any) -> None:
        if self._shown is not None and getattr(self._shown, field) != value and value:
            commit(field, value)

    def show(self, v: Any) -> None:  # noqa: A003
        self._shown = v
        self.name.setText(v.name)
        self.tags.setText(", ".join(v.tags))
        self.valence.set_value(v.valence)
        self.arousal.set_value(v.arousal)
        self.intensity.set_value(v.intensity)
        self.level.set_value(v.level_offset_lu)
        self.follows.setChecked(v.arousal_follows_intensity)


class Inspector(QScrollArea):
    """Shows the page for the selected path; ``edit(command)`` carries every change out."""

    edit = pyqtSignal(object)
    rename = pyqtSignal(tuple, str)  # path, new name (a rename moves the selection with it)
    choose_plugin = pyqtSignal(tuple, int)  # layer path, slot (-1 instrument)

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setMinimumWidth(330)
        self.stack = QStackedWidget()
        self.empty = QLabel("Select a cue, variant or layer in the project tree.")
        self.empty.setWordWrap(True)
        self.cue_page = CuePage(lambda f, v: self._commit(f, v))
        self.variant_page = VariantPage(lambda f, v: self._commit(f, v))
        self.layer_page = LayerPage(lambda f, v: self._commit(f, v), self.edit.emit,
                                    lambda slot: self.choose_plugin.emit(self.path, slot))
        for page in (self.empty, self.cue_page, self.variant_page, self.layer_page):
            self.stack.addWidget(page)
        self.setWidget(self.stack)
        self.path: tuple = ()
        self.project: Project | None = None

    def _commit(self, field: str, value: Any) -> None:
        """Make the edit (a refused one is reported by the window) and hand it on."""
        if not self.path or self.project is None:
            return
        if field == "name":
            self.rename.emit(self.path, value)
            return
        where = loc(self.path)
        self.edit.emit(lambda project: set_field(project, where, field, value))

    def show_path(self, project: Project | None, path: tuple | None) -> None:
        self.project, self.path = project, tuple(path or ())
        if project is None or not path:
            self.stack.setCurrentWidget(self.empty)
            return
        try:
            obj = find(project, loc(path))
        except ComposerAssistError:
            self.stack.setCurrentWidget(self.empty)
            return
        page = self.layer_page if path[2] else self.variant_page if path[1] else self.cue_page
        page.show(obj) if page is not self.layer_page else page.show(obj, self.path, project)
        self.stack.setCurrentWidget(page)

    def refresh(self) -> None:
        self.show_path(self.project, self.path)
