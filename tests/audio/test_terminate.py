"""SIGTERM to a render stuck in a hung plugin leaves no worker process and no temp folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from render_testkit import build_bad_vst


def _workers_with(marker: str) -> list[int]:
    """Worker processes whose environment carries ``marker`` (ours, whoever their parent now is)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            env = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        if b"composer_assist.audio.worker" in cmd and marker.encode() in env:
            out.append(int(pid))
    return out


def test_sigterm_kills_hung_workers_and_removes_temp_dirs(tmp_path):
    hang = build_bad_vst(tmp_path / "vst", "hang")
    proj = tmp_path / "proj"
    proj.mkdir()
    data = {"schema_version": 1, "name": "t", "sample_rate": 48000, "cues": [
        {"name": "c", "tempo": 120, "length_bars": 1, "variants": [
            {"name": "v", "valence": 0, "arousal": 0, "layers": [
                {"name": "l", "instrument": {"plugin": str(hang)},
                 "clips": [{"start": 0, "notes": [[0, 1, 60, 100]]}]}]}]}]}
    (proj / "project.json").write_text(json.dumps(data))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cache = str(tmp_path / "cache")
    env = dict(os.environ, COMPOSER_ASSIST_CACHE=cache, TMPDIR=str(tmp))
    p = subprocess.Popen([sys.executable, "-m", "composer_assist.cli.main", "render", str(proj), "-o",
                          str(tmp_path / "out"), "--no-cache", "--jobs", "1"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not (_workers_with(cache) and list(tmp.glob("ca-render-*"))):
            assert p.poll() is None and time.monotonic() < deadline, "render never reached the hung plugin"
            time.sleep(0.1)
        time.sleep(0.5)  # the worker is now inside the hanging plugin
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, p.stderr.read()
    deadline = time.monotonic() + 5
    while _workers_with(cache) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _workers_with(cache) == []
    assert list(tmp.glob("ca-render-*")) == []


def test_worker_dies_with_its_parent(tmp_path):
    """A worker whose parent is SIGKILLed (no handler can run) is killed by the kernel."""
    cache = str(tmp_path / "marker")
    # A sibling holds the write end of the worker's job pipe, so the worker sees no EOF when the
    # parent dies: only PR_SET_PDEATHSIG can stop it.
    code = ("import os, subprocess, sys, time\n"
            "r, w = os.pipe()\n"
            "ar, aw = os.pipe()\n"
            "print(subprocess.Popen(['sleep', '30'], pass_fds=[w, ar]).pid, flush=True)\n"
            "subprocess.Popen([sys.executable, '-m', 'composer_assist.audio.worker', str(r), str(aw)],"
            " pass_fds=[r, aw], start_new_session=True)\n"
            "time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, COMPOSER_ASSIST_CACHE=cache),
                         stdout=subprocess.PIPE)
    sibling = int(p.stdout.readline())
    try:
        deadline = time.monotonic() + 20
        while not _workers_with(cache):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1.0)  # past the worker's prctl call
        p.kill()
        p.wait()
        deadline = time.monotonic() + 5
        while _workers_with(cache) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _workers_with(cache) == []
    finally:
        if p.poll() is None:
            p.kill()
        os.kill(sibling, signal.SIGKILL)
