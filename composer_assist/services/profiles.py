"""Listener cluster profiles for a preview: from a profiles JSON or a saved listener model."""

from __future__ import annotations

from pathlib import Path

from composer_assist.core.errors import ProjectError
from composer_assist.core.profile import ClusterProfile, profiles_from_json


def load_profiles(path: str | Path) -> list[ClusterProfile]:
    """Every cluster's profile in ``path``: a ``.json`` profiles file, else a listener model."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        from composer_assist.learn.jsonio import read_json

        return profiles_from_json(read_json(p, ProjectError), str(p))
    from composer_assist.learn.assign import load_model

    return list(load_model(p).profiles_)
