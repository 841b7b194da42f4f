"""Rendering a project's cues to files: which cues and variants, checked before any work."""

from __future__ import annotations

from pathlib import Path

from composer_assist.audio.render import check_output_names, cue_folder
from composer_assist.core.errors import ProjectError, RenderError
from composer_assist.core.project import Project


def plan_render(project: Project, cues: list[str] | None, variants: list[str] | None,
                out: Path) -> list[tuple[str, list[str] | None]]:
    """(cue, variants) to render into ``out``: every cue named exists, no two cues share an output
    folder, each cue has some of ``variants`` (None: all).  Errors name the project and the cue."""
    if not project.cues:
        raise ProjectError(f"{project.path}: the project has no cues")
    names = cues or [c.name for c in project.cues]
    for name in names:
        try:
            project.cue(name)
        except KeyError as exc:
            raise ProjectError(f"{project.path}: {exc.args[0]}") from None
    folders: dict[str, str] = {}
    for name in names:
        other = folders.setdefault(cue_folder(name).casefold(), name)
        if other != name:
            raise RenderError(f"{project.path}: cues {other!r} and {name!r} would both be written to "
                              f"{Path(out) / cue_folder(name)}; rename one of them")
    plan = []
    for name in names:
        check_output_names(project.cue(name), variants, Path(out))
        chosen = variants
        if variants:
            known = {v.name for v in project.cue(name).variants}
            chosen = list(dict.fromkeys(v for v in variants if v in known))  # each once
            if not chosen:
                raise ProjectError(f"{project.path}: cue {name!r} has none of the variants "
                                   f"{', '.join(variants)} (variants: {', '.join(sorted(known))})")
        plan.append((name, chosen))
    return plan
