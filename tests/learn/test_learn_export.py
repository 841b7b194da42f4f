"""Exported JSON (profiles + assignment tables) assigns listeners exactly as the model does, without it."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import FeedbackError, ProjectError
from composer_assist.learn.assign import OnlineAssigner, assign
from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population
from composer_assist.learn.store import ModelStore
from composer_assist.learn.tables import assign_from_export, load_export, tables_from_export


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    pop = generate_population(500, 25, seed=12)
    model = ListenerPreferenceModel(random_state=0).fit(pop.log)
    ModelStore(tmp / "store").save(model, "taste")
    assert main(["learn", "export-profiles", "taste", "--store", str(tmp / "store"), "-o", str(tmp / "p.json")]) == 0
    return model, load_export(tmp / "p.json"), tmp / "p.json"


def test_json_alone_assigns_the_same_cluster_as_the_model(exported):
    model, data, _ = exported
    assert data["schema_version"] == 1 and data["assignment"]["schema_version"] == 1
    new = generate_population(200, 12, seed=13, id_prefix="N").log
    rows = list(new.to_rows())
    for lid in new.listener_ids:
        by_model = assign(model, new, lid)
        by_json = assign_from_export(data, rows, listener=lid)
        assert by_json.cluster == by_model.cluster and by_json.n_events == by_model.n_events
        assert np.array_equal(by_json.posterior, by_model.posterior)  # same tables, same formula
        assert by_json.profile.to_json() == model.profiles_[by_model.cluster].to_json()
    cold = assign_from_export(data, [])
    assert cold.cluster == int(np.argmax(model.log_prior_)) and cold.n_events == 0
    _, tables = tables_from_export(data)
    online = OnlineAssigner(tables)
    for row in new.for_listener(new.listener_ids[0]).to_rows():
        online.observe(row["cue"], row["variant"], row["valence"], row["arousal"], row["kept"], row["rating"])
    assert online.cluster == assign(model, new, new.listener_ids[0]).cluster


def test_bad_events_and_bad_tables_are_one_line_errors(exported, tmp_path, capsys):
    _, data, _ = exported
    good = {"cue": "night_chase", "variant": "calm", "valence": 0.2, "arousal": -0.1, "kept": 1}
    for bad, message in ((dict(good, variant="loud"), "events[1]: cue 'night_chase' has no variant 'loud'"),
                         (dict(good, valence=3), "events[1]: valence: 3 is not a number in [-1, 1]"),
                         (dict(good, rating=float("inf")), "events[1]: rating: inf is not a whole number 1..5"),
                         ({"cue": "night_chase"}, "events[1]: missing variant, valence, arousal, kept")):
        with pytest.raises(FeedbackError, match=re.escape(message)):
            assign_from_export(data, [good, bad])
    for edit, message in ((lambda a: a.pop("log_keep"), "assignment.log_keep: is required"),
                          (lambda a: a["log_keep"][0].pop(), r"assignment.log_keep: expected \d+ x 4 x 4 x 2 numbers"),
                          (lambda a: a["log_prior"].__setitem__(0, "x"), "assignment.log_prior: expected a list of"),
                          (lambda a: a.update(schema_version=9), "assignment schema version 9 is not supported")):
        broken = json.loads(json.dumps(data))
        edit(broken["assignment"])
        with pytest.raises(ProjectError, match=message):
            assign_from_export(broken, [good], source="p.json")
    with pytest.raises(ProjectError, match="p.json: assignment: missing"):
        assign_from_export({k: v for k, v in data.items() if k != "assignment"}, [], source="p.json")
    deep = tmp_path / "deep.json"
    deep.write_text('{"schema_version": 1, "profiles": ' + "[" * 50000 + "]" * 50000 + "}")
    with pytest.raises(ProjectError, match="deep.json: invalid JSON: nested too deeply"):
        load_export(deep)


def test_adapt_profiles_reads_the_export_and_refuses_deep_json_in_one_line(exported, tmp_path, root, capsys):
    _, _, path = exported
    trace = root / "projects" / "traces" / "comedy_scene.csv"
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    args = ["adapt", str(root / "projects" / "demo"), "--cue", "night_chase", "--trace", str(trace), "-o",
            str(tmp_path / "o")]
    assert main(args + ["--profiles", str(deep), "--listener-cluster", "0"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {deep}: invalid JSON: nested too deeply\n"
    assert main(args + ["--profiles", str(path), "--listener-cluster", "nobody"]) == 2
    assert "no listener cluster nobody (clusters: 0 " in capsys.readouterr().err
