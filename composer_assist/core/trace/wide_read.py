"""Reading one item's trace from a wide CSV: one row per item (a song, a viewer), one column per time
step, as DEAM-style dynamic annotations are laid out::

    song_id,sample_15000ms,sample_15500ms,...        (valence.csv; arousal.csv alike)
    2,-0.12,-0.10,...

Either one file per dimension (the file names say which: "valence" / "arousal"; the other file is
given as ``pair``), or one file with a dimension column and two rows per item::

    song_id,dimension,15.0,15.5,...
    2,valence,0.4,0.45,...
    2,arousal,0.6,0.62,...

Time headers: ``sample_15000ms``, ``15000ms``, ``15.5``, ``15.5s``, ``t15``, ``time_15`` (seconds
unless they end in ``ms``).  The item is chosen by its id (first column) or, failing that, by its
0-based row index.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import TraceError
from .assemble import assemble, settle_scale
from .csv_read import _find_header, _is_number, _split_header, csv_number, csv_records, open_csv
from .files import MAX_VALUES, checked_lines, short_name, short_repr
from .model import MAX_TRACE_SAMPLES, Trace

DIMENSION_NAMES = ("dimension", "dim", "measure", "variable", "axis", "emotion")
_TIME = re.compile(r"^(?:sample|time|t)?[_ ]?(\d+(?:\.\d+)?)\s*(ms|s)?$", re.IGNORECASE)
_DIMS = {"valence": "valence", "v": "valence", "arousal": "arousal", "a": "arousal"}


def wide_times(header: list[str]) -> tuple[int, np.ndarray] | None:
    """(index of the first time column, times in seconds) if ``header`` is a wide layout: an id
    column, an optional dimension column, then at least two time columns; else None."""
    if len(header) < 3 or _TIME.match(header[0].strip()) or _is_number(header[0]):
        return None
    first = 2 if header[1].strip().lower() in DIMENSION_NAMES else 1
    times = []
    for h in header[first:]:
        m = _TIME.match(h.strip())
        if not m:
            return None
        times.append(float(m.group(1)) * (1e-3 if (m.group(2) or "").lower() == "ms" else 1.0))
    if len(times) < 2:
        return None
    return first, np.array(times)


def is_wide(text: str, where: str) -> bool:
    """Whether the header of CSV ``text`` is a wide layout."""
    try:
        _, _, line = _find_header(checked_lines(text, where), where)
        _, header = _split_header(line, where, 1)
    except TraceError:
        return False
    return wide_times(header) is not None


def _dimension_of_file(path: str) -> str | None:
    stem = Path(path).stem.lower()
    found = [d for d in ("valence", "arousal") if d in stem]
    return found[0] if len(found) == 1 else None


def _rows(path: str, text: str | None, item: str) -> tuple[list[str], int, dict[str, tuple[int, list[str]]],
                                                            list[str]]:
    """(header, first time column, {dimension or "": (line, cells)} of the item, ids seen)."""
    where = str(path)
    lines, _, header_at, delim, header = open_csv(path, text)
    found = wide_times(header)
    if found is None:
        raise TraceError(f"{where}: line {header_at}: not a wide CSV: the header must be an id column, "
                         f"optionally a dimension column, then time columns (sample_15000ms, 15.5 or t15)")
    first, _ = found
    dim_col = first == 2
    ids: list[str] = []
    picked: dict[str, tuple[int, list[str]]] = {}
    by_index: dict[str, tuple[int, list[str]]] = {}
    for n, cells in csv_records(lines, delim, where, header_at):
        if len(cells) > len(header):
            raise TraceError(f"{where}: line {n}: {len(cells)} values but the header names {len(header)} columns")
        cells = cells + [""] * (len(header) - len(cells))  # shorter rows: the item ended earlier
        key = cells[0].strip()
        dim = ""
        if dim_col:
            dim = _DIMS.get(cells[1].strip().lower(), "")
            if not dim:
                raise TraceError(f"{where}: line {n}: column {short_name(header[1])}: {short_repr(cells[1])} is "
                                 f"not valence or arousal")
        if key not in ids:
            ids.append(key)
        if key == item:
            if dim in picked:
                raise TraceError(f"{where}: line {n}: item {short_repr(item)} has a second "
                                 f"{dim or 'row'} (first on line {picked[dim][0]}); ids must be unique")
            picked[dim] = (n, cells)
        elif item.isdigit() and len(ids) - 1 == int(item) and ids[-1] == key:
            by_index[dim] = (n, cells)
    if not picked and by_index:
        picked = by_index
    if not picked:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise TraceError(f"{where}: no item {short_repr(item)} (ids: {shown or 'none'}; or give a 0-based index "
                         f"below {len(ids)})")
    return header, first, picked, ids


def _values(cells: list[str], header: list[str], first: int, where: str, line: int) -> np.ndarray:
    if len(header) - first > MAX_TRACE_SAMPLES or 2 * (len(header) - first) > MAX_VALUES:
        raise TraceError(f"{where}: line {line}: more samples than a trace may have")
    return np.array([csv_number(cells[j], where, line, header[j]) for j in range(first, len(header))])


def read_wide(path: str | os.PathLike, item: str | None = None, pair: str | os.PathLike | None = None,
              scale: str | None = None, max_gap_s: float = 4.0, long_gaps: str = "mark",
              text: str | None = None) -> Trace:
    """One item of a wide CSV (see the module doc); every error is one line naming a file."""
    where = str(path)
    if item is None:
        raise TraceError(f"{where}: a wide CSV (one row per item, one column per time step): choose the "
                         f"row with --item NAME_OR_INDEX")
    item = str(item).strip()
    header, first, picked, _ = _rows(where, text, item)
    files = {where: (header, first, picked)}
    if "" in picked:  # one dimension per file
        dim = _dimension_of_file(where)
        if pair is None:
            raise TraceError(f"{where}: one row per item holds one dimension: give the other file with "
                             f"--pair FILE (file names saying valence and arousal), or one file with a "
                             f"dimension column and a valence and an arousal row per item")
        other = str(pair)
        odim = _dimension_of_file(other)
        if dim is None or odim is None or dim == odim:
            raise TraceError(f"{where}: cannot tell which of {where} and {other} is valence and which arousal: "
                             f"their file names must say (one 'valence', one 'arousal')")
        oheader, ofirst, opicked, _ = _rows(other, None, item)
        if "" not in opicked:
            raise TraceError(f"{other}: has a dimension column but {where} does not; give files of one layout")
        files[other] = (oheader, ofirst, opicked)
        rows = {dim: (where, *picked[""]), odim: (other, *opicked[""])}
    else:
        if pair is not None:
            raise TraceError(f"{where}: has a dimension column (valence and arousal rows): --pair is not needed")
        for dim in ("valence", "arousal"):
            if dim not in picked:
                raise TraceError(f"{where}: item {short_repr(item)} has no {dim} row")
        rows = {dim: (where, *picked[dim]) for dim in ("valence", "arousal")}
    series = {}
    times = None
    for dim in ("valence", "arousal"):
        file, line, cells = rows[dim]
        hdr, fst, _ = files[file]
        t = wide_times(hdr)[1]
        if times is None:
            times = t
        elif t.size != times.size or np.any(t != times):
            raise TraceError(f"{file}: line 1: time columns differ from those of {rows['valence'][0]}")
        series[dim] = _values(cells, hdr, fst, file, line)
    order = np.argsort(times, kind="stable")
    if np.any(order != np.arange(times.size)):
        raise TraceError(f"{where}: line 1: time columns must increase left to right")
    # Items end at different times (shorter rows, empty cells): keep the span where either has data.
    have = np.isfinite(series["valence"]) | np.isfinite(series["arousal"])
    if not have.any():
        raise TraceError(f"{where}: item {short_repr(item)} has no values")
    lo, hi = int(np.argmax(have)), int(have.size - np.argmax(have[::-1]))
    hdr_v, fst_v = files[rows["valence"][0]][:2]
    va = {k: v[lo:hi] for k, v in series.items()}
    label = (lambda i: f"item {short_repr(item)}: column {short_name(hdr_v[fst_v + lo + i])}")
    return assemble(where, times[lo:hi], va, {}, settle_scale(None, scale, where, ""), label, max_gap_s, long_gaps,
                    name=f"{Path(where).stem} {item}")
