"""Audio-output fixtures.  ``pulse_server`` (a private PulseAudio server with a null sink,
tests/audio/pulse.py) is in tests/conftest.py, shared with tests outside this folder."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def cpu_burner():
    """A process spinning in Python on the other core while a test plays."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield proc
    proc.kill()
    proc.wait()
