"""Editing a project on disk: create one, or load, apply one edit command and save, under the
project's lock (``core.project.files``), so concurrent writers take turns and none is lost."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from composer_assist.core.edit import Command
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import PROJECT_FILE, Project, load_project, save_project
from composer_assist.core.project.files import project_json_path, project_lock
from composer_assist.core.project.model import SAMPLE_RATES


def new_project(path: str | os.PathLike, name: str | None = None, sample_rate: int = 48000) -> Project:
    """A new empty project in folder ``path`` (created); refused when it already holds one."""
    folder = Path(path)
    pj = folder if folder.suffix == ".json" else folder / PROJECT_FILE
    if sample_rate not in SAMPLE_RATES:
        raise ProjectError(f"--sample-rate: {sample_rate} is not one of {', '.join(map(str, SAMPLE_RATES))}")
    if folder.exists() and not folder.is_dir() and folder.suffix != ".json":
        raise ProjectError(f"{folder}: exists and is not a folder")
    with project_lock(pj):
        if os.path.lexists(pj):
            raise ProjectError(f"{pj}: a project already exists here (edit it with add/set/rm/mv)")
        project = Project(name=name or pj.parent.resolve().name, sample_rate=sample_rate)
        save_project(project, pj)
    return project


def edit_project(path: str | os.PathLike, make: Callable[[Project], Command]) -> tuple[Project, Command]:
    """Load the project, make (and so validate) a command with ``make``, apply it and save atomically."""
    pj = project_json_path(path)
    if not pj.exists():
        raise ProjectError(f"{pj}: no project here (create one with: composer-assist new {path})")
    with project_lock(pj):
        project = load_project(pj)
        command = make(project)
        command.apply(project)
        save_project(project, pj)
    return project, command
