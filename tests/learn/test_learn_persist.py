"""Models persist as arrays + JSON (no pickle) and load back into an identical model; no file runs code."""

from __future__ import annotations

import io
import json
import re
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


def _array_edit(name: str, change):
    """An edit for ``_rewrite`` that replaces the array ``name`` by ``change(array)``."""
    def edit(meta, arrays):
        arrays[name] = np.asarray(change(arrays[name].copy()))
    return edit


def _put(a, index, value):
    a[index] = value
    return a


def test_forged_cluster_count_is_refused_before_anything_is_allocated(tmp_path, saved, capsys, capped_cli):
    """n_clusters_ = 1e9 made loading build list(range(1e9)) (24 GB, OOM-killed) in report, assign,
    export-profiles and adapt; the count is now compared with the centres actually stored first.
    The commands run with a capped address space, so a regression is a MemoryError, not a kill."""
    store = tmp_path / "s"
    store.mkdir()
    path = store / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, _array_edit("model.n_clusters_", lambda a: 10**9))
    events = tmp_path / "e.csv"
    events.write_text("listener,timestamp,cue,variant,valence,arousal,kept,dwell\nL1,1,night_chase,calm,0,0,1,5\n")
    results = capped_cli(["learn", "report", "taste", "--store", str(store)],
                         ["learn", "assign", "taste", "--store", str(store), "--events", str(events)],
                         ["learn", "export-profiles", "taste", "--store", str(store), "-o", str(tmp_path / "p.json")])
    message = f"error: {path}: model.n_clusters_: inconsistent model (1000000000, expected 2: one centre per cluster)\n"
    assert results == [(2, message)] * 3


@pytest.mark.parametrize("edit, message", [
    (_array_edit("pipeline.2.attr.covariances_", lambda a: _put(a, (0, 0, 0), np.nan)),
     r"pipeline\[2\].attrs.covariances_: holds NaN or infinite values"),
    (_array_edit("pipeline.2.attr.covariances_", lambda a: _put(a, (1, 2, 2), np.inf)),
     r"pipeline\[2\].attrs.covariances_: holds NaN or infinite values"),
    (_array_edit("pipeline.2.attr.covariances_", lambda a: a[:-1]),
     r"pipeline\[2\].attrs.covariances_: inconsistent model \(shape \(1, 5, 5\), expected \(2, 5, 5\): full "
     r"covariances of 2 clusters in 5 dimensions\)"),
    (_array_edit("pipeline.2.attr.covariances_", lambda a: a[..., 0]),
     r"pipeline\[2\].attrs.covariances_: inconsistent model \(shape \(2, 5\)"),
    (_array_edit("pipeline.0.attr.scale_", lambda a: a[:7]),
     r"pipeline\[0\].attrs.scale_: inconsistent model \(shape \(7,\), expected \(60,\): one per feature\)"),
    (_array_edit("pipeline.0.attr.scale_", lambda a: -a), r"pipeline\[0\].attrs.scale_: .*not positive"),
    (_array_edit("pipeline.2.attr.weights_", lambda a: a[:-1]),
     r"pipeline\[2\].attrs.weights_: inconsistent model \(shape \(1,\), expected \(2,\): one per cluster\)"),
    (_array_edit("pipeline.2.attr.weights_", lambda a: a * 2), r"pipeline\[2\].attrs.weights_: .*not shares summing to 1"),
    (_array_edit("pipeline.1.attr.components_", lambda a: a[:, :7]),
     r"pipeline\[1\].attrs.components_: inconsistent model \(shape \(5, 7\), expected \(components, 60\)"),
    (_array_edit("pipeline.1.attr.components_", lambda a: a[:4]), r"pipeline\[1\].attrs.n_components_: .*5, expected 4"),
    (_array_edit("model.log_prior_", lambda a: np.full_like(a, np.nan)), r"model.log_prior_: holds NaN or infinite"),
    (_array_edit("model.log_prior_", lambda a: a[:-1]), r"model.log_prior_: inconsistent model \(shape \(1,\)"),
    (_array_edit("model.cluster_sizes_", lambda a: _put(a, 0, -5)), r"model.cluster_sizes_: .*whole numbers >= 0"),
    (_array_edit("stats.table", lambda a: a[:, :, :2]), r"stats.table: inconsistent model \(shape \(2, 4, 2, 8\)"),
    (_array_edit("model.spread_", lambda a: np.inf), r"model.spread_: holds NaN or infinite values"),
    (lambda m, a: m["pipeline"][2]["params"]["covariance_type"].update(value="evil"),
     r"pipeline\[2\].params.covariance_type: 'evil' is not one of full, tied, diag, spherical"),
    (lambda m, a: m["pipeline"].insert(1, m["pipeline"][2]), r"pipeline: steps StandardScaler, GaussianMixture, PCA"),
], ids=["nan-cov", "inf-cov", "cov-clusters", "cov-rank", "scale-shape", "scale-sign", "weights-shape", "weights-sum",
        "components-width", "components-rows", "nan-prior", "prior-shape", "negative-size", "stats-shape", "inf-spread",
        "covariance-type", "step-order"])
def test_non_finite_and_disagreeing_arrays_are_refused(tmp_path, saved, edit, message):
    """They were accepted, and report crashed (LinAlgError, IndexError), hung (SVD of inf) or printed p=nan."""
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, edit)
    with pytest.raises(ModelStoreError, match=rf"^{path}: {message}") as exc:
        load_model("taste", tmp_path)
    assert "\n" not in str(exc.value)


def test_report_refuses_nan_covariances_in_one_line(tmp_path, saved, capsys):
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, _array_edit("pipeline.2.attr.covariances_", lambda a: _put(a, (0, 0, 0), np.nan)))
    assert main(["learn", "report", "taste", "--store", str(tmp_path), "--png", str(tmp_path / "r.png")]) == 2
    assert capsys.readouterr().err == f"error: {path}: pipeline[2].attrs.covariances_: holds NaN or infinite values\n"


def test_array_declaring_gigabytes_is_refused_unread(tmp_path, saved):
    """numpy sizes an .npz member by its header before reading it: 30 kB could ask for 8 GB."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)})
    path = tmp_path / "taste.npz"
    with zipfile.ZipFile(io.BytesIO(saved)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            out.writestr(name, src.read(name))
        out.writestr("bomb.npy", header.getvalue() + bytes(64))
    with pytest.raises(ModelStoreError, match=r"taste.npz: bomb: the arrays declare more than the 256 MiB a model "
                                              r"may hold \(shape \(1000000000,\)\)"):
        load_model("taste", tmp_path)


@pytest.mark.parametrize("edit, field", [
    (lambda m, a: m["profiles"]["profiles"][0].update(label="\u001b]0;pwned\u0007\u001b[2J"), r"profiles\[0\].label"),
    (lambda m, a: m["profiles"]["profiles"][1]["description"].append("\u001b[2J"), r"profiles\[1\].description\[\d+\]"),
    (lambda m, a: m["catalog"]["variants"][0]["tags"].append("x\u009b"), r"catalog: variants\[0\].tags\[2\]"),
    (lambda m, a: m["model"].update(privacy_notes_={"kind": "strs", "value": ["\u0007"]}), r"model.privacy_notes_\[0\]"),
    (lambda m, a: m["selection"].update(criterion="bic\u001b[2J"), r"selection.criterion"),
], ids=["label", "description", "tag", "note", "criterion"])
def test_control_characters_in_model_text_are_refused(tmp_path, saved, capsys, edit, field):
    """A label "\\x1b]0;pwned\\x07\\x1b[2J" set the terminal's title and cleared its screen when
    learn report printed it: every text a model file holds is a word someone reads."""
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, edit)
    assert main(["learn", "report", "taste", "--store", str(tmp_path), "--png", str(tmp_path / "r.png")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and re.fullmatch(rf"error: {re.escape(str(path))}: (profiles: )?{field}: contains the control "
                                      rf"character U\+00[0-9A-F]{{2}}, which no name or word holds\n", err)


def test_report_escapes_control_characters_in_informational_metadata(tmp_path, saved, capsys):
    """created, versions and quality figures are shown as the file has them, never acted on."""
    path = tmp_path / "taste.npz"
    path.write_bytes(saved)
    _rewrite(path, lambda m, a: m.update(created="\u001b]0;pwned\u0007\u001b[2J", quality={
        "convergence_reference": "\u009b31m", "new_listeners": {"events_for_90": 3, "curve": [[0, 0.5]], "listeners": 4}}))
    assert main(["learn", "report", "taste", "--store", str(tmp_path), "--png", str(tmp_path / "r.png")]) == 0
    out = capsys.readouterr().out
    assert "Model file: created \\x1b]0;pwned\\x07\\x1b[2J, " in out and "right (\\x9b31m)" in out
    assert not any(ch in out for ch in "\u001b\u0007\u009b")
