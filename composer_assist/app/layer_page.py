"""The inspector's layer page: instrument and effects, their parameters, gain, pan, intensity."""

from __future__ import annotations

from typing import Any, Callable

from PyQt6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from composer_assist.core.edit import plugin_params, set_effects, set_param
from composer_assist.core.errors import ComposerAssistError
from composer_assist.core.plugins.scan_cache import read_scan_cache

from .edits import loc
from .fields import NumberField
from .plugin_browser import PluginEntry, all_entries, find_entry

RATIO_UNITS = ("hz", "khz", "ms", "s")  # parameters a listener hears by ratios (an octave, a doubling)


class SlotBox(QGroupBox):
    """One plugin slot: which plugin, a button to change it, and its parameters."""

    def __init__(self, title: str, entry: PluginEntry | None, ref: Any, specs: dict[str, dict] | None,
                 on_param: Callable[[str, float], None], on_choose: Callable[[], None],
                 on_remove: Callable[[], None] | None) -> None:
        super().__init__(title)
        form = QFormLayout(self)
        head = QHBoxLayout()
        label = QLabel(f"<b>{entry.name if entry else ref.plugin}</b> ({ref.plugin})")
        label.setWordWrap(True)
        head.addWidget(label, 1)
        change = QPushButton("Change…")
        change.clicked.connect(on_choose)
        head.addWidget(change)
        if on_remove is not None:
            remove = QPushButton("Remove")
            remove.clicked.connect(on_remove)
            head.addWidget(remove)
        form.addRow(head)
        self.params: dict[str, NumberField] = {}
        self.specs = specs or {}
        if specs is None:
            form.addRow(QLabel("parameters unknown: scan for plugins (File ▸ Scan) to edit them here"))
        for name, spec in self.specs.items():
            span = spec["max"] - spec["min"]
            field = NumberField(spec["min"], spec["max"], 0 if span >= 200 else 1 if span >= 20 else 3,
                                spec.get("unit", ""), log=ratio_scaled(spec))
            field.set_value(ref.params.get(name, spec.get("default", spec["min"])))
            field.setToolTip(spec.get("help", ""))
            field.committed.connect(lambda v, n=name: on_param(n, v))
            self.params[name] = field
            form.addRow(f"{name} ({spec['min']:g}..{spec['max']:g})", field)


def ratio_scaled(spec: dict) -> bool:
    """Whether a parameter is heard by ratios: a frequency or a time over a decade or more."""
    unit = str(spec.get("unit", "")).strip().lower()
    return unit in RATIO_UNITS and spec["min"] > 0 and spec["max"] >= 10 * spec["min"]


class LayerPage(QWidget):
    """Gain, pan, intensity range and fade, then the instrument and each effect with parameters."""

    def __init__(self, commit: Callable[[str, Any], None], edit: Callable[[Any], None],
                 choose: Callable[[int], None]) -> None:
        super().__init__()
        self._commit, self._edit, self._choose = commit, edit, choose
        self.entries: list[PluginEntry] | None = None
        self.title = QLabel()
        self.gain = NumberField(-60, 24, 1, "dB", 0.5)
        self.pan = NumberField(-1, 1, 2)
        self.lo, self.hi = NumberField(0, 1), NumberField(0, 1)
        self.fade = NumberField(0, 1)
        form = QFormLayout()
        form.addRow(self.title)
        form.addRow("Gain", self.gain)
        form.addRow("Pan (L−1..R+1)", self.pan)
        form.addRow("Sounds from intensity", self.lo)
        form.addRow("up to intensity", self.hi)
        form.addRow("Fade width", self.fade)
        self.gain.committed.connect(lambda v: commit("gain_db", round(v, 2)))
        self.pan.committed.connect(lambda v: commit("pan", round(v, 3)))
        self.lo.committed.connect(lambda _v: self._range())
        self.hi.committed.connect(lambda _v: self._range())
        self.fade.committed.connect(lambda v: commit("fade", round(v, 3)))
        self.slots = QVBoxLayout()
        add = QPushButton("Add effect…")
        add.clicked.connect(lambda: choose(len(self._layer.effects) if self._layer else 0))
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addLayout(self.slots)
        box.addWidget(add)
        box.addStretch(1)
        self._layer: Any = None
        self.project: Any = None
        self._path: tuple = ()
        self._shown_plugins: tuple = ()
        self._boxes = []

    def _range(self) -> None:
        lo, hi = self.lo.value(), self.hi.value()
        self._commit("intensity", (min(lo, hi), max(lo, hi)))

    @staticmethod
    def _plugins(layer: Any) -> tuple:
        return (layer.instrument.plugin, *(fx.plugin for fx in layer.effects))

    def show(self, layer: Any, path: tuple, project: Any = None) -> None:  # noqa: A003
        """Show a layer; the same layer with the same plugins only gets its values set (an edit
        must not rebuild the page under the user's hands)."""
        if self.entries is None:
            self.entries = all_entries()
        same = path == self._path and self._layer is not None and self._plugins(layer) == self._shown_plugins
        self._layer, self._path, self.project = layer, path, project
        self._shown_plugins = self._plugins(layer)
        self.title.setText(f"<b>Layer {layer.name}</b> of {path[1]} · {len(layer.notes())} notes")
        self.gain.set_value(layer.gain_db)
        self.pan.set_value(layer.pan)
        self.lo.set_value(layer.intensity[0])
        self.hi.set_value(layer.intensity[1])
        self.fade.set_value(layer.fade)
        if same:
            for box, ref in zip(self._boxes, [layer.instrument, *layer.effects]):
                for name, field in box.params.items():
                    spec = box.specs[name]
                    field.set_value(ref.params.get(name, spec.get("default", spec["min"])))
            return
        self._boxes: list[SlotBox] = []
        while self.slots.count():
            w = self.slots.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self._boxes.append(self._slot("Instrument", -1, layer.instrument))
        for i, fx in enumerate(layer.effects):
            self._boxes.append(self._slot(f"Effect {i + 1}", i, fx))
        for box in self._boxes:
            self.slots.addWidget(box)

    def _specs(self, ref: str) -> dict[str, dict] | None:
        """The plugin's parameters by name (Faust metadata or the scan; a project's own .dsp too)."""
        try:
            params = plugin_params(self.project, ref, read_scan_cache())
        except ComposerAssistError:
            return None
        return None if params is None else {p["name"]: p for p in params}

    def _slot(self, title: str, slot: int, ref: Any) -> SlotBox:
        remove = None if slot < 0 else (lambda: self._remove_effect(slot))
        return SlotBox(title, find_entry(self.entries or [], ref.plugin), ref, self._specs(ref.plugin),
                       lambda n, v: self._edit(lambda p: set_param(p, loc(self._path), "instrument" if slot < 0 else slot,
                                                                   n, round(v, 5))),
                       lambda: self._choose(slot), remove)

    def _remove_effect(self, slot: int) -> None:
        refs = [fx.plugin for i, fx in enumerate(self._layer.effects) if i != slot]
        self._edit(lambda p: set_effects(p, loc(self._path), refs))
