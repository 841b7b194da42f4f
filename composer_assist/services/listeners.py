"""Which listener cluster to adapt for: a profile from a profiles file, or a listener assigned by a
stored preference model (what ``adapt`` options and the app's listener panel choose)."""

from __future__ import annotations

import os

from composer_assist.core.errors import ModelStoreError, ProjectError
from composer_assist.core.profile import ClusterProfile, profiles_from_json, select_profile


def profile_from_file(path: str | os.PathLike | None, cluster: str | None) -> ClusterProfile | None:
    """The profile ``cluster`` (number or name) of a profiles JSON; the only one when it holds one."""
    from composer_assist.learn.jsonio import read_json

    if path is None:
        if cluster is not None:
            raise ProjectError("--listener-cluster needs --profiles PROFILES.json")
        return None
    profiles = profiles_from_json(read_json(path, ProjectError), str(path))
    if cluster is None:
        if len(profiles) != 1:
            raise ProjectError(f"{path}: holds {len(profiles)} profiles; choose one with --listener-cluster "
                               f"NUMBER or NAME ({', '.join(f'{p.cluster} {p.name}' for p in profiles)})")
        return profiles[0]
    return select_profile(profiles, cluster, str(path))


def listener_profile(project: str | os.PathLike, *, profiles: str | None = None, cluster: str | None = None,
                     model: str | None = None, listener: str | None = None, feedback: str | None = None,
                     store: str | None = None) -> ClusterProfile | None:
    """The profile from a stored model (``model``, ``listener``, ``feedback``) or a profiles file."""
    if model is None:
        if listener is not None or feedback is not None:
            raise ProjectError("--listener and --feedback need --listener-model MODEL")
        return profile_from_file(profiles, cluster)
    if profiles is not None or cluster is not None:
        raise ProjectError("give either --listener-model or --profiles/--listener-cluster, not both")
    if feedback is not None and listener is None:
        raise ProjectError("--feedback needs --listener ID (whose events to use)")
    from composer_assist.learn.assign import profile_for_listener, require_listener
    from composer_assist.learn.feedback_log import load_feedback_log
    from composer_assist.learn.store import ModelStore, default_store_dir

    log = None
    if feedback is not None:
        log = load_feedback_log(feedback)
        require_listener(log, listener, feedback)  # type: ignore[arg-type]

    if store is None:
        project_store = default_store_dir(project)
        # The project's own store first, as `learn fit --project` saves there.
        try:
            if ModelStore(project_store).path_for(model).exists():
                store = str(project_store)
        except ModelStoreError:  # a path outside the project's store: the user store decides
            pass
    return profile_for_listener(model, listener, log, store=store)


def load_profiles(path: str | os.PathLike) -> list[ClusterProfile]:
    """Every cluster's profile in ``path`` (what the app's listener panel lists): a ``.json``
    profiles file, else a stored listener model."""
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() == ".json":
        from composer_assist.learn.jsonio import read_json

        return profiles_from_json(read_json(p, ProjectError), str(p))
    from composer_assist.learn.assign import load_model

    return list(load_model(p).profiles_)
