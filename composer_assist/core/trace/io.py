"""Trace files in our own CSV layout and in generic CSV/JSON (see docs/traces.md).

Our CSV is a generic CSV with ``# key: value`` metadata lines before the header::

    # composer-assist trace 1
    # name: thriller_buildup
    # scale: [-1,1]
    time_s,valence,arousal,heart_rate,valid
    0,-0.05,-0.4,71.9,1
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import reprlib
from array import array
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..atomic import atomic_write_text
from ..errors import TraceError
from ..reading import MiB, read_limited
from .model import MAX_TRACE_SAMPLES, Trace, check_extent, fill_gaps
from .scale import SIGNED, detect_scale, parse_scale, to_signed

MAGIC = "# composer-assist trace"
FORMAT_VERSION = 1
TIME_SECONDS = ("time_s", "time", "t", "seconds", "sec", "s")
TIME_MILLIS = ("time_ms", "t_ms", "ms", "milliseconds")
VALENCE_NAMES = ("valence", "v")
AROUSAL_NAMES = ("arousal", "a")
_MISSING = {"", "nan", "na", "n/a", "null", "none", "-"}

# Limits of a trace file, on top of those of a trace (model.MAX_TRACE_*): the studyforrest film
# annotation (2 h, 30 columns) is 0.5 MB with 150-character lines.
MAX_TRACE_BYTES = 64 * MiB
MAX_LINE_CHARS = 100_000
MAX_COLUMNS = 1000
MAX_VALUES = 16_000_000  # rows x columns held while reading (128 MB of floats)
_EXTRA_LINES = 10_000  # comment and blank lines a file may have beyond its samples
MS_HINT = "; are the times in milliseconds? (then name the column time_ms)"

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60
_short.maxlist = _short.maxdict = 4
_short.maxlevel = 2


def short_repr(value: Any) -> str:
    """A repr fit for a one-line message, however large or deep the value."""
    return _short.repr(value)


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


def assemble(where: str, times: np.ndarray, va: dict[str, np.ndarray],
             channels: dict[str, np.ndarray], scale: str | None, label: Callable[[int], str],
             max_gap_s: float, long_gaps: str, name: str = "",
             valid: np.ndarray | None = None, time_hint: str = "") -> Trace:
    """Check times, settle the scale, fill gaps and build the Trace; every error names a row."""
    times = np.asarray(times, dtype=np.float64)
    if times.size == 0:
        raise TraceError(f"{where}: no samples after the header")
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        if steps[i - 1] == 0:
            raise TraceError(f"{where}: {label(i)}: duplicate time {times[i]:g} s "
                             f"(same as {label(i - 1)})")
        raise TraceError(f"{where}: {label(i)}: time {times[i]:g} s goes backwards "
                         f"(previous {label(i - 1)} is at {times[i - 1]:g} s); times must increase")
    check_extent(times, where, label, hint=time_hint)
    if scale is None:
        scale = detect_scale(va, where)
    va = to_signed(va, scale, where, label)
    filled, gap_mask = fill_gaps(times, {**va, **channels}, max_gap_s, long_gaps, where, label)
    if valid is not None:
        gap_mask = valid if gap_mask is None else (gap_mask & valid)
        if gap_mask.all():
            gap_mask = None
    return Trace(times, filled["valence"], filled["arousal"],
                 {k: filled[k] for k in channels}, name=name, source=where, valid=gap_mask)


def _settle_scale(stated: str | None, given: str | None, where: str, field: str) -> str | None:
    """The scale named by the user argument or the file; both present and different is an error."""
    a = parse_scale(given, where) if given is not None else None
    b = parse_scale(stated, f"{where}: {field}") if stated is not None else None
    if a and b and a != b:
        raise TraceError(f"{where}: {field} says {b} but --scale says {a}")
    return a or b


# ---- CSV ---------------------------------------------------------------------------------------
def read_csv(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
             long_gaps: str = "mark", text: str | None = None) -> Trace:
    """Our CSV or any CSV with a header naming a time column, valence and arousal."""
    where = str(path)
    if text is None:
        text = read_text(path)
    check_line_count(text, where)
    meta: dict[str, str] = {}
    lines = checked_lines(text, where)
    header_at = None
    header_line = ""
    for n, line in enumerate(lines, start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            key, sep, value = s.lstrip("#").partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
            continue
        header_at, header_line = n, line.rstrip("\n")
        break
    if header_at is None:
        raise TraceError(f"{where}: no header line (only comments)")
    if header_line.lstrip().startswith(("{", "[")):
        raise TraceError(f"{where}: line {header_at}: this is JSON, not CSV (use --format json, "
                         f"pmemo or auto)")
    delim = "\t" if "\t" in header_line else (";" if ";" in header_line and "," not in header_line
                                             else ",")
    if header_line.count(delim) + 1 > MAX_COLUMNS:
        raise TraceError(f"{where}: line {header_at}: {header_line.count(delim) + 1:,} columns is more than the "
                         f"{MAX_COLUMNS:,} a trace file may have")
    try:
        header = [h.strip() for h in next(csv.reader([header_line], delimiter=delim))]
    except csv.Error as exc:
        raise TraceError(f"{where}: line {header_at}: unreadable header: {exc}") from None
    cols = _header_columns(header, where, header_at)

    ncols = len(header)
    line_numbers = array("q")
    values = array("d")
    reader = csv.reader(lines, delimiter=delim)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise TraceError(f"{where}: line {header_at + reader.line_num}: unreadable CSV: {exc}") from None
        n = header_at + reader.line_num
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if len(cells) != ncols:
            raise TraceError(f"{where}: line {n}: expected {ncols} values "
                             f"({_names(header)}), found {len(cells)}")
        if len(line_numbers) >= MAX_TRACE_SAMPLES:
            raise TraceError(f"{where}: line {n}: more than the {MAX_TRACE_SAMPLES:,} samples a trace may have")
        if len(values) + ncols > MAX_VALUES:
            raise TraceError(f"{where}: line {n}: more than the {MAX_VALUES:,} values (samples x columns) "
                             f"a trace file may have")
        values.extend(_number(c, where, n, header[j]) for j, c in enumerate(cells))
        line_numbers.append(n)
    if not line_numbers:
        raise TraceError(f"{where}: no samples after the header (line {header_at})")
    data = np.frombuffer(values, dtype=np.float64).reshape(-1, ncols).copy()
    label = (lambda i: f"line {line_numbers[i]}")

    t_col, t_factor = cols["time"]
    times = data[:, t_col] * t_factor
    if np.isnan(times).any():
        i = int(np.argmax(np.isnan(times)))
        raise TraceError(f"{where}: {label(i)}: {_name(header[t_col])} is missing")
    valid = None
    if cols["valid"] is not None:
        vcol = data[:, cols["valid"]]
        bad = ~np.isin(vcol, (0.0, 1.0))
        if bad.any():
            i = int(np.argmax(bad))
            raise TraceError(f"{where}: {label(i)}: valid must be 0 or 1, not {vcol[i]:g}")
        valid = vcol.astype(bool)
    va = {"valence": data[:, cols["valence"]], "arousal": data[:, cols["arousal"]]}
    channels = {header[j]: data[:, j] for j in cols["channels"]}
    scale = _settle_scale(meta.get("scale"), scale, where, "'# scale:' line")
    return assemble(where, times, va, channels, scale, label, max_gap_s, long_gaps,
                    name=meta.get("name", Path(where).stem), valid=valid,
                    time_hint=MS_HINT if t_factor == 1.0 else "")


def _header_columns(header: list[str], where: str, line: int) -> dict[str, Any]:
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
        for j, h in enumerate(low):
            if h in names:
                return j
        return None

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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(cell: str, where: str, line: int, column: str) -> float:
    s = cell.strip()
    if s.lower() in _MISSING:
        return math.nan
    try:
        x = float(s)
    except ValueError:
        raise TraceError(f"{where}: line {line}: column {_name(column)}: {short_repr(s)} is not a number") from None
    if math.isinf(x):
        raise TraceError(f"{where}: line {line}: column {_name(column)}: {short_repr(s)} is not a finite number"
                         + (" (far too large)" if s.lower().lstrip("+-") not in ("inf", "infinity") else ""))
    return x


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


# ---- JSON --------------------------------------------------------------------------------------
def read_json_data(path: str | os.PathLike, text: str | None = None) -> Any:
    if text is None:
        text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceError(f"{path}: line {exc.lineno} column {exc.colno}: invalid JSON: "
                         f"{exc.msg}") from None
    except RecursionError:
        raise TraceError(f"{path}: invalid trace: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise TraceError(f"{path}: invalid JSON: {_json_value_error(exc)}") from None


def read_json(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
              long_gaps: str = "mark", data: Any = None) -> Trace:
    """Generic JSON: columns ("time"/"time_ms", "valence", "arousal", "channels") or "samples"."""
    where = str(path)
    if data is None:
        data = read_json_data(path)
    if not isinstance(data, dict):
        raise TraceError(f"{where}: (top level): expected an object with time, valence, arousal "
                         f"or samples")
    unit = data.get("time_unit", "s")
    if unit not in ("s", "ms"):
        raise TraceError(f"{where}: time_unit: {short_repr(unit)} is not 's' or 'ms'")
    factor = 1e-3 if unit == "ms" else 1.0
    if "samples" in data:
        times, va, channels, label = _json_rows(data["samples"], where)
    else:
        times, va, channels, label = _json_columns(data, where)
        if "time_ms" in data:
            factor = 1e-3
    name = data.get("name", Path(where).stem)
    if not isinstance(name, str):
        raise TraceError(f"{where}: name: expected a string, got {short_repr(name)}")
    stated = data.get("scale")
    if stated is not None and not isinstance(stated, str):
        raise TraceError(f"{where}: scale: expected a string like \"[0,1]\"")
    return assemble(where, times * factor, va, channels, _settle_scale(stated, scale, where, "scale"),
                    label, max_gap_s, long_gaps, name=name[:200],
                    time_hint=MS_HINT.replace("name the column time_ms", 'give "time_unit": "ms"')
                    if factor == 1.0 else "")


def json_number(v: Any, where: str, field: str) -> float:
    """A JSON value as a float: null is missing (NaN); anything but a finite number is an error."""
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TraceError(f"{where}: {field}: expected a number, got {type(v).__name__} {short_repr(v)}")
    try:
        x = float(v)
    except OverflowError:
        raise TraceError(f"{where}: {field}: a {len(str(abs(v)))}-digit integer is far too large") from None
    if math.isinf(x):
        raise TraceError(f"{where}: {field}: not a finite number")
    return x


def _name(key: str) -> str:
    return key if len(key) <= 60 else key[:57] + "..."


def check_json_length(arr: list, where: str, field: str) -> None:
    if len(arr) > MAX_TRACE_SAMPLES:
        raise TraceError(f"{where}: {field}: {len(arr):,} values is {len(arr) - MAX_TRACE_SAMPLES:,} more "
                         f"than the {MAX_TRACE_SAMPLES:,} samples a trace may have")


def _json_array(data: dict, key: str, where: str, n: int | None) -> np.ndarray:
    arr = data[key]
    key = _name(str(key))
    if not isinstance(arr, list):
        raise TraceError(f"{where}: {key}: expected an array of numbers")
    check_json_length(arr, where, key)
    if n is not None and len(arr) != n:
        raise TraceError(f"{where}: {key}: has {len(arr)} values but time has {n}")
    return np.array([json_number(x, where, f"{key}[{i}]") for i, x in enumerate(arr)], dtype=np.float64)


def _json_columns(data: dict, where: str):
    tkey = next((k for k in ("time", "time_s", "t", "time_ms") if k in data), None)
    if tkey is None:
        raise TraceError(f"{where}: time: is required but missing (or give \"samples\")")
    times = _json_array(data, tkey, where, None)
    n = times.size
    for k in VALENCE_NAMES[:1] + AROUSAL_NAMES[:1]:
        if k not in data:
            raise TraceError(f"{where}: {k}: is required but missing")
    va = {k: _json_array(data, k, where, n) for k in ("valence", "arousal")}
    raw = data.get("channels", {})
    if not isinstance(raw, dict):
        raise TraceError(f"{where}: channels: expected an object of name -> array")
    if len(raw) > MAX_COLUMNS:
        raise TraceError(f"{where}: channels: {len(raw):,} channels is more than the {MAX_COLUMNS:,} a "
                         f"trace may have")
    channels = {str(k): _json_array(raw, k, f"{where}: channels", n) for k in raw}
    if np.isnan(times).any():
        i = int(np.argmax(np.isnan(times)))
        raise TraceError(f"{where}: {tkey}[{i}]: is missing")
    return times, va, channels, (lambda i: f"{tkey}[{i}]")


def _json_rows(rows: Any, where: str):
    if not isinstance(rows, list):
        raise TraceError(f"{where}: samples: expected an array of objects")
    check_json_length(rows, where, "samples")
    times, v, a = [], [], []
    channels: dict[str, list[float]] = {}
    for i, row in enumerate(rows):
        at = f"samples[{i}]"
        if not isinstance(row, dict):
            raise TraceError(f"{where}: {at}: expected an object")
        tkey = next((k for k in ("time", "time_s", "t") if k in row), None)
        if tkey is None:
            raise TraceError(f"{where}: {at}.time: is required but missing")
        t = json_number(row[tkey], where, f"{at}.{tkey}")
        if math.isnan(t):
            raise TraceError(f"{where}: {at}.{tkey}: is missing")
        times.append(t)
        for key, dest in (("valence", v), ("arousal", a)):
            if key not in row:
                raise TraceError(f"{where}: {at}.{key}: is required but missing")
            dest.append(json_number(row[key], where, f"{at}.{key}"))
        for key, val in row.items():
            if key in (tkey, "valence", "arousal"):
                continue
            if key not in channels:
                if len(channels) >= MAX_COLUMNS:
                    raise TraceError(f"{where}: {at}.{short_repr(key)}: more than the {MAX_COLUMNS:,} channels "
                                     f"a trace may have")
                channels[key] = [math.nan] * i
            channels[key].append(json_number(val, where, f"{at}.{_name(key)}"))
        for key, col in channels.items():
            if len(col) < i + 1:
                col.append(math.nan)
        if (i + 1) * (3 + len(channels)) > MAX_VALUES:
            raise TraceError(f"{where}: {at}: more than the {MAX_VALUES:,} values (samples x channels) a "
                             f"trace file may have")
    return (np.array(times), {"valence": np.array(v), "arousal": np.array(a)},
            {k: np.array(c) for k, c in channels.items()}, (lambda i: f"samples[{i}]"))


def _json_value_error(exc: ValueError) -> str:
    """json's ValueError (other than a syntax error) as a short user message."""
    text = str(exc).splitlines()[0] if str(exc) else "unreadable"
    if "digits" in text:  # int max str digits: a number no measurement has
        return "a number with thousands of digits (" + text.split(":")[-1].strip().split(";")[0] + ")"
    return text[:200]
