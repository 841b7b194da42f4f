"""learn generate writes a SYNTHETIC population and never replaces what it did not write itself."""

from __future__ import annotations

from pathlib import Path

from composer_assist.cli.main import main
MARKER = ".learn-generate.json"  # the list of what generate wrote, beside its files

REAL = "listener,timestamp,cue,variant,valence,arousal,kept,dwell,rating,physio\n" \
       "REAL1,1700000000,night_chase,calm,0.1,0.2,1,10,,\n"


def _generate(folder: Path, *extra: str) -> int:
    return main(["learn", "generate", "-o", str(folder), "--listeners", "10", "--events-per-listener", "3", *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_real_feedback_log_is_not_replaced(tmp_path, capsys):
    """QA: generate -o reallogs replaced a real feedback.csv and README without a word."""
    logs = tmp_path / "reallogs"
    logs.mkdir()
    (logs / "feedback.csv").write_text(REAL)
    (logs / "README.txt").write_text("our study, wave 2\n")
    before = _snapshot(logs)
    capsys.readouterr()
    assert _generate(logs) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"error: {logs / 'feedback.csv'}: exists and was not written by learn generate, or "
                                 f"was changed since (and README.txt); nothing was written: choose another -o folder, "
                                 f"or give --force to replace them\n")
    assert _snapshot(logs) == before  # nothing replaced, nothing added


def test_any_file_generate_would_write_is_protected(tmp_path, capsys):
    for name in ("variants.json", "planted.csv", MARKER):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_text("{}\n")
        assert _generate(folder) == 2, name
        assert f"{folder / name}: exists and was not written by learn generate" in capsys.readouterr().err
        assert _snapshot(folder) == {name: b"{}\n"}


def test_its_own_output_is_replaced_but_not_once_edited_unless_forced(tmp_path, capsys):
    out = tmp_path / "pop"
    assert _generate(out, "--seed", "1") == 0
    assert _generate(out, "--seed", "2") == 0  # its own files: replaced, as before
    assert _generate(out, "--seed", "2", "--format", "jsonl") == 0
    assert _generate(out, "--seed", "3") == 0  # the CSV of seed 2, still unchanged, is its own too
    first = (out / "feedback.csv").read_text()
    # and the jsonl of seed 2, which no longer matches planted.csv, is gone
    assert "(seed 3)" in first and not (out / "feedback.jsonl").exists()
    with open(out / "feedback.csv", "a") as fh:  # real rows appended to the synthetic log
        fh.write("REAL1,1700000000,night_chase,calm,0.1,0.2,1,10,,\n")
    edited = (out / "feedback.csv").read_bytes()
    capsys.readouterr()
    assert _generate(out, "--seed", "4") == 2
    assert "feedback.csv: exists and was not written by learn generate, or was changed since; nothing was written" \
        in capsys.readouterr().err
    assert (out / "feedback.csv").read_bytes() == edited
    assert _generate(out, "--seed", "4", "--force") == 0
    assert "(seed 4)" in (out / "feedback.csv").read_text() and b"REAL1" not in (out / "feedback.csv").read_bytes()
    assert _generate(out, "--seed", "5") == 0  # what --force wrote is its own again


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "feedback.csv"
    target.write_text(REAL)
    assert _generate(target, "--force") == 2
    assert capsys.readouterr().err == f"error: {target}: exists and is not a folder (-o names the folder to write " \
                                      f"the population into)\n"
    assert target.read_text() == REAL
