"""Shared test fixtures: paths to the real third-party data beside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("COMPOSER_ASSIST_REALDATA", ROOT.parent / "shared" / "realdata"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.fail(f"real test data not found at {REALDATA} (../shared/realdata beside the project)")
    return REALDATA


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def stem_cache(tmp_path_factory) -> Path:
    """One stem cache for the tests that render the demo project: the first renders cold, the rest reuse it."""
    return tmp_path_factory.mktemp("stem-cache")


@pytest.fixture(autouse=True, scope="session")
def _private_user_state(tmp_path_factory, stem_cache):
    """No test reads or writes the user's caches, model store or trusted plugins (session-wide, so
    module- and session-scoped fixtures are covered too; tests may still override per test)."""
    base = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPOSER_ASSIST_MODELS", str(base / "models"))
        mp.setenv("COMPOSER_ASSIST_CACHE", str(stem_cache))
        mp.setenv("XDG_CONFIG_HOME", str(base / "config"))  # the trusted-plugins list
        yield
