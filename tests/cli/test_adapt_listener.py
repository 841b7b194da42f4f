"""`adapt --listener-model MODEL --listener ID`: a listener's feedback picks the soundtrack."""

from __future__ import annotations

import csv
import json

import pytest

from composer_assist.cli.main import main


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, root):
    store = tmp_path_factory.mktemp("models")
    log = root / "projects" / "demo" / "listeners" / "feedback.csv"
    assert main(["learn", "fit", str(log), "-o", "demo", "--store", str(store), "--holdout", "0"]) == 0
    return store, log


def planted(root) -> dict[str, str]:
    with open(root / "projects" / "demo" / "listeners" / "planted.csv", newline="") as fh:
        return {row["listener"]: row["label"] for row in csv.DictReader(fh)}


def test_two_listeners_of_different_clusters_get_different_soundtracks(fitted, tmp_path, root, capsys):
    store, log = fitted
    truth = planted(root)
    by_cluster: dict[str, str] = {}
    for listener, cluster in truth.items():
        by_cluster.setdefault(cluster, listener)
    assert len(by_cluster) >= 2
    chosen = list(by_cluster.values())[:2]
    trace = root / "projects" / "traces" / "thriller_buildup.csv"
    logs = []
    for listener in chosen:
        out = tmp_path / listener
        assert main(["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(trace),
                     "--mode", "planned", "--listener-model", "demo", "--store", str(store),
                     "--listener", listener, "--feedback", str(log), "-o", str(out)]) == 0
        assert f"listener {listener}: cluster" in capsys.readouterr().out
        logs.append(json.loads((out / "decisions.json").read_text()))
    assert logs[0]["profile"] != logs[1]["profile"]
    playing = [[e["to"] for e in lg["entries"] if e["kind"] in ("start", "switch")] for lg in logs]
    assert playing[0] != playing[1]


def test_listener_flags_need_a_model(tmp_path, root, capsys):
    trace = root / "projects" / "traces" / "comedy_scene.csv"
    assert main(["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(trace),
                 "--listener", "L0001", "-o", str(tmp_path)]) == 2
    assert "need --listener-model" in capsys.readouterr().err


def test_model_outside_the_store_is_refused(tmp_path, root, capsys, fitted):
    store, _ = fitted
    trace = root / "projects" / "traces" / "comedy_scene.csv"
    evil = tmp_path / "evil.joblib"
    evil.write_bytes(b"not a model")
    assert main(["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(trace),
                 "--listener-model", str(evil), "--store", str(store), "-o", str(tmp_path / "o")]) == 2
    assert "outside the model store" in capsys.readouterr().err


def test_a_listener_with_no_events_in_the_log_named_is_refused(fitted, tmp_path, root, capsys):
    store, log = fitted
    listener = next(iter(planted(root)))
    typo = listener[:-1] + ("x" if listener[-1] != "x" else "y")
    trace = root / "projects" / "traces" / "comedy_scene.csv"
    # before: "listener L000x: cluster 0 ..." from the population prior, exit 0
    assert main(["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(trace),
                 "--listener-model", "demo", "--store", str(store), "--listener", typo, "--feedback", str(log),
                 "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"no events of listener {typo!r}" in err and "did you mean" in err, err
    assert main(["learn", "assign", "demo", "--events", str(log), "--store", str(store), "--listener", typo]) == 2
    assert f"no events of listener {typo!r}" in capsys.readouterr().err


def test_a_bad_input_leaves_no_empty_output_folder(tmp_path, root, capsys):
    out = tmp_path / "never"
    assert main(["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace",
                 str(tmp_path / "missing.csv"), "-o", str(out)]) == 2
    assert "missing.csv" in capsys.readouterr().err and not out.exists()  # before: an empty folder


def test_a_duration_past_the_longest_render_is_refused_before_the_output_folder(tmp_path, root, capsys):
    out = tmp_path / "never"
    assert main(["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace",
                 str(root / "projects" / "traces" / "calm_to_sad.csv"), "--duration", "1e9", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    # before: a note that the last reading holds to 1e9 s, the refusal, and an empty folder left
    assert err == "error: --duration must be a positive number of seconds up to 12 h, got 1e+09\n"
    assert not out.exists()
