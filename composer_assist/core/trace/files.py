"""What every trace file reader shares: size, line and column limits, the column names, reading the
text, and values and names cut short for one-line messages."""

from __future__ import annotations

import io
import os
import reprlib
from pathlib import Path
from typing import Any, Iterator

from ..errors import TraceError
from ..reading import MiB, read_limited
from .model import MAX_TRACE_SAMPLES

TIME_SECONDS = ("time_s", "time", "t", "timestamp", "seconds", "sec", "s")
TIME_MILLIS = ("time_ms", "t_ms", "timestamp_ms", "ms", "milliseconds")
VALENCE_NAMES = ("valence", "v")
AROUSAL_NAMES = ("arousal", "a")

# Limits of a trace file, on top of those of a trace (model.MAX_TRACE_*): the studyforrest film
# annotation (2 h, 30 columns) is 0.5 MB with 150-character lines.
MAX_TRACE_BYTES = 64 * MiB
MAX_LINE_CHARS = 100_000
MAX_COLUMNS = 1000
MAX_VALUES = 16_000_000  # rows x columns held while reading (128 MB of floats)
_EXTRA_LINES = 10_000  # comment and blank lines a file may have beyond its samples

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60
_short.maxlist = _short.maxdict = 4
_short.maxlevel = 2


def short_repr(value: Any) -> str:
    """A repr fit for a one-line message, however large or deep the value."""
    return _short.repr(value)


def short_name(key: str) -> str:
    """A column or field name cut to 60 characters for a message."""
    return key if len(key) <= 60 else key[:57] + "..."


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of a trace file: a regular file of at most MAX_TRACE_BYTES, not empty."""
    p = Path(path)
    if not p.exists():
        raise TraceError(f"{p}: no such file")
    data = read_limited(p, MAX_TRACE_BYTES, TraceError, "trace file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TraceError(f"{p}: byte {exc.start}: not UTF-8 text (is this a trace file?)") from None
    if not text.strip():
        raise TraceError(f"{p}: the file is empty")
    return text


def check_line_count(text: str, where: str) -> None:
    """Refuse, before splitting it, text with far more lines than a trace has samples."""
    n = max(text.count("\n"), text.count("\r")) + 1
    limit = MAX_TRACE_SAMPLES + _EXTRA_LINES
    if n > limit:
        raise TraceError(f"{where}: {n:,} lines is {n - limit:,} more than a trace file may have "
                         f"({MAX_TRACE_SAMPLES:,} samples plus {_EXTRA_LINES:,} comment or blank lines)")


def checked_lines(text: str, where: str, first_line: int = 1) -> Iterator[str]:
    """The lines of ``text`` (any newline convention), refusing one too long to be a row."""
    buf = io.StringIO(text, newline=None)
    for n, line in enumerate(buf, start=first_line):
        if len(line) > MAX_LINE_CHARS:
            raise TraceError(f"{where}: line {n}: {len(line):,} characters is {len(line) - MAX_LINE_CHARS:,} "
                             f"more than the {MAX_LINE_CHARS:,} a line of a trace file may have")
        yield line

