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
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TraceError
from .model import Trace
from .io import MAGIC, assemble, read_csv, read_json, read_json_data, read_text
from .scale import SIGNED, UNIT, parse_scale

FORMATS = ("auto", "csv", "json", "studyforrest", "pmemo")
STUDYFORREST_STEP_S = 2.0
STUDYFORREST_FIRST = ("arousal", "valence", "direction")


def load_trace(path: str | os.PathLike, format: str = "auto", scale: str | None = None,
               max_gap_s: float = 4.0, long_gaps: str = "mark") -> Trace:
    """Read a trace: our CSV, generic CSV/JSON, studyforrest or PMEmo (see docs/traces.md).

    ``format="auto"`` looks at the file (see ``detect_format``).
    """
    if format not in FORMATS:
        raise TraceError(f"{path}: unknown trace format {format!r} (use {', '.join(FORMATS)})")
    data = None
    if format == "auto":
        format, data = detect_format(path)
    kw = dict(scale=scale, max_gap_s=max_gap_s, long_gaps=long_gaps)
    if format == "csv":
        return read_csv(path, **kw)
    if format == "studyforrest":
        return read_studyforrest(path, **kw)
    if format == "pmemo":
        return read_pmemo(path, data=data, **kw)
    return read_json(path, data=data, **kw)


def detect_format(path: str | os.PathLike) -> tuple[str, Any]:
    """("json"|"pmemo", parsed data) for JSON text, else "studyforrest" by its header, else "csv"."""
    text = read_text(path)
    if text.lstrip().startswith(("{", "[")):
        data = read_json_data(path)
        if isinstance(data, dict) and isinstance(data.get("dynamic"), dict):
            return "pmemo", data
        return "json", data
    first = text.lstrip().splitlines()[0]
    if not first.startswith(MAGIC) and \
            [c.strip().lower() for c in first.split(",")[:3]] == list(STUDYFORREST_FIRST):
        return "studyforrest", None
    return "csv", None


def _check_known_scale(scale: str | None, known: str, fmt: str, where: str) -> str:
    if scale is not None and parse_scale(scale, where) != known:
        raise TraceError(f"{where}: {fmt} values are on the {known} scale, not {scale}")
    return known


def read_studyforrest(path: str | os.PathLike, scale: str | None = None, max_gap_s: float = 4.0,
                      long_gaps: str = "mark") -> Trace:
    where = str(path)
    scale = _check_known_scale(scale, SIGNED, "studyforrest", where)
    lines = read_text(path).splitlines()
    header = [h.strip() for h in lines[0].split(",")]
    if [h.lower() for h in header[:3]] != list(STUDYFORREST_FIRST):
        raise TraceError(f"{where}: line 1: not a studyforrest time series: the header must start "
                         f"with arousal,valence,direction (found {','.join(header[:3])})")
    rows: list[list[float]] = []
    numbers: list[int] = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(header):
            raise TraceError(f"{where}: line {n}: expected {len(header)} values, found {len(cells)}")
        row = []
        for j, c in enumerate(cells):
            try:
                row.append(float(c) if c.strip() else np.nan)
            except ValueError:
                raise TraceError(f"{where}: line {n}: column {header[j]}: {c.strip()!r} is not "
                                 f"a number") from None
        rows.append(row)
        numbers.append(n)
    if not rows:
        raise TraceError(f"{where}: no samples after the header")
    data = np.array(rows)
    # No time column: the series is defined as consecutive 2 s steps from the film's start.
    times = np.arange(len(rows), dtype=np.float64) * STUDYFORREST_STEP_S
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
    title = " - ".join(str(data[k]) for k in ("artist", "title") if data.get(k))
    name = f"PMEmo {data.get('id', Path(where).stem)}" + (f" {title}" if title else "")
    return assemble(where, t, va, channels, scale, lambda i: f"dynamic.t[{i}]", max_gap_s,
                    long_gaps, name=name)


def _array(obj: dict, key: str, parent: str, where: str, n: int | None = None) -> np.ndarray:
    arr = obj.get(key)
    if not isinstance(arr, list):
        raise TraceError(f"{where}: {parent}.{key}: expected an array of numbers")
    out = np.empty(len(arr))
    for i, x in enumerate(arr):
        if x is None:
            out[i] = np.nan
        elif isinstance(x, bool) or not isinstance(x, (int, float)):
            raise TraceError(f"{where}: {parent}.{key}[{i}]: expected a number, got {x!r}"[:200])
        else:
            out[i] = x
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
