"""Figures drawn to PNG files without pyplot, so drawing never switches a process's GUI backend."""

from __future__ import annotations

import io
import os
from typing import Any

from composer_assist.core.atomic import atomic_write_bytes


def new_figure(**kwargs: Any):
    """A matplotlib Figure not registered with pyplot (nothing to close, no backend switch)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def write_png(fig: Any, path: str | os.PathLike, dpi: float | None = None) -> None:
    """Render ``fig`` to PNG and write it atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi if dpi is not None else "figure")
    atomic_write_bytes(path, buf.getvalue())
