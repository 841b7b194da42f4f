"""`composer-assist evaluate`: live and planned on each trace, a table, the targets; folders of traces."""

from __future__ import annotations

import pytest

from composer_assist.cli.main import main
from composer_assist.services.trace_sets import MIN_SCENE_S, collect_traces


@pytest.mark.slow
def test_evaluate_two_short_traces_prints_rows_and_summary(root, capsys):
    traces = root / "projects" / "traces"
    args = ["evaluate", str(root / "projects" / "demo"), "--cue", "night_chase",
            str(traces / "pmemo_108.csv"), str(traces / "pmemo_634.csv")]
    assert main(args) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("PMEmo")]
    assert len(rows) == 4 and sum(" live " in r for r in rows) == 2 and sum(" planned " in r for r in rows) == 2
    assert "radius 0.5" in out and "summary over 2 traces" in out
    assert "median congruence (calibrated)" in out and "click excess 0" in out and "no sample over 0 dBFS" in out
    failed = "FAIL" in out
    assert main(args + ["--strict"]) == (1 if failed else 0)


def test_folders_and_film_scenes(realdata, root):
    scenes = collect_traces([realdata / "studyforrest_emotions"])
    # The film is cut at its music cues of at least 20 s (music.tsv beside it), each from 0.
    assert len(scenes) >= 60
    assert all(s.times[0] == 0.0 and s.duration >= MIN_SCENE_S - 1e-6 for s in scenes)
    assert "3540" not in scenes[0].name and scenes[0].name.endswith(" s")
    songs = collect_traces([realdata / "pmemo_samples"])  # README.txt skipped
    assert len(songs) == 4 and all(s.name.startswith("PMEmo") for s in songs)
    # The same songs converted to our CSV in projects/traces count once.
    both = collect_traces([realdata / "pmemo_samples", root / "projects" / "traces" / "pmemo_108.csv"])
    assert len(both) == 4


def test_errors_are_one_line_exit_2(root, tmp_path, capsys):
    demo = str(root / "projects" / "demo")
    assert main(["evaluate", demo, "--cue", "night_chase", str(tmp_path)]) == 2  # an empty folder
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and "no trace files" in err
    assert main(["evaluate", demo, "--cue", "nope", str(root / "projects" / "traces" / "pmemo_108.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_the_figures_measure_at_the_cues_own_radius_unless_told(root, tmp_path, capsys, monkeypatch):
    import json
    import shutil

    from composer_assist.adaptive import evaluation
    from composer_assist.services import evaluate

    demo = tmp_path / "demo"
    shutil.copytree(root / "projects" / "demo", demo, ignore=shutil.ignore_patterns("listeners"))
    data = json.loads((demo / "project.json").read_text())
    data["cues"][0]["adaptive"]["congruence_radius"] = 0.6
    (demo / "project.json").write_text(json.dumps(data))
    asked = []
    monkeypatch.setattr(evaluate, "evaluate_cue", lambda *a, radius=None, **k: asked.append(radius) or [])
    monkeypatch.setattr(evaluation, "format_table", lambda rows, radius: f"congruence at radius {radius:g}")
    trace = str(root / "projects" / "traces" / "pmemo_108.csv")
    assert main(["evaluate", str(demo), "--cue", "night_chase", trace]) == 0
    assert main(["evaluate", str(demo), "--cue", "night_chase", trace, "--radius", "0.5"]) == 0
    assert asked == [0.6, 0.5]  # before: 0.5 whatever the cue said
    assert "congruence at radius 0.6" in capsys.readouterr().out
