"""Long work for the studio: a ``services.jobs.Job`` (its own thread, cancellable, with progress)
watched from the GUI thread by a QTimer, which turns its outcome into Qt signals.

The GUI thread never waits for rendering, scanning or loading, and the job's thread never
touches a Qt object.  Rendering itself runs in worker processes (``audio.render``).
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from composer_assist.core.errors import ComposerAssistError
from composer_assist.services import jobs as service_jobs

POLL_MS = 50


class Job(QObject):
    """``fn(progress)`` run once as a service job; its signals come from the GUI thread."""

    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    progressed = pyqtSignal(int, int)

    def __init__(self, title: str, fn: Callable[[Callable[[int, int], None]], Any],
                 parent: QObject | None = None, discard: Callable[[Any], None] | None = None) -> None:
        """``discard(value)`` undoes what ``fn`` made when a cancel came too late to stop it
        (an output it already started): the value of a cancelled job goes nowhere else."""
        super().__init__(parent)
        self.title = title
        self.discard = discard
        self.work = service_jobs.Job(title, fn)
        self._shown = (0, 0)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> "Job":
        self.work.start()
        self._timer.start()
        return self

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def cancel(self) -> None:
        """Stop at the work's next progress step; no signal follows."""
        self.work.cancel()

    def _poll(self) -> None:
        progress = self.work.progress
        if progress != self._shown:
            self._shown = progress
            self.progressed.emit(*progress)
        if not self.work.wait(0):
            return
        self._timer.stop()
        if self.work.cancelled or self.work.state == "cancelled":
            if self.work.state == "done" and self.discard is not None:
                self.discard(self.work.value)
            return
        error = self.work.error
        if error is None:
            self.finished.emit(self.work.value)
        elif isinstance(error, ComposerAssistError):
            self.failed.emit(f"{self.title}: {error}")
        else:  # a bug or a library's surprise: reported, the app stays up
            traceback.print_exception(error)
            self.failed.emit(f"{self.title}: {type(error).__name__}: {error}")
