"""Whether a process still runs: what lets us sweep the leftovers of writers and workers that died."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True unless no process has that id.  Someone else's process (or a number we cannot check)
    counts as alive: its files are not ours to remove."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True
