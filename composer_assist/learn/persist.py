"""A fitted ListenerPreferenceModel as plain arrays and JSON, and back -- never pickle.

``model_state(model)`` returns ``(meta, arrays)``: ``meta`` is JSON (hyperparameters, catalog,
profiles, feature schema, model selection, and per pipeline step its class name, parameters and
fitted attributes), ``arrays`` the numeric arrays it refers to by name (scaler mean/scale, PCA
components, mixture weights/means/covariances or k-means centres, the cluster likelihood tables
for online assignment, the profile statistics, cluster sizes).  Nothing per listener is stored:
no listener ids, no labels, no feature rows (see ``learn/min_size.py`` for the k of each cluster).  ``model_from_state``
rebuilds an equivalent model: the same arrays in the same estimators, so ``predict``,
``transform``, ``predict_proba`` and assignment give identical results.

Nothing read from a file names code: the steps are built from a fixed table of scikit-learn
classes, only listed attributes are set, and values are numbers, strings or numeric arrays.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from composer_assist.core.errors import ComposerAssistError, ModelStoreError
from composer_assist.core.fields import unprintable
from composer_assist.core.profile import profiles_from_json, profiles_to_json

from .catalog import VariantCatalog
from .features import N_CONTEXTS, RATING_LEVELS, feature_names
from .model import MAX_CLUSTERS, ListenerPreferenceModel
from .profiles import N_STATS, ClusterStats

# The only classes a pipeline step can be rebuilt as, and the fitted attributes each may carry
# (public ones, plus the private ones scikit-learn's predict / partial_fit read).
_STEPS: dict[str, tuple[type, tuple[str, ...]]] = {
    "StandardScaler": (StandardScaler, ("n_features_in_", "n_samples_seen_", "mean_", "var_", "scale_")),
    "PCA": (PCA, ("n_features_in_", "_fit_svd_solver", "mean_", "noise_variance_", "n_samples_", "n_components_",
                  "components_", "explained_variance_", "explained_variance_ratio_", "singular_values_")),
    "GaussianMixture": (GaussianMixture, ("n_features_in_", "converged_", "weights_", "means_", "covariances_",
                                          "precisions_cholesky_", "precisions_", "n_iter_", "lower_bound_",
                                          "lower_bounds_")),
    "KMeans": (KMeans, ("n_features_in_", "_tol", "_n_init", "_algorithm", "cluster_centers_", "_n_features_out",
                        "inertia_", "n_iter_")),
    "MiniBatchKMeans": (MiniBatchKMeans, ("n_features_in_", "_tol", "_n_init", "_batch_size", "_init_size",
                                          "_counts", "_ewa_inertia", "_ewa_inertia_min", "_no_improvement",
                                          "_n_since_last_reassign", "cluster_centers_", "_n_features_out",
                                          "n_steps_", "n_iter_", "inertia_")),
}
# Model attributes stored as plain values or arrays (composite ones are handled one by one below).
# Cluster parameters only: no listener ids, labels or feature rows -- nothing per listener is saved.
_MODEL_ATTRS = ("n_features_in_", "n_clusters_", "spread_", "incremental_", "n_seen_", "dwell_median_",
                "cluster_sizes_", "log_keep_", "log_rating_", "log_prior_", "feature_names_", "min_cluster_size_",
                "privacy_notes_")
_STATS = ("table", "ratings", "listeners", "slope")
# Figures scikit-learn keeps about how a fit went; nothing predicts or draws with them, and an
# unlucky fit may leave one infinite, so they alone may be.  Every other array must be finite.
_INFORMATIONAL = {"lower_bound_", "lower_bounds_", "inertia_", "_ewa_inertia", "_ewa_inertia_min"}
_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_STEP_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")


class _Encoder:
    """Collects arrays under unique keys while values are turned into JSON descriptions."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def value(self, key: str, v: Any) -> dict[str, Any]:
        if v is None:
            return {"kind": "none"}
        if isinstance(v, str):
            return {"kind": "str", "value": v}
        if isinstance(v, (list, tuple)) and v and all(isinstance(x, str) for x in v):
            return {"kind": "strs", "value": list(v)}
        if isinstance(v, (bool, np.bool_)):
            kind = "bool"
        elif isinstance(v, (int, np.integer)):
            kind = "int"
        elif isinstance(v, (float, np.floating)):
            kind = "float"  # as a 0-d array, so inf / nan survive without non-standard JSON
        elif isinstance(v, (list, tuple)):
            kind = "list"
        elif isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
            kind = "array"
        else:
            raise ModelStoreError(f"{key}: cannot store a {type(v).__name__} without pickle")
        self.arrays[key] = np.asarray(v)
        return {"kind": kind, "array": key}

    def values(self, prefix: str, items: dict[str, Any]) -> dict[str, Any]:
        return {name: self.value(f"{prefix}.{name}", v) for name, v in items.items()}


def model_state(model: ListenerPreferenceModel) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """JSON metadata and named arrays that describe a fitted model completely."""
    if not isinstance(model, ListenerPreferenceModel) or not hasattr(model, "pipeline_"):
        raise ModelStoreError(f"only a fitted ListenerPreferenceModel can be saved (got {type(model).__name__})")
    enc = _Encoder()
    hyper = model.get_params(deep=False)
    catalog = hyper.pop("catalog")
    if not isinstance(hyper["random_state"], (int, np.integer, type(None))):
        hyper["random_state"] = None  # a RandomState object has no file form; the fit is stored anyway
    state: dict[str, Any] = {
        "hyperparameters": {"catalog": catalog.to_json() if catalog is not None else None,
                            **enc.values("param", hyper)},
        "model": enc.values("model", {a: getattr(model, a) for a in _MODEL_ATTRS if hasattr(model, a)}),
        "pipeline": [_step_state(enc, i, name, est) for i, (name, est) in enumerate(model.pipeline_.steps)],
    }
    if hasattr(model, "feature_names_in_"):
        state["model"]["feature_names_in_"] = enc.value("model.feature_names_in_", list(model.feature_names_in_))
    if hasattr(model, "selection_"):
        state["selection"] = {"criterion": model.selection_["criterion"],
                              "scores": [[int(k), float(v)] for k, v in model.selection_["scores"].items()]}
    if hasattr(model, "catalog_"):
        state["catalog"] = model.catalog_.to_json()
        state["profiles"] = profiles_to_json(model.profiles_)
        state["stats"] = enc.values("stats", {a: getattr(model.stats_, a) for a in _STATS})
        state["feature_schema"] = {**model.feature_schema_,
                                   "variants": [list(v) for v in model.feature_schema_["variants"]]}
    return state, enc.arrays


def _step_state(enc: _Encoder, i: int, name: str, est: Any) -> dict[str, Any]:
    cls_name = type(est).__name__
    if cls_name not in _STEPS or type(est) is not _STEPS[cls_name][0]:
        raise ModelStoreError(f"pipeline step {name!r}: cannot store a {cls_name}")
    attrs = {a: getattr(est, a) for a in _STEPS[cls_name][1] if hasattr(est, a)}
    out = {"name": name, "class": cls_name, "params": enc.values(f"pipeline.{i}.param", est.get_params(deep=False)),
           "attrs": enc.values(f"pipeline.{i}.attr", attrs)}
    rs = getattr(est, "_random_state", None)
    if isinstance(rs, np.random.RandomState):  # MiniBatchKMeans: partial_fit goes on drawing from it
        _, keys, pos, has_gauss, cached = rs.get_state()
        out["random_state"] = {"keys": enc.value(f"pipeline.{i}.rng", keys), "pos": int(pos),
                               "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}
    return out


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], source: str):
        self.arrays = arrays
        self.source = source

    def fail(self, where: str, message: str) -> ModelStoreError:
        return ModelStoreError(f"{self.source}: {where}: {message}")

    def value(self, where: str, d: Any) -> Any:
        kind = d.get("kind") if isinstance(d, dict) else None
        if kind == "none":
            return None
        if kind in ("str", "strs"):
            v = d.get("value")
            if (kind == "str" and isinstance(v, str)) or \
                    (kind == "strs" and isinstance(v, list) and all(isinstance(x, str) for x in v)):
                self.text(where, v)
                return v
            raise self.fail(where, f"expected {'a string' if kind == 'str' else 'a list of strings'}")
        if kind not in ("bool", "int", "float", "list", "array"):
            raise self.fail(where, f"unknown value kind {kind!r}")
        a = self.arrays.get(d.get("array")) if isinstance(d.get("array"), str) else None
        if a is None:
            raise self.fail(where, f"array {d.get('array')!r} is missing from the file")
        if a.dtype.kind not in "biuf" or (kind in ("bool", "int", "float") and a.ndim != 0):
            raise self.fail(where, f"array {d['array']!r} has dtype {a.dtype} and shape {a.shape}, not a {kind}")
        if a.dtype.kind == "f" and where.rsplit(".", 1)[-1] not in _INFORMATIONAL and not np.isfinite(a).all():
            raise self.fail(where, "holds NaN or infinite values")
        return {"bool": bool, "int": int, "float": float, "list": np.ndarray.tolist, "array": lambda x: x}[kind](a)

    def text(self, where: str, v: str | list[str]) -> None:
        """Words from the file get printed (report, notes): no escape sequence may reach a terminal."""
        for i, x in enumerate([v] if isinstance(v, str) else v):
            bad = unprintable(x)
            if bad is not None:
                raise self.fail(where if isinstance(v, str) else f"{where}[{i}]",
                                f"contains {bad}, which no name or word holds")

    def values(self, where: str, d: Any, allowed: set[str] | tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(d, dict):
            raise self.fail(where, "expected an object")
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", "not a field this model has")
        return {k: self.value(f"{where}.{k}", v) for k, v in d.items()}


def model_from_state(state: dict[str, Any], arrays: dict[str, np.ndarray], source: str) -> ListenerPreferenceModel:
    """Rebuild the model ``model_state`` described; every inconsistency is a ModelStoreError."""
    dec = _Decoder(arrays, source)
    try:
        hyper = state.get("hyperparameters")
        if not isinstance(hyper, dict):
            raise dec.fail("hyperparameters", "expected an object")
        catalog = hyper.get("catalog")
        params = dec.values("hyperparameters", {k: v for k, v in hyper.items() if k != "catalog"},
                            ListenerPreferenceModel().get_params(deep=False))
        model = ListenerPreferenceModel(**params, catalog=None if catalog is None else
                                        VariantCatalog.from_json(catalog, f"{source}: hyperparameters.catalog"))
        model._check_params()
        for k, v in dec.values("model", state.get("model"), _MODEL_ATTRS + ("feature_names_in_",)).items():
            setattr(model, k, np.asarray(v, dtype=object) if k == "feature_names_in_" else v)
        steps = state.get("pipeline")
        if not isinstance(steps, list) or not steps:
            raise dec.fail("pipeline", "expected a list of steps")
        model.pipeline_ = Pipeline([_step_from_state(dec, i, s) for i, s in enumerate(steps)])
        _composites(dec, state, model)
        _check_consistent(dec, model)
    except ModelStoreError:
        raise
    except ComposerAssistError as exc:  # catalog / profiles / parameters: name the model file (once)
        raise ModelStoreError(str(exc) if str(exc).startswith(f"{source}: ") else f"{source}: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        why = (str(exc).splitlines() or [""])[0]
        raise ModelStoreError(f"{source}: not a consistent listener model ({type(exc).__name__}: {why})") from None
    return model


def _step_from_state(dec: _Decoder, i: int, s: Any) -> tuple[str, Any]:
    where = f"pipeline[{i}]"
    if not isinstance(s, dict) or s.get("class") not in _STEPS:
        raise dec.fail(where, f"class must be one of {', '.join(_STEPS)}")
    name = s.get("name")
    if not isinstance(name, str) or not _STEP_NAME.fullmatch(name):
        raise dec.fail(f"{where}.name", f"{name!r} is not a step name")
    cls, allowed = _STEPS[s["class"]]
    est = cls(**dec.values(f"{where}.params", s.get("params"), cls().get_params(deep=False)))
    for k, v in dec.values(f"{where}.attrs", s.get("attrs"), allowed).items():
        setattr(est, k, v)
    if isinstance(est, KMeans | MiniBatchKMeans):
        # the number of OpenMP threads belongs to this machine, not to the file
        est._n_threads = _threads()
    rs = s.get("random_state")
    if rs is not None:
        keys = dec.value(f"{where}.random_state.keys", rs.get("keys") if isinstance(rs, dict) else None)
        est._random_state = np.random.RandomState()
        est._random_state.set_state(("MT19937", np.asarray(keys, np.uint32), int(rs["pos"]), int(rs["has_gauss"]),
                                     float(rs["cached_gaussian"])))
    return name, est


def _composites(dec: _Decoder, state: dict[str, Any], model: ListenerPreferenceModel) -> None:
    """selection_, catalog_, profiles_, stats_ and feature_schema_ (those not stored as plain values)."""
    sel = state.get("selection")
    if sel is not None:
        if not isinstance(sel["criterion"], str):
            raise dec.fail("selection.criterion", "expected a string")
        dec.text("selection.criterion", sel["criterion"])
        model.selection_ = {"criterion": sel["criterion"],
                            "scores": {int(k): float(v) for k, v in sel["scores"]}}
    if state.get("catalog") is None:
        return
    model.catalog_ = VariantCatalog.from_json(state["catalog"], f"{dec.source}: catalog")
    model.profiles_ = profiles_from_json(state.get("profiles"), f"{dec.source}: profiles")
    for i, p in enumerate(model.profiles_):  # labels and names are checked where profiles are read
        dec.text(f"profiles[{i}].description", p.description)
    stats = dec.values("stats", state.get("stats"), _STATS)
    model.stats_ = ClusterStats(1, 1)
    for k in _STATS:
        setattr(model.stats_, k, np.asarray(stats[k], dtype=np.float64))
    fs = state.get("feature_schema")
    model.feature_schema_ = {"version": int(fs["version"]), "features": [str(f) for f in fs["features"]],
                             "variants": [(str(c), str(v)) for c, v in fs["variants"]]}


def _check_consistent(dec: _Decoder, m: ListenerPreferenceModel) -> None:
    """Counts, shapes and ranges that must agree, so a bad file fails here, in one line, not later
    inside numpy or scikit-learn -- and before anything is sized by a count the file states: every
    count is compared with the arrays actually stored (whose size the store has bounded) first."""
    steps = m.pipeline_.steps
    cls = [type(est).__name__ for _, est in steps]
    if cls[0] != "StandardScaler" or cls[-1] not in ("GaussianMixture", "KMeans", "MiniBatchKMeans") \
            or cls[1:-1] not in ([], ["PCA"]):
        raise dec.fail("pipeline", f"steps {', '.join(cls)} are not StandardScaler, [PCA,] a clusterer")
    last = len(steps) - 1

    def at(i: int, name: str) -> str:  # the field as the decoder named it
        return f"pipeline[{i}].attrs.{name}"

    def array(where: str, value: Any, shape: tuple[int, ...], why: str) -> np.ndarray:
        a = np.asarray(value)
        if a.dtype.kind not in "biuf" or a.shape != shape:
            raise dec.fail(where, f"inconsistent model (shape {a.shape}, expected {shape}: {why})")
        return a

    def count(where: str, value: Any, expected: int, why: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value != expected:
            raise dec.fail(where, f"inconsistent model ({value!r}, expected {expected}: {why})")

    centres = np.asarray(m._centres())
    centres_at = at(last, "means_" if cls[-1] == "GaussianMixture" else "cluster_centers_")
    if centres.dtype.kind not in "biuf" or centres.ndim != 2 or not 1 <= centres.shape[0] <= MAX_CLUSTERS:
        raise dec.fail(centres_at, f"inconsistent model (shape {centres.shape}: expected one row per cluster, "
                                   f"1..{MAX_CLUSTERS} clusters)")
    k, dim = centres.shape
    count("model.n_clusters_", getattr(m, "n_clusters_", None), k, "one centre per cluster")
    n_features = m.n_features_in_
    scaler = steps[0][1]
    count(at(0, "n_features_in_"), getattr(scaler, "n_features_in_", None), n_features, "model.n_features_in_")
    array(at(0, "mean_"), scaler.mean_, (n_features,), "one per feature")
    array(at(0, "var_"), scaler.var_, (n_features,), "one per feature")
    scale = array(at(0, "scale_"), scaler.scale_, (n_features,), "one per feature")
    if not (scale > 0).all():
        raise dec.fail(at(0, "scale_"), "inconsistent model (a feature's scale is not positive)")
    width = n_features
    if len(steps) == 3:
        pca = steps[1][1]
        comps = np.asarray(pca.components_)
        if comps.ndim != 2 or comps.shape[1] != n_features:
            raise dec.fail(at(1, "components_"), f"inconsistent model (shape {comps.shape}, expected "
                                                 f"(components, {n_features}): one column per feature)")
        width = comps.shape[0]
        count(at(1, "n_features_in_"), getattr(pca, "n_features_in_", None), n_features, "one per feature")
        count(at(1, "n_components_"), getattr(pca, "n_components_", None), width, "rows of components_")
        array(at(1, "mean_"), pca.mean_, (n_features,), "one per feature")
        variance = array(at(1, "explained_variance_"), pca.explained_variance_, (width,), "one per component")
        if pca.whiten and not (variance > 0).all():
            raise dec.fail(at(1, "explained_variance_"), "inconsistent model (whitening by a variance <= 0)")
    est = steps[-1][1]
    if dim != width:
        raise dec.fail(centres_at, f"inconsistent model (shape {centres.shape}: centres of {dim} dimensions "
                                   f"after a step giving {width})")
    count(at(last, "n_features_in_"), getattr(est, "n_features_in_", None), dim, "the width of the centres")
    if cls[-1] == "GaussianMixture":
        weights = array(at(last, "weights_"), est.weights_, (k,), "one per cluster")
        if not ((weights >= 0).all() and abs(weights.sum() - 1.0) < 1e-6):
            raise dec.fail(at(last, "weights_"), "inconsistent model (cluster weights are not shares summing to 1)")
        if est.covariance_type not in _COVARIANCE_TYPES:
            raise dec.fail(f"pipeline[{last}].params.covariance_type",
                           f"{est.covariance_type!r} is not one of {', '.join(_COVARIANCE_TYPES)}")
        shape = {"full": (k, dim, dim), "tied": (dim, dim), "diag": (k, dim), "spherical": (k,)}[est.covariance_type]
        for name in ("covariances_", "precisions_", "precisions_cholesky_"):
            if hasattr(est, name):
                array(at(last, name), getattr(est, name), shape, f"{est.covariance_type} covariances of "
                                                                  f"{k} clusters in {dim} dimensions")
    if cls[-1] == "MiniBatchKMeans" and hasattr(est, "_counts"):
        array(at(last, "_counts"), est._counts, (k,), "one per cluster")
    sizes = array("model.cluster_sizes_", m.cluster_sizes_, (k,), "one size per cluster")
    if not ((sizes >= 0) & (sizes == np.round(sizes))).all():
        raise dec.fail("model.cluster_sizes_", "inconsistent model (sizes are not whole numbers >= 0)")
    spread = getattr(m, "spread_", None)
    if spread is not None and not (isinstance(spread, float) and spread > 0):
        raise dec.fail("model.spread_", f"inconsistent model ({spread!r} is not a spread > 0)")
    for name in ("feature_names_", "feature_names_in_"):
        if hasattr(m, name):
            count(f"model.{name}", len(getattr(m, name)), n_features, "one name per feature")
    if not hasattr(m, "catalog_"):
        return
    j, c = len(m.catalog_.variants), N_CONTEXTS
    if list(m.feature_names_) != feature_names(m.catalog_):
        raise dec.fail("model.feature_names_", "inconsistent model (not the features of the catalog's variants)")
    for where, value, shape in (("stats.table", m.stats_.table, (k, c, j, N_STATS)),
                                ("stats.ratings", m.stats_.ratings, (k, c, j, RATING_LEVELS)),
                                ("stats.listeners", m.stats_.listeners, (k,)),
                                ("stats.slope", m.stats_.slope, (5,)),
                                ("model.log_keep_", m.log_keep_, (k, c, j, 2)),
                                ("model.log_rating_", m.log_rating_, (k, c, j, RATING_LEVELS)),
                                ("model.log_prior_", m.log_prior_, (k,))):
        array(where, value, shape, f"{k} clusters, {c} contexts, {j} variants")
    if not np.array_equal(m.stats_.listeners, sizes):
        raise dec.fail("stats.listeners", "inconsistent model (not cluster_sizes_)")
    if len(m.profiles_) != k or [p.cluster for p in m.profiles_] != list(range(k)):
        raise dec.fail("profiles", f"inconsistent model (not one profile per cluster, 0..{k - 1})")
    schema = m.feature_schema_
    if schema["features"] != list(m.feature_names_) or \
            schema["variants"] != [(v.cue, v.name) for v in m.catalog_.variants]:
        raise dec.fail("feature_schema", "inconsistent model (not the features and variants of the catalog)")


def _threads() -> int:
    try:
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
    except ImportError:  # a private helper: fall back to what the machine has
        return os.cpu_count() or 1
    return _openmp_effective_n_threads()


__all__ = ["model_state", "model_from_state"]
