"""Trace limits (length, samples, step between samples, line length, --max-gap): refused before
the big arrays are built, saying what was too long and by how much; real traces still load."""

from __future__ import annotations

import math

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import TraceError
from composer_assist.core.trace import Trace, load_trace
from composer_assist.core.trace.io import MAX_LINE_CHARS, read_csv, read_json
from composer_assist.core.trace.model import (MAX_TRACE_SAMPLES, MAX_TRACE_SECONDS, MAX_TRACE_STEP_S,
                                              fill_gaps)


def test_milliseconds_under_a_seconds_header_says_how_much_too_long(tmp_path):
    rows = "".join(f"{i * 500},0.1,-0.1\n" for i in range(3000))  # 25 minutes in ms, read as seconds
    p = tmp_path / "ms.csv"
    p.write_text("time_s,valence,arousal\n" + rows)
    with pytest.raises(TraceError) as e:
        load_trace(p)
    msg = str(e.value)
    over = 2999 * 500 - MAX_TRACE_SECONDS
    assert f"the trace lasts {2999 * 500:.6g} s" in msg and f"{over:.6g} s longer than the 86400 s (24 h)" in msg
    assert "line 2 at 0 s to line 3001" in msg and "time_ms" in msg
    p.write_text("time_ms,valence,arousal\n" + rows)  # the same numbers, named as milliseconds: fine
    assert load_trace(p).duration == pytest.approx(1499.5)


def test_a_huge_gap_names_the_row_and_the_excess(tmp_path):
    p = tmp_path / "gap.csv"
    p.write_text("time_s,valence,arousal\n0,0.1,-0.1\n1,0.2,-0.2\n1000000001,0.1,0.1\n")
    with pytest.raises(TraceError, match=r"line 4: a step of 1e\+09 s from 1 s \(line 3\) to 1e\+09 s is "
                                         r"9.99996e\+08 s longer than the 3600 s allowed between two samples"):
        load_trace(p)
    # An hour between two samples is still a trace (sparse ratings).
    p.write_text(f"time_s,valence,arousal\n0,0.1,-0.1\n{MAX_TRACE_STEP_S:g},0.2,-0.2\n")
    assert load_trace(p).duration == MAX_TRACE_STEP_S


@pytest.mark.slow
def test_ten_million_rows_are_refused_by_counting_lines_first(tmp_path):
    text = "time_s,valence,arousal\n" + "0,0,0\n" * 10_000_000
    with pytest.raises(TraceError, match=r"10,000,002 lines is 8,990,002 more than a trace file may have"):
        read_csv(tmp_path / "rows.csv", text=text)
    # Just over the sample limit (within the allowance for comment lines): counted while reading.
    text = "time_s,valence,arousal\n" + "".join(f"{i / 100:g},0.5,-0.5\n" for i in range(MAX_TRACE_SAMPLES + 1))
    with pytest.raises(TraceError, match=f"line {MAX_TRACE_SAMPLES + 2}: more than the 1,000,000 samples"):
        read_csv(tmp_path / "rows.csv", text=text)


def test_json_arrays_over_the_sample_limit(tmp_path):
    n = MAX_TRACE_SAMPLES + 5
    data = {"time": list(range(n)), "valence": [0] * n, "arousal": [0] * n}
    with pytest.raises(TraceError, match=r"time: 1,000,005 values is 5 more than the 1,000,000 samples"):
        read_json(tmp_path / "t.json", data=data)


def test_a_fifty_megabyte_field_is_one_line(tmp_path):
    text = "time_s,valence,arousal\n0,0.1,-0.1\n1," + "1" * 50_000_000 + ",0\n"
    with pytest.raises(TraceError) as e:
        read_csv(tmp_path / "f.csv", text=text)
    assert str(e.value) == (f"{tmp_path / 'f.csv'}: line 3: 50,000,005 characters is "
                            f"{50_000_005 - MAX_LINE_CHARS:,} more than the 100,000 a line of a trace file may have")


def test_huge_numbers_are_one_line_errors(tmp_path):
    with pytest.raises(TraceError, match=r"valence\[0\]: a 400-digit integer is far too large"):
        read_json(tmp_path / "t.json", data={"time": [0, 1], "valence": [int("9" * 400), 0], "arousal": [0, 0]})
    p = tmp_path / "big.csv"
    p.write_text("time_s,valence,arousal\n0," + "9" * 400 + ",0\n")
    with pytest.raises(TraceError, match=r"line 2: column valence: '9999.*' is not a finite number \(far too large\)"):
        load_trace(p)


def test_resampling_past_the_sample_limit_is_refused_before_allocating():
    t = Trace(np.array([0.0, 3600.0]), np.zeros(2), np.zeros(2), name="hour")
    with pytest.raises(TraceError, match=r"resampling 3600 s at 1000 Hz would make 3,600,001 samples, "
                                         r"2,600,001 more than the 1,000,000"):
        t.resample(1000.0)
    assert t.resample(100.0).times.size == 360_001


@pytest.mark.parametrize("gap", [-1.0, math.nan, math.inf, MAX_TRACE_SECONDS * 2])
def test_max_gap_must_be_seconds_within_a_trace(tmp_path, gap):
    p = tmp_path / "t.csv"
    p.write_text("time_s,valence,arousal\n0,0.1,-0.1\n1,,\n2,0.2,-0.2\n")
    with pytest.raises(TraceError, match="max_gap_s: .* is not a number of seconds from 0 to 86400"):
        load_trace(p, max_gap_s=gap)
    with pytest.raises(TraceError, match="is not a number of seconds"):
        fill_gaps(np.arange(3.0), {"v": np.array([0.0, np.nan, 1.0])}, gap)


def test_the_studyforrest_film_trace_still_loads_and_converts(realdata, tmp_path, capsys):
    sf = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    tr = load_trace(sf)
    assert tr.times.size == 3542 and tr.duration == pytest.approx(7082.0)
    assert main(["trace", "info", str(sf)]) == 0
    assert "3542 samples" in capsys.readouterr().out
    out = tmp_path / "sf.csv"
    assert main(["trace", "convert", str(sf), "-o", str(out), "--resample", "1"]) == 0
    assert load_trace(out).times.size == 7083
