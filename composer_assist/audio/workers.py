"""A small pool of plugin-hosting worker processes, one job at a time per worker.

Why not joblib/loky: when a loky worker segfaults, every pending future of the executor fails
with ``TerminatedWorkerError`` and nothing says which job crashed, and a hung job cannot be
killed on its own.  Here each worker runs exactly one job at a time, so a crash or a timeout is
charged to that job only; the worker is replaced and the other jobs carry on.  Jobs and answers
are JSON lines (nothing is unpickled); audio travels as ``.npy`` files in the stem cache.

What a plugin can do to the process that loaded it, and what contains it:

- write to inherited file descriptors (stdout, or every fd it finds): jobs and answers travel on
  two pipes of their own, which the worker moves to high private fds before loading anything;
  fds 0 and 1 are ``/dev/null`` and fd 2 is captured for diagnostics.  An answer that still comes
  back unreadable fails its job, never the caller.
- fork helpers that outlive it: each worker leads its own session and process group, and the
  whole group is killed whenever the worker ends (normally, crashed, hung or recycled).  A helper
  that calls ``setsid()`` itself escapes this.
- leave temp files behind: each worker's ``TMPDIR`` is ``<worker_tmp_root()>/<pid>``, removed
  when the worker ends; folders of dead pids (a pool that was itself SIGKILLed) are swept when the
  next pool starts its first worker.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from .worker_procs import (describe_exit, drain, exit_code, kill_group, last_line, private_dir, sweep_stale_tmp,
                           worker_tmp_root)

MAX_JOBS_PER_WORKER = 100  # recycle workers so plugins loaded long ago do not pile up in memory
EXIT_GRACE_S = 5.0  # how long a worker may take to exit once its job pipe is closed
TMP_ENV = "COMPOSER_ASSIST_WORKER_TMP"  # tells the worker under which folder to make its TMPDIR

Timeout = Callable[[dict], float] | float


@dataclass
class JobResult:
    job: dict
    ok: bool
    result: dict | None = None
    error: str | None = None
    error_type: str | None = None  # PluginError, RenderError... or "crash" / "timeout"


@dataclass(eq=False)  # identity: workers are dict keys while busy
class _Worker:
    proc: subprocess.Popen
    stderr: BinaryIO
    jobs: BinaryIO  # write end of the job pipe
    results: int  # read end of the answer pipe (non-blocking)
    pidfd: int | None  # readable when the process ends, even if a forked child holds `results` open
    tmp: Path  # the worker's private TMPDIR
    buf: bytes = b""
    job: dict | None = None
    deadline: float = 0.0
    done: int = 0
    ids: itertools.count = field(default_factory=itertools.count)
    seen: set = field(default_factory=set)  # job affinities served (e.g. Faust dsps compiled)


def _parse_answer(buf: bytes, job_id: int) -> dict | None:
    """The worker's answer to job ``job_id``, or None if the bytes are not exactly that."""
    try:
        answer = json.loads(buf.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(answer, dict) or answer.get("id") != job_id or "ok" not in answer:
        return None
    return answer


class WorkerPool:
    """Persistent worker processes; ``run`` farms out jobs and survives crashing plugins."""

    def __init__(self, size: int = 2, tmp_root: Path | None = None) -> None:
        self.size = max(1, int(size))
        self.tmp_root = Path(tmp_root) if tmp_root is not None else None
        self._swept = False
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def _tmp_root(self) -> Path:
        root = private_dir(self.tmp_root or worker_tmp_root())
        if not self._swept:
            sweep_stale_tmp(root)
            self._swept = True
        return root

    def _spawn(self) -> _Worker:
        root = self._tmp_root()
        err = tempfile.TemporaryFile()
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        env = dict(os.environ, PYTHONUNBUFFERED="1", **{TMP_ENV: str(root)})
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "composer_assist.audio.worker", str(jobs_r), str(results_w)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, pass_fds=(jobs_r, results_w),
                env=env, start_new_session=True)
        except BaseException:
            for fd in (jobs_w, results_r):
                os.close(fd)
            err.close()
            raise
        finally:
            os.close(jobs_r)
            os.close(results_w)
        os.set_blocking(results_r, False)
        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):  # before Linux 5.3: death is seen as EOF only
            pidfd = None
        return _Worker(proc, err, os.fdopen(jobs_w, "wb"), results_r, pidfd, root / str(proc.pid))

    def _retire(self, w: _Worker, kill: bool = False) -> None:
        """Stop a worker: close its job pipe (or kill it), then kill its process group, remove
        its temp folder and reap it, in that order (see ``exit_code``)."""
        if w in self._workers:
            self._workers.remove(w)
        pid = w.proc.pid
        if kill:
            kill_group(pid)
        try:
            w.jobs.close()  # a worker at rest exits when its job pipe ends
        except OSError:
            pass
        if exit_code(pid, EXIT_GRACE_S) is None:
            kill_group(pid)
        exit_code(pid, 60.0)
        kill_group(pid)  # whatever its plugins forked
        shutil.rmtree(w.tmp, ignore_errors=True)
        w.proc.wait()
        for fd in (w.results, w.pidfd):
            if fd is not None:
                os.close(fd)
        w.stderr.close()

    def close(self) -> None:
        for w in list(self._workers):
            self._retire(w, kill=w.job is not None)

    def run(self, jobs: Iterable[dict], timeout: Timeout,
            on_result: Callable[[JobResult], None] | None = None, size: int | None = None) -> list[JobResult]:
        """Run every job; results in job order.  ``timeout`` is seconds per job (or a function)."""
        with self._lock:
            # size < 1 would never hand out a job and spin forever.
            return _Run(self, list(jobs), timeout, on_result, max(1, int(size or self.size))).go()

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


class _Run:
    """One ``WorkerPool.run`` call: hands out jobs, waits for answers, deaths and deadlines."""

    def __init__(self, pool: WorkerPool, jobs: list[dict], timeout: Timeout,
                 on_result: Callable[[JobResult], None] | None, size: int) -> None:
        self.pool, self.jobs, self.timeout, self.on_result, self.size = pool, jobs, timeout, on_result, size
        self.results: list[JobResult | None] = [None] * len(jobs)
        self.pending = list(range(len(jobs)))[::-1]
        self.busy: dict[_Worker, int] = {}  # worker -> index of its job
        self.sel = selectors.DefaultSelector()

    def go(self) -> list[JobResult]:
        try:
            while self.pending or self.busy:
                self._hand_out()
                now = time.monotonic()
                wait = max(0.0, min(w.deadline for w in self.busy) - now) if self.busy else 0.0
                for key, _ in self.sel.select(timeout=min(wait, 1.0)):
                    w = key.data
                    if w in self.busy:  # its other fd may have finished it in this same batch
                        self._readable(w, from_pidfd=key.fd == w.pidfd)
                self._expire()
        except BaseException:
            for w in list(self.busy):
                self._release(w)
                self.pool._retire(w, kill=True)
            raise
        finally:
            self.sel.close()
        return [r for r in self.results if r is not None]

    def _limit(self, i: int) -> float:
        return self.timeout(self.jobs[i]) if callable(self.timeout) else float(self.timeout)

    def _hand_out(self) -> None:
        pool = self.pool
        for w in [w for w in pool._workers if w.job is None and exit_code(w.proc.pid, 0) is not None]:
            # An idle worker that died (PDEATHSIG after the thread that spawned it ended):
            # replace it rather than charge the next job with its death.
            pool._retire(w)
        idle = [w for w in pool._workers if w.job is None]
        while self.pending and len(self.busy) < self.size and (idle or len(pool._workers) < self.size):
            w = idle.pop() if idle else pool._spawn()
            if w not in pool._workers:
                pool._workers.append(w)
            i = self.pending.pop(pool._pick(w, self.pending, self.jobs))
            if self.jobs[i].get("affinity"):
                w.seen.add(self.jobs[i]["affinity"])
            job = dict(self.jobs[i], id=next(w.ids))
            w.job, w.buf = job, b""
            w.deadline = time.monotonic() + self._limit(i)
            try:
                w.jobs.write((json.dumps(job) + "\n").encode())
                w.jobs.flush()
            except (BrokenPipeError, OSError):
                pass  # it died before the job arrived: its pidfd (or EOF) says so below
            self.sel.register(w.results, selectors.EVENT_READ, w)
            if w.pidfd is not None:
                self.sel.register(w.pidfd, selectors.EVENT_READ, w)
            self.busy[w] = i

    def _release(self, w: _Worker) -> int:
        """Stop watching a busy worker; returns its job's index."""
        self.sel.unregister(w.results)
        if w.pidfd is not None:
            self.sel.unregister(w.pidfd)
        w.job = None
        return self.busy.pop(w)

    def _finish(self, i: int, r: JobResult) -> None:
        self.results[i] = r
        if self.on_result is not None:
            self.on_result(r)

    def _readable(self, w: _Worker, from_pidfd: bool) -> None:
        data, eof = drain(w.results)
        w.buf += data
        ended = from_pidfd or eof
        if not w.buf.endswith(b"\n") and not ended:
            return  # an answer still on its way
        job_id = w.job["id"]
        i = self._release(w)
        if w.buf.endswith(b"\n"):
            answer = _parse_answer(w.buf, job_id)
            if answer is None:
                # Only a plugin writing into the worker's private answer channel gets here.
                self.pool._retire(w, kill=True)
                self._finish(i, JobResult(self.jobs[i], False, error="the worker's answer was garbled "
                                          "(the plugin wrote into it); worker replaced", error_type="crash"))
                return
            w.done += 1
            self._finish(i, JobResult(self.jobs[i], bool(answer["ok"]), answer.get("result"),
                                      answer.get("error"), answer.get("type")))
            if ended or w.done >= MAX_JOBS_PER_WORKER:
                self.pool._retire(w)
            return
        # The worker died in the middle of this job (or closed its answer channel and will not
        # answer: give it a moment to die, then it is killed like a hung one).
        code = exit_code(w.proc.pid, EXIT_GRACE_S)
        why = describe_exit(code)
        last = last_line(w.stderr)
        if code is not None and code < 0 and code != -signal.SIGSEGV and last:
            why += f": {last}"
        self.pool._retire(w, kill=code is None)
        self._finish(i, JobResult(self.jobs[i], False, error=why, error_type="crash"))

    def _expire(self) -> None:
        now = time.monotonic()
        for w in [w for w in self.busy if now >= w.deadline]:
            i = self._release(w)
            self.pool._retire(w, kill=True)
            self._finish(i, JobResult(self.jobs[i], False, error=f"hung: no answer within {self._limit(i):g} s, "
                                      "killed", error_type="timeout"))


_POOL: WorkerPool | None = None


def shared_pool(size: int = 2) -> WorkerPool:
    """The process-wide pool (workers stay warm between renders)."""
    global _POOL
    if _POOL is None:
        _POOL = WorkerPool(size)
        atexit.register(_POOL.close)
    _POOL.size = max(1, int(size))
    return _POOL
