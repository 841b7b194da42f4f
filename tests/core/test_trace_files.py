"""Trace files: our CSV round trip, generic CSV/JSON, scales, malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from composer_assist.core.errors import TraceError
from composer_assist.core.trace import Trace, generate_trace, load_trace, save_trace


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_round_trip_our_csv_with_channels_and_valid_mask(tmp_path):
    tr = generate_trace("action_chase", seed=2)
    valid = np.ones(tr.times.size, bool)
    valid[40:60] = False
    tr = Trace(tr.times, tr.valence, tr.arousal, {**tr.channels, "eda": np.sin(tr.times)},
               name="chase", valid=valid)
    path = tmp_path / "out" / "chase.csv"
    save_trace(tr, path)
    assert path.read_text().startswith("# composer-assist trace 1\n")
    assert not list(path.parent.glob(".*tmp"))                  # atomic write left no temp file
    back = load_trace(path)
    assert back.name == "chase" and back.source == str(path)
    assert np.allclose(back.times, tr.times, atol=1e-9)
    assert np.allclose(back.valence, tr.valence, atol=1e-6)
    assert np.allclose(back.arousal, tr.arousal, atol=1e-6)
    assert set(back.channels) == {"heart_rate", "eda"}
    assert np.allclose(back.channels["heart_rate"], tr.channels["heart_rate"], rtol=1e-6)
    assert np.array_equal(back.valid, valid)


def test_time_in_milliseconds(tmp_path):
    p = write(tmp_path, "ms.csv", "# scale: [-1,1]\ntime_ms,valence,arousal\n0,0,0\n500,0.5,-0.5\n"
                                  "1250,1,-1\n")
    tr = load_trace(p)
    assert tr.times.tolist() == [0.0, 0.5, 1.25]
    assert tr.value_at(0.25) == pytest.approx((0.25, -0.25))


@pytest.mark.parametrize("rows,scale,expect", [
    ("0,-0.5,0.2\n1,0.5,0.9\n", None, [-0.5, 0.5]),         # negatives: [-1,1]
    ("0,1,9\n1,5,3\n", None, [-1.0, 0.0]),                    # above 1, all >= 1: SAM
    ("0,0.25,0.5\n1,0.75,1\n", "[0,1]", [-0.5, 0.5]),         # stated [0,1]
    ("0,0.25,0.5\n1,0.75,1\n", "signed", [0.25, 0.75]),       # stated [-1,1]
])
def test_scales_detected_or_stated(tmp_path, rows, scale, expect):
    p = write(tmp_path, "s.csv", "time_s,valence,arousal\n" + rows)
    assert load_trace(p, scale=scale).valence.tolist() == pytest.approx(expect)


def test_ambiguous_scale_refused_with_a_clear_message(tmp_path):
    p = write(tmp_path, "amb.csv", "time_s,valence,arousal\n0,0.2,0.4\n1,0.6,0.9\n")
    with pytest.raises(TraceError) as e:
        load_trace(p)
    msg = str(e.value)
    assert str(p) in msg and "ambiguous" in msg and "[-1,1] or [0,1]" in msg and "--scale" in msg
    # ...and stating it in the file settles it.
    p2 = write(tmp_path, "amb2.csv", "# scale: [0,1]\ntime_s,valence,arousal\n0,0.2,0.4\n1,0.6,0.9\n")
    assert load_trace(p2).valence.tolist() == pytest.approx([-0.6, 0.2])
    with pytest.raises(TraceError, match="says \\[0,1\\] but --scale says \\[-1,1\\]"):
        load_trace(p2, scale="[-1,1]")
    # Values above 1 mixed with values below 1 fit no scale.
    p3 = write(tmp_path, "mix.csv", "time_s,valence,arousal\n0,0.5,7\n1,3,2\n")
    with pytest.raises(TraceError, match="fits no known scale"):
        load_trace(p3)


def test_value_outside_stated_scale_names_the_line(tmp_path):
    p = write(tmp_path, "out.csv", "time_s,valence,arousal\n0,0.1,0.2\n1,0.3,1.4\n")
    with pytest.raises(TraceError, match=r"out.csv: line 3: arousal = 1.4 is outside the \[0,1\]"):
        load_trace(p, scale="[0,1]")


def test_non_monotonic_and_duplicate_times_name_the_row(tmp_path):
    p = write(tmp_path, "dup.csv", "# scale: [-1,1]\ntime_s,valence,arousal\n0,0,0\n1,0,0\n1,0,0\n")
    with pytest.raises(TraceError, match=r"dup.csv: line 5: duplicate time 1 s \(same as line 4\)"):
        load_trace(p)
    p = write(tmp_path, "back.csv", "time_s,valence,arousal\n0,0,-0.1\n2,0,0\n1.5,0,0\n3,0,0\n")
    with pytest.raises(TraceError, match=r"back.csv: line 4: time 1.5 s goes backwards"):
        load_trace(p)


def test_nan_short_gap_interpolated_long_gap_marked_or_refused(tmp_path):
    lines = ["time_s,valence,arousal,heart_rate"]
    for i in range(30):
        v = "" if 5 <= i <= 6 else ("nan" if 15 <= i <= 22 else f"{-0.9 + 0.05 * i:.2f}")
        lines.append(f"{i},{v},-0.5,{70 + i}")
    p = write(tmp_path, "gaps.csv", "\n".join(lines) + "\n")
    tr = load_trace(p, max_gap_s=4.0)
    assert tr.valence[5] == pytest.approx(-0.9 + 0.25)           # interpolated
    assert tr.valid is not None
    assert not tr.valid[15:23].any() and tr.valid[:15].all() and tr.valid[23:].all()
    with pytest.raises(TraceError, match=r"gaps.csv: line 17: valence: a gap of 9 s"):
        load_trace(p, max_gap_s=4.0, long_gaps="refuse")
    assert load_trace(p, max_gap_s=10.0).valid is None          # a wider limit interpolates it


@pytest.mark.parametrize("text,pattern", [
    ("", r"bad.csv: the file is empty"),
    ("0,0.1,0.2\n1,0.2,0.3\n", r"bad.csv: line 1: no header"),
    ("time_s,valence,mood\n0,0.1,0.2\n", r"bad.csv: line 1: no arousal column"),
    ("when,valence,arousal\n0,0.1,0.2\n", r"bad.csv: line 1: no time column"),
    ("time_s,valence,arousal\n0,-0.1,0.2\n1,abc,0.3\n", r"bad.csv: line 3: column valence: 'abc' is not a number"),
    ("time_s,valence,arousal\n0,-0.1,0.2\n1,0.3\n", r"bad.csv: line 3: expected 3 values"),
    ("time_s,valence,arousal\n", r"bad.csv: no samples after the header"),
    ("time_s,valence,arousal\n0,-0.1,0.2\n,0.1,0.1\n", r"bad.csv: line 3: time_s is missing"),
    # before: Python's float() read "1_0" as 10 s and a full-width "０.1" as 0.1
    ("time_s,valence,arousal\n0,-0.1,0.2\n1_0,0.1,0.2\n", r"bad.csv: line 3: column time_s: '1_0' is not a number"),
    # before: valence read, v dropped without a word
    ("t,v,a,valence\n0,-0.1,0.2,0.3\n", r"bad.csv: line 1: columns v and valence both name valence; keep one"),
    ("time_s,valence,arousal\n0,-0.1,0.2\n1,\uff10.1,0.2\n", r"bad.csv: line 3: column valence: '\uff10.1' is not"),
])
def test_malformed_csv_gives_one_line_error(tmp_path, text, pattern):
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(TraceError, match=pattern) as e:
        load_trace(p)
    assert "\n" not in str(e.value)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(TraceError, match="no such file"):
        load_trace(tmp_path / "nope.csv")
    p = write(tmp_path, "x.csv", "time_s,valence,arousal\n0,-1,1\n")
    with pytest.raises(TraceError, match="unknown trace format"):
        load_trace(p, format="xml")


def test_generic_json_columns_and_samples(tmp_path):
    cols = {"name": "j", "scale": "[1,9]", "time_unit": "ms", "time": [0, 1000, 2500],
            "valence": [1, 5, 9], "arousal": [9, 5, 1], "channels": {"heart_rate": [70, None, 75]}}
    tr = load_trace(write(tmp_path, "c.json", json.dumps(cols)))
    assert tr.times.tolist() == [0.0, 1.0, 2.5]
    assert tr.valence.tolist() == [-1.0, 0.0, 1.0] and tr.arousal.tolist() == [1.0, 0.0, -1.0]
    assert tr.channels["heart_rate"][1] == pytest.approx(72.0)          # short gap filled
    rows = {"samples": [{"time": 0, "valence": -0.2, "arousal": 0.1, "eda": 0.3},
                        {"time": 0.5, "valence": 0.4, "arousal": 0.0, "eda": 0.1}]}
    tr = load_trace(write(tmp_path, "r.json", json.dumps(rows)))
    assert tr.channels["eda"].tolist() == [0.3, 0.1] and tr.name == "r"


@pytest.mark.parametrize("obj,pattern", [
    ({"time": [0, 1], "valence": [0.1, 0.2], "arousal": [0.3, 0.4]}, r"all valence and arousal values lie within \[0, 1\]"),
    ({"time": [0, 1], "valence": [0.1, "x"], "arousal": [-0.3, 0.4]}, r"valence\[1\]: expected a number"),
    ({"time": [0, 1], "valence": [-0.1, 0.2]}, r"arousal: is required"),
    ({"time": [0, 1, 1], "valence": [-0.1, 0.2, 0], "arousal": [0, 0, 0]}, r"time\[2\]: duplicate"),
    ({"samples": [{"time": 0, "valence": -0.1, "arousal": 0}, {"valence": 0, "arousal": 0}]},
     r"samples\[1\].time: is required"),
])
def test_malformed_json_names_the_field(tmp_path, obj, pattern):
    p = write(tmp_path, "bad.json", json.dumps(obj))
    with pytest.raises(TraceError, match=r"bad.json: " + pattern):
        load_trace(p)


def test_invalid_json_names_line_and_column(tmp_path):
    p = write(tmp_path, "broken.json", '{"time": [0, 1],\n "valence": [0.1 0.2]}')
    with pytest.raises(TraceError, match=r"broken.json: line 2 column \d+: invalid JSON"):
        load_trace(p)


def test_a_heart_rate_outside_what_a_heart_rate_can_be_is_refused_with_its_line(tmp_path):
    # RR intervals in ms under a heart_rate header: before, read as 800 bpm and steering arousal to +1
    p = write(tmp_path, "rr.csv", "time_s,valence,arousal,heart_rate\n0,-0.1,0.2,70\n1,0.1,0.2,812\n2,0.1,0.2,800\n")
    with pytest.raises(TraceError, match=r"rr.csv: line 3: heart_rate 812 is not a heart rate in beats per minute "
                                         r"\(20..250\); 2 readings out of that range"):
        load_trace(p)
    j = tmp_path / "rr.json"
    j.write_text('{"time": [0, 1, 2], "valence": [-0.1, 0.1, 0.1], "arousal": [0.2, 0.2, 0.2], '
                 '"channels": {"heart_rate": [71, null, 4]}}')
    with pytest.raises(TraceError, match=r"rr.json: .*heart_rate 4 is not a heart rate"):
        load_trace(j)
    ok = write(tmp_path, "ok.csv", "time_s,valence,arousal,heart_rate\n0,-0.1,0.2,48\n1,0.1,0.2,190\n")
    assert list(load_trace(ok).channels["heart_rate"]) == [48, 190]
