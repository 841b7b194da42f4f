"""Progress bars for long CLI work (tqdm on stderr), as a callback the lower layers accept."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


@contextlib.contextmanager
def progress_bar(label: str, unit: str = "it") -> Iterator[Callable[[int, int], None]]:
    """Yield ``progress(done, total)``; the bar is drawn on stderr and closed on exit."""
    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False,
                       disable=None)  # None: quiet when stderr is not a terminal
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()
