"""A worker process as the operating system sees it: its private temp folder, its exit status (read
without reaping it), its process group, and the pipe and diagnostics file it answers on."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from composer_assist.core.processes import process_alive


def worker_tmp_root() -> Path:
    """The folder holding every worker's private TMPDIR (one per user)."""
    return Path(tempfile.gettempdir()) / f"composer-assist-workers-{os.getuid()}"


def private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) or accept it if it is our own real folder.

    It sits in a shared /tmp under a predictable name: another user could have made it (or a
    symlink) first, and then worker temp files must not go there.
    """
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise OSError(f"{path}: cannot create the worker temp folder: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise OSError(f"{path}: not a folder owned by this user; remove it or set TMPDIR")
    return path


def sweep_stale_tmp(root: Path) -> list[Path]:
    """Remove the temp folders of workers that no longer run (named by pid); returns them."""
    gone = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return gone
    for d in entries:
        if d.name.isdigit() and not process_alive(int(d.name)):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    return gone


def exit_code(pid: int, wait_s: float) -> int | None:
    """The worker's exit status as ``Popen.returncode`` gives it, without reaping it; None if it
    still runs after ``wait_s`` seconds.

    Not reaping matters: while the zombie exists its pid, and so its process-group id, cannot be
    reused, so killing the group afterwards cannot hit an unrelated process.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return -signal.SIGKILL  # already reaped (cannot happen through this module)
        if info is not None:
            return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped responding"
    if code < 0:
        try:
            return f"crashed ({signal.Signals(-code).name})"
        except ValueError:
            return f"crashed (signal {-code})"
    return f"exited the process with status {code}"


def last_line(fh: BinaryIO) -> str:
    try:
        fh.flush()
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        lines = [l.strip() for l in fh.read().decode("utf-8", "replace").splitlines() if l.strip()]
    except (OSError, ValueError):
        return ""
    return lines[-1][:200] if lines else ""


def drain(fd: int) -> tuple[bytes, bool]:
    """Whatever can be read from a non-blocking fd now, and whether it reached end of file."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return data, False
        if not chunk:
            return data, True
        data += chunk
