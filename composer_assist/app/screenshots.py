"""PNGs of the main window in its main states (``composer-assist gui PROJECT --screenshot DIR``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from PyQt6.QtWidgets import QApplication

from composer_assist.core.errors import ComposerAssistError

PLAY_SECONDS = 3.0
START_TIMEOUT_S = 600.0  # the stems of a cold cache on a busy two-core machine can take minutes


def _pump(seconds: float, until: Callable[[], bool] | None = None) -> bool:
    """Run the event loop for ``seconds`` (or until ``until()``); True when ``until`` came true."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.01)
    return until is None


def _grab(window: Any, folder: Path, name: str) -> Path:
    _pump(0.3)
    path = folder / f"{name}.png"
    if not window.grab().save(str(path)):
        raise ComposerAssistError(f"{path}: cannot write the screenshot")
    return path


def take_screenshots(window: Any, folder: Path) -> list[Path]:
    """editing, playing (with a trace), transition matrix, listeners: one PNG each."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    window.panels.setCurrentWidget(window.decisions)
    cue = window.cue()
    if cue is not None and cue.variants:
        window.tree.select_path((cue.name, cue.variants[0].name, None))
    out.append(_grab(window, folder, "1-editing"))
    if cue is not None and cue.variants and cue.variants[0].layers:
        window.tree.select_path((cue.name, cue.variants[0].name, cue.variants[0].layers[0].name))
        out.append(_grab(window, folder, "2-layer"))
    if window.trace is None:
        from composer_assist.core.trace import generate_trace

        window.trace = generate_trace("thriller_buildup", duration=60.0, seed=0)
        window.load_trace_object(window.trace, "generated thriller_buildup")
    window.panels.setCurrentWidget(window.decisions)
    window.play_pause()
    if not _pump(START_TIMEOUT_S, lambda: window.transport.player is not None or bool(window.errors)):
        raise ComposerAssistError(f"playback did not start within {START_TIMEOUT_S / 60:g} minutes")
    if window.errors:
        raise ComposerAssistError(window.errors[-1])
    _pump(PLAY_SECONDS)
    out.append(_grab(window, folder, "3-playing"))
    window.panels.setCurrentWidget(window.matrix)
    out.append(_grab(window, folder, "4-transition-matrix"))
    window.panels.setCurrentWidget(window.listeners)
    if window.profiles:
        window.listeners.choose(0)  # heard live: the player follows that cluster from now
        _pump(1.0)
    out.append(_grab(window, folder, "5-listeners"))
    window.stop()
    return out
