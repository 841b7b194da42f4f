"""Loading and atomically saving project files (``project.json`` in a project folder)."""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import atomic_write_json
from ..errors import ProjectError
from .model import Project
from .parse import project_from_json
from .serialize import project_to_json

PROJECT_FILE = "project.json"


def project_json_path(path: str | Path) -> Path:
    """Accept a project folder or its project.json."""
    p = Path(path)
    return p / PROJECT_FILE if p.is_dir() else p


def load_project(path: str | Path, check_files: bool = True) -> Project:
    """Read and validate a project; errors name the file, line or field."""
    p = project_json_path(path)
    if not p.exists():
        raise ProjectError(f"{p}: no such project file")
    try:
        text = p.read_text(encoding="utf-8-sig")  # a BOM some editors add is not an error
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{p}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{p}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ProjectError(f"{p}: invalid project: nested too deeply") from None
    project = project_from_json(data, source=str(p), project_dir=p.parent, check_files=check_files)
    project.path = p
    return project


def save_project(project: Project, path: str | Path | None = None) -> Path:
    """Write the project atomically (temp file, fsync, rename) and remember where."""
    target = project_json_path(path) if path is not None else project.path
    if target is None:
        raise ProjectError(f"project {project.name!r} has no file to save to")
    atomic_write_json(target, project_to_json(project))
    project.path = Path(target)
    return Path(target)
