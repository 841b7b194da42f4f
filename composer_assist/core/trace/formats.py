"""Adapters for public emotion-annotation formats, and format detection for ``load_trace``.

* studyforrest: ``ioats_2s_av_allchar.csv`` (Labs et al. 2015): one row per 2 s of the film, no
  time column (row i is t = 2 i s), arousal and valence in [-1, 1], plus direction, 22 emotion
  categories and 5 cue columns, all kept as channels.
* PMEmo: ``*.json`` song records (Zhang et al. 2018) with ``dynamic`` {t, v, a} in [0, 1] at 2 Hz
  and listeners' electrodermal activity ``eda`` {t, mean, subjects} at ~12.5 Hz; the mean EDA is
  averaged over each 0.5 s annotation step and becomes the ``eda`` channel.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TraceError
from .model import Trace
from .assemble import assemble
from .csv_read import csv_number, read_csv
from .wide_read import is_wide, read_wide
from .files import MAX_COLUMNS, MAX_VALUES, check_line_count, checked_lines, read_text, short_repr
from .io import MAGIC
from .json_read import check_json_length, json_number, read_json, read_json_data
from .model import check_max_gap
from .scale import SIGNED, UNIT, parse_scale

FORMATS = ("auto", "csv", "wide", "json", "studyforrest", "pmemo")
STUDYFORREST_STEP_S = 2.0
STUDYFORREST_FIRST = ("arousal", "valence", "direction")


def load_trace(path: str | os.PathLike, format: str = "auto", scale: str | None = None,
               max_gap_s: float = 4.0, long_gaps: str = "mark", time_key: str | None = None,
               item: str | None = None, pair: str | os.PathLike | None = None) -> Trace:
    """Read a trace: our CSV, generic CSV/JSON, wide CSV, studyforrest or PMEmo (see docs/traces.md).

    ``format="auto"`` looks at the file (see ``detect_format``).  ``scale`` is a named scale or any
    "LO,HI"; ``time_key`` names the time column/key of generic CSV/JSON; ``item`` chooses the row
    (by its id or 0-based index) of a wide CSV, and ``pair`` is the other file of a wide CSV given
    as one file per dimension.
    """
    if format not in FORMATS:
        raise TraceError(f"{path}: unknown trace format {short_repr(format)} (use {', '.join(FORMATS)})")
    check_max_gap(max_gap_s)
    data = text = None
    if format == "auto":
        format, data, text = _detect(path)
    kw = dict(scale=scale, max_gap_s=max_gap_s, long_gaps=long_gaps)
    if format == "wide" or (format == "csv" and (item is not None or pair is not None)):
        return read_wide(path, item=item, pair=pair, text=text, **kw)
    if item is not None or pair is not None:
        raise TraceError(f"{path}: --item and --pair are for a wide CSV, not {format}")
    if format == "csv":
        return read_csv(path, text=text, time_key=time_key, **kw)
    if time_key is not None and format != "json":
        raise TraceError(f"{path}: --time-key is for generic CSV or JSON, not {format}")
    if format == "studyforrest":
        return read_studyforrest(path, text=text, **kw)
    if format == "pmemo":
        return read_pmemo(path, data=data, **kw)
    return read_json(path, data=data, time_key=time_key, **kw)


def detect_format(path: str | os.PathLike) -> tuple[str, Any]:
    """("json"|"pmemo", parsed data) for JSON text, else "studyforrest" or "wide" by its header, else "csv"."""
    fmt, data, _ = _detect(path)
    return fmt, data


def _detect(path: str | os.PathLike) -> tuple[str, Any, str]:
    """The format, the parsed JSON (or None) and the text, read once."""
    text = read_text(path)
    body = text.lstrip()
    if body.startswith(("{", "[")):
        data = read_json_data(path, text=text)
        if isinstance(data, dict) and isinstance(data.get("dynamic"), dict):
            return "pmemo", data, text
        return "json", data, text
    first = body[:1000].splitlines()[0]
    if not first.startswith(MAGIC) and \
            [c.strip().lower() for c in first.split(",")[:3]] == list(STUDYFORREST_FIRST):
        return "studyforrest", None, text
    if is_wide(text, str(path)):
        return "wide", None, text
    return "csv", None, text


def _check_known_scale(scale: str | None, known: str, fmt: str, where: str) -> str:
    if scale is not None and parse_scale(scale, where) != known:
        raise TraceError(f"{where}: {fmt} values are on the {known} scale, not {scale}")
    return known


def read_studyforrest(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
                      long_gaps: str = "mark", text: str | None = None) -> Trace:
    where = str(path)
    scale = _check_known_scale(scale, SIGNED, "studyforrest", where)
    if text is None:
        text = read_text(path)
    check_line_count(text, where)
    lines = checked_lines(text, where)
    first = next(lines).rstrip("\n")
    if first.count(",") + 1 > MAX_COLUMNS:
        raise TraceError(f"{where}: line 1: {first.count(',') + 1:,} columns is more than the {MAX_COLUMNS:,} a "
                         f"trace file may have")
    header = [h.strip() for h in first.split(",")]
    if [h.lower() for h in header[:3]] != list(STUDYFORREST_FIRST):
        raise TraceError(f"{where}: line 1: not a studyforrest time series: the header must start "
                         f"with arousal,valence,direction (found {short_repr(','.join(header[:3]))})")
    values = array("d")
    numbers = array("q")
    for n, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        found = line.count(",") + 1
        if found != len(header):
            raise TraceError(f"{where}: line {n}: expected {len(header)} values, found {found}")
        if len(values) + found > MAX_VALUES:
            raise TraceError(f"{where}: line {n}: more than the {MAX_VALUES:,} values (samples x columns) "
                             f"a trace file may have")
        values.extend(csv_number(c, where, n, header[j]) for j, c in enumerate(line.split(",")))
        numbers.append(n)
    if not numbers:
        raise TraceError(f"{where}: no samples after the header")
    data = np.frombuffer(values, dtype=np.float64).reshape(-1, len(header)).copy()
    # No time column: the series is defined as consecutive 2 s steps from the film's start.
    times = np.arange(len(numbers), dtype=np.float64) * STUDYFORREST_STEP_S
    va = {"valence": data[:, 1], "arousal": data[:, 0]}
    channels = {h: data[:, j] for j, h in enumerate(header) if j >= 2}
    trace = assemble(where, times, va, channels, scale, lambda i: f"line {numbers[i]}",
                     max_gap_s, long_gaps, name=f"studyforrest {Path(where).stem}")
    return trace


def read_pmemo(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
               long_gaps: str = "mark", data: Any = None) -> Trace:
    where = str(path)
    scale = _check_known_scale(scale, UNIT, "PMEmo", where)
    if data is None:
        data = read_json_data(path)
    if not isinstance(data, dict) or not isinstance(data.get("dynamic"), dict):
        raise TraceError(f"{where}: dynamic: is required but missing (not a PMEmo song record)")
    dyn = data["dynamic"]
    t = _array(dyn, "t", "dynamic", where)
    va = {"valence": _array(dyn, "v", "dynamic", where, t.size),
          "arousal": _array(dyn, "a", "dynamic", where, t.size)}
    channels: dict[str, np.ndarray] = {}
    eda = data.get("eda")
    if eda is not None:
        if not isinstance(eda, dict):
            raise TraceError(f"{where}: eda: expected an object with t and mean")
        et = _array(eda, "t", "eda", where)
        em = _array(eda, "mean", "eda", where, et.size)
        if np.any(np.diff(et) <= 0):
            i = int(np.argmax(np.diff(et) <= 0)) + 1
            raise TraceError(f"{where}: eda.t[{i}]: time {et[i]:g} s does not increase")
        channels["eda"] = _window_mean(et, em, t)
    title = " - ".join(_text(data[k]) for k in ("artist", "title") if data.get(k))
    name = f"PMEmo {_text(data.get('id', Path(where).stem))}" + (f" {title}" if title else "")
    return assemble(where, t, va, channels, scale, lambda i: f"dynamic.t[{i}]", max_gap_s,
                    long_gaps, name=name)


def _text(v: Any) -> str:
    """A name part from JSON: strings and numbers as they are (shortened), anything else abbreviated."""
    if isinstance(v, str):
        return v if len(v) <= 100 else v[:97] + "..."
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e15:
        return str(v)
    return short_repr(v)


def _array(obj: dict, key: str, parent: str, where: str, n: int | None = None) -> np.ndarray:
    arr = obj.get(key)
    if not isinstance(arr, list):
        raise TraceError(f"{where}: {parent}.{key}: expected an array of numbers")
    check_json_length(arr, where, f"{parent}.{key}")
    out = np.empty(len(arr))
    for i, x in enumerate(arr):
        out[i] = json_number(x, where, f"{parent}.{key}[{i}]")
    if n is not None and out.size != n:
        raise TraceError(f"{where}: {parent}.{key}: has {out.size} values but {parent}.t has {n}")
    return out


def _window_mean(src_t: np.ndarray, src_v: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Mean of src over [t - h, t + h) around each target time, h = half the target step.

    Averaging (rather than point-sampling) the ~12.5 Hz EDA down to 2 Hz avoids aliasing.
    Targets with no source sample in their window get NaN (filled as a gap later).
    """
    step = float(np.median(np.diff(at))) if at.size > 1 else 0.5
    lo = np.searchsorted(src_t, at - step / 2, side="left")
    hi = np.searchsorted(src_t, at + step / 2, side="left")
    finite = np.isfinite(src_v)
    csum = np.concatenate(([0.0], np.cumsum(np.where(finite, src_v, 0.0))))
    ccnt = np.concatenate(([0], np.cumsum(finite)))
    count = ccnt[hi] - ccnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), np.nan)
