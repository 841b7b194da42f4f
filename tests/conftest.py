"""Shared test fixtures: paths to the real third-party data beside the project, private user
state, and a private PulseAudio server for tests that play to an audio device."""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# tests/audio/pulse.py drives the PulseAudio server; the fixture lives here so tests outside
# tests/audio (the docs' commands) can play too.
sys.path.insert(0, str(Path(__file__).resolve().parent / "audio"))
from pulse import start_server  # noqa: E402
REALDATA = Path(os.environ.get("COMPOSER_ASSIST_REALDATA", ROOT.parent / "shared" / "realdata"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Tests marked ``realtime`` (they count underruns or time real playback) have the machine to
    themselves: under pytest-xdist every other test holds a shared lock on one file and a
    realtime test an exclusive one, so the other worker waits between its tests while one plays.
    The lock spans a test's whole run, the set-up of its module and session fixtures included
    (rendering the demo's stems, say), not only its own function."""
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not uid:
        yield
        return
    exclusive = item.get_closest_marker("realtime") is not None
    with open(Path(tempfile.gettempdir()) / f"composer-assist-tests-{uid}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
    """One stem cache for the tests that render the demo project: the first renders cold, the rest
    reuse it.  Under pytest-xdist the workers share it (their base folders sit side by side): a
    stem one worker is rendering, the other waits for (``audio.render_claims``) instead of
    rendering it again."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = base.parent / "stem-cache"
        shared.mkdir(exist_ok=True)
        return shared
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


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory):
    """A PulseAudio server with a null sink for the session; PortAudio's ``pulse`` (and
    ``default``) devices play into it.  Skips only if the server cannot start (fails under
    CI=true, where scripts/setup.sh --test has installed it)."""
    server = start_server(tmp_path_factory.mktemp("pulse"))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PULSE_SERVER", server.server)
            from composer_assist.audio.devices import refresh
            from composer_assist.core.errors import AudioDeviceError
            try:
                # PortAudio reads ALSA's configuration when it starts; read it again now that the
                # server runs, so ALSA's "default" goes to it.
                refresh()
            except AudioDeviceError as exc:
                if os.environ.get("CI", "").lower() == "true":
                    pytest.fail(str(exc))
                pytest.skip(str(exc))
            yield server
    finally:
        server.stop()


@pytest.fixture
def point_demo(root, tmp_path) -> Path:
    """A copy of the demo project with its variants as points (``as_points``)."""
    import json
    import shutil

    out = tmp_path / "point_demo"
    shutil.copytree(root / "projects" / "demo", out)
    d = json.loads((out / "project.json").read_text())
    for c in d["cues"]:
        for v in c["variants"]:
            v.pop("arousal_follows_intensity", None)
    (out / "project.json").write_text(json.dumps(d, indent=1))
    return out
