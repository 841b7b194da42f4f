"""The studio's menus and keyboard shortcuts."""

from __future__ import annotations

from typing import Any, Callable

from PyQt6.QtGui import QAction, QKeySequence


def _action(window: Any, menu: Any, text: str, slot: Callable, shortcut: str | QKeySequence.StandardKey | None = None,
            checkable: bool = False) -> QAction:
    act = QAction(text, window)
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    act.setCheckable(checkable)
    act.triggered.connect(slot)
    menu.addAction(act)
    window.addAction(act)  # shortcuts work whichever widget has focus
    return act


def build_menus(w: Any) -> None:
    """File, Edit, Play and View menus; ``w.actions_by_name`` keeps them for tests and toolbars."""
    acts: dict[str, QAction] = {}
    mb = w.menuBar()
    f = mb.addMenu("&File")
    acts["open"] = _action(w, f, "&Open project…", w.open_dialog, QKeySequence.StandardKey.Open)
    w.recent_menu = f.addMenu("Open &recent")
    acts["save"] = _action(w, f, "&Save", w.save, QKeySequence.StandardKey.Save)
    acts["save_as"] = _action(w, f, "Save &as…", w.save_as_dialog, "Ctrl+Shift+S")
    f.addSeparator()
    acts["trace"] = _action(w, f, "Load &trace…", w.trace_dialog, "Ctrl+T")
    acts["profiles"] = _action(w, f, "Load &listener profiles or model…", w.profiles_dialog, "Ctrl+L")
    acts["scan"] = _action(w, f, "S&can for plugins", w.scan_plugins)
    f.addSeparator()
    acts["settings"] = _action(w, f, "Audio &settings…", w.settings_dialog, "Ctrl+,")
    acts["quit"] = _action(w, f, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    e = mb.addMenu("&Edit")
    undo = w.session.stack.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = w.session.stack.createRedoAction(w, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    e.addAction(undo)
    e.addAction(redo)
    acts["undo"], acts["redo"] = undo, redo
    p = mb.addMenu("&Play")
    acts["play"] = _action(w, p, "Play / pause", w.play_pause, "Space")
    acts["stop"] = _action(w, p, "Stop", w.stop, "Esc")
    acts["back"] = _action(w, p, "One bar back", lambda: w.transport.seek_bars(-1), "Ctrl+Left")
    acts["forward"] = _action(w, p, "One bar forward", lambda: w.transport.seek_bars(1), "Ctrl+Right")
    acts["loop"] = _action(w, p, "Loop region", lambda on: w.bar.loop.setChecked(on), "L", checkable=True)
    acts["follow"] = _action(w, p, "Follow playhead", lambda on: w.bar.follow.setChecked(on), "F", checkable=True)
    acts["follow"].setChecked(True)
    acts["release"] = _action(w, p, "Release emotion override", w.release_override, "0")
    v = mb.addMenu("&View")
    for i, name in enumerate(("Decision log", "Transition matrix", "Listeners")):
        acts[name] = _action(w, v, name, lambda _=False, k=i: w.panels.setCurrentIndex(k), f"Ctrl+{i + 1}")
    w.actions_by_name = acts
    w.refresh_recent()
