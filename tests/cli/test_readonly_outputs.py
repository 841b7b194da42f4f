"""An output on a read-only file system is refused before any work, naming the file asked for
(not the temporary file an atomic write makes beside it)."""

from __future__ import annotations

import subprocess

import pytest

from composer_assist.cli.main import main
from composer_assist.core.atomic import atomic_file


@pytest.fixture
def read_only(tmp_path):
    """A read-only tmpfs (EROFS for everyone, root too); skipped where mounting is not allowed."""
    folder = tmp_path / "ro"
    folder.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_an_atomic_write_names_the_file_asked_for(read_only):
    with pytest.raises(OSError) as info:
        with atomic_file(read_only / "x.wav") as fh:
            fh.write(b"1")
    assert info.value.filename == str(read_only / "x.wav")  # before: .x.wav.PID.XXXX.tmp


def test_outputs_on_a_read_only_folder_are_refused_before_the_work(read_only, root, tmp_path, capsys):
    traces = root / "projects" / "traces"
    cases = [
        (["coverage", str(root / "projects" / "demo"), "--cue", "night_chase", str(traces / "calm_to_sad.csv"),
          "-o", str(read_only / "c.png")], "coverage PNG"),
        (["trace", "generate", "calm_to_sad", "-o", str(read_only / "t.csv")], "output CSV"),
    ]
    assert main(["learn", "generate", "-o", str(tmp_path / "log"), "--listeners", "60", "--seed", "1"]) == 0
    log = next((tmp_path / "log").glob("*.csv"))
    cases.append((["learn", "fit", str(log), "-o", "taste", "--store", str(read_only / "store")], "model file"))
    for args, what in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        out, err = capsys.readouterr()
        assert err.count("\n") == 1 and f"cannot write the {what}" in err and "not writable" in err, err
        assert "coverage" not in out and "%" not in out, out  # no table printed first, no fit run
