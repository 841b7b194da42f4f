"""Plugins that scribble on inherited fds, fork helpers or leave temp files cannot hurt the caller."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from composer_assist.core.levels import rms_dbfs
from composer_assist.audio.render import render_cue
from composer_assist.audio.scan import scan_plugins
from composer_assist.audio.workers import WorkerPool

from render_testkit import arpeggio, build_mini_vst, layer, project, write_tone

SINE_RMS_DBFS = -23.0  # the mini VST's 0.1-amplitude sine


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a container's init may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_plugin_writing_to_fds_1_to_20_cannot_garble_scan_or_render(tmp_path, cache):
    noisy = build_mini_vst(tmp_path / "vst", "noisy", noisy=20)
    [info] = scan_plugins(folders=[tmp_path / "vst"], timeout=30).plugins
    assert info.ok, info.error
    assert (info.kind, info.inputs, info.outputs) == ("instrument", 0, 2)
    folder = tmp_path / "p"
    p = project(folder, [layer("noisy", str(noisy), arpeggio(4)), layer("good", write_tone(folder), arpeggio(4))],
                bars=1)
    r = render_cue(p, "cue", jobs=1)
    assert abs(rms_dbfs(r.stems["main"]["noisy"]) - SINE_RMS_DBFS) < 0.5
    assert rms_dbfs(r.stems["main"]["good"]) > -40


def test_a_plugin_writing_into_the_answer_channel_fails_only_its_job(tmp_path, cache):
    # Writing to every fd up to 1100 reaches the worker's private answer pipe too: that job's
    # answer is garbled and fails, the pool replaces the worker and the next job is unharmed.
    noisy = build_mini_vst(tmp_path / "vst", "noisy_all", noisy=1100)
    pool = WorkerPool(1)
    try:
        bad, good = pool.run([{"op": "probe", "path": str(noisy), "kind": "vst2"},
                              {"op": "probe", "path": "/usr/lib/vst/MVerb-vst.so", "kind": "vst2"}], 30)
    finally:
        pool.close()
    assert not bad.ok and bad.error_type == "crash" and "garbled" in bad.error
    assert good.ok and good.result["kind"] == "effect"


def _project_file(folder: Path, plugin: Path) -> Path:
    folder.mkdir(parents=True)
    data = {"schema_version": 1, "name": "t", "sample_rate": 48000, "cues": [
        {"name": "c", "tempo": 120, "length_bars": 1, "variants": [
            {"name": "v", "valence": 0, "arousal": 0, "layers": [
                {"name": "l", "instrument": {"plugin": str(plugin)},
                 "clips": [{"start": 0, "notes": [[0, 1, 60, 100]]}]}]}]}]}
    (folder / "project.json").write_text(json.dumps(data))
    return folder


def test_processes_forked_by_a_plugin_end_with_the_render(tmp_path):
    pidfile = tmp_path / "children.txt"
    forker = build_mini_vst(tmp_path / "vst", "forker", pidfile=pidfile)
    proj = _project_file(tmp_path / "proj", forker)
    env = dict(os.environ, COMPOSER_ASSIST_CACHE=str(tmp_path / "cache"), TMPDIR=str(tmp_path))
    run = subprocess.run([sys.executable, "-m", "composer_assist.cli.main", "render", str(proj), "-o",
                          str(tmp_path / "out"), "--jobs", "1"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    children = [int(x) for x in pidfile.read_text().split()]
    assert children  # the plugin did fork
    deadline = time.monotonic() + 5
    while any(map(_running, children)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [c for c in children if _running(c)] == []


def test_children_of_a_hung_plugin_are_killed_with_its_worker(tmp_path):
    pidfile = tmp_path / "children.txt"
    plugin = build_mini_vst(tmp_path / "vst", "fork_hang", pidfile=pidfile, hang=True)
    pool = WorkerPool(1, tmp_root=tmp_path / "wtmp")
    try:
        [r] = pool.run([{"op": "probe", "path": str(plugin), "kind": "vst2"}], 3.0)
    finally:
        pool.close()
    assert r.error_type == "timeout"
    children = [int(x) for x in pidfile.read_text().split()]
    deadline = time.monotonic() + 5
    while any(map(_running, children)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children and [c for c in children if _running(c)] == []


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _plugin_temp_files(root: Path) -> list[Path]:
    """The plugin's temp files under the workers' folders; the pool sweeps stale folders meanwhile,
    so one may vanish while it is listed."""
    try:
        return list(root.glob("*/plugin-*"))
    except FileNotFoundError:
        return []


def test_temp_files_of_a_killed_worker_are_removed_and_stale_ones_swept(tmp_path):
    root = tmp_path / "wtmp"
    stale = root / str(_dead_pid())  # left by a worker whose pool was SIGKILLed
    stale.mkdir(parents=True)
    (stale / "left-over.tmp").write_bytes(b"x")
    alive = root / str(os.getpid())  # a running process's folder is not touched
    alive.mkdir()
    plugin = build_mini_vst(tmp_path / "vst", "tmp_hang", tmpfile=True, hang=True)
    pool = WorkerPool(1, tmp_root=root)
    results = []
    t = threading.Thread(target=lambda: results.extend(
        pool.run([{"op": "probe", "path": str(plugin), "kind": "vst2"}], 60.0)))
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not (made := _plugin_temp_files(root)):
            assert time.monotonic() < deadline, "the plugin never made its temp file"
            time.sleep(0.05)
        [made] = made
        worker = int(made.parent.name)  # the plugin's TMPDIR is its worker's own folder
        assert not stale.exists() and alive.exists()
        os.kill(worker, signal.SIGKILL)
        t.join(30)
    finally:
        pool.close()
    [r] = results
    assert not r.ok and r.error.startswith("crashed (SIGKILL)")
    assert sorted(p.name for p in root.iterdir()) == [alive.name]
