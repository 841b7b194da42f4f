"""JSON read from files users hand us: every failure is one line naming the file, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from composer_assist.core.errors import ComposerAssistError


def json_value_problem(exc: ValueError) -> str:
    """A ValueError json raised that is not a syntax error, as a short user message.

    Python refuses to turn an integer of more than 4300 digits into an int (a guard against
    quadratic-time conversion); the message it gives names ``sys.set_int_max_str_digits``,
    which is no help to someone holding a bad file.  Same wording as core's project and trace
    readers."""
    text = str(exc).splitlines()[0] if str(exc) else "unreadable"
    if "digits" in text:
        return "a number with thousands of digits (" + text.split(":")[-1].strip().split(";")[0] + ")"
    return text[:200]


def parse_json(text: str | bytes, source: str, error: type[ComposerAssistError]) -> Any:
    """``json.loads`` with one-line errors, including for input nested too deeply to parse.

    Python's JSON decoder recurses once per nesting level, so ``[[[[...]]]]`` a few thousand
    levels deep raises RecursionError rather than JSONDecodeError; that is a bad file, not a bug.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise error(f"{source}: invalid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise error(f"{source}: invalid JSON: {json_value_problem(exc)}") from None


def read_json(path: str | Path, error: type[ComposerAssistError]) -> Any:
    """Parse a JSON file (a UTF-8 byte-order mark is allowed)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise error(f"{p}: is a folder, not a JSON file") from None
    except OSError as exc:
        raise error(f"{p}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_json(text, str(p), error)


__all__ = ["json_value_problem", "parse_json", "read_json"]
