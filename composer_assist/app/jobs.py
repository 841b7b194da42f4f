"""Background work for the studio: a function in a Python thread, its outcome polled on a QTimer.

The GUI thread never waits for rendering, scanning or loading: the thread only stores its result,
error and progress in plain attributes, and a timer in the GUI thread turns them into signals.
Rendering itself runs in worker processes (``audio.render``), so the thread mostly waits.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from composer_assist.core.errors import ComposerAssistError

POLL_MS = 50


class Job(QObject):
    """``fn(progress)`` run once in a thread; ``progress(done, total)`` may be called from it."""

    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    progressed = pyqtSignal(int, int)

    def __init__(self, title: str, fn: Callable[[Callable[[int, int], None]], Any],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title, self._fn = title, fn
        self._done = False
        self._result: Any = None
        self._error: str | None = None
        self._progress = (0, 0)
        self._shown = (0, 0)
        self.cancelled = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> "Job":
        threading.Thread(target=self._run, name=f"job: {self.title}", daemon=True).start()
        self._timer.start()
        return self

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def cancel(self) -> None:
        """Drop the outcome (the thread finishes its current step and is forgotten)."""
        self.cancelled = True

    def _set_progress(self, done: int, total: int) -> None:
        self._progress = (int(done), int(total))

    def _run(self) -> None:
        try:
            self._result = self._fn(self._set_progress)
        except ComposerAssistError as exc:
            self._error = str(exc)
        except Exception as exc:  # a bug or a library's surprise: reported, the app stays up
            traceback.print_exc()
            self._error = f"{type(exc).__name__}: {exc}"
        self._done = True

    def _poll(self) -> None:
        if self._progress != self._shown:
            self._shown = self._progress
            self.progressed.emit(*self._shown)
        if not self._done:
            return
        self._timer.stop()
        if self.cancelled:
            return
        if self._error is not None:
            self.failed.emit(f"{self.title}: {self._error}")
        else:
            self.finished.emit(self._result)
