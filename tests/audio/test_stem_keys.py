"""Cache keys see every file a stem depends on: Faust .lib files beside the dsp, VST3 binaries."""

from __future__ import annotations

import os

import pytest

from composer_assist.core.plugins.trust import trust
from composer_assist.audio import stem_cache
from composer_assist.core.levels import rms_dbfs
from composer_assist.audio.render import render_cue
from composer_assist.audio.scan import candidates

from render_testkit import arpeggio, layer, project

LIB_DSP = """import("stdfaust.lib");
import("level.lib");
freq = hslider("freq", 220, 20, 20000, 0.01);
gain = hslider("gain", 0.5, 0, 1, 0.001);
gate = button("gate");
process = os.osc(freq) * gain * level * en.asr(0.001, 1, 0.05, gate) <: _, _;
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))


def test_changing_a_lib_beside_the_dsp_rerenders(tmp_path, cache):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "libby.dsp").write_text(LIB_DSP)
    (folder / "level.lib").write_text("level = 0.5;\n")
    trust(folder / "libby.dsp")
    p = project(folder, [layer("a", "./libby.dsp", arpeggio(4))], bars=1)
    loud = render_cue(p, "cue")
    assert render_cue(p, "cue").cached_stems == [("main", "a")]
    (folder / "level.lib").write_text("level = 0.05;\n")
    trust(folder / "libby.dsp")  # a changed library untrusts the dsp (core.plugins.trust): trust it again
    quiet = render_cue(p, "cue")  # the worker that compiled the old lib is still warm
    assert not quiet.cached_stems
    drop = rms_dbfs(loud.stems["main"]["a"]) - rms_dbfs(quiet.stems["main"]["a"])
    assert 19.0 < drop < 21.0, drop


def _bundle(root):
    binary = root / "Fake.vst3" / "Contents" / "x86_64-linux" / "Fake.so"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"\x7fELF" + b"\0" * 60)
    return root / "Fake.vst3", binary


def test_vst3_bundle_fingerprint_follows_the_binary_inside(tmp_path):
    bundle, binary = _bundle(tmp_path / "vst3")
    before_fp = stem_cache.file_fingerprint(bundle)
    [(_, fmt, _, before_sig)], _ = candidates([tmp_path / "vst3"])
    assert fmt == "vst3"
    st = bundle.stat()
    binary.write_bytes(b"\x7fELF" + b"\1" * 60)  # same size, new build
    os.utime(binary, ns=(st.st_mtime_ns + 10**9, st.st_mtime_ns + 10**9))
    os.utime(bundle, ns=(st.st_atime_ns, st.st_mtime_ns))  # the bundle folder itself looks untouched
    os.utime(bundle / "Contents", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert stem_cache.file_fingerprint(bundle) != before_fp
    [(_, _, _, after_sig)], _ = candidates([tmp_path / "vst3"])
    assert after_sig != before_sig


def test_stem_key_includes_the_dawdreamer_version(monkeypatch):
    from importlib import metadata

    fp = {"chain": [], "notes": []}
    assert stem_cache.dawdreamer_version() == metadata.version("dawdreamer")
    key = stem_cache.stem_key(fp)
    monkeypatch.setattr(stem_cache, "dawdreamer_version", lambda: "0.0.1")
    assert stem_cache.stem_key(fp) != key


def test_cache_is_pruned_least_recently_used_first(tmp_path, monkeypatch):
    import os
    import time

    import numpy as np

    from composer_assist.audio import stem_cache

    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    arr = np.zeros((2, 50_000), dtype=np.float32)  # 400 kB each
    keys = [f"{i:02d}" + "0" * 62 for i in range(5)]
    for i, key in enumerate(keys):
        path = stem_cache.stem_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, arr)
        stem_cache.save_meta(key, {"seconds": 1.0, "wall": 0.1})
        os.utime(path, (time.time() - 100 + i, time.time() - 100 + i))
    assert stem_cache.load_stem(keys[0], 10) is not None  # used now: the newest
    freed = stem_cache.prune(limit=2 * arr.nbytes + 1000, keep={keys[1]})
    left = {p.stem for p in stem_cache.stems_dir().glob("*/*.npy")}
    assert left == {keys[0], keys[1]} and freed >= 3 * arr.nbytes
    assert not stem_cache.stem_path(keys[2]).with_suffix(".json").exists()


def test_a_render_sweeps_what_a_killed_writer_left_in_the_cache(tmp_path, monkeypatch):
    """A tail hint or stem half-written when a render was killed is removed by the next render's
    pruning, even when that entry is cached and never written again."""
    import subprocess
    import sys

    from composer_assist.audio import stem_cache

    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    tails = stem_cache.tails_dir()
    tails.mkdir(parents=True)
    stems = stem_cache.stems_dir() / "ab"
    stems.mkdir(parents=True)
    left = [tails / f".k.json.{dead.pid}.abcd1234.tmp", stems / f".ab12.npy.{dead.pid}.abcd1234.tmp"]
    live = tails / f".k2.json.{os.getpid()}.abcd1234.tmp"  # a writer still running: never touched
    for p in [*left, live]:
        p.write_text("half")
    stem_cache.prune()
    assert not any(p.exists() for p in left) and live.exists()
