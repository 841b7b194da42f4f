"""Listener feedback logs (CSV or JSON Lines): one row per variant a listener heard.

Columns (CSV header names / JSON keys; order is free):

=========  ========  ==========================================================================
listener   required  listener id (any text without commas)
timestamp  required  seconds since the Unix epoch, or ISO 8601 (``2024-05-01T20:15:03``)
cue        required  cue name (checked against a project when one is given)
variant    required  variant name heard (checked against the cue's variants)
valence    required  the scene's valence at that moment, in [-1, 1]
arousal    required  the scene's arousal at that moment, in [-1, 1]
kept       required  1 / keep / true if the listener kept the music on, 0 / skip / false if skipped
dwell      required  seconds the listener stayed with the variant, >= 0
rating     optional  explicit rating 1..5 (empty / null when not given)
physio     optional  physiological response: heart-rate or EDA change, z-scored (empty / null)
=========  ========  ==========================================================================

CSV lines starting with ``#`` are comments and blank lines are ignored; line numbers in errors
count every physical line.  Every row is validated; the error names the first bad lines.
Parsing is column-wise (one split of the text, numpy conversions) so a million rows take seconds.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from composer_assist.core.atomic import atomic_write_text
from composer_assist.core.errors import FeedbackError

REQUIRED = ("listener", "timestamp", "cue", "variant", "valence", "arousal", "kept", "dwell")
OPTIONAL = ("rating", "physio")
COLUMNS = REQUIRED + OPTIONAL
MAX_REPORTED = 5
_KEPT = {"1": 1, "0": 0, "keep": 1, "kept": 1, "skip": 0, "skipped": 0, "true": 1, "false": 0,
         "yes": 1, "no": 0, "1.0": 1, "0.0": 0}


@dataclass
class FeedbackLog:
    """A validated log as columns; string columns are integer codes into the name lists."""

    listener_ids: list[str]
    listener: np.ndarray  # int32 codes into listener_ids
    timestamp: np.ndarray  # float64 seconds
    cue_names: list[str]
    cue: np.ndarray  # int32 codes into cue_names
    variant_names: list[str]
    variant: np.ndarray  # int32 codes into variant_names
    valence: np.ndarray
    arousal: np.ndarray
    kept: np.ndarray  # int8 0/1
    dwell: np.ndarray
    rating: np.ndarray  # float64, nan where absent
    physio: np.ndarray  # float64, nan where absent
    line: np.ndarray  # int32 physical line number of each row (for error messages)
    source: str = "<log>"

    def __len__(self) -> int:
        return int(self.listener.shape[0])

    @property
    def n_listeners(self) -> int:
        return len(self.listener_ids)

    def take(self, index: np.ndarray, compact: bool = True) -> "FeedbackLog":
        """Rows selected by a boolean mask or index array; ``compact`` drops listeners left with no rows."""
        cols = {k: getattr(self, k)[index] for k in _ARRAYS}
        ids = self.listener_ids
        if compact:
            present = np.unique(cols["listener"])
            remap = np.full(len(ids), -1, np.int32)
            remap[present] = np.arange(present.size, dtype=np.int32)
            cols["listener"] = remap[cols["listener"]]
            ids = [ids[i] for i in present.tolist()]
        return FeedbackLog(listener_ids=ids, cue_names=self.cue_names,
                           variant_names=self.variant_names, source=self.source, **cols)

    def for_listener(self, listener_id: str) -> "FeedbackLog":
        """One listener's rows (none if the id is not in the log)."""
        try:
            code = self.listener_ids.index(listener_id)
        except ValueError:
            return self.take(np.zeros(len(self), bool))
        return self.take(self.listener == code)

    def check_against(self, cues: dict[str, Sequence[str]]) -> None:
        """Fail on cues or variants the project does not have: ``cues`` maps cue -> variant names."""
        bad: list[tuple[int, str]] = []
        count = 0
        for ci, cname in enumerate(self.cue_names):
            rows = np.flatnonzero(self.cue == ci)
            if rows.size == 0:
                continue
            if cname not in cues:
                count += rows.size
                known = ", ".join(sorted(cues)) or "none"
                bad += [(int(self.line[r]), f"cue: unknown cue {cname!r} (known: {known})")
                        for r in rows[:MAX_REPORTED]]
                continue
            allowed = set(cues[cname])
            for vi, vname in enumerate(self.variant_names):
                if vname in allowed:
                    continue
                vrows = rows[self.variant[rows] == vi]
                if vrows.size:
                    count += vrows.size
                    bad += [(int(self.line[r]), f"variant: cue {cname!r} has no variant {vname!r} "
                             f"(known: {', '.join(cues[cname])})") for r in vrows[:MAX_REPORTED]]
        if bad:
            raise FeedbackError(_summary(self.source, sorted(bad), count))

    def to_rows(self) -> Iterable[dict[str, Any]]:
        for i in range(len(self)):
            yield {"listener": self.listener_ids[self.listener[i]], "timestamp": float(self.timestamp[i]),
                   "cue": self.cue_names[self.cue[i]], "variant": self.variant_names[self.variant[i]],
                   "valence": float(self.valence[i]), "arousal": float(self.arousal[i]),
                   "kept": int(self.kept[i]), "dwell": float(self.dwell[i]),
                   "rating": None if math.isnan(self.rating[i]) else float(self.rating[i]),
                   "physio": None if math.isnan(self.physio[i]) else float(self.physio[i])}


_ARRAYS = ("listener", "timestamp", "cue", "variant", "valence", "arousal", "kept", "dwell", "rating",
           "physio", "line")


# ---------------------------------------------------------------------------------------------- reading

def load_feedback_log(path: str | Path) -> FeedbackLog:
    """Read a ``.csv`` or ``.jsonl`` log, validating every row."""
    p = Path(path)
    if not p.is_file():
        raise FeedbackError(f"{p}: no such feedback log")
    try:
        text = p.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedbackError(f"{p}: cannot read: {exc}") from None
    if p.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return parse_jsonl(text, str(p))
    return parse_csv(text, str(p))


def parse_csv(text: str, source: str = "<csv>") -> FeedbackLog:
    lines = text.removeprefix("\ufeff").splitlines()
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not numbered:
        raise FeedbackError(f"{source}: empty feedback log (expected a header line: {','.join(REQUIRED)})")
    header_no, header = numbered[0]
    names = [h.strip().lower() for h in next(csv.reader([header]))]
    _check_header(names, source, header_no)
    body = numbered[1:]
    line_no = np.fromiter((n for n, _ in body), np.int32, len(body))
    width = len(names)
    raw = [ln for _, ln in body]
    if '"' in text:
        rows = list(csv.reader(raw))
        bad = [i for i, r in enumerate(rows) if len(r) != width]
        cols = [list(c) for c in zip(*rows)] if rows and not bad else []
    else:
        # One split of the whole body is ~10x faster than csv.reader row by row.  Every line's own
        # field count is checked (a short line and a long one would otherwise balance out).
        joined = "\n".join(raw)
        bad = np.flatnonzero(_commas_per_line(joined, len(raw)) != width - 1).tolist()
        parts = joined.replace("\n", ",").split(",") if raw and not bad else []
        cols = [parts[k::width] for k in range(width)] if not bad else []
    if bad:
        msgs = [(int(line_no[i]), f"expected {width} fields, found {_field_count(raw[i])}") for i in bad[:MAX_REPORTED]]
        raise FeedbackError(_summary(source, msgs, len(bad)))
    columns = {name: ([c.strip() for c in col] if _needs_strip(col) else col) for name, col in zip(names, cols)}
    if not body:
        columns = {name: [] for name in names}
    return _build(columns, line_no, source, from_json=False)


def parse_jsonl(text: str, source: str = "<jsonl>") -> FeedbackLog:
    lines = text.removeprefix("\ufeff").splitlines()
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    line_no = np.fromiter((n for n, _ in numbered), np.int32, len(numbered))
    objs = _one_value_per_line(numbered)
    if objs is None:  # the fast path could not vouch for one value per line: parse line by line
        objs, bad = [], []
        for n, ln in numbered:
            try:
                objs.append(json.loads(ln))
            except json.JSONDecodeError as exc:
                more = " (one JSON object per line)" if exc.msg == "Extra data" else ""
                bad.append((n, f"invalid JSON: {exc.msg} (column {exc.colno}){more}"))
        if bad:
            raise FeedbackError(_summary(source, bad[:MAX_REPORTED], len(bad)))
    bad_objs = [i for i, o in enumerate(objs) if not isinstance(o, dict)]
    if bad_objs:
        msgs = [(int(line_no[i]), "expected a JSON object") for i in bad_objs[:MAX_REPORTED]]
        raise FeedbackError(_summary(source, msgs, len(bad_objs)))
    keys: set[str] = set()
    for o in objs[:1000]:
        keys.update(o)
    unknown = sorted(k for k in keys if k not in COLUMNS)
    if unknown:
        raise FeedbackError(f"{source}: unknown field {unknown[0]!r} (fields: {', '.join(COLUMNS)})")
    columns = {name: [o.get(name) for o in objs] for name in COLUMNS}
    return _build(columns, line_no, source, from_json=True)


def _one_value_per_line(numbered: list[tuple[int, str]]) -> list[Any] | None:
    """All lines parsed in one json.loads, each wrapped in its own array; None unless every line
    held exactly one value (a line with two objects, or a value spanning lines, changes the shape)."""
    if not numbered:
        return []
    if any("],[" in ln for _, ln in numbered):
        return None  # a line could forge the separator
    try:
        wrapped = json.loads("[[" + "],[".join(ln for _, ln in numbered) + "]]")
    except json.JSONDecodeError:
        return None
    if len(wrapped) != len(numbered) or any(len(w) != 1 for w in wrapped):
        return None
    return [w[0] for w in wrapped]


def _commas_per_line(joined: str, n_lines: int) -> np.ndarray:
    """Commas on each ``\n``-separated line, vectorised over the bytes (UTF-8 never hides a ',' or '\n')."""
    if n_lines == 0:
        return np.zeros(0, np.int64)
    b = np.frombuffer(joined.encode("utf-8"), np.uint8)
    ends = np.append(np.flatnonzero(b == 10), b.size)
    # commas before each line end, differenced: n_lines searches instead of one per comma
    return np.diff(np.searchsorted(np.flatnonzero(b == 44), ends), prepend=0)


def events_from_records(records: Sequence[dict[str, Any]], source: str = "<events>") -> FeedbackLog:
    """A log from already-parsed event dicts (e.g. one listener's recent events)."""
    line_no = np.arange(1, len(records) + 1, dtype=np.int32)
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise FeedbackError(_summary(source, [(i + 1, "expected an object") for i in bad[:MAX_REPORTED]], len(bad)))
    columns = {name: [r.get(name) for r in records] for name in COLUMNS}
    return _build(columns, line_no, source, from_json=True)


def _needs_strip(col: list[str]) -> bool:
    # Cheap probe: stripping a million strings costs time, so only do it if whitespace is present.
    return any(s != s.strip() for s in col[:200]) or any(s[:1].isspace() or s[-1:].isspace() for s in col)


def _field_count(line: str) -> int:
    return len(next(csv.reader([line]))) if line else 0


def _check_header(names: list[str], source: str, line: int) -> None:
    for n in names:
        if n not in COLUMNS:
            raise FeedbackError(f"{source}: line {line}: unknown column {n!r} (columns: {', '.join(COLUMNS)})")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise FeedbackError(f"{source}: line {line}: column {dup!r} appears twice")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise FeedbackError(f"{source}: line {line}: missing column(s) {', '.join(missing)} "
                            f"(a header line naming the columns is required)")


class _Problems:
    """Bad rows gathered across all checks; reported by line, up to MAX_REPORTED."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.first: list[tuple[int, str]] = []

    def add(self, idx: np.ndarray, describe) -> None:
        if idx.size:
            self.rows.append(idx)
            self.first += [(int(i), describe(int(i))) for i in idx[:MAX_REPORTED]]


def _build(columns: dict[str, list[Any]], line_no: np.ndarray, source: str, from_json: bool) -> FeedbackLog:
    n = line_no.shape[0]
    probs = _Problems()
    out: dict[str, Any] = {}
    for name in ("listener", "cue", "variant"):
        col = columns[name]
        names, codes, bad = _factorize(col, from_json, numbers_ok=name == "listener")
        what = "a non-empty name or a number" if name == "listener" else "a non-empty name"
        probs.add(bad, lambda i, c=col, k=name, w=what: f"{k}: expected {w}, got {_show(c[i])}")
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
        raise FeedbackError(_summary(source, sorted(seen.items())[:MAX_REPORTED], total))
    return FeedbackLog(
        listener_ids=out["listener"][0], listener=out["listener"][1], timestamp=out["timestamp"],
        cue_names=out["cue"][0], cue=out["cue"][1], variant_names=out["variant"][0], variant=out["variant"][1],
        valence=out["valence"], arousal=out["arousal"], kept=out["kept"], dwell=out["dwell"],
        rating=out["rating"], physio=out["physio"], line=line_no, source=source)


_BAD = object()


def kept_code(value: Any) -> int:
    """1 kept / 0 skipped from a bool, 0/1 or the log's words (keep/skip, true/false...); -1 if none of those."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value) if value in (0, 1) else -1
    if isinstance(value, float):
        return int(value) if value in (0.0, 1.0) else -1
    if isinstance(value, str):
        return _KEPT.get(value.strip().lower(), -1)
    return -1


def rating_code(value: Any) -> int:
    """0 for no rating (None / NaN), else the whole number 1..5; -1 for anything else."""
    if value is None or isinstance(value, (float, np.floating)) and math.isnan(value):
        return 0
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return -1
    return int(value) if value == int(value) and 1 <= value <= 5 else -1


def _factorize(col: list[Any], from_json: bool, numbers_ok: bool = False
               ) -> tuple[list[str], np.ndarray, np.ndarray]:
    if from_json:
        # JSON values may be anything (lists are unhashable); ids are strings, or numbers if allowed
        num = (int, float) if numbers_ok else ()
        col = [v if type(v) is str else str(v) if type(v) in num and math.isfinite(v) else _BAD for v in col]
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
        arr = np.fromiter((v if type(v) in ok_types else (math.nan if v is None else math.inf) for v in col),
                          np.float64, n)
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


def _to_float(s: str) -> float:
    try:
        return float(s) if s else math.nan
    except ValueError:
        return math.nan


def _timestamps(col: list[Any], from_json: bool, probs: _Problems) -> np.ndarray:
    """Seconds; only entries that are not numbers are read as ISO 8601 ("1" is 1 s, not year 1)."""
    n = len(col)
    if from_json:
        arr = np.fromiter((v if type(v) in (int, float) else math.nan for v in col), np.float64, n)
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


def _show(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        return repr(v) if v else "''"
    return json.dumps(v) if isinstance(v, (list, dict, bool)) else repr(v)


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


def _summary(source: str, problems: list[tuple[int, str]], total: int) -> str:
    text = "; ".join(f"line {ln}: {msg}" for ln, msg in problems[:MAX_REPORTED])
    more = total - min(len(problems), MAX_REPORTED)
    return f"{source}: {text}" + (f"; and {more} more bad line{'s' if more != 1 else ''}" if more > 0 else "")


# ---------------------------------------------------------------------------------------------- writing

def _num(x: float, digits: int) -> str:
    return "" if math.isnan(x) else f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def feedback_to_csv(log: FeedbackLog, comments: Sequence[str] = ()) -> str:
    """CSV text for a log (``#`` comment lines first)."""
    lid = np.array(log.listener_ids, dtype=object)[log.listener]
    cue = np.array(log.cue_names, dtype=object)[log.cue]
    var = np.array(log.variant_names, dtype=object)[log.variant]
    buf = io.StringIO()
    for c in comments:
        buf.write(f"# {c}\n")
    buf.write(",".join(COLUMNS) + "\n")
    ts = [_num(t, 3) for t in log.timestamp.tolist()]
    fmt2 = [[_num(x, 3) for x in a.tolist()] for a in (log.valence, log.arousal, log.dwell, log.rating, log.physio)]
    kept = log.kept.tolist()
    for row in zip(lid, ts, cue, var, fmt2[0], fmt2[1], kept, fmt2[2], fmt2[3], fmt2[4]):
        buf.write(",".join(map(str, row)))
        buf.write("\n")
    return buf.getvalue()


def feedback_to_jsonl(log: FeedbackLog) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in log.to_rows())


def save_feedback_log(log: FeedbackLog, path: str | Path, comments: Sequence[str] = ()) -> Path:
    """Write atomically; the format follows the suffix (``.jsonl`` or CSV)."""
    p = Path(path)
    text = feedback_to_jsonl(log) if p.suffix.lower() in (".jsonl", ".ndjson") else feedback_to_csv(log, comments)
    atomic_write_text(p, text)
    return p
