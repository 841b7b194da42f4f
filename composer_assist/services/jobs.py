"""Long work (render, adapt, learn, scan) as cancellable jobs with progress, run in a thread.

The work itself runs where it always does (stems and plugin probes in worker processes, see
``audio.workers``); a ``Job`` drives it from one of a few long-lived job threads, so the app's GUI
thread never blocks on it.  Long-lived on purpose: a render worker process dies with the thread
that started it (PDEATHSIG), so a thread per job would leave the next job a dying worker.  ``progress(done, total)`` is the callback every lower layer
already accepts; it is also where a cancel takes effect: the next call raises ``JobCancelled``,
which unwinds the work (the worker pool kills the processes it had busy).

    job = Job("render night_chase", lambda progress: render_cue(project, "night_chase", progress=progress))
    job.start(); ...; job.cancel(); job.wait(); job.state  # "cancelled"

Status is read by polling (``job.progress``, ``job.state``): nothing here calls back into a GUI
from the worker thread unless the caller's ``on_progress`` does.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Generic, TypeVar

from composer_assist.core.errors import ComposerAssistError

T = TypeVar("T")
Progress = Callable[[int, int], None]
STATES = ("pending", "running", "done", "failed", "cancelled")
JOB_THREADS = 4  # jobs beyond this wait their turn (the render and scan workers are one shared pool anyway)

_executor: ThreadPoolExecutor | None = None
_executor_guard = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    global _executor
    with _executor_guard:
        if _executor is None:
            _executor = ThreadPoolExecutor(JOB_THREADS, thread_name_prefix="composer-assist-job")
        return _executor


class JobCancelled(ComposerAssistError):
    """The job was cancelled before it finished."""


class Job(Generic[T]):
    """``work(progress)`` in a job thread; ``result()`` is its value or raises its error."""

    def __init__(self, name: str, work: Callable[[Progress], T],
                 on_progress: Callable[[int, int], None] | None = None,
                 on_done: Callable[["Job[T]"], None] | None = None) -> None:
        self.name = name
        self._work = work
        self._on_progress = on_progress
        self._on_done = on_done
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._future: Future | None = None
        self.state = "pending"
        self.done, self.total = 0, 0
        self.value: T | None = None
        self.error: BaseException | None = None

    def start(self) -> "Job[T]":
        if self._future is not None:
            raise RuntimeError(f"job {self.name!r} was already started")
        self._future = _threads().submit(self._run)
        return self

    def run(self) -> T:
        """Do the work in the calling thread (the command line); same progress and cancel rules."""
        self._run()
        return self.result()

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise JobCancelled(f"{self.name}: cancelled")
        with self._lock:
            self.done, self.total = int(done), int(total)
        if self._on_progress is not None:
            self._on_progress(done, total)

    def check_cancelled(self) -> None:
        """For work between progress steps: raise ``JobCancelled`` if a cancel was asked for."""
        self._progress(self.done, self.total)

    def _run(self) -> None:
        self.state = "running"
        try:
            if self._cancel.is_set():
                raise JobCancelled(f"{self.name}: cancelled")
            self.value = self._work(self._progress)
            self.state = "done"
        except JobCancelled as exc:
            self.error, self.state = exc, "cancelled"
        except BaseException as exc:  # noqa: BLE001 - reported to whoever asks for the result
            self.error, self.state = exc, "failed"
        finally:
            self._finished.set()
            if self._on_done is not None:
                self._on_done(self)

    def cancel(self) -> None:
        """Ask the work to stop at its next progress step (a job not yet started never runs)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def progress(self) -> tuple[int, int]:
        with self._lock:
            return self.done, self.total

    def wait(self, timeout: float | None = None) -> bool:
        """True once the job has finished (done, failed or cancelled)."""
        return self._finished.wait(timeout)

    def result(self, timeout: float | None = None) -> T:
        if not self.wait(timeout):
            raise TimeoutError(f"job {self.name!r} still running after {timeout:g} s")
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


# ---- the jobs the CLI and the app start ----------------------------------------------------------
def render_job(project: Any, cue: str, variants: list[str] | None = None, jobs: int = 2,
               use_cache: bool = True, **kw: Any) -> Job:
    """Render a cue's stems (``audio.render.render_cue``; keep_going, timeout... pass through)."""
    from composer_assist.audio.render import render_cue

    return Job(f"render {cue}", lambda progress: render_cue(project, cue, variants, jobs=jobs, use_cache=use_cache,
                                                            progress=progress, **kw))


def adapt_job(project: Any, cue: str, trace: Any, **kw: Any) -> Job:
    """Render (cached) and adapt a cue to a trace (``services.adapt.adapt``; progress in samples)."""
    from .adapt import adapt

    return Job(f"adapt {cue}", lambda progress: adapt(project, cue, trace, progress=progress, **kw))


def scan_job(rescan: bool = False, jobs: int = 2, **kw: Any) -> Job:
    """Find and probe plugins (``audio.scan.scan_plugins``); a crashing plugin fails only its own entry."""
    from composer_assist.audio.scan import scan_plugins

    return Job("scan plugins", lambda progress: scan_plugins(rescan=rescan, jobs=jobs, progress=progress, **kw))


def learn_job(log: Any, **model_kw: Any) -> Job:
    """Fit a listener preference model to a feedback log (progress: 0/1, then 1/1)."""
    from composer_assist.learn.model import ListenerPreferenceModel

    def work(progress: Progress) -> Any:
        progress(0, 1)
        model = ListenerPreferenceModel(**model_kw).fit(log)
        progress(1, 1)
        return model

    return Job("learn", work)
