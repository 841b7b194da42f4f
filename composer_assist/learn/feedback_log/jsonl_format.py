"""Feedback logs as JSON Lines (one object per line) and as already-parsed event dicts; writing JSON Lines."""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from composer_assist.core.errors import FeedbackError
from composer_assist.core.reading import json_value_problem

from .log import COLUMNS, MAX_REPORTED, FeedbackLog, summary
from .validate import build_log


def parse_jsonl(text: str, source: str = "<jsonl>") -> FeedbackLog:
    """A log from JSON Lines text, one object per line; ``source`` names it in errors."""
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
            except RecursionError:  # the decoder recurses once per level: a bad line, not a bug
                bad.append((n, "invalid JSON: nested too deeply"))
            except ValueError as exc:  # an integer of more than 4300 digits
                bad.append((n, f"invalid JSON: {json_value_problem(exc)}"))
        if bad:
            raise FeedbackError(summary(source, bad[:MAX_REPORTED], len(bad)))
    bad_objs = [i for i, o in enumerate(objs) if not isinstance(o, dict)]
    if bad_objs:
        msgs = [(int(line_no[i]), "expected a JSON object") for i in bad_objs[:MAX_REPORTED]]
        raise FeedbackError(summary(source, msgs, len(bad_objs)))
    keys: set[str] = set()
    for o in objs[:1000]:
        keys.update(o)
    unknown = sorted(k for k in keys if k not in COLUMNS)
    if unknown:
        raise FeedbackError(f"{source}: unknown field {unknown[0]!r} (fields: {', '.join(COLUMNS)})")
    columns = {name: [o.get(name) for o in objs] for name in COLUMNS}
    return build_log(columns, line_no, source, from_json=True)


def _one_value_per_line(numbered: list[tuple[int, str]]) -> list[Any] | None:
    """All lines parsed in one json.loads, each wrapped in its own array; None unless every line
    held exactly one value (a line with two objects, or a value spanning lines, changes the shape)."""
    if not numbered:
        return []
    if any("],[" in ln for _, ln in numbered):
        return None  # a line could forge the separator
    try:
        wrapped = json.loads("[[" + "],[".join(ln for _, ln in numbered) + "]]")
    except (ValueError, RecursionError):  # the line-by-line parse names the bad line
        return None
    if len(wrapped) != len(numbered) or any(len(w) != 1 for w in wrapped):
        return None
    return [w[0] for w in wrapped]


def events_from_records(records: Sequence[dict[str, Any]], source: str = "<events>") -> FeedbackLog:
    """A log from already-parsed event dicts (e.g. one listener's recent events)."""
    line_no = np.arange(1, len(records) + 1, dtype=np.int32)
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise FeedbackError(summary(source, [(i + 1, "expected an object") for i in bad[:MAX_REPORTED]], len(bad)))
    columns = {name: [r.get(name) for r in records] for name in COLUMNS}
    return build_log(columns, line_no, source, from_json=True)


def feedback_to_jsonl(log: FeedbackLog) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in log.to_rows())
