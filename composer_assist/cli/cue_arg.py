"""The cue a command's ``--cue`` names, refused in one line naming the project when it has none."""

from __future__ import annotations

import argparse
from typing import Any

from composer_assist.core.errors import ProjectError


def cue_of(project: Any, args: argparse.Namespace) -> Any:
    """``project``'s cue ``args.cue`` (a ``ProjectError`` naming ``args.project`` and the cues it has)."""
    try:
        return project.cue(args.cue)
    except KeyError as exc:
        raise ProjectError(f"{args.project}: {exc.args[0]}") from None
