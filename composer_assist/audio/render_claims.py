"""Claims on stems being rendered into the cache, so that two processes rendering the same stems
at once (the studio's background render and an export, two test workers) render each stem once:
the second waits for the first's stem and takes it from the cache.

A claim is an exclusive ``flock`` on ``KEY.lock`` beside the stem.  The kernel drops it when its
holder exits, however it ends, so a render killed half-way leaves nothing that blocks the next.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable

from . import stem_cache

POLL_S = 0.1


class RenderClaims:
    """The claims one render holds; release them all with ``release_all`` (or use as a context)."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def _path(self, key: str) -> Path:
        return stem_cache.stem_path(key).with_suffix(".lock")

    def take(self, key: str) -> bool:
        """Claim ``key`` if no other process has; True when this render now holds it."""
        if key in self._held:
            return True
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return True  # a cache we cannot lock in is rendered into as before: at worst twice
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._held[key] = fd
        return True

    def wait(self, key: str, timeout: float, tick: Callable[[], None] | None = None) -> bool:
        """Wait up to ``timeout`` s for the process rendering ``key`` to finish, then claim it.

        ``tick`` is called while waiting: a job's progress report, where a cancel takes effect."""
        deadline = time.monotonic() + timeout
        while not self.take(key):
            if time.monotonic() >= deadline:
                return False
            if tick is not None:
                tick()
            time.sleep(POLL_S)
        return True

    def release(self, key: str) -> None:
        """Let ``key`` go (its stem is in the cache now, or failed): a waiter takes it from here."""
        fd = self._held.pop(key, None)
        if fd is None:
            return
        try:
            # Gone before the unlock: a waiter that opened it now holds a claim on a name no one
            # else will open, finds the stem cached and takes it.
            self._path(key).unlink()
        except OSError:
            pass
        os.close(fd)

    def release_all(self) -> None:
        for key in list(self._held):
            self.release(key)

    def __enter__(self) -> RenderClaims:
        return self

    def __exit__(self, *exc) -> None:
        self.release_all()


def sweep_claims() -> None:
    """Remove the claim files renders killed while holding them left behind (none is held now)."""
    for path in stem_cache.stems_dir().glob("*/*.lock"):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
        except OSError:
            pass  # held: a render is using it
        finally:
            os.close(fd)
