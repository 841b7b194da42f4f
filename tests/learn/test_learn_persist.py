"""Models persist as arrays + JSON (no pickle) and load back into an identical model; no file runs code."""

from __future__ import annotations

import io
import json
import time
import zipfile

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import ModelStoreError
from composer_assist.learn.assign import OnlineAssigner, assign, load_model
from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population
from composer_assist.learn.store import ModelStore, _digest, decode_model_file, encode_model_file


@pytest.fixture(scope="module")
def pop():
    return generate_population(400, 20, seed=6)


@pytest.fixture(scope="module")
def saved(pop, tmp_path_factory) -> bytes:
    """The bytes of one saved gmm model (tests copy them into their own store)."""
    return ModelStore(tmp_path_factory.mktemp("saved")).save(next(_fits(pop)), "taste", min_cluster_size=1).read_bytes()


def _fits(pop):
    yield ListenerPreferenceModel(max_clusters=4, random_state=0).fit(pop.log)
    yield ListenerPreferenceModel(method="kmeans", n_clusters=3, random_state=1).fit(pop.log)
    yield ListenerPreferenceModel(method="gmm", covariance_type="tied", n_clusters=3, random_state=2).fit(pop.log)
    stream = ListenerPreferenceModel(method="minibatch", n_clusters=4, random_state=3)
    for part in np.array_split(np.arange(pop.log.n_listeners), 2):
        stream.partial_fit(pop.log.take(np.isin(pop.log.listener, part)))
    yield stream


def test_round_trip_gives_identical_results(tmp_path, pop):
    store = ModelStore(tmp_path)
    new = generate_population(60, 15, seed=9, id_prefix="N").log
    for i, model in enumerate(_fits(pop)):
        store.save(model, f"m{i}", min_cluster_size=1)  # every cluster kept: the same model comes back
        back = load_model(f"m{i}", tmp_path)
        assert back.get_params(deep=False).keys() == model.get_params(deep=False).keys()
        assert back.catalog_.to_json() == model.catalog_.to_json()
        assert not hasattr(back, "listener_ids_") and not hasattr(back, "labels_")  # nothing per listener
        for x in (pop.log, new):
            assert np.array_equal(back.predict(x), model.predict(x))
            assert np.array_equal(back.transform(x), model.transform(x))
            assert np.array_equal(back.predict_proba(x), model.predict_proba(x))
        assert np.array_equal(back.cluster_sizes_, model.cluster_sizes_)
        assert [p.to_json() for p in back.profiles_] == [p.to_json() for p in model.profiles_]
        for lid in new.listener_ids[:20]:
            a, b = assign(back, new, lid), assign(model, new, lid)
            assert a.cluster == b.cluster and np.array_equal(a.posterior, b.posterior)
        online = [OnlineAssigner(m) for m in (back, model)]
        for row in new.for_listener(new.listener_ids[0]).to_rows():
            for o in online:
                o.observe(row["cue"], row["variant"], row["valence"], row["arousal"], row["kept"], row["rating"])
        assert np.array_equal(online[0].posterior, online[1].posterior)


def test_streaming_continues_after_loading_as_if_never_saved(tmp_path, pop):
    parts = [pop.log.take(np.isin(pop.log.listener, p)) for p in np.array_split(np.arange(pop.log.n_listeners), 3)]
    model = ListenerPreferenceModel(method="minibatch", n_clusters=4, random_state=0)
    model.partial_fit(parts[0]).partial_fit(parts[1])
    ModelStore(tmp_path).save(model, "stream", min_cluster_size=1)
    back = load_model("stream", tmp_path)
    model.partial_fit(parts[2])
    back.partial_fit(parts[2])
    assert np.array_equal(back.pipeline_[-1].cluster_centers_, model.pipeline_[-1].cluster_centers_)
    # a loaded model knows only the listeners of batches since loading
    assert np.array_equal(back.labels_, model.labels_[-parts[2].n_listeners:])
    assert np.array_equal(back.cluster_sizes_, model.cluster_sizes_) and np.array_equal(back.log_keep_, model.log_keep_)


def test_file_is_arrays_and_json_only_and_loads_fast(tmp_path, pop):
    model = next(_fits(pop))
    path = ModelStore(tmp_path).save(model, "taste", extra={"quality": {"ari": float("nan"), "scores": {2: 1.5}}})
    with zipfile.ZipFile(path) as z:
        assert all(n.endswith(".npy") for n in z.namelist())
    with np.load(path, allow_pickle=False) as npz:  # would raise on any pickled (object) array
        assert all(npz[k].dtype.kind in "biuf" for k in npz.files)
    meta = json.loads(np.load(path, allow_pickle=False)["meta"].tobytes())
    assert meta["quality"] == {"ari": None, "scores": {"2": 1.5}}
    assert {"hyperparameters", "pipeline", "profiles", "catalog", "feature_schema"} <= set(meta)
    assert [s["class"] for s in meta["pipeline"]] == ["StandardScaler", "PCA", "GaussianMixture"]
    t = time.perf_counter()
    load_model("taste", tmp_path)
    assert time.perf_counter() - t < 1.0


def _rewrite(path, edit) -> None:
    """Edit a model file's metadata/arrays and re-seal it, as a forger with the format would."""
    meta, arrays = decode_model_file(path.read_bytes(), str(path))
    edit(meta, arrays)
    meta["sha256"] = _digest(meta, arrays)
    path.write_bytes(encode_model_file(meta, arrays))


@pytest.mark.parametrize("edit, message", [
    (lambda m, a: m["pipeline"][2].update({"class": "os.system"}), r"pipeline\[2\]: class must be one of"),
    (lambda m, a: m["pipeline"][0]["attrs"].update({"transform": {"kind": "str", "value": "x"}}),
     r"pipeline\[0\].attrs.transform: not a field this model has"),
    (lambda m, a: m["model"].update({"__class__": {"kind": "none"}}), r"model.__class__: not a field"),
    (lambda m, a: m["hyperparameters"].update({"method": {"kind": "str", "value": "evil"}}),
     r"method must be one of"),
    (lambda m, a: a.update({"model.log_keep_": a["model.log_keep_"][:1]}), r"log_keep_: inconsistent model"),
    (lambda m, a: m["model"]["cluster_sizes_"].update({"kind": "float"}), r"cluster_sizes_.*not a float"),
    (lambda m, a: m["profiles"]["profiles"][0].update({"share": 7}), r"profiles\[0\].share: 7 is outside"),
])
def test_forged_files_are_refused_in_one_line(tmp_path, saved, edit, message):
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, edit)
    with pytest.raises(ModelStoreError, match=message) as exc:
        load_model("taste", tmp_path)
    assert "\n" not in str(exc.value)


def test_tampering_deep_json_and_pickled_arrays_are_refused(tmp_path, saved, capsys):
    store = ModelStore(tmp_path)
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    meta, arrays = decode_model_file(path.read_bytes(), str(path))
    arrays["model.cluster_sizes_"] = arrays["model.cluster_sizes_"][::-1].copy()  # edited without re-sealing
    path.write_bytes(encode_model_file(meta, arrays))
    with pytest.raises(ModelStoreError, match="SHA-256 mismatch"):
        store.load("taste")
    deep = ("[" * 100000 + "]" * 100000).encode()
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(deep, np.uint8))
    path.write_bytes(buf.getvalue())
    assert main(["learn", "report", "taste", "--store", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().endswith("taste.npz: meta: invalid JSON: nested too deeply")
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(b"{}", np.uint8), evil=np.array([print], dtype=object))  # a pickled member
    path.write_bytes(buf.getvalue())
    with pytest.raises(ModelStoreError, match="damaged or not a model file.*allow_pickle=False"):
        store.load("taste")


def test_report_survives_malformed_informational_metadata(tmp_path, saved, capsys):
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, lambda m, a: m.update(quality={"selection": 5, "new_listeners": {"curve": [[[1]]]}}, versions=[]))
    assert main(["learn", "report", "taste", "--store", str(tmp_path), "--png", str(tmp_path / "r.png")]) == 0
    out = capsys.readouterr().out
    assert "Quality: the figures in the model file are malformed." in out and "scikit-learn ?" in out
