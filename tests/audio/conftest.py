"""Audio-output fixtures: a private PulseAudio server with a null sink (tests/audio/pulse.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pulse import PulseServer


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory):
    """A PulseAudio server with a null sink for the session; PortAudio's ``pulse`` (and
    ``default``) devices play into it.  Skips only if the server cannot start (fails under
    CI=true, where scripts/setup.sh --test has installed it)."""
    server = PulseServer(tmp_path_factory.mktemp("pulse"))
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PulseAudio null sink unavailable under CI: {exc}")
        pytest.skip(f"PulseAudio null sink unavailable: {exc}")
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
def cpu_burner():
    """A process spinning in Python on the other core while a test plays."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield proc
    proc.kill()
    proc.wait()
