"""`adapt` calibrates a trace read from disk by default; `--no-calibrate` follows it as read."""

from __future__ import annotations

import json

from composer_assist.cli.main import main


def test_adapt_calibrates_by_default_and_reports_raw_congruence(tmp_path, root, capsys):
    trace = root / "projects" / "traces" / "forrest_excerpt_3540-3780.csv"
    args = ["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(trace),
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
