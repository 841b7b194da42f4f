"""The model store refuses what it did not sign; the learn CLI end to end on a SYNTHETIC population."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
    mp.write_text(mp.read_text().replace('"schema_version": 2', '"schema_version": 99'))
    with pytest.raises(ModelStoreError, match="model schema 99 is not supported"):
        store.load("old")

    # a model + metadata saved by another user (another key) is refused
    own_key = os.environ["COMPOSER_ASSIST_KEY_FILE"]
    os.environ["COMPOSER_ASSIST_KEY_FILE"] = str(tmp_path / "other-user" / "store.key")
    try:
        ModelStore(tmp_path / "other").save(model, "foreign")
    finally:
        os.environ["COMPOSER_ASSIST_KEY_FILE"] = own_key
    for suffix in (".joblib", ".meta.json"):
        (store.root / f"foreign{suffix}").write_bytes((tmp_path / "other" / f"foreign{suffix}").read_bytes())
    with pytest.raises(ModelStoreError, match="not signed with your key on this machine"):
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


def test_key_is_per_user_outside_stores_and_signs_the_metadata(tmp_path, small_model):
    import stat

    _, model = small_model
    key = Path(os.environ["COMPOSER_ASSIST_KEY_FILE"])
    a, b = ModelStore(tmp_path / "a"), ModelStore(tmp_path / "b")
    a.save(model, "taste")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and not list(a.root.glob(".*key*"))
    # the same user's models load from any of their stores
    for suffix in (".joblib", ".meta.json"):
        (b.root / f"taste{suffix}").parent.mkdir(exist_ok=True)
        (b.root / f"taste{suffix}").write_bytes((a.root / f"taste{suffix}").read_bytes())
    assert isinstance(load_model("taste", b.root), ListenerPreferenceModel)
    # editing any metadata field breaks the signature
    mp = b.root / "taste.meta.json"
    meta = json.loads(mp.read_text())
    meta["feature_schema"]["features"][0] = "all:tag:edited"
    mp.write_text(json.dumps(meta))
    with pytest.raises(ModelStoreError, match="not signed with your key"):
        b.load("taste")
    # a key file inside the store is never used
    os.environ["COMPOSER_ASSIST_KEY_FILE"] = str(a.root / "store.key")
    try:
        with pytest.raises(ModelStoreError, match="must not live inside the model store"):
            a.load("taste")
    finally:
        os.environ["COMPOSER_ASSIST_KEY_FILE"] = str(key)
    key.chmod(0o644)
    try:
        with pytest.raises(ModelStoreError, match="mode 0600"):
            a.load("taste")
    finally:
        key.chmod(0o600)


def test_project_shipping_its_own_key_and_pickle_runs_nothing(tmp_path, capsys):
    """A downloaded project with models/KEY + pickle + matching meta must not be unpickled."""
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
    assert main(["learn", "report", "taste", "--project", str(tmp_path / "proj")]) == 2
    assert "not signed with your key" in capsys.readouterr().err
    assert not marker.exists()


def test_report_refuses_a_signed_model_of_the_wrong_type(tmp_path, capsys):
    ModelStore(tmp_path / "s").save({"not": "a model"}, "odd", extra={"feature_schema": {"version": 1}})
    assert main(["learn", "report", "odd", "--store", str(tmp_path / "s")]) == 2
    assert "not a fitted listener preference model (found dict)" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["..", ".", "", ".hidden", "a b", "sub/..", "taste/"])
def test_bad_model_names_refused(tmp_path, name):
    with pytest.raises(ModelStoreError, match="model name"):
        ModelStore(tmp_path / "s").path_for(name)


def test_model_paths_resolve_inside_the_store(tmp_path, monkeypatch):
    store = ModelStore(tmp_path / "s")
    assert store.path_for("taste.v2") == store.root / "taste.v2.joblib"
    assert store.path_for("taste.meta.json") == store.root / "taste.joblib"
    assert store.path_for(store.root / "taste") == store.root / "taste.joblib"
    monkeypatch.chdir(tmp_path)
    assert store.path_for("s/taste.joblib") == store.root / "taste.joblib"
    with pytest.raises(ModelStoreError, match="relative path is taken from the current folder"):
        store.path_for("other/taste")
