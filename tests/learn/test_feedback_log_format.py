"""Feedback logs: CSV and JSON Lines read back what was written; bad rows are named by line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.core.errors import FeedbackError
from composer_assist.learn.feedback_log import load_feedback_log, save_feedback_log
from composer_assist.learn.catalog import catalog_from_project
from composer_assist.learn.features import event_arrays
from composer_assist.learn.population import generate_population

HEADER = "listener,timestamp,cue,variant,valence,arousal,kept,dwell,rating,physio\n"
GOOD = "L1,1700000000,night_chase,calm,0.5,-0.2,1,30.5,4,\n"


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_round_trip(tmp_path, suffix):
    pop = generate_population(50, 6, seed=3)
    path = save_feedback_log(pop.log, tmp_path / f"log.{suffix}", comments=["synthetic"])
    back = load_feedback_log(path)
    assert len(back) == 300 and back.listener_ids == pop.log.listener_ids
    for col in ("valence", "arousal", "dwell", "kept", "timestamp"):
        assert np.allclose(getattr(back, col), getattr(pop.log, col), atol=1e-3), col
    assert np.array_equal(np.isnan(back.rating), np.isnan(pop.log.rating))
    assert [back.variant_names[i] for i in back.variant] == [pop.log.variant_names[i] for i in pop.log.variant]


def test_bad_rows_named_by_line_with_count(tmp_path):
    rows = [GOOD] * 3 + ["L2,1700000000,night_chase,calm,1.7,0,1,3,,\n",  # line 5: valence
                         "L2,yesterday,night_chase,calm,0,0,1,3,,\n",  # line 6: timestamp
                         "L2,1700000000,night_chase,calm,0,0,maybe,3,,\n",  # line 7: kept
                         "L2,1700000000,night_chase,calm,0,0,1,-3,,\n",  # line 8: dwell
                         "L2,1700000000,night_chase,calm,0,0,1,3,9,\n",  # line 9: rating
                         "L2,1700000000,night_chase,calm,0,0,1,,,\n",  # line 10: empty dwell
                         "L2,1700000000,night_chase,calm,0,x,1,3,,\n"]  # line 11: arousal
    p = tmp_path / "bad.csv"
    p.write_text(HEADER + "".join(rows))
    with pytest.raises(FeedbackError) as exc:
        load_feedback_log(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: line 5: valence: 1.7 is outside [-1, 1]")
    for n in (6, 7, 8, 9):
        assert f"line {n}:" in msg
    assert "line 10" not in msg and msg.endswith("and 2 more bad lines")
    assert "\n" not in msg


def test_wrong_field_count_and_missing_column(tmp_path):
    p = tmp_path / "short.csv"
    p.write_text("# comment\n" + HEADER + GOOD + "L1,1700000000,night_chase,calm\n")
    with pytest.raises(FeedbackError, match=r"short.csv: line 4: expected 10 fields, found 4"):
        load_feedback_log(p)
    p.write_text("listener,timestamp,cue,variant,valence,arousal,kept\n")
    with pytest.raises(FeedbackError, match=r"line 1: missing column\(s\) dwell"):
        load_feedback_log(p)


def test_jsonl_errors_and_iso_timestamps(tmp_path):
    good = {"listener": "L1", "timestamp": "2024-05-01T20:15:03Z", "cue": "night_chase", "variant": "tense",
            "valence": -0.5, "arousal": 0.6, "kept": "skip", "dwell": 2.0, "rating": None, "physio": 0.3}
    p = tmp_path / "ok.jsonl"
    p.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "kept": True}) + "\n")
    log = load_feedback_log(p)
    assert log.kept.tolist() == [0, 1] and log.line.tolist() == [1, 3]
    assert log.timestamp[0] == pytest.approx(1714594503.0)
    p.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({**good, "valence": "low"}) + "\n")
    with pytest.raises(FeedbackError, match=r"ok.jsonl: line 2: invalid JSON"):
        load_feedback_log(p)
    p.write_text(json.dumps(good) + "\n" + json.dumps({**good, "valence": "low"}) + "\n")
    with pytest.raises(FeedbackError, match=r"line 2: valence: expected a number, got 'low'"):
        load_feedback_log(p)


def test_unknown_cue_and_variant_against_project(tmp_path, root):
    catalog = catalog_from_project(root / "projects" / "demo")
    p = tmp_path / "ids.csv"
    p.write_text(HEADER + GOOD + GOOD.replace("calm", "heroic") + GOOD.replace("night_chase", "day_chase"))
    log = load_feedback_log(p)
    with pytest.raises(FeedbackError) as exc:
        event_arrays(log, catalog)
    msg = str(exc.value)
    assert "line 3: variant: cue 'night_chase' has no variant 'heroic'" in msg
    assert "line 4: cue: unknown cue 'day_chase' (known: night_chase)" in msg


def test_million_rows_parse_vectorised(tmp_path):
    """Not the benchmark: 200k rows must parse well under the per-row-Python rate."""
    import time

    pop = generate_population(20000, 10, seed=1)
    path = save_feedback_log(pop.log, tmp_path / "big.csv")
    t = time.perf_counter()
    log = load_feedback_log(path)
    elapsed = time.perf_counter() - t
    assert len(log) == 200000 and log.n_listeners == 20000
    assert elapsed < 6.0


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".ndjson", ".csv", ".txt"])
def test_a_saved_log_reads_back_whatever_its_suffix(tmp_path, root, suffix):
    log = load_feedback_log(root / "projects" / "demo" / "listeners" / "feedback.csv")
    small = log.take(np.arange(len(log)) < 50)
    path = save_feedback_log(small, tmp_path / f"log{suffix}")
    again = load_feedback_log(path)
    assert len(again) == 50 and list(again.listener_ids) == list(small.listener_ids)
