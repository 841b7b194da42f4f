"""Fixtures of the package tests: the short project, its export (FLAC + Opus, with listener tables)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_testkit import write_project  # noqa: E402


@pytest.fixture(scope="session")
def short_project(tmp_path_factory):
    from composer_assist.core.project import load_project

    return load_project(write_project(tmp_path_factory.mktemp("short-project")))


@pytest.fixture(scope="session")
def listeners():
    """Profiles and assignment tables of a model fitted on a small synthetic population."""
    from composer_assist.learn.model import ListenerPreferenceModel
    from composer_assist.learn.population import generate_population
    from composer_assist.learn.tables import export_json

    pop = generate_population(300, 20, seed=12)
    model = ListenerPreferenceModel(random_state=0).fit(pop.log)
    return export_json(model), pop.log, model


@pytest.fixture(scope="session")
def short_render(short_project):
    from composer_assist.audio.render import render_cue

    return render_cue(short_project, "short")


@pytest.fixture(scope="session")
def short_package(tmp_path_factory, short_project, short_render, listeners):
    """The short cue exported as a folder with web stems and listener tables."""
    from composer_assist.package.export import export_package

    out = tmp_path_factory.mktemp("pkg") / "short.pkg"
    result = export_package(short_project, "short", out, web=True, render=short_render, listeners=listeners[0])
    return out, result
