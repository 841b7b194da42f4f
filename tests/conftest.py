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
