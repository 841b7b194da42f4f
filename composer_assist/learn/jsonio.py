"""JSON read from files users hand us: every failure is one line naming the file, never a traceback
(the parsing itself is core's, ``core.reading.parse_json``, shared with projects and traces)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from composer_assist.core.errors import ComposerAssistError
from composer_assist.core.reading import MiB, parse_json, read_limited

MAX_JSON_BYTES = 64 * MiB  # a variants, profiles or tables file: kilobytes; a FIFO or a huge file is refused


def read_json(path: str | Path, error: type[ComposerAssistError]) -> Any:
    """Parse a JSON file (a UTF-8 byte-order mark is allowed)."""
    p = Path(path)
    data = read_limited(p, MAX_JSON_BYTES, error, "JSON file")
    return parse_json(data.removeprefix(b"\xef\xbb\xbf"), str(p), error)


__all__ = ["read_json"]
