"""What `export --web` adds for browsers besides the Opus stems: the web player (the project's
``player/`` folder, static HTML and JavaScript, docs/web-player.md) copied to ``PKG/player/``,
and optionally the title's scene emotion curve (``scene_curve.csv``) for the sensor-free
scene-curve mode.  Both are listed in the manifest's files like every other member."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from composer_assist.core.errors import PackageError

from . import manifest as M

PLAYER_DIR = Path(__file__).resolve().parents[2] / "player"
PLAYER_FILES = ("index.html", "style.css", "js/*.js")  # what the page loads; nothing else is shipped
SCENE_CURVE_NAME = "scene_curve.csv"


def copy_player(stage: Path) -> None:
    """Copy the web player into ``stage/player`` (bytes only: the same files give the same package)."""
    if not (PLAYER_DIR / "index.html").is_file():
        raise PackageError(f"--web: the web player is missing ({PLAYER_DIR}/index.html)")
    for pattern in PLAYER_FILES:
        for src in sorted(PLAYER_DIR.glob(pattern)):
            dst = stage / "player" / src.relative_to(PLAYER_DIR)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())


def write_scene_curve(stage: Path, trace: Any) -> M.SceneCurve:
    """The scene emotion curve (a loaded trace) as the package's canonical CSV."""
    from composer_assist.core.trace.io import save_trace

    save_trace(trace, stage / SCENE_CURVE_NAME)
    times = trace.times
    return M.SceneCurve(path=SCENE_CURVE_NAME, duration_s=round(float(times[-1] - times[0]), 6))
