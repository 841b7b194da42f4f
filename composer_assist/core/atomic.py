"""Atomic file writes: write a temporary file beside the target, fsync, rename.

The temporary file is named ``.NAME.PID.XXXXXXXX.tmp`` so that one left by a writer that was
killed (SIGKILL, power loss) can be recognised and removed later (``sweep_stale_temp_files``).
A symlinked target stays a symlink: the file it points to is replaced.  An existing file keeps
its permission bits (a 0600 file stays 0600).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .processes import process_alive

# Signals that end a command like Ctrl-C; held back while a finished file is renamed into place.
_DEFERRED_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$")


def write_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` really replaces: ``path`` itself, or the end of its symlink chain."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, announce: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write that replaces ``path`` only when the block ends without error.

    Written beside the target, fsynced, renamed: a crash leaves either the old or the new file,
    never a half-written one, and a failure leaves no temporary file behind.  Ctrl-C (or SIGTERM)
    arriving during the final rename is held back until the rename is durable and then raised
    with a note saying the file was saved (see ``cli.main``), unless ``announce`` is False (a
    program's own bookkeeping files, which mean nothing to the user).
    """
    target = write_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        old = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        # Renaming over a folder fails anyway; over a device or pipe (/dev/null) it would replace it.
        what = "a folder" if stat.S_ISDIR(old.st_mode) else "not a regular file (a pipe, socket or device)"
        raise OSError(errno.EINVAL, f"{what}; cannot be replaced by a file", str(path))
    # What an earlier writer of this file left when it was killed mid-write goes now.
    sweep_stale_temp_files(target.parent, target.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # the message names the file asked for, not the temporary one beside it
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    committed = False
    try:
        if old is not None:
            # Keep what the user chose for this file: its permission bits and, where allowed, its group.
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
            if old.st_gid != os.getegid():
                with contextlib.suppress(OSError):
                    os.fchown(fd, -1, old.st_gid)
        else:
            # mkstemp creates 0600; give the file the mode an ordinary open() would (0666 less umask).
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        with _signals_held() as held:
            try:
                os.replace(tmp, target)
            except OSError as exc:  # e.g. an immutable target: name it, not the temporary file
                raise OSError(exc.errno, exc.strerror, str(path)) from None
            committed = True
            _fsync_dir(target.parent)
        for sig in dict.fromkeys(held):
            # Now that the file is in place, deliver what was held back to its own handler.
            signal.raise_signal(sig)
    except BaseException as exc:
        if committed and announce:
            exc.add_note(f"{path}: saved (the write had completed when the interrupt came)")
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


def _fsync_dir(folder: Path) -> None:
    """Flush the directory entry, so the rename itself survives a power loss."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Record (instead of acting on) SIGINT/SIGTERM/SIGHUP for the duration of the block.

    Only the main thread runs Python signal handlers, so only there can an interrupt land inside
    the block; elsewhere this does nothing.
    """
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = {}

    def hold(signum, _frame):
        held.append(signum)

    try:
        for sig in _DEFERRED_SIGNALS:
            current = signal.getsignal(sig)
            if current is None:  # a handler installed outside Python: leave it be
                continue
            previous[sig] = current
            signal.signal(sig, hold)
        yield held
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def sweep_stale_temp_files(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Remove temporary files that writers killed mid-write left in ``folder``; return them.

    Only files named like ours (``.NAME.PID.XXXXXXXX.tmp``, of ``name`` when given) whose writing
    process no longer exists are removed: a live writer's file is never touched.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        m = _TEMP_NAME.match(e.name)
        if not m or (name is not None and not e.name.startswith(f".{name}.")):
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or process_alive(pid):
            continue
        try:
            if e.is_file(follow_symlinks=False):
                os.unlink(e.path)
                removed.append(Path(e.path))
        except OSError:
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes, announce: bool = True) -> None:
    """Replace ``path`` with ``data`` so a crash leaves either the old or the new file."""
    with atomic_file(path, announce) as fh:
        fh.write(data)


def umask() -> int:
    """The process umask, read without changing it (os.umask would, briefly, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def atomic_write_text(path: str | os.PathLike, text: str, announce: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), announce)


_NUMBER_LIST = re.compile(r"\[\s+(-?[\d.eE+-]+(?:,\s+-?[\d.eE+-]+)*)\s+\]")


def dumps_json(obj: Any) -> str:
    """Indented JSON, with short lists of numbers (notes, ranges) kept on one line for diffs."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    return _NUMBER_LIST.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


def atomic_write_json(path: str | os.PathLike, obj: Any, announce: bool = True) -> None:
    atomic_write_text(path, dumps_json(obj) + "\n", announce)


def check_output_file(path: str | os.PathLike, error: type[Exception], what: str = "output file") -> Path:
    """Refuse, before any work, an output path that could not be written as a file.

    A folder, a device or a pipe where a file should go, or a parent path that is a file.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise error(f"{p}: cannot write the {what}: a parent of it is a file, not a folder") from None
    except OSError as exc:
        raise error(f"{p}: cannot write the {what}: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{p}: is a folder; give a file name for the {what}")
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{p}: not a regular file (a pipe, socket or device); give a file name for the {what}")
        return p
    for parent in p.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise error(f"{p}: cannot write the {what}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):  # read-only, or not ours (EROFS counts)
                raise error(f"{p}: cannot write the {what}: the folder {parent} is not writable")
            break
    return p
