"""Loading and atomically saving project files (``project.json`` in a project folder).

Several programs may write one project (two ``import-midi`` runs, the app, a script).  Every writer
follows one protocol:

* ``project_lock(path)`` is an advisory ``flock`` on ``.project.json.lock`` beside the file (beside
  the real file when project.json is a symlink).  A read-modify-write (``import-midi``) holds it
  from load to save, so concurrent writers take turns and none loses the other's change.
* ``load_project`` remembers the SHA-256 of the bytes it read (``Project.disk_hash``).
  ``save_project`` takes the lock and compares: if the file no longer holds those bytes, someone
  else saved in between and the save is refused (compare-and-swap) instead of silently
  overwriting their work.  An editor that kept a project open (the app) reloads, or saves with
  ``force=True`` after asking the user.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Iterator

from ..atomic import atomic_write_bytes, dumps_json, write_target
from ..errors import ProjectError
from ..reading import MiB, parse_json, read_limited
from .model import Project
from .parse import project_from_json
from .serialize import project_to_json

PROJECT_FILE = "project.json"
MAX_PROJECT_BYTES = 64 * MiB  # the demo project is 40 KB; inline notes of a long score stay far below
LOCK_TIMEOUT_S = 30.0  # a save or an import holds the lock for well under a second


def project_json_path(path: str | Path) -> Path:
    """Accept a project folder or its project.json."""
    p = Path(path)
    return p / PROJECT_FILE if p.is_dir() else p


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _disk_hash(p: Path) -> str | None:
    """SHA-256 of the project file's bytes now, None when there is no file."""
    if not os.path.lexists(p):
        return None
    try:
        return _digest(read_limited(p, MAX_PROJECT_BYTES, ProjectError, "project file"))
    except ProjectError:
        if not p.exists():  # a dangling symlink: no file yet
            return None
        raise


def load_project(path: str | Path, check_files: bool = True) -> Project:
    """Read and validate a project; errors name the file, line or field."""
    p = project_json_path(path)
    data = read_limited(p, MAX_PROJECT_BYTES, ProjectError, "project file")
    try:
        text = data.decode("utf-8-sig")  # a BOM some editors add is not an error
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{p}: byte {exc.start}: not UTF-8 text (is this a project file?)") from None
    raw = parse_json(text, p, ProjectError, "project")
    project = project_from_json(raw, source=str(p), project_dir=p.parent, check_files=check_files)
    project.path = p
    project.disk_hash = _digest(data)
    return project


def save_project(project: Project, path: str | Path | None = None, force: bool = False) -> Path:
    """Write the project atomically (temp file, fsync, rename) and remember where.

    Saving to the file the project was loaded from (or last saved to) refuses with a
    ``ProjectError`` when that file changed on disk meanwhile; ``force=True`` overwrites anyway.
    Saving to another path (save as) overwrites what is there.
    """
    target = project_json_path(path) if path is not None else project.path
    if target is None:
        raise ProjectError(f"project {project.name!r} has no file to save to")
    target = Path(target)
    same_file = project.path is not None and _same_path(project.path, target)
    data = (dumps_json(project_to_json(project)) + "\n").encode("utf-8")
    with project_lock(target):
        if same_file and not force:
            now = _disk_hash(target)
            if now != project.disk_hash:
                if now is None:
                    raise ProjectError(f"{target}: {target.name} was deleted since it was loaded (by another "
                                       f"program?); save it under another name, or reload")
                raise ProjectError(f"{target}: {target.name} changed on disk since it was loaded (by another "
                                   f"program?); reload and try again")
        try:
            atomic_write_bytes(target, data)
        except BaseException:
            # Interrupted after the rename (see atomic_file): the file is ours, so remember it.
            with contextlib.suppress(Exception):
                if _disk_hash(target) == _digest(data):
                    project.path, project.disk_hash = target, _digest(data)
            raise
    project.path = target
    project.disk_hash = _digest(data)
    return target


def _same_path(a: Path, b: Path) -> bool:
    return os.path.realpath(project_json_path(a)) == os.path.realpath(project_json_path(b))


# ---- the project lock ----------------------------------------------------------------------------
class _Held:
    """One lock file as held by this process: re-entrant across calls, one thread at a time."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd = -1
        self.created_dirs: list[Path] = []


_held: dict[str, _Held] = {}
_held_guard = threading.Lock()


def lock_path(path: str | Path) -> Path:
    """The lock file of the project file ``path``: ``.project.json.lock`` beside the real file."""
    real = write_target(project_json_path(path))
    return real.parent / f".{real.name}.lock"


@contextlib.contextmanager
def project_lock(path: str | Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[Path]:
    """Hold the project's advisory lock (waiting up to ``timeout`` s) for the block.

    Re-entrant within a process (``import_midi`` holds it and ``save_project`` takes it again).
    The lock file is removed on release, so a project folder is left as it was found.
    """
    lp = lock_path(path)
    key = os.path.realpath(lp)
    with _held_guard:
        held = _held.setdefault(key, _Held())
    with held.thread_lock:
        if held.depth == 0:
            held.created_dirs = _make_parents(lp.parent)
            try:
                held.fd = _acquire(lp, project_json_path(path), timeout)
            except BaseException:
                _remove_empty(held.created_dirs)
                raise
        held.depth += 1
        try:
            yield lp
        finally:
            held.depth -= 1
            if held.depth == 0:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lp)  # while still holding it: a waiter re-checks the inode (see _acquire)
                os.close(held.fd)
                held.fd = -1
                _remove_empty(held.created_dirs)


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing parents; return those created, deepest first."""
    created = []
    p = folder
    while not os.path.lexists(p):
        created.append(p)
        if p.parent == p:
            break
        p = p.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"{folder}: cannot create the project folder: {exc.strerror or exc}") from None
    return created


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders this lock created, if still empty (a failed import leaves no trace)."""
    for d in folders:
        try:
            d.rmdir()
        except OSError:
            return


def _acquire(lp: Path, project_file: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            fd = os.open(lp, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ProjectError(f"{lp}: the project's lock file is a symlink; remove it") from None
            raise ProjectError(f"{lp}: cannot create the project's lock file: {exc.strerror or exc}") from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ProjectError(f"{project_file}: another program has been saving this project for "
                                           f"more than {timeout:g} s (lock file {lp}); try again when it is "
                                           f"done") from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)
            # The holder before us may have removed the file after we opened it: then this lock guards
            # nothing.  Keep it only if the path still names the file we locked.
            mine = os.fstat(fd)
            try:
                now = os.stat(lp, follow_symlinks=False)
            except FileNotFoundError:
                now = None
            if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


