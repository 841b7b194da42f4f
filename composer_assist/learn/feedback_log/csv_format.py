"""Feedback logs as CSV text: parsing (column-wise, one split of the text) and writing."""

from __future__ import annotations

import csv
import io
import math
from typing import Sequence

import numpy as np

from composer_assist.core.errors import FeedbackError

from .log import COLUMNS, MAX_REPORTED, REQUIRED, FeedbackLog, summary
from .validate import build_log


def parse_csv(text: str, source: str = "<csv>") -> FeedbackLog:
    """A log from CSV text with a header line; ``source`` names it in errors."""
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
        raise FeedbackError(summary(source, msgs, len(bad)))
    columns = {name: ([c.strip() for c in col] if _needs_strip(col) else col) for name, col in zip(names, cols)}
    if not body:
        columns = {name: [] for name in names}
    return build_log(columns, line_no, source, from_json=False)


def _commas_per_line(joined: str, n_lines: int) -> np.ndarray:
    """Commas on each ``\n``-separated line, vectorised over the bytes (UTF-8 never hides a ',' or '\n')."""
    if n_lines == 0:
        return np.zeros(0, np.int64)
    b = np.frombuffer(joined.encode("utf-8"), np.uint8)
    ends = np.append(np.flatnonzero(b == 10), b.size)
    # commas before each line end, differenced: n_lines searches instead of one per comma
    return np.diff(np.searchsorted(np.flatnonzero(b == 44), ends), prepend=0)


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
