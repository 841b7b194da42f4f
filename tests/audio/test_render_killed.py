"""``render`` killed (SIGKILL) at seeded random moments: every file it leaves is whole.

After each kill, every WAV in the output folder and every stem in the cache reads back complete
(written beside and renamed into place, or not at all), and no worker outlives the killed
command.  After a final uninterrupted run, the output is complete and no temporary file remains.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

RUNS = 30


def _workers_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the render's workers)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().split(")")[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _check_whole(out: Path, cache: Path) -> int:
    n = 0
    for wav in out.rglob("*.wav"):
        data, sr = sf.read(wav, dtype="float32")
        assert sr == 48000 and len(data) > 0, wav
        n += 1
    for npy in cache.rglob("*.npy"):
        arr = np.load(npy, allow_pickle=False)
        assert arr.size > 0, npy
    return n


@pytest.mark.slow
def test_render_killed_at_random_moments_leaves_only_whole_files(root, tmp_path):
    rng = random.Random(20261130)
    cache, out = tmp_path / "cache", tmp_path / "out"
    env = dict(os.environ, COMPOSER_ASSIST_CACHE=str(cache))
    cmd = [sys.executable, "-m", "composer_assist", "render", str(root / "projects" / "demo"), "-o", str(out)]
    for _ in range(RUNS):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.8))  # start-up, rendering, writing (cached stems): all get hit
        workers = _workers_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _check_whole(out, cache)
        deadline = time.monotonic() + 5.0
        while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if Path(f"/proc/{w}").exists()], "a worker outlived the killed render"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _check_whole(out, cache) >= 16 + 4  # 16 stems and 4 mixes at least
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]
