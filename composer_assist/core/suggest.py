"""One "did you mean ...?" for every error that names something unknown."""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.5) -> str:
    """``"did you mean a or b? "`` for the choices close to ``word``, or ``""`` when none is."""
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
