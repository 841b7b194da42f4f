"""Raw column values (CSV strings or JSON values) to a validated ``FeedbackLog``; every row is checked
and the error names the first bad lines."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import numpy as np

from composer_assist.core.assignment import kept_code, rating_code  # noqa: F401 (re-exported)
from composer_assist.core.errors import FeedbackError
from composer_assist.core.fields import unprintable

from .log import MAX_REPORTED, FeedbackLog, summary



class _Problems:
    """Bad rows gathered across all checks; reported by line, up to MAX_REPORTED."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.first: list[tuple[int, str]] = []

    def add(self, idx: np.ndarray, describe) -> None:
        if idx.size:
            self.rows.append(idx)
            self.first += [(int(i), describe(int(i))) for i in idx[:MAX_REPORTED]]


def build_log(columns: dict[str, list[Any]], line_no: np.ndarray, source: str, from_json: bool) -> FeedbackLog:
    """Check and convert every column (CSV strings, or JSON values if ``from_json``); one error names all bad rows."""
    n = line_no.shape[0]
    probs = _Problems()
    out: dict[str, Any] = {}
    for name in ("listener", "cue", "variant"):
        col = columns[name]
        names, codes, bad = _factorize(col, from_json, numbers_ok=name == "listener")
        what = "a non-empty name or a number" if name == "listener" else "a non-empty name"
        probs.add(bad, lambda i, c=col, k=name, w=what: f"{k}: expected {w}, got {_show(c[i])}")
        # an id holding an escape sequence acts on the terminal that prints it (learn report, assign)
        odd = {c: why for c, v in enumerate(names) if v and (why := unprintable(v))}
        if odd:
            probs.add(np.flatnonzero(np.isin(codes, list(odd))),
                      lambda i, c=col, k=name, o=odd, cd=codes: f"{k}: {_show(c[i])} holds {o[int(cd[i])]}")
        out[name] = (names, codes)
    out["timestamp"] = _timestamps(columns["timestamp"], from_json, probs)
    for name, lo, hi in (("valence", -1.0, 1.0), ("arousal", -1.0, 1.0), ("dwell", 0.0, None)):
        out[name] = _numbers(name, columns[name], from_json, probs, lo, hi, optional=False)
    for name, lo, hi in (("rating", 1.0, 5.0), ("physio", None, None)):
        out[name] = (_numbers(name, columns[name], from_json, probs, lo, hi, optional=True)
                     if name in columns else np.full(n, np.nan))
    rating = out["rating"]
    probs.add(np.flatnonzero(np.isfinite(rating) & (rating != np.round(rating))),
              lambda i: f"rating: {_fmt(rating[i])} is not a whole number 1..5")
    col = columns["kept"]
    kept = np.fromiter((kept_code(v) for v in col), np.int8, n)
    probs.add(np.flatnonzero(kept < 0), lambda i: f"kept: {_show(col[i])} is not 1/0, keep/skip or true/false")
    out["kept"] = kept
    if probs.rows:
        total = np.unique(np.concatenate(probs.rows)).size
        first = sorted({(int(line_no[i]), m) for i, m in probs.first})
        seen: dict[int, str] = {}
        for ln, m in first:
            seen.setdefault(ln, m)
        raise FeedbackError(summary(source, sorted(seen.items())[:MAX_REPORTED], total))
    return FeedbackLog(
        listener_ids=out["listener"][0], listener=out["listener"][1], timestamp=out["timestamp"],
        cue_names=out["cue"][0], cue=out["cue"][1], variant_names=out["variant"][0], variant=out["variant"][1],
        valence=out["valence"], arousal=out["arousal"], kept=out["kept"], dwell=out["dwell"],
        rating=out["rating"], physio=out["physio"], line=line_no, source=source)


_BAD = object()


def _factorize(col: list[Any], from_json: bool, numbers_ok: bool = False
               ) -> tuple[list[str], np.ndarray, np.ndarray]:
    if from_json:
        # JSON values may be anything (lists are unhashable); ids are strings, or numbers if allowed
        num = (int, float) if numbers_ok else ()
        col = [v if type(v) is str else str(v) if type(v) in num and _finite(v) else _BAD for v in col]
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in col), np.int32, len(col))
    names = list(index)
    bad_codes = [c for v, c in index.items() if v is _BAD or not v]
    bad = np.flatnonzero(np.isin(codes, bad_codes)) if bad_codes else np.empty(0, np.int64)
    if bad_codes:
        names = [v if isinstance(v, str) else "" for v in names]
    return names, codes, bad


def _numbers(name: str, col: list[Any], from_json: bool, probs: _Problems, lo: float | None, hi: float | None,
             optional: bool) -> np.ndarray:
    n = len(col)
    if from_json:
        ok_types = (int, float)
        arr = np.fromiter((_json_float(v) if type(v) in ok_types else (math.nan if v is None else math.inf)
                           for v in col), np.float64, n)
        wrong = np.flatnonzero(np.isinf(arr) | (np.isnan(arr) & (not optional)))
        # inf marks a non-number; a real inf/nan in JSON is not valid JSON anyway
        probs.add(wrong, lambda i: f"{name}: expected a number, got {_show(col[i])}")
    else:
        arr, wrong = _parse_floats(col, optional)
        probs.add(wrong, lambda i: f"{name}: {_show(col[i])} is not a number" if col[i] or optional
                  else f"{name}: is empty")
    good = np.isfinite(arr)
    out_of_range = np.zeros(n, bool)
    if lo is not None:
        out_of_range |= good & (arr < lo)
    if hi is not None:
        out_of_range |= good & (arr > hi)
    rng = f"[{_fmt(lo)}, {_fmt(hi)}]" if hi is not None else f">= {_fmt(lo)}"
    probs.add(np.flatnonzero(out_of_range), lambda i: f"{name}: {_fmt(arr[i])} is outside {rng}"
              if hi is not None else f"{name}: {_fmt(arr[i])} must be {rng}")
    return arr


def _parse_floats(col: list[str], optional: bool) -> tuple[np.ndarray, np.ndarray]:
    """Strings to floats; returns the array and the indices of bad entries (empty allowed if optional)."""
    n = len(col)
    if n == 0:
        return np.empty(0), np.empty(0, np.int64)
    try:
        arr = np.array(col, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(arr))
        return arr, bad
    except ValueError:
        pass
    strs = np.array(col, dtype=object)
    empty = np.fromiter((s == "" for s in col), bool, n)
    if optional and empty.any():
        try:
            arr = np.full(n, np.nan)
            arr[~empty] = np.array(strs[~empty].tolist(), dtype=np.float64)
            bad = np.flatnonzero(~empty & ~np.isfinite(arr))
            return arr, bad
        except ValueError:
            pass
    arr = np.fromiter((_to_float(s) for s in col), np.float64, n)
    bad = np.flatnonzero(~np.isfinite(arr) & ~(empty & optional))
    return arr, bad


def _finite(v: int | float) -> bool:
    return type(v) is int or math.isfinite(v)  # math.isfinite overflows on an int of 400 digits


def _json_float(v: int | float) -> float:
    """A JSON number as a float; an integer too large for one is inf, which every check refuses."""
    try:
        return float(v)
    except OverflowError:
        return math.inf


def _to_float(s: str) -> float:
    try:
        return float(s) if s else math.nan
    except ValueError:
        return math.nan


def _timestamps(col: list[Any], from_json: bool, probs: _Problems) -> np.ndarray:
    """Seconds; only entries that are not numbers are read as ISO 8601 ("1" is 1 s, not year 1)."""
    n = len(col)
    if from_json:
        arr = np.fromiter((_json_float(v) if type(v) in (int, float) else math.nan for v in col), np.float64, n)
        strings = np.flatnonzero(np.isnan(arr))
        for i in strings:
            arr[i] = _iso_seconds(col[i]) if isinstance(col[i], str) else math.nan
    else:
        arr, bad = _parse_floats(col, optional=False)
        for i in bad:
            arr[i] = _iso_seconds(col[i])
    probs.add(np.flatnonzero(~np.isfinite(arr)),
              lambda i: f"timestamp: {_show(col[i])} is neither seconds nor an ISO 8601 time")
    return arr


def _iso_seconds(s: str) -> float:
    """Seconds since the epoch of a number or an ISO 8601 time; no offset means UTC, 'Z' and +HH:MM are honoured."""
    try:
        return float(s)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(s.strip())
    except ValueError:
        return math.nan
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


_SHOWN = 60  # characters of a bad value an error message quotes


def _show(v: Any) -> str:
    """A bad value as an error quotes it: short (a 4000-digit number or a line of brackets would
    fill the screen) and with control characters escaped."""
    if v is None:
        return "null"
    try:
        text = (repr(v) if v else "''") if isinstance(v, str) else \
            json.dumps(v) if isinstance(v, (list, dict, bool)) else repr(v)
    except (RecursionError, ValueError):  # nested just under the parser's limit, deeper to print
        return "a value nested too deeply to show"
    return text if len(text) <= _SHOWN else text[:_SHOWN - 3] + "..."


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"

