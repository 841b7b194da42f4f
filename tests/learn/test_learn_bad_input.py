"""Bad logs and bad fit options give one-line errors naming the line or option, never a traceback."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import FeedbackError
from composer_assist.learn.feedback_log import load_feedback_log, parse_jsonl
from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population

HEADER = "listener,timestamp,cue,variant,valence,arousal,kept,dwell,rating,physio\n"
ROW = "{l},{t},night_chase,calm,0.1,0.2,1,10,,\n"
GOOD = {"listener": "L1", "timestamp": 1700000000, "cue": "night_chase", "variant": "calm", "valence": 0.1,
        "arousal": 0.2, "kept": 1, "dwell": 10}


def _fit(tmp_path, capsys, log_text: str, *opts: str) -> str:
    p = tmp_path / "log.csv"
    p.write_text(log_text)
    capsys.readouterr()
    assert main(["learn", "fit", str(p), "-o", "m", "--store", str(tmp_path / "s"), *opts]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def two_listeners():
    return HEADER + "".join(ROW.format(l=f"L{i % 2}", t=1700000000 + i) for i in range(40))


def test_fit_options_and_too_few_listeners(tmp_path, capsys, two_listeners):
    assert _fit(tmp_path, capsys, HEADER).endswith("0 listeners left to fit on after --holdout 0.2 "
                                                   "(0 in the log, 0 events); at least 2 are needed")
    one = HEADER + ROW.format(l="L1", t=1) * 3
    assert "1 listener left to fit on" in _fit(tmp_path, capsys, one, "--holdout", "0")
    assert "(lower --holdout)" in _fit(tmp_path, capsys, two_listeners, "--holdout", "0.99")
    assert _fit(tmp_path, capsys, two_listeners, "--clusters", "0") == "error: --clusters: 0 must be at least 1 (or 'auto')"
    assert _fit(tmp_path, capsys, two_listeners, "--max-clusters", "0") == "error: --max-clusters: 0 must be at least 1"
    assert _fit(tmp_path, capsys, two_listeners, "--clusters", "5", "--holdout", "0") == \
        "error: --clusters 5: more clusters than the 2 listeners to fit on"


def test_model_refuses_empty_and_single_listener_logs(tmp_path):
    (tmp_path / "h.csv").write_text(HEADER)
    with pytest.raises(FeedbackError, match=r"h.csv: 0 events from 0 listeners: fit needs events from at least 2"):
        ListenerPreferenceModel().fit(load_feedback_log(tmp_path / "h.csv"))
    pop = generate_population(3, 5, seed=0)
    with pytest.raises(ValueError, match="n_clusters=4 is more than the 3 listeners"):
        ListenerPreferenceModel(n_clusters=4).fit(pop.log)


def test_csv_field_counts_checked_per_line(tmp_path):
    p = tmp_path / "fields.csv"
    p.write_text(HEADER + "L1,1700000000,night_chase,calm,0.1,0.2,1,10,4\n"
                 "L2,1700000001,night_chase,calm,0.1,0.2,1,10,,,\n")
    with pytest.raises(FeedbackError, match=r"fields.csv: line 2: expected 10 fields, found 9; "
                                            r"line 3: expected 10 fields, found 11$"):
        load_feedback_log(p)


def test_csv_with_byte_order_mark(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW.format(l="L1", t=5)).encode())
    log = load_feedback_log(p)
    assert log.listener_ids == ["L1"] and log.timestamp.tolist() == [5.0]


def test_jsonl_requires_one_object_per_line():
    two = json.dumps(GOOD) + ", " + json.dumps({**GOOD, "listener": "L2"})
    with pytest.raises(FeedbackError, match=r"x.jsonl: line 2: invalid JSON: Extra data .*one JSON object per line"):
        parse_jsonl(json.dumps(GOOD) + "\n" + two + "\n" + json.dumps(GOOD) + "\n", "x.jsonl")
    # a value spanning two lines is not one row per line either
    with pytest.raises(FeedbackError, match=r"line 1: invalid JSON"):
        parse_jsonl('{"listener": ["a",\n"b"]}\n', "x.jsonl")


def test_mixed_timestamps_offsets_and_listener_types():
    text = HEADER + ROW.format(l="L1", t="1") + ROW.format(l="L1", t="2024-05-01T20:15:03+02:00") + \
        ROW.format(l="L1", t="2024-05-01T18:15:03") + ROW.format(l="L1", t="2024-05-01T18:15:03Z")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from composer_assist.learn.feedback_log import parse_csv
        log = parse_csv(text)
    assert log.timestamp.tolist() == [1.0, 1714587303.0, 1714587303.0, 1714587303.0]
    rows = [json.dumps({**GOOD, "listener": 7}), json.dumps({**GOOD, "listener": "7"}),
            json.dumps({**GOOD, "timestamp": "2024-05-01T20:15:03-01:30"})]
    log = parse_jsonl("\n".join(rows), "x.jsonl")
    assert log.listener_ids == ["7", "L1"] and log.timestamp[2] == 1714587303.0 + 3.5 * 3600
    with pytest.raises(FeedbackError, match=r"line 2: listener: expected a non-empty name or a number, got \[1\]"):
        parse_jsonl(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "listener": [1]}) + "\n", "x.jsonl")
    assert np.isfinite(log.timestamp).all()


def test_ratings_must_be_whole_and_kept_real_booleans(tmp_path):
    from composer_assist.learn.assign import OnlineAssigner, assign

    p = tmp_path / "r.csv"
    p.write_text(HEADER + "L1,1,night_chase,calm,0.1,0.2,1,10,4.6,\n" + "L1,2,night_chase,calm,0.1,0.2,1,10,4.0,\n")
    with pytest.raises(FeedbackError, match=r"r.csv: line 2: rating: 4.6 is not a whole number 1..5$"):
        load_feedback_log(p)
    pop = generate_population(200, 10, seed=3)
    model = ListenerPreferenceModel(n_clusters=3, random_state=0).fit(pop.log)
    words, bools = OnlineAssigner(model), OnlineAssigner(model)
    words.observe("night_chase", "tense", -0.5, 0.5, "skip", 4)
    bools.observe("night_chase", "tense", -0.5, 0.5, False, 4.0)
    assert np.allclose(words.posterior, bools.posterior)
    kept = OnlineAssigner(model)
    kept.observe("night_chase", "tense", -0.5, 0.5, True, 4)
    assert not np.allclose(kept.posterior, bools.posterior)
    for bad_kept in ("maybe", 2, None, [1]):
        with pytest.raises(FeedbackError, match="event: kept: .* is not True/False"):
            OnlineAssigner(model).observe("night_chase", "tense", -0.5, 0.5, bad_kept)
    for bad_rating in (4.6, 0, 6, "4", True):
        with pytest.raises(FeedbackError, match="event: rating: .* is not a whole number 1..5"):
            OnlineAssigner(model).observe("night_chase", "tense", -0.5, 0.5, 1, bad_rating)
    # online and batch agree event by event (the batch path reads the same whole ratings)
    events = pop.log.for_listener(pop.log.listener_ids[0])
    online = OnlineAssigner(model)
    for row in events.to_rows():
        online.observe(row["cue"], row["variant"], row["valence"], row["arousal"], row["kept"], row["rating"])
    assert np.allclose(online.posterior, assign(model, events).posterior)


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_seed_out_of_range_is_one_line(tmp_path, capsys, two_listeners, seed):
    """numpy refuses such seeds with a traceback (default_rng: negative; RandomState: > 2**32-1)."""
    assert _fit(tmp_path, capsys, two_listeners, "--seed", seed) == f"error: --seed: {seed} is outside 0..4294967295"
    assert main(["learn", "generate", "-o", str(tmp_path / "g"), "--listeners", "5", "--seed", seed]) == 2
    assert capsys.readouterr().err == f"error: --seed: {seed} is outside 0..4294967295\n"


def test_deeply_nested_catalog_is_one_line(tmp_path, capsys, two_listeners):
    deep = tmp_path / "variants.json"
    deep.write_text('{"variants": ' + "[" * 100000 + "]" * 100000 + "}")
    assert _fit(tmp_path, capsys, two_listeners, "--variants", str(deep)) == \
        f"error: {deep}: invalid JSON: nested too deeply"


def _jsonl(tmp_path, name: str, bad_line: str):
    p = tmp_path / name
    p.write_text(json.dumps(GOOD) + "\n" + bad_line + "\n")
    return p


@pytest.mark.parametrize("bad_line, message", [
    ("[" * 50000, "line 2: invalid JSON: nested too deeply"),
    ("[" * 50000 + "]" * 50000, "line 2: invalid JSON: nested too deeply"),
    ('{"listener": "L2", "timestamp": ' + "9" * 5000 + "}",
     "line 2: invalid JSON: a number with thousands of digits (value has 5000 digits)"),
], ids=["unclosed", "closed", "digits"])
def test_jsonl_too_deep_or_too_many_digits_is_one_line(tmp_path, capsys, bad_line, message):
    """json raises RecursionError / ValueError (not JSONDecodeError) for these: they were tracebacks
    in learn fit, learn assign and privacy --ids, which all read the log through load_feedback_log."""
    p = _jsonl(tmp_path, "deep.jsonl", bad_line)
    with pytest.raises(FeedbackError, match=rf"deep.jsonl: {re.escape(message)}$"):
        load_feedback_log(p)
    for argv in (["learn", "fit", str(p), "-o", "m", "--store", str(tmp_path / "s")],
                 ["privacy", str(tmp_path / "none.json"), "--ids", str(p)]):
        capsys.readouterr()
        assert main(argv) == 2
        assert capsys.readouterr().err == f"error: {p}: {message}\n"


@pytest.mark.parametrize("field", ["valence", "timestamp", "dwell", "rating", "physio"])
def test_jsonl_integer_too_large_for_a_float_is_refused_by_line(tmp_path, field):
    """4000 digits parse (under Python's 4300), but float() of them overflows: it was a traceback."""
    row = json.dumps({**GOOD, field: 0}).replace(f'"{field}": 0', f'"{field}": {"9" * 4000}')
    with pytest.raises(FeedbackError, match=rf"x.jsonl: line 2: {field}: .*9{{57}}\.\.\.") as exc:
        load_feedback_log(_jsonl(tmp_path, "x.jsonl", row))
    assert len(str(exc.value).split("x.jsonl: ", 1)[1]) < 150  # the value is quoted short, not in its 4000 digits
    log = load_feedback_log(_jsonl(tmp_path, "id.jsonl", json.dumps({**GOOD, "listener": 10**4000 - 1})))
    assert log.listener_ids[1] == "9" * 4000  # a number as id is its text, however long


def test_deep_value_in_a_field_is_quoted_short(tmp_path):
    row = json.dumps(GOOD)[:-1] + ', "rating": ' + "[" * 900 + "]" * 900 + "}"
    with pytest.raises(FeedbackError, match=r"line 2: rating: expected a number, got \[{57}\.\.\.$"):
        load_feedback_log(_jsonl(tmp_path, "x.jsonl", row))


def test_catalog_with_too_many_digits_is_one_line(tmp_path, capsys, two_listeners):
    p = tmp_path / "variants.json"
    p.write_text('{"variants": ' + "9" * 5000 + "}")
    assert _fit(tmp_path, capsys, two_listeners, "--variants", str(p)) == \
        f"error: {p}: invalid JSON: a number with thousands of digits (value has 5000 digits)"


def test_cluster_counts_beyond_what_loading_accepts_are_refused(tmp_path, capsys, two_listeners):
    """Loading refuses more than MAX_CLUSTERS clusters (a forged count must size nothing), so a fit
    may not make a model that could not be loaded again."""
    assert _fit(tmp_path, capsys, two_listeners, "--clusters", "101") == \
        "error: --clusters: 101 is more than the 100 clusters a model may have"
    assert _fit(tmp_path, capsys, two_listeners, "--max-clusters", "101") == \
        "error: --max-clusters: 101 is more than the 100 clusters a model may have"
    with pytest.raises(FeedbackError, match=r"n_clusters must be 'auto' or an int 1..100, got 101"):
        ListenerPreferenceModel(n_clusters=101).fit(generate_population(5, 3, seed=0).log)


def test_generate_has_an_upper_bound(tmp_path, capped_cli):
    """--listeners 100000000 ran until the machine killed it; the limits are checked before any work
    (the commands run with a capped address space, so a regression fails instead of being killed)."""
    out = str(tmp_path / "g")
    results = capped_cli(["learn", "generate", "-o", out, "--listeners", "100000000"],
                         ["learn", "generate", "-o", out, "--events-per-listener", "1001"],
                         ["learn", "generate", "-o", out, "--listeners", "10001", "--events-per-listener", "500"])
    assert results == [
        (2, "error: generate: --listeners 100,000,000 is more than the 1,000,000 a synthetic population may have\n"),
        (2, "error: generate: --events-per-listener 1,001 is more than 1,000\n"),
        (2, "error: generate: 10,001 listeners x 500 events is 5,000,500 events, more than the 5,000,000 a synthetic "
            "population may have\n")]
    assert not (tmp_path / "g").exists()
