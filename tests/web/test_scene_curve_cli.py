"""`export --scene-curve`: a bad curve is refused in one line naming the file, before any render,
and no package folder is left behind."""

from __future__ import annotations

from composer_assist.cli.main import main


def test_a_bad_scene_curve_is_one_line_and_exit_2(root, tmp_path, capsys):
    bad = tmp_path / "scene.csv"
    bad.write_text("# scale: [-1,1]\ntime_s,valence,arousal\n0,0.1,0.2\n1,abc,0.3\n", encoding="utf-8")
    out = tmp_path / "pkg"
    assert main(["export", str(root / "projects" / "demo"), "--cue", "night_chase", "-o", str(out), "--web",
                 "--scene-curve", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "scene.csv" in err and "abc" in err, err
    assert not out.exists() and not list(tmp_path.glob(".pkg.export-*"))


def test_play_package_writes_decisions_when_it_follows_the_scene_curve_or_nothing(web_package, tmp_path, capsys):
    import json

    _served, pkg, _sensed, _scene = web_package
    for emotion, followed in (("scene", "scene_curve.json"), ("off", None)):
        dec = tmp_path / f"{emotion}.json"
        # before: a TypeError traceback (no --trace to name), and neither file written
        assert main(["play-package", str(pkg), "--emotion", emotion, "--decisions", str(dec),
                     "-o", str(tmp_path / f"{emotion}.wav")]) == 0, capsys.readouterr().err
        data = json.loads(dec.read_text())
        assert (data["emotion"], data["trace"]) == (emotion, followed) and data["decisions"]
        assert (tmp_path / f"{emotion}.wav").stat().st_size > 1000
