"""A small pool of plugin-hosting worker processes, one job at a time per worker.

Why not joblib/loky: when a loky worker segfaults, every pending future of the executor fails
with ``TerminatedWorkerError`` and nothing says which job crashed, and a hung job cannot be
killed on its own.  Here each worker runs exactly one job at a time, so a crash or a timeout is
charged to that job only; the worker is replaced and the other jobs carry on.  Jobs and answers
are JSON lines (nothing is unpickled); audio travels as ``.npy`` files in the stem cache.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

MAX_JOBS_PER_WORKER = 100  # recycle workers so plugins loaded long ago do not pile up in memory


@dataclass
class JobResult:
    job: dict
    ok: bool
    result: dict | None = None
    error: str | None = None
    error_type: str | None = None  # PluginError, RenderError... or "crash" / "timeout"


@dataclass
class _Worker:
    proc: subprocess.Popen
    stderr: object
    buf: bytes = b""
    job: dict | None = None
    deadline: float = 0.0
    done: int = 0
    ids: itertools.count = field(default_factory=itertools.count)
    seen: set = field(default_factory=set)  # job affinities served (e.g. Faust dsps compiled)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped responding"
    if code < 0:
        try:
            return f"crashed ({signal.Signals(-code).name})"
        except ValueError:
            return f"crashed (signal {-code})"
    return f"exited the process with status {code}"


def _last_line(fh) -> str:
    try:
        fh.flush()
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        lines = [l.strip() for l in fh.read().decode("utf-8", "replace").splitlines() if l.strip()]
    except (OSError, ValueError):
        return ""
    return lines[-1][:200] if lines else ""


class WorkerPool:
    """Persistent worker processes; ``run`` farms out jobs and survives crashing plugins."""

    def __init__(self, size: int = 2) -> None:
        self.size = max(1, int(size))
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def _spawn(self) -> _Worker:
        err = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen([sys.executable, "-m", "composer_assist.audio.worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                env=env, start_new_session=True)
        os.set_blocking(proc.stdout.fileno(), False)
        return _Worker(proc, err)

    def _retire(self, w: _Worker, kill: bool = False) -> None:
        if w in self._workers:
            self._workers.remove(w)
        try:
            if kill:
                os.killpg(w.proc.pid, signal.SIGKILL)
            else:
                w.proc.stdin.close()
        except (OSError, ProcessLookupError):
            pass
        try:
            w.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()
        w.stderr.close()

    def close(self) -> None:
        for w in list(self._workers):
            self._retire(w, kill=w.job is not None)

    def run(self, jobs: Iterable[dict], timeout: Callable[[dict], float] | float,
            on_result: Callable[[JobResult], None] | None = None, size: int | None = None) -> list[JobResult]:
        """Run every job; results in job order.  ``timeout`` is seconds per job (or a function)."""
        with self._lock:
            # size < 1 would never hand out a job and spin forever.
            return self._run(list(jobs), timeout, on_result, max(1, int(size or self.size)))

    def _pick(self, w: _Worker, pending: list[int], jobs: list[dict]) -> int:
        """Position in ``pending`` of the job for ``w``: one with an affinity it has served (a
        Faust dsp it has compiled), else one no other worker has served, else the next one."""
        others = set().union(*(o.seen for o in self._workers if o is not w))
        fallback = None
        for pos in range(len(pending) - 1, -1, -1):
            a = jobs[pending[pos]].get("affinity")
            if a and a in w.seen:
                return pos
            if fallback is None and (not a or a not in others):
                fallback = pos
        return fallback if fallback is not None else len(pending) - 1

    def _run(self, jobs: list[dict], timeout, on_result, size: int) -> list[JobResult]:
        results: list[JobResult | None] = [None] * len(jobs)
        pending = list(range(len(jobs)))
        pending.reverse()
        sel = selectors.DefaultSelector()
        busy: dict[int, tuple[_Worker, int]] = {}  # fd -> (worker, job index)

        def finish(i: int, r: JobResult) -> None:
            results[i] = r
            if on_result is not None:
                on_result(r)

        try:
            while pending or busy:
                # Hand out jobs to idle workers, starting new ones up to the pool size.
                for w in [w for w in self._workers if w.job is None and w.proc.poll() is not None]:
                    # An idle worker that died (PDEATHSIG after the thread that spawned it ended):
                    # replace it rather than charge the next job with its death.
                    self._retire(w)
                idle = [w for w in self._workers if w.job is None]
                while pending and len(busy) < size and (idle or len(self._workers) < size):
                    w = idle.pop() if idle else self._spawn()
                    if w not in self._workers:
                        self._workers.append(w)
                    i = pending.pop(self._pick(w, pending, jobs))
                    if jobs[i].get("affinity"):
                        w.seen.add(jobs[i]["affinity"])
                    job = dict(jobs[i], id=next(w.ids))
                    w.job, w.buf = job, b""
                    w.deadline = time.monotonic() + (timeout(jobs[i]) if callable(timeout) else float(timeout))
                    try:
                        w.proc.stdin.write((json.dumps(job) + "\n").encode())
                        w.proc.stdin.flush()
                    except (BrokenPipeError, OSError):
                        pass  # it died before the job arrived: the read below sees EOF
                    fd = w.proc.stdout.fileno()
                    sel.register(fd, selectors.EVENT_READ)
                    busy[fd] = (w, i)
                now = time.monotonic()
                wait = max(0.0, min(w.deadline for w, _ in busy.values()) - now) if busy else 0.0
                for key, _ in sel.select(timeout=min(wait, 1.0)):
                    w, i = busy[key.fd]
                    try:
                        chunk = os.read(key.fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if chunk:
                        w.buf += chunk
                        if not w.buf.endswith(b"\n"):
                            continue
                        answer = json.loads(w.buf.decode())
                        sel.unregister(key.fd)
                        del busy[key.fd]
                        w.job, w.done = None, w.done + 1
                        finish(i, JobResult(jobs[i], bool(answer["ok"]), answer.get("result"),
                                            answer.get("error"), answer.get("type")))
                        if w.done >= MAX_JOBS_PER_WORKER:
                            self._retire(w)
                        continue
                    # EOF: the worker process died in the middle of this job.
                    sel.unregister(key.fd)
                    del busy[key.fd]
                    code = w.proc.wait()
                    why = _describe_exit(code)
                    last = _last_line(w.stderr)
                    if code is not None and code < 0 and code != -signal.SIGSEGV and last:
                        why += f": {last}"
                    w.job = None
                    self._retire(w)
                    finish(i, JobResult(jobs[i], False, error=why, error_type="crash"))
                now = time.monotonic()
                for fd, (w, i) in list(busy.items()):
                    if now >= w.deadline:
                        sel.unregister(fd)
                        del busy[fd]
                        limit = timeout(jobs[i]) if callable(timeout) else float(timeout)
                        self._retire(w, kill=True)
                        finish(i, JobResult(jobs[i], False, error=f"hung: no answer within {limit:g} s, killed",
                                            error_type="timeout"))
        except BaseException:
            for w, _ in list(busy.values()):
                self._retire(w, kill=True)
            raise
        finally:
            sel.close()
        return [r for r in results if r is not None]


_POOL: WorkerPool | None = None


def shared_pool(size: int = 2) -> WorkerPool:
    """The process-wide pool (workers stay warm between renders)."""
    global _POOL
    if _POOL is None:
        _POOL = WorkerPool(size)
        atexit.register(_POOL.close)
    _POOL.size = max(1, int(size))
    return _POOL
