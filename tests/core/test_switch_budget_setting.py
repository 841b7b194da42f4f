"""The cue's switch budget (adaptive.max_switches_per_minute) in the project file: default 2, null
or 0 for none, saved and read back, range-checked with the field named, set from the command line."""

from __future__ import annotations

import json

import pytest

from composer_assist.core import edit
from composer_assist.core.project import load_project, save_project

from project_testkit import run_cli
from test_model import error_of, minimal, write


def test_the_budget_defaults_to_2_and_round_trips(tmp_path):
    assert load_project(write(tmp_path, minimal())).cues[0].adaptive.max_switches_per_minute == 2
    data = minimal()
    data["cues"][0]["adaptive"] = {"max_switches_per_minute": 5}
    project = load_project(write(tmp_path, data))
    assert project.cues[0].adaptive.max_switches_per_minute == 5
    save_project(project, tmp_path / "again" / "project.json")
    saved = json.loads((tmp_path / "again" / "project.json").read_text())
    assert saved["cues"][0]["adaptive"]["max_switches_per_minute"] == 5
    assert load_project(tmp_path / "again").cues[0].adaptive.max_switches_per_minute == 5


@pytest.mark.parametrize("value, expected", [(None, 0), (0, 0), (1, 1), (3.0, 3)])
def test_null_or_zero_is_no_budget(tmp_path, value, expected):
    data = minimal()
    data["cues"][0]["adaptive"] = {"max_switches_per_minute": value}
    assert load_project(write(tmp_path, data)).cues[0].adaptive.max_switches_per_minute == expected


@pytest.mark.parametrize("value, message", [(-1, "-1 is outside [0, 600]"), (2.5, "expected a whole number"),
                                            ("two", "expected a whole number"), (601, "601 is outside")])
def test_a_bad_budget_names_the_field(tmp_path, value, message):
    data = minimal()
    data["cues"][0]["adaptive"] = {"max_switches_per_minute": value}
    msg = error_of(tmp_path, data)
    assert "cues[0].adaptive.max_switches_per_minute" in msg and message in msg


def test_set_reads_a_number_or_none(tmp_path):
    project = load_project(write(tmp_path, minimal()))
    edit.set_command(project, "c.adaptive.max_switches_per_minute", "4").apply(project)
    assert project.cues[0].adaptive.max_switches_per_minute == 4
    edit.set_command(project, "c.adaptive.max_switches_per_minute", "none").apply(project)
    assert project.cues[0].adaptive.max_switches_per_minute == 0
    with pytest.raises(edit.EditError, match="max_switches_per_minute"):
        edit.set_command(project, "c.adaptive.max_switches_per_minute", "-3")


def test_the_set_command_saves_it(tmp_path):
    write(tmp_path, minimal())
    run = run_cli("set", tmp_path, "c.adaptive.max_switches_per_minute", "1")
    assert run.returncode == 0, run.stderr
    assert load_project(tmp_path).cues[0].adaptive.max_switches_per_minute == 1
    bad = run_cli("set", tmp_path, "c.adaptive.max_switches_per_minute", "lots")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "whole number" in bad.stderr
