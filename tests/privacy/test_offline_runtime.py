"""The runtime's output for a viewer is the same with the network gone: under ``unshare -n`` (no
network namespace but a downed loopback) and with an audit hook that raises on any socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "projects" / "traces" / "thriller_buildup.csv"
LOG = ROOT / "projects" / "demo" / "listeners" / "feedback.csv"
HOOK = '''import sys
def _no_network(event, args):
    if event.startswith("socket."):
        raise PermissionError(f"network blocked by the test: {event}")
sys.addaudithook(_no_network)
'''


def _env(hook_dir: Path | None = None) -> dict[str, str]:
    paths = ([str(hook_dir)] if hook_dir else []) + [str(ROOT)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _can_unshare() -> bool:
    return shutil.which("unshare") is not None and \
        subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def hook_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hook")
    (d / "sitecustomize.py").write_text(HOOK)
    return d


def _play(pkg: Path, out: Path, prefix: list[str], env: dict[str, str]) -> np.ndarray:
    cmd = prefix + [sys.executable, "-m", "composer_assist", "play-package", str(pkg), "--trace", str(TRACE),
                    "--feedback", str(LOG), "--listener", "L0042", "--duration", "6", "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "listener cluster" in r.stdout  # the viewer's own events picked a cluster, on the device
    # the samples, not the file's bytes: libsndfile stamps a float WAV's PEAK chunk with the time
    audio, _ = sf.read(out, dtype="float32")
    return audio


def test_the_hook_and_the_namespace_stop_a_connection(hook_dir):
    """Both ways of taking the network away do catch a connect attempt (so the test below can fail)."""
    probe = "import socket; socket.create_connection(('127.0.0.1', 9), timeout=2)"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(hook_dir))
    assert r.returncode != 0 and "network blocked by the test: socket." in r.stderr
    if _can_unshare():
        r = subprocess.run(["unshare", "-n", sys.executable, "-c", probe], capture_output=True, text=True)
        assert r.returncode != 0 and ("Network is unreachable" in r.stderr or "refused" in r.stderr
                                      or "Cannot assign" in r.stderr)


def test_same_output_without_network(demo_export, tmp_path, hook_dir):
    free = _play(demo_export.package, tmp_path / "free.wav", [], _env())
    hooked = _play(demo_export.package, tmp_path / "hooked.wav", [], _env(hook_dir))
    assert free.shape == (6 * 48000, 2) and np.abs(free).max() > 1e-3
    assert np.array_equal(hooked, free)
    if not _can_unshare():
        pytest.skip("unshare -n is not available here (the audit hook ran)")
    assert np.array_equal(_play(demo_export.package, tmp_path / "unshared.wav", ["unshare", "-n"], _env()), free)
