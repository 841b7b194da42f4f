"""`composer-assist coverage`: figures per trace, a suggestion, a PNG; errors in one line."""

from __future__ import annotations

from composer_assist.cli.main import main


def test_coverage_prints_figures_and_draws_the_plane(root, tmp_path, capsys, point_demo):
    traces = root / "projects" / "traces"
    png = tmp_path / "cov.png"
    assert main(["coverage", str(point_demo), "--cue", "night_chase",
                 str(traces / "action_chase.csv"), str(traces / "pmemo_372.csv"), "-o", str(png)]) == 0
    out = capsys.readouterr().out
    assert "radius 0.5" in out and "action_chase" in out and "PMEmo 372" in out and "overall" in out
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_real_studyforrest_and_pmemo_traces(root, realdata, capsys, point_demo):
    assert main(["coverage", str(point_demo), "--cue", "night_chase", "--radius", "0.5",
                 str(realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"),
                 str(realdata / "pmemo_samples" / "108.DERIVED.json")]) == 0
    out = capsys.readouterr().out
    assert "radius 0.5" in out and "studyforrest" in out and "add a variant near valence" in out


def test_errors_are_one_line_exit_2(root, tmp_path, capsys, point_demo):
    demo = str(point_demo)
    trace = str(root / "projects" / "traces" / "action_chase.csv")
    assert main(["coverage", demo, "--cue", "nope", trace]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
    assert main(["coverage", demo, "--cue", "night_chase", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_folders_are_read_whole(root, realdata, capsys, point_demo):
    assert main(["coverage", str(point_demo), "--cue", "night_chase",
                 str(realdata / "pmemo_samples"), str(realdata / "studyforrest_emotions")]) == 0
    out = capsys.readouterr().out
    assert out.count("PMEmo") == 4 and "studyforrest" in out and "overall" in out
