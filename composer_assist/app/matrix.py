"""The transition matrix: source × destination (with "any"), each cell the effective rule and
the rule it came from; double-click a cell to set the rule for exactly that pair."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                             QHeaderView, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget, QLabel)

from composer_assist.core.project import ANY, ENTER_MODES, FADE_CURVES, LEAVE_MODES, TransitionRule

from composer_assist.core.edit import set_rule

SHADES = {-1: "#f2f2f2", 0: "#e8f0fe", 1: "#fff4d6", 2: "#ffe0e0"}  # default, any→any, one side, exact


CURVES = {"equal_power": "eq-power", "linear": "linear", "s_curve": "S-curve"}


def rule_text(rule: TransitionRule) -> str:
    """The whole rule in words (tooltips)."""
    leave = f"every {rule.bars} bars" if rule.leave == "bars" else f"at the next {rule.leave}"
    text = f"exit {leave}, enter at {rule.enter}, fade {rule.fade_beats:g} beats ({rule.curve.replace('_', ' ')})"
    return text + (f", stinger {rule.stinger}" if rule.stinger else "")


def cell_text(rule: TransitionRule, source: str) -> str:
    """The rule in a cell: exit ▸ enter, fade, where it came from."""
    leave = f"{rule.bars} bars" if rule.leave == "bars" else rule.leave.replace("_", " ")
    text = f"{leave} ▸ {rule.enter}\n{rule.fade_beats:g} b {CURVES.get(rule.curve, rule.curve)}"
    return text + (f"\n♪ {rule.stinger}" if rule.stinger else "") + f"\n{source}"


def effective(cue: Any, source: str, target: str) -> tuple[TransitionRule, int, str]:
    """The rule a pair uses, its specificity (-1 built-in) and where it came from."""
    best, score, where = TransitionRule(), -1, "built-in"
    for i, rule in enumerate(cue.transitions):
        s = rule.matches(source, target)
        if s > score:
            best, score, where = rule, s, f"rule {i + 1} ({rule.source}→{rule.target})"
    return best, score, where


class RuleDialog(QDialog):
    """Edit the rule of one source → target pair: a field shows only what the chosen exit and
    entry use (the bars of "bars", the markers of "marker"), so every choice offered can be kept."""

    NEXT_MARKER = "(the next marker)"

    def __init__(self, rule: TransitionRule, source: str, target: str, stingers: list[str], parent=None,
                 markers: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Transition {source} → {target}")
        markers = list(markers or [])
        self.leave, self.enter, self.curve, self.stinger = QComboBox(), QComboBox(), QComboBox(), QComboBox()
        self.leave_marker, self.enter_marker = QComboBox(), QComboBox()
        self.leave.addItems(LEAVE_MODES)
        # entering at a marker needs one to enter at: not offered in a cue without markers
        self.enter.addItems([m for m in ENTER_MODES if m != "marker" or markers])
        for name in FADE_CURVES:  # shown as the matrix's cells show them, kept as the project writes them
            self.curve.addItem(CURVES.get(name, name), name)
        self.stinger.addItems(["(none)"] + stingers)
        self.leave_marker.addItems([self.NEXT_MARKER] + markers)
        self.enter_marker.addItems(markers)
        self.bars = QSpinBox()
        self.bars.setRange(1, 64)
        self.fade = QDoubleSpinBox()
        self.fade.setRange(0.0, 64.0)
        self.leave.setCurrentText(rule.leave)
        self.enter.setCurrentText(rule.enter)
        self.curve.setCurrentIndex(max(0, self.curve.findData(rule.curve)))
        self.stinger.setCurrentText(rule.stinger or "(none)")
        self.leave_marker.setCurrentText(rule.leave_marker or self.NEXT_MARKER)
        if rule.enter_marker:
            self.enter_marker.setCurrentText(rule.enter_marker)
        self.bars.setValue(rule.bars)
        self.fade.setValue(rule.fade_beats)
        form = QFormLayout(self)
        self.form = form
        for label, w in (("Exit at", self.leave), ("Exit every N bars", self.bars),
                         ("Exit at marker", self.leave_marker), ("Enter at", self.enter),
                         ("Enter at marker", self.enter_marker), ("Fade (beats)", self.fade), ("Curve", self.curve),
                         ("Stinger", self.stinger)):
            form.addRow(label, w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.leave.currentTextChanged.connect(self._shown)
        self.enter.currentTextChanged.connect(self._shown)
        self._shown()
        self.base, self.source, self.target = rule, source, target

    def _shown(self) -> None:
        """Only the fields the chosen exit and entry use."""
        for w, on in ((self.bars, self.leave.currentText() == "bars"),
                      (self.leave_marker, self.leave.currentText() == "marker"),
                      (self.enter_marker, self.enter.currentText() == "marker")):
            self.form.setRowVisible(w, on)

    def values(self) -> dict:
        """The rule's fields as chosen (what ``core.edit.set_rule`` takes)."""
        stinger = self.stinger.currentText()
        leave, enter = self.leave.currentText(), self.enter.currentText()
        exit_marker = self.leave_marker.currentText()
        return dict(leave=leave, bars=self.bars.value(), enter=enter,
                    leave_marker=exit_marker if leave == "marker" and exit_marker != self.NEXT_MARKER else None,
                    enter_marker=self.enter_marker.currentText() if enter == "marker" else None,
                    fade_beats=self.fade.value(), curve=self.curve.currentData(),
                    stinger=None if stinger == "(none)" else stinger)


class TransitionMatrix(QWidget):
    edit = pyqtSignal(object)

    def __init__(self) -> None:
        super().__init__()
        self.note = QLabel("Rows: from, columns: to. A cell: exit at ▸ enter at, fade (b: beats) and curve, and the rule it comes from "
                           "(red: that exact pair, yellow: one side given, blue: any → any). Double-click to edit.")
        self.note.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.table.setFont(font)
        self.table.cellDoubleClicked.connect(self._edit_cell)
        box = QVBoxLayout(self)
        box.addWidget(self.note)
        box.addWidget(self.table)
        self.cue: Any = None
        self.names: list[str] = []

    def show_cue(self, cue: Any) -> None:
        self.cue = cue
        self.names = ([v.name for v in cue.variants] if cue is not None else []) + [ANY]
        labels = [n if n != ANY else "any (*)" for n in self.names]
        t = self.table
        t.clear()
        t.setRowCount(len(self.names))
        t.setColumnCount(len(self.names))
        t.setHorizontalHeaderLabels([f"to {n}" for n in labels])
        t.setVerticalHeaderLabels([f"from {n}" for n in labels])
        if cue is None:
            return
        for r, src in enumerate(self.names):
            for c, dst in enumerate(self.names):
                rule, score, where = effective(cue, src, dst)
                item = QTableWidgetItem(cell_text(rule, where))
                item.setToolTip(f"{src} → {dst}: {rule_text(rule)}; from {where}")
                item.setBackground(QColor(SHADES[score]))
                t.setItem(r, c, item)
        # Columns as wide as their text (a scroll bar when the panel is narrower): a cut rule misleads.
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.resizeRowsToContents()

    def _edit_cell(self, row: int, col: int) -> None:
        if self.cue is None:
            return
        src, dst = self.names[row], self.names[col]
        rule, _score, _where = effective(self.cue, src, dst)
        dialog = RuleDialog(rule, src, dst, [s.name for s in self.cue.stingers], self,
                            markers=[m.name for m in self.cue.markers])
        if dialog.exec():
            self.edit.emit(self.set_pair(src, dst, dialog.values()))

    def set_pair(self, source: str, target: str, values: dict) -> Any:
        """An edit maker giving the pair ``source`` → ``target`` its own rule with ``values``."""
        cue = self.cue.name
        return lambda project: set_rule(project, cue, source, target, **values)
