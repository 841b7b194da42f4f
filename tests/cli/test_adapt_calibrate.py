"""`adapt` calibrates a trace read from disk by default; `--no-calibrate` follows it as read."""

from __future__ import annotations

import json

import pytest

from composer_assist.cli.main import main


def test_adapt_calibrates_by_default_and_reports_raw_congruence(tmp_path, root, capsys, point_demo):
    trace = root / "projects" / "traces" / "forrest_excerpt_3540-3780.csv"
    args = ["adapt", str(point_demo), "--cue", "night_chase", "--trace", str(trace),
            "--duration", "20"]
    assert main([*args, "-o", str(tmp_path / "on")]) == 0
    out = capsys.readouterr().out
    on = json.loads((tmp_path / "on" / "decisions.json").read_text())
    assert on["settings"]["calibrate"] is True and on["quality"]["raw_congruence"] is not None
    assert "raw (the same music against the trace as read, uncalibrated)" in out
    assert "returns A->B->A" in out
    assert main([*args, "--no-calibrate", "-o", str(tmp_path / "off")]) == 0
    out = capsys.readouterr().out
    off = json.loads((tmp_path / "off" / "decisions.json").read_text())
    assert off["settings"]["calibrate"] is False and off["quality"]["raw_congruence"] is None
    assert "raw (the same" not in out


def test_adapt_calibrates_by_a_longer_recording_of_the_viewer(tmp_path, root, realdata, capsys, point_demo):
    """The forrest excerpt calibrated by the whole film it was cut from (3540 s into it)."""
    trace = root / "projects" / "traces" / "forrest_excerpt_3540-3780.csv"
    film = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    args = ["adapt", str(point_demo), "--cue", "night_chase", "--trace", str(trace),
            "--duration", "20", "--calibrate-from", str(film), "--calibrate-at", "3540"]
    assert main([*args, "-o", str(tmp_path / "film")]) == 0
    capsys.readouterr()
    log = json.loads((tmp_path / "film" / "decisions.json").read_text())
    assert log["settings"]["calibrated_by"] == {"recording": "studyforrest ioats_2s_av_allchar", "at": 3540.0}
    assert main([*args[:-4], "-o", str(tmp_path / "alone")]) == 0
    alone = json.loads((tmp_path / "alone" / "decisions.json").read_text())
    assert alone["settings"]["calibrated_by"] is None
    # Calibrated by the film, not by its own four minutes: another curve, so other figures.
    assert log["quality"] != alone["quality"]


@pytest.mark.parametrize("cmd,extra,says", [
    ("adapt", ["--calibrate-at", "10"], "--calibrate-at needs --calibrate-from"),
    ("adapt", ["--calibrate-from", "FILM", "--calibrate-at", "99999"], "--calibrate-at 99999 s is outside"),
    ("adapt", ["--calibrate-from", "FILM", "--calibrate-at", "soon"], "--calibrate-at 'soon': expected a number"),
    ("adapt", ["--calibrate-from", "FILM", "--no-calibrate"], "cannot go with --no-calibrate"),
    ("adapt", ["--calibrate-from", "missing.csv"], "missing.csv"),
    ("play", ["--calibrate-from", "FILM"], "--calibrate-from needs --trace"),
])
def test_calibrate_from_bad_input_is_one_line_exit_2(cmd, extra, says, tmp_path, root, realdata, capsys, point_demo):
    film = str(realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv")
    args = [cmd, str(point_demo), "--cue", "night_chase", *[film if x == "FILM" else x for x in extra]]
    if cmd == "adapt":
        args += ["--trace", str(root / "projects" / "traces" / "calm_to_sad.csv"), "-o", str(tmp_path / "o")]
    else:
        args += ["--null"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and says in err, err


def test_a_duration_past_the_trace_says_the_last_reading_holds(tmp_path, root, capsys, point_demo):
    trace = tmp_path / "short.csv"
    trace.write_text("time,valence,arousal\n0,0.5,-0.5\n4,-0.6,-0.5\n")
    assert main(["adapt", str(point_demo), "--cue", "night_chase", "--trace", str(trace), "--duration", "6",
                 "-o", str(tmp_path / "o")]) == 0
    # before: 6 s rendered and nothing said of the 2 s the trace does not cover
    assert "note: the trace ends at 4 s; its last reading holds to --duration 6 s" in capsys.readouterr().err


def test_a_one_reading_trace_names_its_file_and_asks_for_a_duration(tmp_path, root, capsys, point_demo):
    trace = tmp_path / "onerow.csv"
    trace.write_text("time,valence,arousal\n0,0.5,-0.5\n")
    assert main(["adapt", str(point_demo), "--cue", "night_chase", "--trace", str(trace),
                 "-o", str(tmp_path / "o")]) == 2
    # before: "onerow: a duration of 0 s is not one to render (at most 12 h)"
    err = capsys.readouterr().err
    assert f"{trace}: one reading spans no time" in err and "give a --duration" in err, err
