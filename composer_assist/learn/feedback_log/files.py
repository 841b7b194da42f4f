"""Reading and writing feedback log files; the suffix picks the format."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from composer_assist.core.atomic import atomic_write_text
from composer_assist.core.errors import FeedbackError
from composer_assist.core.reading import MiB, read_limited

from .csv_format import feedback_to_csv, parse_csv
from .jsonl_format import feedback_to_jsonl, parse_jsonl
from .log import FeedbackLog


JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")  # one JSON object per line; anything else is CSV
MAX_LOG_BYTES = 2048 * MiB


def is_jsonl(path: Path) -> bool:
    """The one rule, for reading and writing alike: the suffix picks the format."""
    return path.suffix.lower() in JSONL_SUFFIXES


def load_feedback_log(path: str | Path) -> FeedbackLog:
    """Read a ``.csv`` or ``.jsonl`` log, validating every row."""
    p = Path(path)
    data = read_limited(p, MAX_LOG_BYTES, FeedbackError, "feedback log")
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise FeedbackError(f"{p}: not UTF-8 text (byte {exc.start}); save the log as UTF-8 CSV or JSON Lines") from None
    return parse_jsonl(text, str(p)) if is_jsonl(p) else parse_csv(text, str(p))


def save_feedback_log(log: FeedbackLog, path: str | Path, comments: Sequence[str] = ()) -> Path:
    """Write atomically; the format follows the suffix (``.jsonl`` or CSV)."""
    p = Path(path)
    text = feedback_to_jsonl(log) if is_jsonl(p) else feedback_to_csv(log, comments)
    atomic_write_text(p, text)
    return p
