"""Saving projects safely: nothing unknown is dropped, concurrent writers lose nothing, a file
changed behind our back is not overwritten, symlinks and permissions survive, an interrupt
during a save reports what happened, and a killed writer's leftovers are swept."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from composer_assist.cli.main import main
from composer_assist.core import atomic
from composer_assist.core.atomic import atomic_write_bytes, sweep_stale_temp_files
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import SCHEMA_VERSION, load_project, save_project
from composer_assist.core.project.files import lock_path, project_lock
from composer_assist.core.project.midi_import import import_midi

from project_testkit import cli_env, write_midi


def commented_project() -> dict:
    """A project with a ``_comment`` on every kind of object that has one."""
    return {
        "schema_version": SCHEMA_VERSION, "_comment": "project", "name": "t", "sample_rate": 48000,
        "cues": [{
            "_comment": "cue", "name": "c", "tempo": 120, "meter": "4/4", "length_bars": 4,
            "markers": [{"_comment": "marker", "name": "m", "beat": 4}],
            "adaptive": {"_comment": "adaptive", "dwell_bars": 2},
            "transitions": [{"_comment": "transition", "from": "a", "to": "*", "leave": "bar"}],
            "variants": [{
                "_comment": "variant", "name": "a", "valence": 0.1, "arousal": 0.2,
                "layers": [{
                    "_comment": "layer", "name": "l", "instrument": {"_comment": "instrument", "plugin": "pad"},
                    "clips": [{"_comment": "clip", "_other_tool": {"id": 7, "tags": ["x"]}, "start": 0,
                               "notes": [[0, 1, 60, 100]]}],
                }],
            }],
        }],
    }


def comments(data) -> list:
    """Every ``_`` key with its value, in document order."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k.startswith("_"):
                out.append((k, v))
            out += comments(v)
    elif isinstance(data, list):
        for v in data:
            out += comments(v)
    return out


def clips_of(project_json: Path) -> list[dict]:
    data = json.loads(project_json.read_text())
    return [c for cue in data["cues"] for v in cue["variants"] for l in v["layers"] for c in l["clips"]]


# ---- 1. what a save does not understand, it keeps ------------------------------------------------
def test_import_midi_keeps_underscore_keys_at_every_level(tmp_path, capsys):
    pj = tmp_path / "p" / "project.json"
    pj.parent.mkdir()
    pj.write_text(json.dumps(commented_project()))
    before = comments(commented_project())
    assert {v for k, v in before if k == "_comment"} >= {"project", "cue", "variant", "layer", "clip",
                                                         "transition"}
    mid = write_midi(tmp_path / "in.mid")
    assert main(["import-midi", str(mid), str(pj.parent), "--cue", "c", "--variant", "a", "--layer", "l"]) == 0
    assert main(["import-midi", str(mid), str(pj.parent), "--cue", "c", "--variant", "a", "--layer", "new"]) == 0
    after = json.loads(pj.read_text())
    assert comments(after) == before
    assert len(clips_of(pj)) == 3


# ---- 2. two writers on one project ----------------------------------------------------------------
def test_save_refuses_a_file_changed_since_it_was_loaded(tmp_path):
    pj = tmp_path / "project.json"
    pj.write_text(json.dumps(commented_project()))
    mine = load_project(tmp_path)
    theirs = load_project(tmp_path)
    theirs.name = "theirs"
    save_project(theirs)  # the other program saves first
    saved_by_them = pj.read_bytes()
    mine.name = "mine"
    with pytest.raises(ProjectError) as e:
        save_project(mine)
    msg = str(e.value)
    assert msg == (f"{pj}: project.json changed on disk since it was loaded (by another program?); "
                   f"reload and try again")
    assert pj.read_bytes() == saved_by_them  # their work is intact
    assert sorted(f.name for f in tmp_path.iterdir()) == ["project.json"]  # no temp or lock file left
    # Saving again after our own save is fine (the hash follows our saves) ...
    theirs.name = "theirs, later"
    save_project(theirs)
    # ... and force=True overwrites on purpose (what an editor does after asking the user).
    save_project(mine, force=True)
    assert load_project(tmp_path).name == "mine"


def test_save_refuses_when_the_file_was_deleted_or_appeared(tmp_path):
    pj = tmp_path / "project.json"
    pj.write_text(json.dumps(commented_project()))
    p = load_project(pj)
    pj.unlink()
    with pytest.raises(ProjectError, match="was deleted since it was loaded"):
        save_project(p)
    assert not pj.exists()
    # A project started in memory for a path expects no file there.
    from composer_assist.core.project import Project
    fresh = Project(name="fresh", path=tmp_path / "project.json")
    pj.write_text(json.dumps(commented_project()))
    with pytest.raises(ProjectError, match="changed on disk since it was loaded"):
        save_project(fresh)
    # Save-as to another file is the caller's decision: no refusal.
    save_project(fresh, tmp_path / "other" / "project.json")
    assert load_project(tmp_path / "other").name == "fresh"


def test_lock_is_reentrant_waits_with_a_timeout_and_leaves_no_file(tmp_path):
    pj = tmp_path / "project.json"
    with project_lock(pj):
        with project_lock(pj):  # save_project inside import_midi takes it again
            assert lock_path(pj).exists()
        assert lock_path(pj).exists()
    assert not lock_path(pj).exists()
    # Another holder (a separate open file description, as another process would have) blocks us.
    fd = os.open(lock_path(pj), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(ProjectError, match=r"another program has been saving this project for more "
                                               r"than 0.2 s"):
            with project_lock(pj, timeout=0.2):
                pass
    finally:
        os.close(fd)
    with project_lock(pj, timeout=0.2):
        pass
    assert sorted(f.name for f in tmp_path.iterdir()) == []


def test_threads_importing_into_one_project_lose_nothing(tmp_path):
    mid = write_midi(tmp_path / "in.mid")
    proj = tmp_path / "p"
    import_midi(mid, proj, "c", "v", "l0")

    def one(i):
        return import_midi(write_midi(tmp_path / f"in{i}.mid", pitches=(60 + i,)), proj, "c", "v", "l")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(8)))
    assert len(clips_of(proj / "project.json")) == 9
    assert len(list((proj / "clips").iterdir())) == 9


@pytest.mark.slow
def test_twenty_pairs_of_concurrent_import_midi_runs_lose_no_import(tmp_path):
    """Before the project lock, 12 to 19 of 20 pairs lost one of the two imports (measured)."""
    a = write_midi(tmp_path / "a.mid", pitches=(60, 64, 67))
    b = write_midi(tmp_path / "b.mid", pitches=(62, 65, 69))
    lost, failed = 0, []
    for i in range(20):
        proj = tmp_path / f"p{i}"
        import_midi(a, proj, "c", "v", "base")
        # Both write the same layer from different files: clip names must not collide either.
        procs = [subprocess.Popen([sys.executable, "-m", "composer_assist", "import-midi", str(m), str(proj),
                                   "--cue", "c", "--variant", "v", "--layer", "l"], env=cli_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for m in (a, b)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            if p.returncode:
                failed.append(err)
        clips = [c for c in clips_of(proj / "project.json")]
        files = {c["file"] for c in clips}
        lost += len(clips) != 3
        assert len(files) == 3 and all((proj / f).is_file() for f in files)
        assert load_project(proj).cue("c").variant("v").layer("l").clips
        assert not [f for f in proj.iterdir() if f.name.startswith(".")]
    assert failed == []
    assert lost == 0


# ---- 3. symlinks and permissions ----------------------------------------------------------------------
def test_a_symlinked_project_json_stays_a_symlink(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    real = store / "real-project.json"
    real.write_text(json.dumps(commented_project()))
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "project.json").symlink_to(os.path.relpath(real, proj))
    mid = write_midi(tmp_path / "in.mid")
    import_midi(mid, proj, "c", "a", "l")
    assert (proj / "project.json").is_symlink()
    assert len(clips_of(real)) == 2  # the real file got the import
    assert (proj / "clips").is_dir() and load_project(proj).cue("c").variant("a").layer("l").clips[1].notes
    assert sorted(f.name for f in store.iterdir()) == ["real-project.json"]  # no temp or lock file left
    # The same holds for any atomic write.
    link = tmp_path / "link.bin"
    link.symlink_to(store / "target.bin")
    atomic_write_bytes(link, b"one")
    atomic_write_bytes(link, b"two")
    assert link.is_symlink() and (store / "target.bin").read_bytes() == b"two"


def test_a_private_project_stays_private(tmp_path):
    proj = tmp_path / "p"
    proj.mkdir()
    pj = proj / "project.json"
    pj.write_text(json.dumps(commented_project()))
    pj.chmod(0o600)
    import_midi(write_midi(tmp_path / "in.mid"), proj, "c", "a", "l")
    assert stat.S_IMODE(pj.stat().st_mode) == 0o600
    assert len(clips_of(pj)) == 2
    other = tmp_path / "x.txt"
    other.write_text("x")
    other.chmod(0o640)
    atomic_write_bytes(other, b"y")
    assert stat.S_IMODE(other.stat().st_mode) == 0o640
    new = tmp_path / "new.txt"
    atomic_write_bytes(new, b"z")  # a new file gets the usual mode (0666 less the umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~atomic.umask()


# ---- 4. Ctrl-C during a save ---------------------------------------------------------------------
def _import_args(mid: Path, proj: Path, layer: str = "l2") -> list[str]:
    return ["import-midi", str(mid), str(proj), "--cue", "c", "--variant", "a", "--layer", layer]


def test_ctrl_c_during_the_final_rename_reports_the_completed_save(tmp_path, monkeypatch, capsys):
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "project.json").write_text(json.dumps(commented_project()))
    mid = write_midi(tmp_path / "in.mid")
    real_replace = os.replace

    def replace_then_ctrl_c(src, dst):
        real_replace(src, dst)
        if str(dst).endswith("project.json"):
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the rename is being made durable

    monkeypatch.setattr(os, "replace", replace_then_ctrl_c)
    assert main(_import_args(mid, proj)) == 130
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{proj / 'project.json'}: saved (the write had completed when the interrupt came)",
                   "interrupted"]
    clips = clips_of(proj / "project.json")
    assert len(clips) == 2 and (proj / clips[1]["file"]).is_file()  # the copy the project names is kept
    assert load_project(proj).cue("c").variant("a").layer("l2").clips


def test_ctrl_c_before_the_rename_says_interrupted_and_changes_nothing(tmp_path, monkeypatch, capsys):
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "project.json").write_text(json.dumps(commented_project()))
    before = (proj / "project.json").read_bytes()
    mid = write_midi(tmp_path / "in.mid")
    real_replace = os.replace

    def ctrl_c_instead(src, dst):
        if str(dst).endswith("project.json"):
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", ctrl_c_instead)
    assert main(_import_args(mid, proj)) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert (proj / "project.json").read_bytes() == before
    assert list((proj / "clips").iterdir()) == []  # the copy nobody refers to is gone
    assert sorted(f.name for f in proj.iterdir()) == ["clips", "project.json"]


def test_ctrl_c_while_reporting_says_the_import_was_saved(tmp_path, monkeypatch, capsys):
    from composer_assist.cli import midi_cmd

    proj = tmp_path / "p"
    mid = write_midi(tmp_path / "in.mid")

    def interrupted_report(r):
        raise KeyboardInterrupt

    monkeypatch.setattr(midi_cmd, "_report", interrupted_report)
    assert main(_import_args(mid, proj)) == 130
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "interrupted" and "saved" in err[0]
    assert len(clips_of(proj / "project.json")) == 1


# ---- 5. what a killed writer leaves behind is swept --------------------------------------------------
def test_temp_files_of_dead_writers_are_swept_on_the_next_save(tmp_path):
    pj = tmp_path / "project.json"
    pj.write_text(json.dumps(commented_project()))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".project.json.{dead.pid}.abcd1234.tmp"
    stale.write_text("half a project")
    alive = tmp_path / f".project.json.{os.getppid()}.abcd1234.tmp"  # a live writer's: left alone
    alive.write_text("being written")
    other = tmp_path / "notes.txt.tmp"
    other.write_text("not ours")
    p = load_project(pj)
    save_project(p)
    assert not stale.exists() and alive.exists() and other.exists()
    assert sweep_stale_temp_files(tmp_path) == []


def test_a_clip_copied_by_a_killed_import_is_removed_by_the_next(tmp_path):
    proj = tmp_path / "p"
    mid = write_midi(tmp_path / "in.mid")
    import_midi(mid, proj, "c", "v", "l")
    # What an import killed after copying but before saving leaves: the copy and its pending note.
    stray = proj / "clips" / "c_v_x.mid"
    stray.write_bytes(mid.read_bytes())
    (proj / ".project.json.import-pending").write_text(json.dumps({"pid": 1, "clips": ["clips/c_v_x.mid"]}))
    user_file = proj / "clips" / "mine.mid"  # not listed: never touched
    user_file.write_bytes(mid.read_bytes())
    import_midi(write_midi(tmp_path / "other.mid", pitches=(70,)), proj, "c", "v", "l")
    assert not stray.exists() and user_file.exists()
    assert sorted(f.name for f in proj.iterdir()) == ["clips", "project.json"]
    assert {c["file"] for c in clips_of(proj / "project.json")} == {"clips/c_v_l.mid", "clips/c_v_l_2.mid"}


def test_a_refused_final_rename_names_the_file_asked_for_and_leaves_no_temp(tmp_path, monkeypatch):
    import errno

    from composer_assist.core import atomic

    target = tmp_path / "project.json"
    target.write_text("{}")

    def immutable(src, dst):  # what chattr +i on the target gives
        raise PermissionError(errno.EPERM, "Operation not permitted", src, dst)

    monkeypatch.setattr(atomic.os, "replace", immutable)
    with pytest.raises(OSError) as err:
        atomic.atomic_write_json(target, {"x": 1})
    # before: ".project.json.26763.ymfmlgak.tmp: Operation not permitted"
    assert err.value.filename == str(target) and err.value.errno == errno.EPERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"] and target.read_text() == "{}"
