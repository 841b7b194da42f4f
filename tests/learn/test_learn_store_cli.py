"""The model store: one pickle-free file per model, kept inside the store; the learn CLI end to end."""

from __future__ import annotations

import json
import os

import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import ModelStoreError
from composer_assist.core.profile import profiles_from_json
from composer_assist.learn.assign import load_model, load_model_with_meta, profile_for_listener
from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population
from composer_assist.learn.store import ModelStore


@pytest.fixture(scope="module")
def small_model():
    pop = generate_population(300, 20, seed=2)
    return pop, ListenerPreferenceModel(n_clusters=4, random_state=0).fit(pop.log)


def test_save_load_and_refusals(tmp_path, small_model):
    pop, model = small_model
    store = ModelStore(tmp_path / "models")
    path = store.save(model, "taste", min_cluster_size=1)
    assert path == store.root / "taste.npz" and store.list() == ["taste"]
    loaded = load_model("taste", store.root)
    assert (loaded.predict(pop.log) == model.predict(pop.log)).all()
    _, meta = store.read_meta("taste")
    assert meta["versions"]["scikit-learn"] and len(meta["sha256"]) == 64 and meta["schema_version"] == 4

    outside = tmp_path / "elsewhere" / "taste.npz"
    with pytest.raises(ModelStoreError, match="outside the model store"):
        store.load(outside)
    with pytest.raises(ModelStoreError, match="outside the model store"):
        store.load(store.root / ".." / "taste.npz")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", store.root / "link")
    with pytest.raises(ModelStoreError, match="symlink escapes"):
        store.load(store.root / "link" / "taste.npz")

    # a damaged file is refused in one line (zip CRC or SHA-256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelStoreError, match=r"taste.npz: (damaged|SHA-256 mismatch)"):
        store.load("taste")
    with pytest.raises(ModelStoreError, match="no such model in the store"):
        store.load("never-saved")
    (store.root / "folder.npz").mkdir()
    with pytest.raises(ModelStoreError, match="is a folder, not a model file"):
        store.load("folder")


def test_a_matrix_model_is_not_a_listener_model(tmp_path, small_model):
    pop, _ = small_model
    store = ModelStore(tmp_path / "s")
    store.save(ListenerPreferenceModel(n_clusters=2, random_state=0).fit(pop.log.valence.reshape(-1, 6)), "m")
    with pytest.raises(ModelStoreError, match="fitted on a feature matrix, not on a feedback log"):
        load_model("m", store.root)
    with pytest.raises(ModelStoreError, match="only a fitted ListenerPreferenceModel can be saved"):
        store.save({"not": "a model"}, "odd")


def test_profile_for_listener(tmp_path, small_model):
    pop, model = small_model
    store = ModelStore(tmp_path / "m")
    store.save(model, "taste")
    lid = pop.log.listener_ids[0]
    prof = profile_for_listener("taste", lid, pop.log, store=store.root)
    assert prof.cluster == int(model.event_posterior(pop.log.for_listener(lid)).argmax())
    cold = profile_for_listener("taste", "never-seen", pop.log, store=store.root)
    assert cold.cluster == int(model.log_prior_.argmax())
    events = list(pop.log.for_listener(lid).to_rows())
    assert profile_for_listener("taste", None, events, store=store.root).cluster == prof.cluster


def test_cli_end_to_end(tmp_path, capsys):
    data, st = tmp_path / "listeners", tmp_path / "store"
    assert main(["learn", "generate", "-o", str(data), "--listeners", "600", "--events-per-listener", "25",
                 "--seed", "4"]) == 0
    assert main(["learn", "fit", str(data / "feedback.csv"), "-o", "taste", "--store", str(st),
                 "--max-clusters", "5"]) == 0
    out = capsys.readouterr().out
    assert "adjusted Rand index vs planted clusters" in out and "events needed for 90% right" in out
    # the quality figures live in the model file's metadata, not on the estimator
    model, meta = load_model_with_meta("taste", st)
    assert not hasattr(model, "quality_") and meta["quality"]["n_clusters"] == model.n_clusters_
    assert f"adjusted Rand index vs planted clusters: {meta['quality']['ari']:.3f}" in out
    assert main(["learn", "report", "taste", "--store", str(st)]) == 0
    report = capsys.readouterr().out
    assert "adjusted Rand index vs planted clusters" in report and "Cluster 0 [" in report
    png = st / "taste.report.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000
    (tmp_path / "ev.csv").write_text("\n".join((data / "feedback.csv").read_text().splitlines()[1:12]) + "\n")
    assert main(["learn", "assign", "taste", "--store", str(st), "--events", str(tmp_path / "ev.csv")]) == 0
    assert "after 10 events" in capsys.readouterr().out
    assert main(["learn", "export-profiles", "taste", "--store", str(st), "-o", str(tmp_path / "p.json")]) == 0
    profiles = profiles_from_json(json.loads((tmp_path / "p.json").read_text()), "p.json")
    assert all(p.description and p.contexts and p.name for p in profiles)
    capsys.readouterr()
    assert main(["learn", "report", str(tmp_path / "p.json"), "--store", str(st)]) == 2
    assert "outside the model store" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("listener,timestamp,cue,variant,valence,arousal,kept,dwell\nL1,0,night_chase,loud,0,0,1,3\n")
    assert main(["learn", "fit", str(bad), "-o", "x", "--store", str(st)]) == 2
    assert "line 2: variant: cue 'night_chase' has no variant 'loud'" in capsys.readouterr().err


def test_models_load_from_any_store_and_no_key_is_involved(tmp_path, small_model, monkeypatch):
    """Loading is data only, so there is no signing key: a model copied to another store (or
    machine) loads, and no key file or environment variable changes anything."""
    pop, model = small_model
    a, b = ModelStore(tmp_path / "a"), ModelStore(tmp_path / "b")
    a.save(model, "taste", min_cluster_size=1)
    b.root.mkdir()
    (b.root / "taste.npz").write_bytes((a.root / "taste.npz").read_bytes())
    monkeypatch.setenv("COMPOSER_ASSIST_KEY_FILE", str(tmp_path))  # a folder: was an unreadable key before
    assert (load_model("taste", b.root).predict(pop.log) == model.predict(pop.log)).all()
    assert not list(tmp_path.glob("**/*key*"))


def test_old_pickled_models_are_never_unpickled(tmp_path, capsys, monkeypatch):
    """A store or downloaded project holding a pickle -- with its own key and signed metadata, or
    renamed to .npz -- runs nothing: pickles are not read at all."""
    import hashlib
    import hmac
    import pickle

    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    payload = pickle.dumps(Evil())
    models = tmp_path / "proj" / "models"
    models.mkdir(parents=True)
    shipped = b"0" * 64
    for name in (".store-key", "store.key"):
        (models / name).write_bytes(shipped)
    (models / "taste.joblib").write_bytes(payload)
    meta = {"schema_version": 2, "payload": "taste.joblib", "sha256": hashlib.sha256(payload).hexdigest(),
            "feature_schema": {"version": 1}}
    body = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    meta["hmac_sha256"] = hmac.new(shipped, body, hashlib.sha256).hexdigest()
    (models / "taste.meta.json").write_text(json.dumps(meta))
    monkeypatch.setenv("COMPOSER_ASSIST_KEY_FILE", str(models / "store.key"))
    assert main(["learn", "report", "taste", "--project", str(tmp_path / "proj")]) == 2
    err = capsys.readouterr().err
    assert "taste.joblib: a pickled model from an older version" in err and err.count("\n") == 1
    (models / "evil.npz").write_bytes(payload)
    assert main(["learn", "report", "evil", "--project", str(tmp_path / "proj")]) == 2
    assert "evil.npz: not a model file" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize("name", ["..", ".", "", ".hidden", "a b", "sub/..", "taste/"])
def test_bad_model_names_refused(tmp_path, name):
    with pytest.raises(ModelStoreError, match="model name"):
        ModelStore(tmp_path / "s").path_for(name)


def test_model_paths_resolve_inside_the_store(tmp_path, monkeypatch):
    store = ModelStore(tmp_path / "s")
    assert store.path_for("taste.v2") == store.root / "taste.v2.npz"
    assert store.path_for("taste.meta.json") == store.root / "taste.npz"
    assert store.path_for("taste.joblib") == store.root / "taste.npz"
    assert store.path_for(store.root / "taste") == store.root / "taste.npz"
    assert store.report_path("taste") == store.root / "taste.report.png"
    monkeypatch.chdir(tmp_path)
    assert store.path_for("s/taste.npz") == store.root / "taste.npz"
    with pytest.raises(ModelStoreError, match="relative path is taken from the current folder"):
        store.path_for("other/taste")


def test_assign_from_a_log_without_events_says_so(tmp_path, small_model, capsys):
    """It printed nothing and exited 0, as if every listener had been assigned."""
    ModelStore(tmp_path / "s").save(small_model[1], "taste", min_cluster_size=1)
    log = tmp_path / "header.csv"
    log.write_text("# nothing yet\nlistener,timestamp,cue,variant,valence,arousal,kept,dwell\n")
    for extra in ([], ["--listener", "L1"]):
        capsys.readouterr()
        assert main(["learn", "assign", "taste", "--store", str(tmp_path / "s"), "--events", str(log), *extra]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err == f"error: {log}: no events (the log holds only its header): nobody to assign\n"


def test_a_listener_id_holding_a_control_character_is_refused_with_its_line(tmp_path, small_model, capsys):
    """A listener id comes from whoever wrote the log; printed raw, "\\x1b[2J" cleared the screen.
    It is refused where the log is read, its line named and the id escaped."""
    ModelStore(tmp_path / "s").save(small_model[1], "taste", min_cluster_size=1)
    log = tmp_path / "e.csv"
    log.write_text('listener,timestamp,cue,variant,valence,arousal,kept,dwell\n"L\u001b[2J",1,night_chase,calm,0,0,1,5\n')
    capsys.readouterr()
    assert main(["learn", "assign", "taste", "--store", str(tmp_path / "s"), "--events", str(log)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "\u001b" not in err
    assert err == f"error: {log}: line 2: listener: 'L\\x1b[2J' holds the control character U+001B\n"
