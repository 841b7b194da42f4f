"""Reading a user's file safely: regular files only, with a size limit, one-line errors.

A FIFO, a device (``/dev/zero``) or a folder given where a file is expected must fail at once,
not hang or read until memory runs out.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from .errors import ComposerAssistError

MiB = 1024 * 1024


def read_limited(path: str | os.PathLike, max_bytes: int, error: type[ComposerAssistError],
                 what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, refused (``error``) if it is anything else or too large."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: no such {what}") from None
    except OSError as exc:
        raise error(f"{p}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: not a regular file (a pipe, socket or device); give a {what}")
    if st.st_size > max_bytes:
        raise error(f"{p}: {st.st_size / MiB:.1f} MiB is larger than the {max_bytes / MiB:g} MiB "
                    f"a {what} may be")
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, open() still returns.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{p}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{p}: larger than the {max_bytes / MiB:g} MiB a {what} may be")
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object hook: a key given twice is refused (json keeps the last silently, so a
    value the author typed first would vanish on the next save)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object; keep one")
        out[key] = value
    return out


def json_value_problem(exc: ValueError) -> str:
    """A ValueError json raised that is not a syntax error, as a short user message: Python
    refuses an integer of more than 4300 digits with a message naming
    ``sys.set_int_max_str_digits``, no help to someone holding a bad file."""
    line = str(exc).splitlines()[0] if str(exc) else "unreadable"
    if "digits" in line:  # int max str digits: a number no measurement has
        return "a number with thousands of digits (" + line.split(":")[-1].strip().split(";")[0] + ")"
    return line[:200]


def parse_json(text: str | bytes, where: str | os.PathLike, error: type[ComposerAssistError],
               what: str = "JSON") -> Any:
    """``text`` as JSON, every failure one ``error`` naming ``where`` (and the line of a syntax
    error): bad syntax, text that is not UTF-8, nesting too deep (json recurses once per level),
    numbers of thousands of digits, a key given twice."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise error(f"{where}: invalid {what}: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4300 digits, a duplicate key
        raise error(f"{where}: invalid JSON: {json_value_problem(exc)}") from None
