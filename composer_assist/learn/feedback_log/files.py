"""Reading and writing feedback log files; the suffix picks the format."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from composer_assist.core.atomic import atomic_write_text
from composer_assist.core.errors import FeedbackError

from .csv_format import feedback_to_csv, parse_csv
from .jsonl_format import feedback_to_jsonl, parse_jsonl
from .log import FeedbackLog


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


def save_feedback_log(log: FeedbackLog, path: str | Path, comments: Sequence[str] = ()) -> Path:
    """Write atomically; the format follows the suffix (``.jsonl`` or CSV)."""
    p = Path(path)
    text = feedback_to_jsonl(log) if p.suffix.lower() in (".jsonl", ".ndjson") else feedback_to_csv(log, comments)
    atomic_write_text(p, text)
    return p
