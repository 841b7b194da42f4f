"""The plugin browser: built-in Faust plugins and what the last scan found, failed ones with why."""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem,
                             QVBoxLayout)

from composer_assist.core.errors import PluginError
from composer_assist.core.plugins.meta import faust_meta
from composer_assist.core.plugins.paths import builtin_plugin_dir


@dataclass
class PluginEntry:
    """One plugin as the browser and the parameter editors see it."""

    ref: str  # what a layer writes in "plugin"
    name: str
    format: str  # faust | vst2 | vst3
    kind: str  # instrument | effect | "" (failed)
    params: dict[str, dict] = field(default_factory=dict)  # name -> {min, max, default, unit, help}
    ok: bool = True
    why: str = ""


def builtin_entries() -> list[PluginEntry]:
    out = []
    for dsp in sorted(builtin_plugin_dir().glob("*.dsp")):
        try:
            meta = faust_meta(dsp)
        except PluginError as exc:
            out.append(PluginEntry(dsp.stem, dsp.stem, "faust", "", ok=False, why=str(exc)))
            continue
        out.append(PluginEntry(dsp.stem, meta.get("name", dsp.stem), "faust", meta["kind"], meta["params"]))
    return out


def scanned_entries() -> list[PluginEntry]:
    """The scan cache (no probing here: a scan is a job of its own)."""
    from composer_assist.audio.scan import cached_plugins

    out = []
    for info in cached_plugins():
        if info.format == "faust":
            continue  # the built-ins above, read from their metadata
        params = {p.get("name", f"#{i}"): {"min": p.get("min", 0.0), "max": p.get("max", 1.0),
                                            "default": p.get("default", 0.0), "unit": p.get("unit", "")}
                  for i, p in enumerate(info.params)}
        out.append(PluginEntry(info.ref, info.name, info.format, info.kind, params, info.ok,
                               info.error or info.note or ""))
    return out


def all_entries() -> list[PluginEntry]:
    return builtin_entries() + scanned_entries()


def find_entry(entries: list[PluginEntry], ref: str) -> PluginEntry | None:
    return next((e for e in entries if e.ref == ref), None)


class PluginBrowser(QDialog):
    """Pick an instrument or an effect; failed plugins are listed, greyed, with the reason.

    ``current`` (the slot's plugin) starts selected, so OK without a click keeps it; with none,
    OK waits for a choice (nothing is chosen by where the keyboard focus happens to sit)."""

    scan_requested = pyqtSignal()

    def __init__(self, entries: list[PluginEntry], kind: str, parent=None, current: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Choose an {kind}")
        self.resize(620, 420)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Plugin", "Format", "Kind", "Status"])
        self.tree.setColumnWidth(0, 220)
        selected = None
        for e in entries:
            usable = e.ok and (e.kind == kind or not e.kind)
            status = f"failed: {e.why}" if not e.ok else "ok" if usable else f"not an {kind}"
            item = QTreeWidgetItem([f"{e.name} ({e.ref})", e.format, e.kind or "?", status])
            item.setData(0, Qt.ItemDataRole.UserRole, e.ref)
            if not usable:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(3, e.why or f"not an {kind}")
            elif e.ref == current:
                selected = item
            self.tree.addTopLevelItem(item)
        scan = QPushButton("Scan for plugins…")
        scan.clicked.connect(self.scan_requested.emit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.tree.itemDoubleClicked.connect(lambda *_: self.chosen() and self.accept())
        self.tree.itemSelectionChanged.connect(lambda: self.ok.setEnabled(self.chosen() is not None))
        if selected is not None:
            self.tree.setCurrentItem(selected)
            self.tree.scrollToItem(selected)
        self.ok.setEnabled(self.chosen() is not None)
        box = QVBoxLayout(self)
        box.addWidget(QLabel("Faust plugins ship with Composer Assist; VST2/VST3 come from the last scan."))
        box.addWidget(self.tree)
        box.addWidget(scan)
        box.addWidget(buttons)

    def chosen(self) -> str | None:
        """The selected plugin (a usable one), or None."""
        items = [i for i in self.tree.selectedItems() if i.flags() & Qt.ItemFlag.ItemIsEnabled]
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None
