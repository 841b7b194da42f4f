"""The title's scene emotion curve in a package (``scene_curve.csv``): what the web player and the
runtime follow in planned mode when the viewer turns emotion sensing off (scene-curve mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import manifest as M

SCENE_CURVE_NAME = "scene_curve.csv"


def write_scene_curve(stage: Path, trace: Any) -> M.SceneCurve:
    """The scene emotion curve (a loaded trace) as the package's canonical CSV."""
    from composer_assist.core.trace.io import save_trace

    save_trace(trace, stage / SCENE_CURVE_NAME)
    times = trace.times
    return M.SceneCurve(path=SCENE_CURVE_NAME, duration_s=round(float(times[-1] - times[0]), 6))
