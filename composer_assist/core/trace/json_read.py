"""Reading a trace from generic JSON: columns ("time"/"time_ms", "valence", "arousal", "channels") or
"samples" (one object per sample)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TraceError
from ..reading import parse_json
from .assemble import MS_HINT, assemble, settle_scale
from .files import (AROUSAL_NAMES, MAX_COLUMNS, MAX_VALUES, TIME_MILLIS, TIME_SECONDS, VALENCE_NAMES, read_text,
                    short_name, short_repr)
from .model import MAX_TRACE_SAMPLES, Trace


def read_json_data(path: str | os.PathLike, text: str | None = None) -> Any:
    """The parsed JSON of a trace file (or of ``text``); every error names the file."""
    if text is None:
        text = read_text(path)
    return parse_json(text, path, TraceError, "trace")


def read_json(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
              long_gaps: str = "mark", data: Any = None, time_key: str | None = None) -> Trace:
    """Generic JSON: columns (a time key, "valence", "arousal", "channels"), "samples" (one object per
    sample) or a top-level array of such objects.  Keys are matched case-insensitively; the time key
    is any of ``TIME_SECONDS``/``TIME_MILLIS`` (milliseconds converted) or ``time_key``."""
    where = str(path)
    if data is None:
        data = read_json_data(path)
    prefix = "samples"
    if isinstance(data, list):
        data, prefix = {"samples": data}, ""
    if not isinstance(data, dict):
        raise TraceError(f"{where}: (top level): expected an object with time, valence, arousal "
                         f"or samples, or an array of samples")
    unit = data.get("time_unit", "s")
    if unit not in ("s", "ms"):
        raise TraceError(f"{where}: time_unit: {short_repr(unit)} is not 's' or 'ms'")
    unit_factor = 1e-3 if unit == "ms" else 1.0
    if "samples" in data:
        times, va, channels, label, factor = _json_rows(data["samples"], where, time_key, prefix)
    else:
        times, va, channels, label, factor = _json_columns(data, where, time_key)
    factor = min(factor, unit_factor)
    name = data.get("name", Path(where).stem)
    if not isinstance(name, str):
        raise TraceError(f"{where}: name: expected a string, got {short_repr(name)}")
    stated = data.get("scale")
    if stated is not None and not isinstance(stated, str):
        raise TraceError(f"{where}: scale: expected a string like \"[0,1]\"")
    return assemble(where, times * factor, va, channels, settle_scale(stated, scale, where, "scale"),
                    label, max_gap_s, long_gaps, name=name[:200],
                    time_hint=MS_HINT.replace("name the column time_ms", 'give "time_unit": "ms"')
                    if factor == 1.0 else "")


def find_time_key(obj: dict, time_key: str | None) -> tuple[str, float] | None:
    """(the key of ``obj`` holding the time, factor to seconds), matched case-insensitively; None if
    there is none.  ``time_key`` names it explicitly (seconds, unless it is a millisecond name)."""
    low = {str(k).lower(): k for k in reversed(list(obj))}
    if time_key is not None:
        key = time_key if time_key in obj else low.get(time_key.lower())
        if key is None:
            return None
        return key, (1e-3 if time_key.lower() in TIME_MILLIS else 1.0)
    for names, factor in ((TIME_SECONDS, 1.0), (TIME_MILLIS, 1e-3)):
        for n in names:
            if n in low:
                return low[n], factor
    return None


def _find_va(obj: dict, names: tuple[str, ...]) -> Any:
    low = {str(k).lower(): k for k in reversed(list(obj))}
    return next((low[n] for n in names if n in low), None)


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


def check_json_length(arr: list, where: str, field: str) -> None:
    """Refuse a JSON array with more values than a trace may have samples."""
    if len(arr) > MAX_TRACE_SAMPLES:
        raise TraceError(f"{where}: {field}: {len(arr):,} values is {len(arr) - MAX_TRACE_SAMPLES:,} more "
                         f"than the {MAX_TRACE_SAMPLES:,} samples a trace may have")


def _json_array(data: dict, key: str, where: str, n: int | None) -> np.ndarray:
    arr = data[key]
    key = short_name(str(key))
    if not isinstance(arr, list):
        raise TraceError(f"{where}: {key}: expected an array of numbers")
    check_json_length(arr, where, key)
    if n is not None and len(arr) != n:
        raise TraceError(f"{where}: {key}: has {len(arr)} values but time has {n}")
    return np.array([json_number(x, where, f"{key}[{i}]") for i, x in enumerate(arr)], dtype=np.float64)


def _json_columns(data: dict, where: str, time_key: str | None = None):
    found = find_time_key(data, time_key)
    if found is None:
        what = short_name(time_key) if time_key else "time"
        raise TraceError(f"{where}: {what}: is required but missing (name the time key with --time-key, "
                         f"or give \"samples\")")
    tkey, factor = found
    times = _json_array(data, tkey, where, None)
    n = times.size
    va = {}
    for what, names in (("valence", VALENCE_NAMES), ("arousal", AROUSAL_NAMES)):
        key = _find_va(data, names)
        if key is None:
            raise TraceError(f"{where}: {what}: is required but missing")
        va[what] = _json_array(data, key, where, n)
    raw = data.get("channels", {})
    if not isinstance(raw, dict):
        raise TraceError(f"{where}: channels: expected an object of name -> array")
    if len(raw) > MAX_COLUMNS:
        raise TraceError(f"{where}: channels: {len(raw):,} channels is more than the {MAX_COLUMNS:,} a "
                         f"trace may have")
    channels = {str(k): _json_array(raw, k, f"{where}: channels", n) for k in raw}
    if np.isnan(times).any():
        i = int(np.argmax(np.isnan(times)))
        raise TraceError(f"{where}: {short_name(str(tkey))}[{i}]: is missing")
    return times, va, channels, (lambda i: f"{short_name(str(tkey))}[{i}]"), factor


def _json_rows(rows: Any, where: str, time_key: str | None = None, prefix: str = "samples"):
    if not isinstance(rows, list):
        raise TraceError(f"{where}: {prefix or '(top level)'}: expected an array of objects")
    check_json_length(rows, where, "samples")
    times, v, a = [], [], []
    channels: dict[str, list[float]] = {}
    factor = None
    for i, row in enumerate(rows):
        at = f"{prefix}[{i}]"
        if not isinstance(row, dict):
            raise TraceError(f"{where}: {at}: expected an object")
        found = find_time_key(row, time_key)
        if found is None:
            what = short_name(time_key) if time_key else "time"
            raise TraceError(f"{where}: {at}.{what}: is required but missing"
                             + ("" if time_key else " (name the time key with --time-key)"))
        tkey, row_factor = found
        if factor is None:
            factor = row_factor
        elif row_factor != factor:
            raise TraceError(f"{where}: {at}.{short_name(str(tkey))}: milliseconds here but seconds in "
                             f"{prefix}[0] (use one time key throughout)")
        t = json_number(row[tkey], where, f"{at}.{short_name(str(tkey))}")
        if math.isnan(t):
            raise TraceError(f"{where}: {at}.{short_name(str(tkey))}: is missing")
        times.append(t)
        used = {tkey}
        for what, names, dest in (("valence", VALENCE_NAMES, v), ("arousal", AROUSAL_NAMES, a)):
            key = _find_va(row, names)
            if key is None:
                raise TraceError(f"{where}: {at}.{what}: is required but missing")
            used.add(key)
            dest.append(json_number(row[key], where, f"{at}.{short_name(str(key))}"))
        for key, val in row.items():
            if key in used:
                continue
            if key not in channels:
                if len(channels) >= MAX_COLUMNS:
                    raise TraceError(f"{where}: {at}.{short_repr(key)}: more than the {MAX_COLUMNS:,} channels "
                                     f"a trace may have")
                channels[key] = [math.nan] * i
            channels[key].append(json_number(val, where, f"{at}.{short_name(key)}"))
        for key, col in channels.items():
            if len(col) < i + 1:
                col.append(math.nan)
        if (i + 1) * (3 + len(channels)) > MAX_VALUES:
            raise TraceError(f"{where}: {at}: more than the {MAX_VALUES:,} values (samples x channels) a "
                             f"trace file may have")
    return (np.array(times), {"valence": np.array(v), "arousal": np.array(a)},
            {k: np.array(c) for k, c in channels.items()}, (lambda i: f"{prefix}[{i}]"),
            1.0 if factor is None else factor)


