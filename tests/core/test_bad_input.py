"""Hostile input through the real CLI: every refusal is exit status 2 and one ``error:`` line
naming the file (and field), with no traceback, no hang and nothing changed on disk.

The files are built at run time: malformed, oversized (sparse), a FIFO, /dev/zero, symlinks out
of the project, deep nesting, numbers of hundreds or thousands of digits, runaway traces.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Callable

import pytest

from composer_assist.core.project import SCHEMA_VERSION

from project_testkit import run_cli, snapshot, write_midi

MiB = 1024 * 1024


# ---- builders: each makes its files under ``tmp`` and returns (path, names the error must contain) ----
def valid_project() -> dict:
    return {"schema_version": SCHEMA_VERSION, "name": "t", "sample_rate": 48000,
            "cues": [{"name": "c", "tempo": 120, "meter": "4/4", "length_bars": 4,
                      "variants": [{"name": "a", "valence": 0, "arousal": 0,
                                    "layers": [{"name": "l", "instrument": {"plugin": "pad"},
                                                "clips": [{"start": 0, "notes": [[0, 1, 60, 100]]}]}]}]}]}


def project_with(tmp: Path, text: str | bytes | None = None, data: dict | None = None) -> Path:
    proj = tmp / "proj"
    proj.mkdir(exist_ok=True)
    if data is not None:
        text = json.dumps(data)
    if text is not None:
        (proj / "project.json").write_bytes(text.encode() if isinstance(text, str) else text)
    return proj


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def dev_zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def clip_field(data: dict, file: str) -> dict:
    data["cues"][0]["variants"][0]["layers"][0]["clips"][0] = {"start": 0, "file": file}
    return data


CLIP0 = "cues[0].variants[0].layers[0].clips[0].file"


def _p_clip_link_out(tmp):
    outside = write_midi(tmp / "outside" / "secret.mid")
    proj = project_with(tmp, data=clip_field(valid_project(), "clips/x.mid"))
    (proj / "clips").mkdir()
    (proj / "clips" / "x.mid").symlink_to(outside)
    return proj, ["project.json", CLIP0, "leads outside the project folder"]


def _p_clips_link_out(tmp):
    (tmp / "elsewhere").mkdir()
    proj = project_with(tmp, data=valid_project())
    (proj / "clips").symlink_to(tmp / "elsewhere")
    return proj, ["clips", "leads outside the project folder"]


def _p_clips_is_a_file(tmp):
    proj = project_with(tmp, data=valid_project())
    (proj / "clips").write_text("not a folder")
    return proj, [str(proj / "clips"), "is not a folder"]


def _p_is_a_folder(tmp):
    proj = project_with(tmp)
    (proj / "project.json").mkdir()
    return proj, ["project.json", "is a folder"]


def _big_int_field(tmp):
    data = valid_project()
    data["sample_rate"] = int("9" * 400)
    return project_with(tmp, data=data), ["project.json", "sample_rate", "far too large"]


def _inf_field(tmp):
    text = json.dumps(valid_project()).replace('"tempo": 120', '"tempo": 1e999')
    return project_with(tmp, text), ["project.json", "cues[0].tempo", "not a finite number"]


def _typo_field(tmp):
    data = valid_project()
    data["cues"][0]["variants"][0]["layers"][0]["gain"] = 3
    return project_with(tmp, data=data), ["project.json", "cues[0].variants[0].layers[0].gain", "unknown field"]


PROJECTS: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "malformed-json": lambda t: (project_with(t, '{"schema_version": 1, "name": '), ["project.json", "line 1",
                                                                                 "invalid JSON"]),
    "not-utf8": lambda t: (project_with(t, b'{"name": "\xff\xfe"}'), ["project.json", "not UTF-8"]),
    "fifo": lambda t: (fifo(project_with(t) / "project.json").parent, ["project.json", "not a regular file"]),
    "dev-zero": lambda t: (dev_zero(project_with(t) / "project.json").parent, ["project.json",
                                                                               "not a regular file"]),
    "oversized": lambda t: (sparse(project_with(t) / "project.json", 65 * MiB).parent, ["project.json",
                                                                                       "larger than the 64 MiB"]),
    "deep-nesting": lambda t: (project_with(t, "[" * 100_000 + "]" * 100_000), ["project.json",
                                                                               "nested too deeply"]),
    "400-digit-integer": _big_int_field,
    "5000-digit-integer": lambda t: (project_with(t, '{"schema_version": ' + "7" * 5000 + "}"),
                                     ["project.json", "thousands of digits"]),
    "infinite-number": _inf_field,
    "unknown-field": _typo_field,
    "clip-symlink-out": _p_clip_link_out,
    "clip-dotdot": lambda t: (project_with(t, data=clip_field(valid_project(), "../outside.mid")),
                              ["project.json", CLIP0, "inside the project folder"]),
    "project-json-is-a-folder": _p_is_a_folder,
}


def _import_args(tmp: Path, proj: Path, mid: Path | None = None) -> list:
    mid = mid or write_midi(tmp / "in.mid")
    return ["import-midi", mid, proj, "--cue", "c", "--variant", "a", "--layer", "new"]


def assert_refused(result, names: list[str], before: dict, after: dict) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert after == before, "the command changed files on disk"


# ---- import-midi -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(PROJECTS))
def test_import_midi_into_a_hostile_project(tmp_path, case):
    proj, names = PROJECTS[case](tmp_path)
    args = _import_args(tmp_path, proj)
    before = snapshot(tmp_path)
    assert_refused(run_cli(*args, cwd=tmp_path), names, before, snapshot(tmp_path))


@pytest.mark.parametrize("case", ["clips-is-a-file", "clips-symlink-out"])
def test_import_midi_refuses_a_bad_clips_folder_before_any_work(tmp_path, case):
    proj, names = (_p_clips_is_a_file if case == "clips-is-a-file" else _p_clips_link_out)(tmp_path)
    args = _import_args(tmp_path, proj)
    before = snapshot(tmp_path)
    assert_refused(run_cli(*args, cwd=tmp_path), names, before, snapshot(tmp_path))


MIDIS: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "fifo": lambda t: (fifo(t / "in.mid"), ["in.mid", "not a regular file"]),
    "dev-zero": lambda t: (dev_zero(t / "in.mid"), ["in.mid", "not a regular file"]),
    "oversized": lambda t: (sparse(t / "in.mid", 17 * MiB), ["in.mid", "larger than the 16 MiB"]),
    "truncated": lambda t: (t / "in.mid", ["in.mid"]),
    "garbage": lambda t: (t / "in.mid", ["in.mid"]),
    "folder": lambda t: (t / "in.mid", ["in.mid", "is a folder"]),
}


@pytest.mark.parametrize("case", sorted(MIDIS))
def test_import_midi_of_a_hostile_midi_file(tmp_path, case):
    mid, names = MIDIS[case](tmp_path)
    if case == "truncated":
        mid.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x00\x90")
    elif case == "garbage":
        mid.write_bytes(random.Random(7).randbytes(5000))
    elif case == "folder":
        mid.mkdir()
    proj = project_with(tmp_path, data=valid_project())
    before = snapshot(tmp_path)
    assert_refused(run_cli(*_import_args(tmp_path, proj, mid), cwd=tmp_path), names, before, snapshot(tmp_path))


# ---- render (a malformed project only: no audio is rendered) -------------------------------------
@pytest.mark.parametrize("case", ["malformed-json", "fifo", "deep-nesting", "400-digit-integer", "unknown-field",
                                  "clip-symlink-out"])
def test_render_of_a_hostile_project(tmp_path, case):
    proj, names = PROJECTS[case](tmp_path)
    before = snapshot(tmp_path)
    result = run_cli("render", proj, "-o", tmp_path / "out", cwd=tmp_path)
    assert_refused(result, names, before, snapshot(tmp_path))
    assert not (tmp_path / "out").exists()


# ---- traces: trace info and trace convert ---------------------------------------------------------
def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _csv(rows: list[str], header: str = "time_s,valence,arousal") -> str:
    return header + "\n" + "\n".join(rows) + "\n"


def _ten_million_rows(t: Path):
    with open(t / "rows.csv", "w") as fh:
        fh.write("time_s,valence,arousal\n")
        fh.write("0,0,0\n" * 10_000_000)
    return t / "rows.csv", ["rows.csv", "10,000,002 lines", "more than a trace file may have"]


def _fifty_mb_field(t: Path):
    with open(t / "field.csv", "w") as fh:
        fh.write("time_s,valence,arousal\n0,0.1,-0.1\n1,")
        fh.write("1" * (50 * 1000 * 1000))
        fh.write(",0\n")
    return t / "field.csv", ["field.csv", "line 3", "50,000,005 characters"]


TRACES: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "fifo": lambda t: (fifo(t / "tr.csv"), ["tr.csv", "not a regular file"]),
    "dev-zero": lambda t: (dev_zero(t / "tr.csv"), ["tr.csv", "not a regular file"]),
    "oversized": lambda t: (sparse(t / "tr.csv", 65 * MiB), ["tr.csv", "larger than the 64 MiB"]),
    "folder": lambda t: ((t / "tr.csv").mkdir() or t / "tr.csv", ["tr.csv", "is a folder"]),
    "malformed-json": lambda t: (_write(t / "tr.json", '{"time": [0, 1], "valence": [0.1,'),
                                 ["tr.json", "line 1", "invalid JSON"]),
    "deep-json": lambda t: (_write(t / "tr.json", '{"time": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                            ["tr.json", "nested too deeply"]),
    "deep-json-value": lambda t: (_write(t / "tr.json", '{"time": [0, 1], "valence": [' + "[" * 500 + "]" * 500
                                         + ', 0], "arousal": [0, 0]}'), ["tr.json", "valence[0]"]),
    "json-400-digits": lambda t: (_write(t / "tr.json", '{"time": [0, 1], "valence": [' + "1" * 400
                                         + ', 0], "arousal": [0, 0]}'),
                                  ["tr.json", "valence[0]", "400-digit integer is far too large"]),
    "json-5000-digits": lambda t: (_write(t / "tr.json", '{"time": [0, ' + "1" * 5000 + "]}"),
                                   ["tr.json", "thousands of digits"]),
    "samples-400-digits": lambda t: (_write(t / "tr.json", '{"samples": [{"t": ' + "3" * 400
                                            + ', "valence": 0, "arousal": 0}]}'), ["tr.json", "samples[0].t"]),
    "pmemo-400-digits": lambda t: (_write(t / "tr.json", '{"dynamic": {"t": [0, 0.5], "v": [0.5, ' + "2" * 400
                                          + '], "a": [0.5, 0.5]}}'), ["tr.json", "dynamic.v[1]"]),
    "csv-400-digits": lambda t: (_write(t / "tr.csv", _csv(["0,0.1,-0.1", "1," + "1" * 400 + ",0"])),
                                 ["tr.csv", "line 3", "valence", "far too large"]),
    "csv-50mb-field": _fifty_mb_field,
    "csv-no-header": lambda t: (_write(t / "tr.csv", "0,0.1,0.2\n1,0.2,0.3\n"), ["tr.csv", "line 1", "no header"]),
    "not-utf8": lambda t: (_write(t / "tr.csv", "") and None or ((t / "tr.csv").write_bytes(b"time_s,v\xff\n")
                                                                 and t / "tr.csv"), ["tr.csv", "not UTF-8"]),
    "milliseconds-under-seconds": lambda t: (_write(t / "tr.csv", _csv([f"{i * 500},0.1,-0.1" for i in range(3000)])),
                                             ["tr.csv", "longer than the 86400 s", "milliseconds"]),
    "ten-million-rows": _ten_million_rows,
    "1e9-second-gap": lambda t: (_write(t / "tr.csv", _csv(["0,0.1,-0.1", "1,0.2,-0.2", "1000000001,0.1,0.1"])),
                                 ["tr.csv", "line 4", "step of 1e+09 s", "longer than the 3600 s"]),
    "json-1e9-gap": lambda t: (_write(t / "tr.json", '{"time": [0, 1e9], "valence": [0, 0], "arousal": [-0.5, 0]}'),
                               ["tr.json", "time[1]", "longer than the 3600 s"]),
    "studyforrest-400-digits": lambda t: (_write(t / "sf.csv", "arousal,valence,direction\n0.1,0.2,0\n0.1,"
                                                 + "5" * 400 + ",0\n"), ["sf.csv", "line 3", "valence"]),
}


@pytest.mark.parametrize("command", ["info", "convert"])
@pytest.mark.parametrize("case", sorted(TRACES))
def test_trace_commands_on_a_hostile_trace(tmp_path, case, command):
    path, names = TRACES[case](tmp_path)
    extra = ["-o", tmp_path / "out.csv"] if command == "convert" else []
    before = snapshot(tmp_path)
    result = run_cli("trace", command, path, *extra, cwd=tmp_path)
    assert_refused(result, names, before, snapshot(tmp_path))


# ---- output paths ---------------------------------------------------------------------------------
def _good_trace(tmp: Path) -> Path:
    return _write(tmp / "good.csv", _csv([f"{i},0.1,-0.{i}" for i in range(5)]))


@pytest.mark.parametrize("command", ["convert", "plot"])
@pytest.mark.parametrize("output", ["folder", "under-a-file", "device"])
def test_trace_output_that_cannot_be_a_file_fails_first(tmp_path, command, output):
    good = _good_trace(tmp_path)
    if output == "folder":
        out = tmp_path / "outdir"
        out.mkdir()
        names = [str(out), "is a folder"]
    elif output == "under-a-file":
        out = tmp_path / "good.csv" / "x.png"
        names = [str(out), "is a file, not a folder"]
    else:
        out = dev_zero(tmp_path / "out.link")
        names = [str(out), "not a regular file"]
    before = snapshot(tmp_path)
    result = run_cli("trace", command, good, "-o", out, cwd=tmp_path)
    assert_refused(result, names, before, snapshot(tmp_path))


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e9"])
def test_max_gap_out_of_range_is_refused(tmp_path, value):
    good = _good_trace(tmp_path)
    before = snapshot(tmp_path)
    result = run_cli("trace", "info", good, f"--max-gap={value}", cwd=tmp_path)
    assert result.returncode == 2
    assert "argument --max-gap" in result.stderr and "is not a number of seconds from 0 to 86400" in result.stderr
    assert "Traceback" not in result.stderr and snapshot(tmp_path) == before


@pytest.mark.parametrize("where, text, said", [
    ("cue", "a\u001b]0;pwned\u0007\u001b[2J", "cues[0].name: contains the control character U+001B"),
    ("project", "x\ud800", "name: contains the lone surrogate U+D800"),
    ("variant", "calm\nsad", "cues[0].variants[0].name: contains the control character U+000A"),
])
def test_names_a_terminal_would_act_on_are_refused(tmp_path, where, text, said):
    data = valid_project()
    target = {"project": data, "cue": data["cues"][0], "variant": data["cues"][0]["variants"][0]}[where]
    target["name"] = text
    proj = project_with(tmp_path, data=data)
    # before: valid, and `show` printed the escapes raw (the terminal's title set, its screen
    # cleared) or stopped with a UnicodeEncodeError traceback
    done = run_cli("validate", proj)
    assert done.returncode == 2 and said in done.stderr and "\x1b" not in done.stderr + done.stdout


def test_text_the_terminal_cannot_encode_is_printed_escaped(tmp_path):
    trace = tmp_path / "sur.json"
    trace.write_text('{"name": "x\\ud800y", "time": [0, 1, 2], "valence": [-0.1, 0.1, 0.1], '
                     '"arousal": [0.2, 0.2, 0.2]}')
    done = run_cli("trace", "info", trace)  # before: UnicodeEncodeError traceback
    assert done.returncode == 0 and "x\\ud800y" in done.stdout, done.stderr


def test_a_key_given_twice_is_refused_not_silently_halved(tmp_path):
    text = json.dumps(valid_project()).replace('"valence": 0,', '"valence": 0.8, "valence": 0,', 1)
    proj = project_with(tmp_path, text=text)
    before = snapshot(proj)
    done = run_cli("validate", proj)  # before: valid, the 0.8 typed first gone at the next save
    assert done.returncode == 2 and "invalid JSON: the key 'valence' appears twice in one object" in done.stderr
    assert snapshot(proj) == before
    trace = tmp_path / "t.json"
    trace.write_text('{"time": [0, 1], "valence": [0.1, -0.1], "arousal": [0, 0], "time": [0, 2]}')
    done = run_cli("trace", "info", trace)
    assert done.returncode == 2 and "t.json: invalid JSON: the key 'time' appears twice" in done.stderr
