"""Trace files in our own CSV layout and in generic CSV/JSON (see docs/traces.md).

Our CSV is a generic CSV with ``# key: value`` metadata lines before the header::

    # composer-assist trace 1
    # name: thriller_buildup
    # scale: [-1,1]
    time_s,valence,arousal,heart_rate,valid
    0,-0.05,-0.4,71.9,1

Writing is here; the readers are in ``csv_read`` and ``json_read`` (what they share in ``files``
and ``assemble``), and importable from here too.
"""

from __future__ import annotations

import io
import os

from ..atomic import atomic_write_text
from ..errors import TraceError
from .csv_read import read_csv
from .files import (AROUSAL_NAMES, MAX_COLUMNS, MAX_LINE_CHARS, MAX_TRACE_BYTES, MAX_VALUES, TIME_MILLIS,
                    TIME_SECONDS, VALENCE_NAMES, read_text)
from .json_read import read_json, read_json_data
from .model import Trace
from .scale import SIGNED

__all__ = ["FORMAT_VERSION", "MAGIC", "MAX_COLUMNS", "MAX_LINE_CHARS", "MAX_TRACE_BYTES", "MAX_VALUES",
           "read_csv", "read_json", "read_json_data", "read_text", "save_trace"]

MAGIC = "# composer-assist trace"
FORMAT_VERSION = 1


def save_trace(trace: Trace, path: str | os.PathLike) -> None:
    """Our CSV (values already on [-1,1]), written atomically."""
    names = list(trace.channels)
    for k in names:
        if k.lower() in (*TIME_SECONDS, *TIME_MILLIS, *VALENCE_NAMES, *AROUSAL_NAMES, "valid") \
                or any(c in k for c in ",\n\r\t\"#"):
            raise TraceError(f"{path}: channel name {k!r} cannot be written as a CSV column")
    out = io.StringIO()
    out.write(f"{MAGIC} {FORMAT_VERSION}\n")
    if trace.name:
        out.write(f"# name: {_one_line(trace.name)}\n")
    if trace.source:
        out.write(f"# origin: {_one_line(trace.source)}\n")
    out.write(f"# scale: {SIGNED}\n")
    header = ["time_s", "valence", "arousal", *names]
    if trace.valid is not None:
        header.append("valid")
    out.write(",".join(header) + "\n")
    cols = [trace.valence, trace.arousal, *(trace.channels[k] for k in names)]
    for i, t in enumerate(trace.times):
        row = [f"{t:.10g}", *(f"{c[i]:.7g}" for c in cols)]
        if trace.valid is not None:
            row.append("1" if trace.valid[i] else "0")
        out.write(",".join(row) + "\n")
    atomic_write_text(path, out.getvalue())


def _one_line(text: str) -> str:
    return " ".join(str(text).split())

