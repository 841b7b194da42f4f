"""Output folders checked before any work, so a bad ``-o`` costs nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from composer_assist.core.errors import RenderError


def prepare_out_dir(out: str | os.PathLike) -> Path:
    """Create the output folder and make sure a file can be written in it; one-line error if not."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RenderError(f"{out}: output folder is a file")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise RenderError(f"{out}: cannot be an output folder: {parent} is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise RenderError(f"{out}: cannot write the output folder: {exc.strerror or exc}") from None
    return out
