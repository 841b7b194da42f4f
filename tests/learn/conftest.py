"""Every learn test signs models with its own throwaway key, never the user's real one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_signing_key(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_KEY_FILE", str(tmp_path_factory.getbasetemp() / "keys" / "store.key"))
