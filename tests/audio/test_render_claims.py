"""Two processes rendering the same stems into one cache at once render each stem once: the
second waits for the first's claim and takes the stem from the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from composer_assist.audio import stem_cache
from composer_assist.audio.render_claims import RenderClaims, sweep_claims
from composer_assist.core.project import Note, save_project

from render_testkit import layer, project, write_tone

RENDER = """
import json, sys, time
from pathlib import Path
import numpy as np
from composer_assist.audio.render import render_cue
from composer_assist.core.project import load_project
go = Path(sys.argv[2])
while not go.exists():  # both start rendering at the same moment
    time.sleep(0.01)
r = render_cue(load_project(sys.argv[1]), "cue", jobs=1)
print(json.dumps({"rendered": sum(not s.cached for s in r.stats),
                  "peaks": [float(np.abs(a).max()) for v in r.stems.values() for a in v.values()]}))
"""


def test_two_renders_at_once_render_each_stem_once(tmp_path):
    folder = tmp_path / "proj"
    ref = write_tone(folder)
    layers = [layer(f"l{i}", ref, [Note(b * 0.5, 0.4, 48 + i + b % 12, 100) for b in range(64)]) for i in range(6)]
    save_project(project(folder, layers, bars=8))
    env = dict(os.environ, COMPOSER_ASSIST_CACHE=str(tmp_path / "cache"))
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RENDER, str(folder / "project.json"), str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    assert sum(o["rendered"] for o in outs) == 6, outs  # not 12: each stem once, by one of the two
    assert outs[0]["peaks"] == outs[1]["peaks"] and min(outs[0]["peaks"]) > 0.01
    assert not list((tmp_path / "cache").rglob("*.lock"))  # claims are gone once the stems are in


def test_a_claim_is_held_until_released_and_dies_with_its_holder(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    key = "ab" + "0" * 62
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from composer_assist.audio.render_claims import RenderClaims\n"
        f"c = RenderClaims(); assert c.take({key!r}); print('held', flush=True); time.sleep(60)\n")],
        env=dict(os.environ, COMPOSER_ASSIST_CACHE=str(tmp_path / "cache")), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        mine = RenderClaims()
        ticks = []
        assert not mine.take(key)
        assert not mine.wait(key, 0.3, lambda: ticks.append(1))
        assert ticks  # a waiting render still reports progress (where a cancel takes effect)
        holder.kill()  # killed mid-render: the kernel drops its claim
        holder.wait()
        assert mine.wait(key, 5.0)
        lock = stem_cache.stem_path(key).with_suffix(".lock")
        assert lock.exists()
        mine.release(key)
        assert not lock.exists()
    finally:
        holder.kill()
        holder.wait()


def test_claims_left_by_killed_renders_are_swept(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    left = stem_cache.stem_path("cd" + "1" * 62).with_suffix(".lock")
    left.parent.mkdir(parents=True)
    left.touch()
    held = RenderClaims()
    assert held.take("cd" + "2" * 62)
    sweep_claims()
    assert not left.exists()
    assert stem_cache.stem_path("cd" + "2" * 62).with_suffix(".lock").exists()  # in use: kept
    held.release_all()
