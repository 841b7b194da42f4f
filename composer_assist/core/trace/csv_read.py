"""Reading a trace from CSV: ours (``# key: value`` lines before the header) or any CSV whose header
names a time column, valence and arousal."""

from __future__ import annotations

import csv
import math
import re
import os
from array import array
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..errors import TraceError
from .assemble import MS_HINT, assemble, settle_scale
from .files import (AROUSAL_NAMES, MAX_COLUMNS, MAX_VALUES, TIME_MILLIS, TIME_SECONDS, VALENCE_NAMES,
                    check_line_count, checked_lines, read_text, short_name, short_repr)
from .model import MAX_TRACE_SAMPLES, Trace

_MISSING = {"", "nan", "na", "n/a", "null", "none", "-"}


def open_csv(path: str | os.PathLike, text: str | None = None):
    """(remaining lines, metadata comments, header line number, delimiter, header cells) of a CSV
    trace, its size and line count checked."""
    where = str(path)
    if text is None:
        text = read_text(path)
    check_line_count(text, where)
    lines = checked_lines(text, where)
    meta, header_at, header_line = _find_header(lines, where)
    delim, header = _split_header(header_line, where, header_at)
    return lines, meta, header_at, delim, header


def read_csv(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
             long_gaps: str = "mark", text: str | None = None, time_key: str | None = None) -> Trace:
    """Our CSV or any CSV with a header naming a time column (or ``time_key``), valence and arousal."""
    where = str(path)
    lines, meta, header_at, delim, header = open_csv(path, text)
    cols = _header_columns(header, where, header_at, time_key)
    data, line_numbers = _read_rows(lines, delim, header, where, header_at)  # the lines after the header
    label = (lambda i: f"line {line_numbers[i]}")

    t_col, t_factor = cols["time"]
    times = data[:, t_col] * t_factor
    if np.isnan(times).any():
        i = int(np.argmax(np.isnan(times)))
        raise TraceError(f"{where}: {label(i)}: {short_name(header[t_col])} is missing")
    valid = None if cols["valid"] is None else _valid(data[:, cols["valid"]], where, label)
    va = {"valence": data[:, cols["valence"]], "arousal": data[:, cols["arousal"]]}
    channels = {header[j]: data[:, j] for j in cols["channels"]}
    scale = settle_scale(meta.get("scale"), scale, where, "'# scale:' line")
    return assemble(where, times, va, channels, scale, label, max_gap_s, long_gaps,
                    name=meta.get("name", Path(where).stem), valid=valid,
                    time_hint=MS_HINT if t_factor == 1.0 else "")


def _find_header(lines: Iterator[str], where: str) -> tuple[dict[str, str], int, str]:
    """(``# key: value`` metadata, line number, text) of the header: the first line that is not a
    comment or blank.  ``lines`` is left at the line after it."""
    meta: dict[str, str] = {}
    for n, line in enumerate(lines, start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            key, sep, value = s.lstrip("#").partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
            continue
        return meta, n, line.rstrip("\n")
    raise TraceError(f"{where}: no header line (only comments)")


def _split_header(header_line: str, where: str, header_at: int) -> tuple[str, list[str]]:
    """The delimiter (tab, semicolon or comma) and the column names of the header line."""
    if header_line.lstrip().startswith(("{", "[")):
        raise TraceError(f"{where}: line {header_at}: this is JSON, not CSV (use --format json, "
                         f"pmemo or auto)")
    delim = "\t" if "\t" in header_line else (";" if ";" in header_line and "," not in header_line
                                             else ",")
    if header_line.count(delim) + 1 > MAX_COLUMNS:
        raise TraceError(f"{where}: line {header_at}: {header_line.count(delim) + 1:,} columns is more than the "
                         f"{MAX_COLUMNS:,} a trace file may have")
    try:
        return delim, [h.strip() for h in next(csv.reader([header_line], delimiter=delim))]
    except csv.Error as exc:
        raise TraceError(f"{where}: line {header_at}: unreadable header: {exc}") from None


def csv_records(lines: Iterator[str], delim: str, where: str, header_at: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each data row: blank and ``#`` comment lines skipped, a broken
    line named."""
    reader = csv.reader(lines, delimiter=delim)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TraceError(f"{where}: line {header_at + reader.line_num}: unreadable CSV: {exc}") from None
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        yield header_at + reader.line_num, cells


def _read_rows(lines: Iterator[str], delim: str, header: list[str], where: str,
               header_at: int) -> tuple[np.ndarray, array]:
    """The samples as a (rows, columns) array, and the line number of each row."""
    ncols = len(header)
    line_numbers = array("q")
    values = array("d")
    for n, cells in csv_records(lines, delim, where, header_at):
        if len(cells) != ncols:
            raise TraceError(f"{where}: line {n}: expected {ncols} values "
                             f"({_names(header)}), found {len(cells)}")
        if len(line_numbers) >= MAX_TRACE_SAMPLES:
            raise TraceError(f"{where}: line {n}: more than the {MAX_TRACE_SAMPLES:,} samples a trace may have")
        if len(values) + ncols > MAX_VALUES:
            raise TraceError(f"{where}: line {n}: more than the {MAX_VALUES:,} values (samples x columns) "
                             f"a trace file may have")
        values.extend(csv_number(c, where, n, header[j]) for j, c in enumerate(cells))
        line_numbers.append(n)
    if not line_numbers:
        raise TraceError(f"{where}: no samples after the header (line {header_at})")
    return np.frombuffer(values, dtype=np.float64).reshape(-1, ncols).copy(), line_numbers


def _valid(column: np.ndarray, where: str, label: Callable[[int], str]) -> np.ndarray:
    """The ``valid`` column as booleans; anything but 0 or 1 is an error."""
    bad = ~np.isin(column, (0.0, 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise TraceError(f"{where}: {label(i)}: valid must be 0 or 1, not {column[i]:g}")
    return column.astype(bool)


def _header_columns(header: list[str], where: str, line: int, time_key: str | None = None) -> dict[str, Any]:
    low = [h.lower() for h in header]
    if all(_is_number(h) for h in header if h):
        raise TraceError(f"{where}: line {line}: no header: the first line must name the columns "
                         f"(e.g. time_s,valence,arousal)")
    seen: set[str] = set()
    for h in low:
        if not h:
            raise TraceError(f"{where}: line {line}: empty column name in the header")
        if h in seen:
            raise TraceError(f"{where}: line {line}: column {short_repr(h)} appears twice in the header")
        seen.add(h)

    def find(names: tuple[str, ...]) -> int | None:
        """The column named one of ``names``; two of them is an error (which one was meant?)."""
        hits = [j for j, h in enumerate(low) if h in names]
        if len(hits) > 1:
            raise TraceError(f"{where}: line {line}: columns {' and '.join(header[j] for j in hits)} both name "
                             f"{names[0]}; keep one (the other was dropped with nothing said)")
        return hits[0] if hits else None

    if time_key is not None:
        j = find((time_key.lower(),))
        if j is None:
            raise TraceError(f"{where}: line {line}: no time column {short_repr(time_key)} (--time-key); header "
                             f"has {_names(header)}")
        t_s, t_ms = (None, j) if time_key.lower() in TIME_MILLIS else (j, None)
    else:
        t_s, t_ms = find(TIME_SECONDS), find(TIME_MILLIS)
    if t_s is not None and t_ms is not None:
        raise TraceError(f"{where}: line {line}: two time columns ({header[t_s]}, {header[t_ms]})")
    if t_s is None and t_ms is None:
        raise TraceError(f"{where}: line {line}: no time column: name one time_s (seconds) or "
                         f"time_ms (milliseconds); header has {_names(header)}")
    v, a = find(VALENCE_NAMES), find(AROUSAL_NAMES)
    for j, what in ((v, "valence"), (a, "arousal")):
        if j is None:
            raise TraceError(f"{where}: line {line}: no {what} column; header has "
                             f"{_names(header)}")
    t = t_s if t_s is not None else t_ms
    valid = find(("valid",))
    used = {t, v, a, valid}
    return {"time": (t, 1.0 if t_s is not None else 1e-3), "valence": v, "arousal": a,
            "valid": valid, "channels": [j for j in range(len(header)) if j not in used]}


def _names(header: list[str]) -> str:
    text = ",".join(header)
    return text if len(text) <= 120 else text[:117] + "..."


# A decimal number as a spreadsheet writes it.  Python's float() also takes "1_0" (ten) and
# full-width or other Unicode digits, which no exporter writes: such a cell is a typo, not a value.
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE | re.ASCII)


def _is_number(text: str) -> bool:
    return _DECIMAL.fullmatch(text.strip()) is not None


def csv_number(cell: str, where: str, line: int, column: str) -> float:
    """A CSV cell as a float: a missing-value word is NaN; anything else but a finite number is an error."""
    s = cell.strip()
    if s.lower() in _MISSING:
        return math.nan
    if not _is_number(s):
        raise TraceError(f"{where}: line {line}: column {short_name(column)}: {short_repr(s)} is not a number")
    x = float(s)
    if math.isinf(x):
        raise TraceError(f"{where}: line {line}: column {short_name(column)}: {short_repr(s)} is not a finite number"
                         + (" (far too large)" if s.lower().lstrip("+-") not in ("inf", "infinity") else ""))
    return x
