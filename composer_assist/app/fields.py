"""Small editing widgets: a number as slider + spin box that commits once per gesture."""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QSlider, QWidget

STEPS = 1000  # slider resolution across the range


class NumberField(QWidget):
    """A value in [lo, hi]; ``committed(value)`` when the user finishes a change (not per pixel)."""

    committed = pyqtSignal(float)

    def __init__(self, lo: float, hi: float, decimals: int = 2, unit: str = "", step: float | None = None,
                 log: bool = False) -> None:
        """``log``: the slider moves by ratios, not steps (a frequency or a time: the first
        tenth of a linear 20 Hz..20 kHz slider would hold every bass note); needs ``lo`` > 0."""
        super().__init__()
        self.lo, self.hi = float(lo), float(hi)
        self.log = bool(log) and self.lo > 0
        self.spin = QDoubleSpinBox()
        self.spin.setRange(self.lo, self.hi)
        self.spin.setDecimals(decimals)
        self.spin.setSingleStep(step or (self.hi - self.lo) / 100 or 0.01)
        self.spin.setKeyboardTracking(False)
        if unit:
            self.spin.setSuffix(f" {unit}")
        self.spin.setMinimumWidth(90)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.setMinimumWidth(80)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.spin)
        self._quiet = False
        self.slider.valueChanged.connect(self._slid)
        self.slider.sliderReleased.connect(self._commit)
        self.spin.valueChanged.connect(self._spun)
        self.spin.editingFinished.connect(self._commit)
        self._last = None

    def value(self) -> float:
        return float(self.spin.value())

    def set_value(self, value: float) -> None:
        """Show a value from the model (no commit)."""
        self._quiet = True
        self.spin.setValue(float(value))
        self.slider.setValue(self._to_slider(float(value)))
        self._last = self.value()
        self._quiet = False

    def _to_slider(self, v: float) -> int:
        if self.hi <= self.lo:
            return 0
        if self.log:
            share = math.log(max(v, self.lo) / self.lo) / math.log(self.hi / self.lo)
        else:
            share = (v - self.lo) / (self.hi - self.lo)
        return int(round(share * STEPS))

    def _from_slider(self, pos: int) -> float:
        share = pos / STEPS
        if self.log:
            return min(self.hi, self.lo * (self.hi / self.lo) ** share)
        return self.lo + (self.hi - self.lo) * share

    def _slid(self, pos: int) -> None:
        if self._quiet:
            return
        self._quiet = True
        self.spin.setValue(self._from_slider(pos))
        self._quiet = False
        if not self.slider.isSliderDown():  # keyboard or wheel on the slider: one step, one commit
            self._commit()

    def _spun(self, v: float) -> None:
        if self._quiet:
            return
        self._quiet = True
        self.slider.setValue(self._to_slider(v))
        self._quiet = False
        if not self.spin.hasFocus():  # arrows/wheel without focus: commit now
            self._commit()

    def _commit(self) -> None:
        v = self.value()
        if self._last is None or abs(v - self._last) > 1e-12:
            self._last = v
            self.committed.emit(v)
