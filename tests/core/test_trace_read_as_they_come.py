"""Traces read as they come: any numeric scale range, JSON with a named time key, wide CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import TraceError
from composer_assist.core.trace import detect_format, load_trace
from composer_assist.core.trace.scale import parse_scale


# --- 1. any scale range -------------------------------------------------------------------------

def _csv(tmp_path, body, name="t.csv"):
    p = tmp_path / name
    p.write_text(body)
    return p


def test_a_numeric_range_maps_linearly_onto_signed(tmp_path):
    p = _csv(tmp_path, "time_s,valence,arousal\n0,0.5,9.5\n1,5,2.75\n")
    tr = load_trace(p, scale="0.5,9.5")
    assert tr.valence == pytest.approx([-1.0, 0.0]) and tr.arousal == pytest.approx([1.0, -0.5])
    assert load_trace(p, scale="[0.5, 9.5]").valence == pytest.approx([-1.0, 0.0])


def test_named_scales_still_work_and_equal_ranges_are_the_same_scale(tmp_path):
    assert parse_scale("unit", "") == parse_scale("0,1", "") == parse_scale("0.0,1.0", "") == "[0,1]"
    assert parse_scale("sam", "") == parse_scale("1,9", "") == "[1,9]"
    assert parse_scale("signed", "") == parse_scale("-1,1", "") == "[-1,1]"
    assert parse_scale("0.5,9.5", "") == "[0.5,9.5]"
    p = _csv(tmp_path, "# scale: [0,1]\ntime_s,valence,arousal\n0,0.1,0.2\n1,0.3,0.4\n")
    load_trace(p, scale="0.0,1")  # same scale spelt differently: no conflict
    with pytest.raises(TraceError, match="says \\[0,1\\] but --scale says \\[0.5,9.5\\]"):
        load_trace(p, scale="0.5,9.5")


@pytest.mark.parametrize("text, message", [("9.5,0.5", "low end must be below"), ("1,nan", "unknown scale"),
                                           ("0,1,2", "unknown scale"), ("huge", "unknown scale")])
def test_bad_ranges_are_one_line(tmp_path, text, message):
    p = _csv(tmp_path, "time_s,valence,arousal\n0,1,2\n1,3,4\n")
    with pytest.raises(TraceError, match=message) as exc:
        load_trace(p, scale=text)
    assert str(exc.value).startswith(str(p)) and "\n" not in str(exc.value)


def test_a_value_outside_the_range_names_its_line(tmp_path):
    p = _csv(tmp_path, "time_s,valence,arousal\n0,1,2\n1,3,9.7\n")
    with pytest.raises(TraceError, match=r"line 3: arousal = 9.7 is outside the \[0.5,9.5\] scale"):
        load_trace(p, scale="0.5,9.5")


def test_unit_values_without_a_scale_are_refused_suggesting_scale_0_1(tmp_path, capsys):
    p = _csv(tmp_path, "time_s,valence,arousal\n0,0.1,0.2\n1,0.3,0.4\n")
    assert main(["trace", "info", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ambiguous" in err and "--scale 0,1" in err and "unit" in err
    for args in (["--scale", "0,1"], ["--scale", "unit"], ["--scale=-1,1"]):
        assert main(["trace", "info", str(p), *args]) == 0


def test_trace_commands_take_a_range(tmp_path, capsys):
    p = _csv(tmp_path, "time_s,valence,arousal\n0,0.5,9.5\n1,5,5\n")
    out = tmp_path / "o.csv"
    assert main(["trace", "convert", str(p), "--scale", "0.5,9.5", "-o", str(out)]) == 0
    assert load_trace(out).valence == pytest.approx([-1.0, 0.0])
    assert main(["trace", "plot", str(p), "--scale", "0.5,9.5", "-o", str(tmp_path / "o.png")]) == 0


@pytest.mark.parametrize("command", ["adapt", "play"])
def test_adapt_and_play_take_scale(tmp_path, root, capsys, command):
    p = _csv(tmp_path, "time_s,valence,arousal\n0,0.1,0.2\n10,0.3,0.4\n")
    base = [command, str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(p),
            "--listener-cluster", "1"]
    if command == "adapt":
        base += ["-o", str(tmp_path / "out")]
    assert main(base) == 2
    assert "--scale 0,1" in capsys.readouterr().err
    # With the scale the trace loads; the next check (cluster without profiles) is what fails.
    assert main(base + ["--scale", "0,1"]) == 2
    assert "--listener-cluster needs --profiles" in capsys.readouterr().err


# --- 2. JSON with a named time key -----------------------------------------------------------------

def _json(tmp_path, data, name="t.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_json_rows_with_a_timestamp_key_any_case(tmp_path):
    p = _json(tmp_path, [{"TimeStamp": 0.5, "Valence": -0.2, "Arousal": 0.3, "HR": 70},
                         {"TimeStamp": 1.0, "Valence": -0.1, "Arousal": 0.4, "HR": 71}])
    tr = load_trace(p)
    assert list(tr.times) == [0.5, 1.0] and tr.valence == pytest.approx([-0.2, -0.1])
    assert list(tr.channels) == ["HR"]


@pytest.mark.parametrize("key, factor", [("Time", 1), ("t", 1), ("timestamp", 1), ("Seconds", 1),
                                         ("time_s", 1), ("SEC", 1), ("ms", 1e-3), ("Milliseconds", 1e-3)])
def test_json_columns_with_common_time_keys(tmp_path, key, factor):
    p = _json(tmp_path, {key: [0, 500, 1000], "Valence": [-0.2, 0, 0.2], "AROUSAL": [0.1, 0.2, 0.3]})
    assert load_trace(p).times == pytest.approx(np.array([0, 500, 1000]) * factor)


def test_json_time_key_named_explicitly(tmp_path, capsys):
    rows = [{"frame_time": 2.0 * i, "valence": -0.1, "arousal": 0.1 * i} for i in range(3)]
    p = _json(tmp_path, {"samples": rows})
    with pytest.raises(TraceError, match=r"samples\[0\]\.time: is required but missing .*--time-key"):
        load_trace(p)
    assert list(load_trace(p, time_key="Frame_Time").times) == [0.0, 2.0, 4.0]
    with pytest.raises(TraceError, match=r"samples\[0\]\.when: is required but missing"):
        load_trace(p, time_key="when")
    assert main(["trace", "info", str(p), "--time-key", "frame_time"]) == 0
    cols = _json(tmp_path, {"frame": [0, 1], "valence": [0, 0.1], "arousal": [0, -0.1]}, "c.json")
    assert list(load_trace(cols, time_key="frame").times) == [0.0, 1.0]


def test_csv_time_column_named_explicitly(tmp_path):
    p = _csv(tmp_path, "Frame_Time,valence,arousal\n0,0.1,-0.2\n2,0.3,-0.4\n")
    assert list(load_trace(p, time_key="frame_time").times) == [0.0, 2.0]


def test_json_mixed_time_units_across_rows_are_refused(tmp_path):
    p = _json(tmp_path, [{"t": 0, "valence": 0, "arousal": -0.5}, {"ms": 500, "valence": 0, "arousal": -0.5}])
    with pytest.raises(TraceError, match=r"t.json: \[1\]\.ms: milliseconds here but seconds"):
        load_trace(p)


def test_json_row_limits_apply_to_a_top_level_array(tmp_path, monkeypatch):
    from composer_assist.core.trace import json_read
    monkeypatch.setattr(json_read, "MAX_TRACE_SAMPLES", 2)
    p = _json(tmp_path, [{"t": i, "valence": 0, "arousal": -0.5} for i in range(3)])
    with pytest.raises(TraceError, match="more than the 2 samples"):
        load_trace(p)


# --- 3. wide CSV -------------------------------------------------------------------------------------

def _deam(tmp_path):
    v = _csv(tmp_path, "song_id,sample_15000ms,sample_15500ms,sample_16000ms\n2,-0.1,-0.2,0.1\n3,0.3,0.2,\n",
             "valence.csv")
    a = _csv(tmp_path, "song_id,sample_15000ms,sample_15500ms,sample_16000ms\n2,0.1,0.2,0.3\n3,0.5,0.4,\n",
             "arousal.csv")
    return v, a


def test_wide_csv_one_file_per_dimension(tmp_path):
    v, a = _deam(tmp_path)
    assert detect_format(v)[0] == "wide"
    tr = load_trace(v, item="2", pair=a)
    assert list(tr.times) == [15.0, 15.5, 16.0]
    assert tr.valence == pytest.approx([-0.1, -0.2, 0.1]) and tr.arousal == pytest.approx([0.1, 0.2, 0.3])
    short = load_trace(a, item="3", pair=v, scale="-1,1")  # either file first; an item ending earlier
    assert list(short.times) == [15.0, 15.5] and short.valence == pytest.approx([0.3, 0.2])
    assert load_trace(v, item="1", pair=a, scale="-1,1").valence == pytest.approx([0.3, 0.2])  # index 1: id 3


def test_wide_csv_with_a_dimension_column(tmp_path, capsys):
    p = _csv(tmp_path, "song_id,dimension,15,15.5,t16\n108,valence,0.6,0.7,0.8\n108,arousal,0.5,0.5,0.6\n"
                       "372,Arousal,0.8,0.8,0.9\n372,Valence,0.2,0.1,0.2\n", "dyn.csv")
    tr = load_trace(p, item="372", scale="0,1")
    assert list(tr.times) == [15.0, 15.5, 16.0] and tr.arousal == pytest.approx([0.6, 0.6, 0.8])
    assert main(["trace", "convert", str(p), "--item", "108", "--scale", "unit", "-o", str(tmp_path / "o.csv")]) == 0


@pytest.mark.parametrize("kwargs, message", [
    ({}, "valence.csv: a wide CSV .* choose the row with --item NAME_OR_INDEX"),
    ({"item": "2"}, "valence.csv: one row per item holds one dimension: give the other file with --pair FILE"),
    ({"item": "7", "pair": "arousal.csv"}, r"valence.csv: no item '7' \(ids: 2, 3; or give a 0-based index below 2\)"),
    ({"item": "2", "pair": "other.csv"}, "cannot tell which of .* is valence and which arousal"),
])
def test_ambiguous_wide_csv_is_refused_in_one_line(tmp_path, kwargs, message):
    v, a = _deam(tmp_path)
    _csv(tmp_path, a.read_text(), "other.csv")
    if "pair" in kwargs:
        kwargs["pair"] = tmp_path / kwargs["pair"]
    with pytest.raises(TraceError, match=message) as exc:
        load_trace(v, **kwargs)
    assert "\n" not in str(exc.value)


def test_wide_csv_bad_cells_name_line_and_column(tmp_path):
    p = _csv(tmp_path, "id,dim,15,15.5\nx,valence,0.1,abc\nx,arousal,0.1,0.2\n", "w.csv")
    with pytest.raises(TraceError, match="w.csv: line 2: column 15.5: 'abc' is not a number"):
        load_trace(p, item="x")
    p = _csv(tmp_path, "id,dim,15,15.5\nx,valence,0.1,0.2\nx,mood,0.1,0.2\n", "w2.csv")
    with pytest.raises(TraceError, match="w2.csv: line 3: column dim: 'mood' is not valence or arousal"):
        load_trace(p, item="x")
    p = _csv(tmp_path, "id,dim,15,15.5\nx,valence,0.1,0.2\n", "w3.csv")
    with pytest.raises(TraceError, match="w3.csv: item 'x' has no arousal row"):
        load_trace(p, item="x")


def test_wide_csv_limits_apply(tmp_path):
    header = "id,dim," + ",".join(f"t{i}" for i in range(1200))
    p = _csv(tmp_path, header + "\n", "big.csv")
    with pytest.raises(TraceError, match="more than the 1,000 a trace file may have"):
        load_trace(p, item="x")
    p = _csv(tmp_path, "id,dim,15,15.5\n" + "x," + "v" * 200_000 + ",1,2\n", "long.csv")
    with pytest.raises(TraceError, match="line 2: .* characters"):
        load_trace(p, item="x")


def test_pmemo_samples_still_read_and_item_is_refused_for_them(realdata):
    song = realdata / "pmemo_samples" / "108.DERIVED.json"
    assert load_trace(song).times[0] == 15.5
    with pytest.raises(TraceError, match="--item and --pair are for a wide CSV, not pmemo"):
        load_trace(song, item="108")
