"""Worker process main loop: read one JSON job per line, answer one JSON line.

Run as ``python -m composer_assist.audio.worker JOBS_FD ANSWERS_FD`` (see ``workers``): the two
fds are pipes from the pool.  Plugins print to stdout, and some write to every fd they find, so
before anything is imported that could load one, the pipes move to high private fds and fds 0
and 1 are pointed at /dev/null (fd 2 is the pool's diagnostics file).
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import sys
import tempfile
import traceback
from typing import BinaryIO


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (it runs in a session of its own,
    so nothing else would stop a worker stuck in a hung plugin)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _private_fd(fd: int) -> int:
    """Move ``fd`` as high as the fd limit allows (close-on-exec): a plugin writing to the low
    fds it did not open (1..20, say) cannot reach it there."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    floor = max(3, min(soft, 1024) - 32)
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)
    os.close(fd)
    return new


def _silence_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)


def _private_tmp() -> None:
    """TMPDIR = ``$COMPOSER_ASSIST_WORKER_TMP/<pid>``, which the pool removes when this worker
    ends, so a plugin's temp files do not outlive a worker that was killed."""
    from composer_assist.audio.workers import TMP_ENV

    root = os.environ.get(TMP_ENV)
    if not root:
        return
    path = os.path.join(root, str(os.getpid()))
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = path  # os.environ also sets the C environment the plugins read
    tempfile.tempdir = path


def _serve(jobs: BinaryIO, answers: BinaryIO) -> None:
    from composer_assist.audio.host import JOBS  # after the redirects: imports may print
    from composer_assist.core.errors import ComposerAssistError

    for line in jobs:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            result = JOBS[job["op"]](job)
            answer = {"id": job["id"], "ok": True, "result": result}
        except ComposerAssistError as exc:
            answer = {"id": job["id"], "ok": False, "error": str(exc), "type": type(exc).__name__}
        except Exception as exc:  # a plugin's own exception: report it, keep serving
            last = " ".join(traceback.format_exception_only(type(exc), exc)[-1].split())
            answer = {"id": job["id"], "ok": False, "error": last, "type": "PluginError"}
        sys.stderr.flush()
        answers.write((json.dumps(answer) + "\n").encode())
        answers.flush()


def main(argv: list[str]) -> int:
    _die_with_parent()
    if len(argv) != 2 or not all(a.isdigit() for a in argv):
        print("usage: python -m composer_assist.audio.worker JOBS_FD ANSWERS_FD", file=sys.stderr)
        return 2
    jobs = os.fdopen(_private_fd(int(argv[0])), "rb")
    answers = os.fdopen(_private_fd(int(argv[1])), "wb")
    _silence_stdio()
    _private_tmp()
    _serve(jobs, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
