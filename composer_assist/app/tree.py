"""The project tree: cues ▸ variants ▸ layers, with context menus and .mid drops onto layers."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem

from composer_assist.core.project import Project

from .palette import variant_color
from .window_structure import STRUCTURE_ACTIONS

PATH_ROLE = Qt.ItemDataRole.UserRole


def layer_summary(layer) -> str:
    effects = "".join(f" → {e.plugin}" for e in layer.effects)
    return f"{layer.instrument.plugin}{effects}, {layer.gain_db:+.1f} dB"


class ProjectTree(QTreeWidget):
    """Selecting an item emits ``selected((cue, variant, layer))``; names past the level are None."""

    selected = pyqtSignal(tuple)
    midi_dropped = pyqtSignal(tuple, str)  # layer path, .mid file
    action_requested = pyqtSignal(str, tuple)  # "preview", "override", "solo", "mute" on a path

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderLabels(["Project", "Details"])
        self.setColumnWidth(0, 130)
        self.setAcceptDrops(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.currentItemChanged.connect(self._current)

    @staticmethod
    def rows(project: Project | None) -> list[tuple[tuple, str, str]]:
        """(path, name, details) of every item, in tree order."""
        out: list[tuple[tuple, str, str]] = []
        for cue in project.cues if project is not None else []:
            out.append(((cue.name, None, None), cue.name,
                        f"{cue.length_bars} bars · {cue.tempo.initial_bpm:g} BPM · {cue.meter}"))
            for v in cue.variants:
                out.append(((cue.name, v.name, None), v.name, f"V {v.valence:+.2f}  A {v.arousal:+.2f}"))
                out += [((cue.name, v.name, l.name), l.name, layer_summary(l)) for l in v.layers]
        return out

    def show_project(self, project: Project | None) -> None:
        """Show ``project``: texts updated in place when the structure is the same (no flicker,
        no new selection), else rebuilt keeping the selected path when it still exists."""
        rows = self.rows(project)
        items = list(self._walk_ordered())
        if project is not None and [i.data(0, PATH_ROLE) for i in items] == [r[0] for r in rows]:
            for item, (_path, name, details) in zip(items, rows):
                item.setText(0, name)
                item.setText(1, details)
                item.setToolTip(1, details)
            return
        keep = self.current_path()
        self.blockSignals(True)
        self.clear()
        if project is not None:
            for cue in project.cues:
                ci = self._item(None, cue.name, f"{cue.length_bars} bars · {cue.tempo.initial_bpm:g} BPM · {cue.meter}",
                                (cue.name, None, None))
                for i, v in enumerate(cue.variants):
                    vi = self._item(ci, v.name, f"V {v.valence:+.2f}  A {v.arousal:+.2f}", (cue.name, v.name, None))
                    vi.setToolTip(0, f"tags: {', '.join(v.tags) or 'none'}")
                    vi.setForeground(0, variant_color(i))
                    for layer in v.layers:
                        self._item(vi, layer.name, layer_summary(layer), (cue.name, v.name, layer.name))
            self.expandToDepth(0)
        self.blockSignals(False)
        self.select_path(keep if keep and self._find(keep) else self._first())

    def _item(self, parent, name: str, details: str, path: tuple) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, details])
        item.setData(0, PATH_ROLE, path)
        item.setToolTip(1, details)
        if parent is None:
            self.addTopLevelItem(item)
        else:
            parent.addChild(item)
        return item

    def _first(self) -> tuple | None:
        top = self.topLevelItem(0)
        return top.data(0, PATH_ROLE) if top is not None else None

    def _walk_ordered(self):
        def visit(item):
            yield item
            for i in range(item.childCount()):
                yield from visit(item.child(i))

        for i in range(self.topLevelItemCount()):
            yield from visit(self.topLevelItem(i))

    def _walk(self):
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(item.child(i) for i in range(item.childCount()))

    def _find(self, path: tuple) -> QTreeWidgetItem | None:
        return next((it for it in self._walk() if it.data(0, PATH_ROLE) == tuple(path)), None)

    def select_path(self, path: tuple | None) -> None:
        item = self._find(path) if path else None
        if item is not None:
            self.setCurrentItem(item)
            self.selected.emit(tuple(path))

    def current_path(self) -> tuple | None:
        item = self.currentItem()
        return item.data(0, PATH_ROLE) if item is not None else None

    def _current(self, item, _previous) -> None:
        if item is not None:
            self.selected.emit(item.data(0, PATH_ROLE))

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        path = item.data(0, PATH_ROLE)
        menu = QMenu(self)
        if path[1] is None:
            level, labels = "cue", [("preview", "Play this cue")]
        elif path[2] is None:
            level, labels = "variant", [("override", "Hear this variant now (override emotion)"),
                                        ("preview", "Play this cue")]
        else:
            level, labels = "layer", [("solo", "Solo layer in preview"), ("mute", "Mute layer in preview"),
                                      ("rerender", "Re-render this stem"), ("import_midi", "Import MIDI into layer…")]
        for key, label in labels + [(None, None)] + STRUCTURE_ACTIONS[level]:
            if key is None:
                menu.addSeparator()
                continue
            act = QAction(label, menu)
            act.triggered.connect(lambda _=False, k=key: self.action_requested.emit(k, path))
            menu.addAction(act)
        menu.popup(self.viewport().mapToGlobal(pos))
        self._last_menu = menu  # tests read the entries

    # ---- drops: a .mid onto a layer -----------------------------------------------------------
    def _drop_target(self, event) -> tuple | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        mids = [u.toLocalFile() for u in urls if u.toLocalFile().lower().endswith((".mid", ".midi"))]
        item = self.itemAt(event.position().toPoint())
        path = item.data(0, PATH_ROLE) if item is not None else None
        if mids and path and path[2] is not None:
            return path, mids[0]
        return None

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if self._drop_target(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        target = self._drop_target(event)
        if target is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.midi_dropped.emit(target[0], str(Path(target[1])))
