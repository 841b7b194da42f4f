"""``import-midi`` killed (SIGKILL) or interrupted (SIGINT) at seeded random moments.

After each run project.json must load and be either the old or the new version; an interrupted
run must say "saved" exactly when the new version is on disk; and after the next completed run
nothing the killed one left (temporary files, a clip copy nobody refers to, its pending list,
its lock file) remains.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composer_assist.core.project import load_project
from composer_assist.core.project.midi_import import import_midi

from project_testkit import cli_env, write_midi

# A CLI process with everything imported, waiting for "go": the kill then lands in the import
# itself, not in interpreter start-up.
WARM = r"""
import signal, sys
from composer_assist.cli.main import build_parser, main
import composer_assist.core.project.midi_import  # noqa: F401
build_parser()
print("ready", flush=True)
sys.stdin.readline()
rc = main(sys.argv[1:])
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.stdout.flush()
sys.exit(rc)
"""


def _spawn(mid: Path, proj: Path, layer: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WARM, "import-midi", str(mid), str(proj), "--cue", "c",
                             "--variant", "v", "--layer", layer],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env())


def _go(p: subprocess.Popen) -> float:
    assert p.stdout.readline() == "ready\n"
    p.stdin.write("go\n")
    p.stdin.flush()
    return time.perf_counter()


def _without_layer(data: dict, name: str) -> dict:
    data = json.loads(json.dumps(data))
    for cue in data["cues"]:
        for v in cue["variants"]:
            v["layers"] = [l for l in v["layers"] if l["name"] != name]
    return data


def _referenced(pj: Path) -> set[str]:
    data = json.loads(pj.read_text())
    return {c["file"] for cue in data["cues"] for v in cue["variants"] for l in v["layers"] for c in l["clips"]
            if "file" in c}


def _assert_clean(proj: Path) -> None:
    leftovers = [f.name for f in proj.iterdir() if f.name.startswith(".")]
    assert leftovers == [], leftovers  # no .project.json.*.tmp, pending list or lock file
    clips = {f"clips/{f.name}" for f in (proj / "clips").iterdir()}
    assert clips == _referenced(proj / "project.json")  # no temp file or stray copy in clips/


@pytest.mark.slow
def test_import_midi_killed_or_interrupted_at_random_moments(tmp_path):
    rng = random.Random(20240611)
    proj = tmp_path / "p"
    mid = write_midi(tmp_path / "in.mid", pitches=(60, 62, 64, 65, 67))
    import_midi(mid, proj, "c", "v", "first")

    # How long an import takes once started (go -> exit), to spread the kills across it.
    p = _spawn(mid, proj, "calibrate")
    t0 = _go(p)
    p.communicate(timeout=60)
    span = time.perf_counter() - t0
    assert p.returncode == 0

    runs = [signal.SIGKILL] * 30 + [signal.SIGINT] * 12
    rng.shuffle(runs)
    outcomes = {"old": 0, "new": 0}
    nxt = _spawn(mid, proj, "l0")
    for i, sig in enumerate(runs):
        pj = proj / "project.json"
        before = pj.read_bytes()
        p = nxt
        _go(p)
        if i + 1 < len(runs):
            nxt = _spawn(mid, proj, f"l{i + 1}")  # warms up while this one runs
        time.sleep(rng.uniform(0.0, 1.3 * span))
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)

        after = pj.read_bytes()
        load_project(proj)  # loads, clip files included
        if after == before:
            outcomes["old"] += 1
        else:
            outcomes["new"] += 1
            assert _without_layer(json.loads(after), f"l{i}") == json.loads(before)
        if sig == signal.SIGINT:
            said_saved = "saved" in out + err
            assert said_saved == (after != before), (i, out, err)
            if "interrupted" in err:
                assert "Traceback" not in err

        # The next completed run removes whatever this one left.
        import_midi(mid, proj, "c", "v", f"done{i}")
        _assert_clean(proj)
    nxt.kill()
    nxt.communicate()
    print(f"kill and interrupt outcomes: {outcomes} (import takes {span * 1000:.0f} ms)")
    assert outcomes["old"] and outcomes["new"], outcomes
