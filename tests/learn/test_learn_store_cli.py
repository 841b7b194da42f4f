"""The model store refuses what it did not sign; the learn CLI end to end on a SYNTHETIC population."""

from __future__ import annotations

import json
import os

import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import ModelStoreError
from composer_assist.core.profile import profiles_from_json
from composer_assist.learn.assign import load_model, profile_for_listener
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
    path = store.save(model, "taste")
    loaded = load_model("taste", store.root)
    assert (loaded.predict(pop.log) == model.predict(pop.log)).all()
    meta = json.loads((store.root / "taste.meta.json").read_text())
    assert meta["versions"]["scikit-learn"] and len(meta["sha256"]) == 64

    outside = tmp_path / "elsewhere" / "taste.joblib"
    with pytest.raises(ModelStoreError, match="outside the model store"):
        store.load(outside)
    with pytest.raises(ModelStoreError, match="outside the model store"):
        store.load(store.root / ".." / "taste.joblib")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", store.root / "link")
    with pytest.raises(ModelStoreError, match="symlink escapes"):
        store.load(store.root / "link" / "taste.joblib")

    # tampered payload: refused before unpickling (hash checked on the bytes read)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelStoreError, match="SHA-256 mismatch"):
        store.load("taste")

    # other schema version
    store.save(model, "old")
    mp = store.root / "old.meta.json"
    mp.write_text(mp.read_text().replace('"schema_version": 1', '"schema_version": 99'))
    with pytest.raises(ModelStoreError, match="model schema 99 is not supported"):
        store.load("old")

    # a model + metadata copied in from another store carries the wrong signature
    other = ModelStore(tmp_path / "other")
    other.save(model, "foreign")
    for suffix in (".joblib", ".meta.json"):
        (store.root / f"foreign{suffix}").write_bytes((other.root / f"foreign{suffix}").read_bytes())
    with pytest.raises(ModelStoreError, match="not signed by this store's key"):
        store.load("foreign")
    (store.root / "bare.joblib").write_bytes(b"anything")
    with pytest.raises(ModelStoreError, match="missing model metadata"):
        store.load("bare")


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
    assert main(["learn", "report", "taste", "--store", str(st)]) == 0
    png = st / "taste.report.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000
    (tmp_path / "ev.csv").write_text("\n".join((data / "feedback.csv").read_text().splitlines()[1:12]) + "\n")
    assert main(["learn", "assign", "taste", "--store", str(st), "--events", str(tmp_path / "ev.csv")]) == 0
    assert "after 10 events" in capsys.readouterr().out
    assert main(["learn", "export-profiles", "taste", "--store", str(st), "-o", str(tmp_path / "p.json")]) == 0
    profiles = profiles_from_json(json.loads((tmp_path / "p.json").read_text()), "p.json")
    assert all(p.description and p.contexts for p in profiles)
    capsys.readouterr()
    assert main(["learn", "report", str(tmp_path / "p.json"), "--store", str(st)]) == 2
    assert "outside the model store" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("listener,timestamp,cue,variant,valence,arousal,kept,dwell\nL1,0,night_chase,loud,0,0,1,3\n")
    assert main(["learn", "fit", str(bad), "-o", "x", "--store", str(st)]) == 2
    assert "line 2: variant: cue 'night_chase' has no variant 'loud'" in capsys.readouterr().err
