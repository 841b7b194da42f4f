"""Typed reading of parsed JSON with errors that name the file and the field path.

``Fields(data, "cues[1].variants[0]", source="demo/project.json")`` reads keys of one object;
every complaint reads like ``demo/project.json: cues[1].variants[0].valence: 1.7 is outside [-1, 1]``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, TypeVar

from .errors import ComposerAssistError
from .suggest import did_you_mean

T = TypeVar("T")
_MISSING = object()


def unprintable(text: str) -> str | None:
    """The first character of ``text`` a terminal would act on or cannot print, described (None:
    none): control characters (an escape sequence in a cue name set the terminal's title and
    cleared its screen when printed) and lone UTF-16 surrogates (JSON can hold them; printing
    one failed)."""
    for ch in text:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            return f"the control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return f"the lone surrogate U+{code:04X}"
    return None


class Fields:
    def __init__(self, data: Any, path: str, source: str, error: type[ComposerAssistError]):
        self.path = path
        self.source = source
        self.error = error
        if not isinstance(data, dict):
            raise self.fail(f"expected an object, got {_kind(data)}", path)
        self.data = data

    def where(self, key: str | int | None = None) -> str:
        if key is None:
            return self.path or "(top level)"
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def fail(self, message: str, where: str | None = None) -> ComposerAssistError:
        return self.error(f"{self.source}: {where or self.where()}: {message}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.fail("is required but missing", self.where(key))
        return default

    def str(self, key: str, default: Any = _MISSING, choices: tuple[str, ...] | None = None) -> str:
        v = self._get(key, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, str):
            raise self.fail(f"expected a string, got {_kind(v)}", self.where(key))
        bad = unprintable(v)
        if bad is not None:
            raise self.fail(f"contains {bad}, which no name or word holds", self.where(key))
        if choices is not None and v not in choices:
            raise self.fail(f"{v!r} is not one of {', '.join(choices)}", self.where(key))
        return v

    def num(self, key: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None,
            lo_open: bool = False) -> float:
        v = self._get(key, default)
        if v is default and default is not _MISSING:
            return v
        return self.check_num(v, self.where(key), lo, hi, lo_open)

    def check_num(self, v: Any, where: str, lo: float | None = None, hi: float | None = None,
                  lo_open: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"expected a number, got {_kind(v)}", where)
        if isinstance(v, int) and abs(v) > 1e300:  # too large for a float: math.isfinite would overflow
            raise self.fail("the number is far too large", where)
        if not math.isfinite(v):
            raise self.fail(f"{v} is not a finite number", where)
        if lo is not None and (v < lo or (lo_open and v == lo)):
            rng = f"({_fmt(lo)}, {_fmt(hi)}]" if lo_open else f"[{_fmt(lo)}, {_fmt(hi)}]"
            raise self.fail(f"{_fmt(v)} is outside {rng}" if hi is not None else
                            f"{_fmt(v)} must be {'>' if lo_open else '>='} {_fmt(lo)}", where)
        if hi is not None and v > hi:
            rng = f"[{_fmt(lo)}, {_fmt(hi)}]" if lo is not None else f"<= {_fmt(hi)}"
            raise self.fail(f"{_fmt(v)} is outside {rng}", where)
        return float(v)

    def int(self, key: str, default: Any = _MISSING, lo: int | None = None, hi: int | None = None) -> int:
        v = self._get(key, default)
        if v is default and default is not _MISSING:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                raise self.fail(f"expected a whole number, got {_kind(v)}", self.where(key))
        return int(self.check_num(v, self.where(key), lo, hi))

    def bool(self, key: str, default: Any = _MISSING) -> bool:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise self.fail(f"expected true or false, got {_kind(v)}", self.where(key))
        return v

    def list(self, key: str, default: Any = _MISSING) -> list:
        v = self._get(key, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, list):
            raise self.fail(f"expected a list, got {_kind(v)}", self.where(key))
        return v

    def dict(self, key: str, default: Any = _MISSING) -> dict:
        v = self._get(key, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, dict):
            raise self.fail(f"expected an object, got {_kind(v)}", self.where(key))
        return v

    def sub(self, key: str, default: Any = _MISSING) -> "Fields":
        v = self._get(key, default)
        return Fields(v, self.where(key), self.source, self.error)

    def items(self, key: str, parse: Callable[["Fields"], T], default: Any = _MISSING) -> list[T]:
        """Parse each element of a list of objects with ``parse``."""
        out = []
        for i, item in enumerate(self.list(key, default)):
            out.append(parse(Fields(item, f"{self.where(key)}[{i}]", self.source, self.error)))
        return out

    def extras(self) -> dict[str, Any]:
        """The ``_``-prefixed keys (comments, other tools' data), kept so a save can write them back."""
        return {k: v for k, v in self.data.items() if isinstance(k, str) and k.startswith("_")}

    def refuse_unknown_keys(self, allowed: set[str] | tuple[str, ...]) -> None:
        """Refuse keys this object does not have (a typo would otherwise be silently ignored).

        Keys starting with ``_`` are free for comments and tools.
        """
        for k in self.data:
            if k in allowed or (isinstance(k, str) and k.startswith("_")):
                continue
            hint = did_you_mean(k, allowed, n=1, cutoff=0.6)
            raise self.fail(f"unknown field; {hint}known fields: {', '.join(sorted(allowed))}", self.where(k))


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return f"number {v!r}"
    if isinstance(v, str):
        return f"string {v!r}" if len(v) < 40 else "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}"
