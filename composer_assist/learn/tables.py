"""Assignment tables: what a listener's feedback says about their cluster, as arrays and as JSON.

A fitted model holds, per cluster k, emotion context c (``core.profile.CONTEXTS``) and catalog
variant j, ``log P(skipped/kept | k, c, j)`` (shape K x 4 x J x 2) and ``log P(rating level | k, c,
j)`` (K x 4 x J x 6; level 0 = no rating, always 0 so it says nothing), plus the log population
prior per cluster (K).  A listener's log posterior is the prior plus their events' log
likelihoods.  ``learn export-profiles`` writes these tables beside the profiles
(``export_json``), so a cue package assigns listeners with ``assign_from_export`` and that JSON
alone -- no model file and no scikit-learn -- and gets the same cluster as the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from composer_assist.core.errors import FeedbackError, ProjectError
from composer_assist.learn.feedback_log import kept_code, rating_code
from composer_assist.core.assignment import log_posterior, normalise
from composer_assist.core.fields import Fields
from composer_assist.core.profile import CONTEXTS, ClusterProfile, context_of, profiles_from_json, profiles_to_json

from .features import RATING_LEVELS
from .jsonio import read_json
from .min_size import MIN_CLUSTER_SIZE, with_min_cluster_size

ASSIGNMENT_SCHEMA_VERSION = 1


@dataclass
class AssignmentTables:
    variants: list[tuple[str, str]]  # (cue, variant) per catalog index j
    log_prior: np.ndarray  # (K,)
    log_keep: np.ndarray  # (K, 4, J, 2)
    log_rating: np.ndarray  # (K, 4, J, RATING_LEVELS)

    def __post_init__(self) -> None:
        self._index = {v: j for j, v in enumerate(self.variants)}
        self._ctx = {c: i for i, c in enumerate(CONTEXTS)}

    @classmethod
    def from_model(cls, model: Any) -> "AssignmentTables":
        """The tables of a fitted ListenerPreferenceModel (fitted on a feedback log)."""
        return cls([(v.cue, v.name) for v in model.catalog_.variants], model.log_prior_, model.log_keep_,
                   model.log_rating_)

    @property
    def n_clusters(self) -> int:
        return int(self.log_prior.shape[0])

    def event_codes(self, cue: Any, variant: Any, valence: Any, arousal: Any, kept: Any, rating: Any = None,
                    where: str = "event") -> tuple[int, int, int, int]:
        """(context, variant, kept, rating) codes of one event, validated as a log row is."""
        j = self._index.get((cue, variant)) if isinstance(cue, str) and isinstance(variant, str) else None
        if j is None:
            raise FeedbackError(f"{where}: cue {cue!r} has no variant {variant!r} in this model's catalog")
        for name, value in (("valence", valence), ("arousal", arousal)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not -1.0 <= value <= 1.0:
                raise FeedbackError(f"{where}: {name}: {value!r} is not a number in [-1, 1]")
        k = kept_code(kept)
        if k < 0:
            raise FeedbackError(f"{where}: kept: {kept!r} is not True/False, 1/0, keep/skip or true/false")
        # an infinite rating is no whole number (and int(inf) would raise inside rating_code)
        r = -1 if isinstance(rating, float) and math.isinf(rating) else rating_code(rating)
        if r < 0:
            raise FeedbackError(f"{where}: rating: {rating!r} is not a whole number 1..5 (or None)")
        return self._ctx[context_of(valence, arousal)], j, k, r

    def log_posterior(self, events: Iterable[Mapping[str, Any]]) -> tuple[np.ndarray, int]:
        """Log posterior and event count from event mappings with the log's columns as keys
        (``cue``, ``variant``, ``valence``, ``arousal``, ``kept``, optional ``rating``)."""
        codes = []
        for i, e in enumerate(events):
            if not isinstance(e, Mapping):
                raise FeedbackError(f"events[{i}]: expected an object with the feedback log's columns")
            missing = [c for c in ("cue", "variant", "valence", "arousal", "kept") if c not in e]
            if missing:
                raise FeedbackError(f"events[{i}]: missing {', '.join(missing)}")
            codes.append(self.event_codes(e["cue"], e["variant"], e["valence"], e["arousal"], e["kept"],
                                          e.get("rating"), f"events[{i}]"))
        arr = np.array(codes, dtype=np.int64).reshape(-1, 4)
        return log_posterior(self.log_prior, self.log_keep, self.log_rating, *arr.T), len(codes)

    def to_json(self) -> dict[str, Any]:
        # float.__repr__ round-trips exactly, so tables read back give bit-identical posteriors
        return {"schema_version": ASSIGNMENT_SCHEMA_VERSION, "contexts": list(CONTEXTS),
                "variants": [{"cue": c, "variant": v} for c, v in self.variants],
                "rating_levels": RATING_LEVELS, "log_prior": self.log_prior.tolist(),
                "log_keep": self.log_keep.tolist(), "log_rating": self.log_rating.tolist()}

    @classmethod
    def from_json(cls, data: Any, source: str = "<assignment>", path: str = "assignment") -> "AssignmentTables":
        f = Fields(data, path, source, ProjectError)
        version = f.int("schema_version")
        if version != ASSIGNMENT_SCHEMA_VERSION:
            raise f.fail(f"assignment schema version {version} is not supported "
                         f"(expected {ASSIGNMENT_SCHEMA_VERSION})", f.where("schema_version"))
        if f.list("contexts") != list(CONTEXTS):
            raise f.fail(f"expected the contexts {', '.join(CONTEXTS)} in that order", f.where("contexts"))
        variants = []
        for i, raw in enumerate(f.list("variants")):
            g = Fields(raw, f"{f.where('variants')}[{i}]", source, ProjectError)
            variants.append((g.str("cue"), g.str("variant")))
        if len(set(variants)) != len(variants) or not variants:
            raise f.fail("expected a non-empty list of distinct cue/variant pairs", f.where("variants"))
        prior = _array(f, "log_prior", 1)
        k, j = prior.shape[0], len(variants)
        keep = _array(f, "log_keep", 4, (k, len(CONTEXTS), j, 2))
        rating = _array(f, "log_rating", 4, (k, len(CONTEXTS), j, RATING_LEVELS))
        if k < 1:
            raise f.fail("expected at least one cluster", f.where("log_prior"))
        return cls(variants, prior, keep, rating)


def _array(f: Fields, key: str, ndim: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    value = f.list(key)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError, OverflowError, RecursionError):
        arr = None
    want = " x ".join(map(str, shape)) if shape else "a list of"
    if arr is None or arr.ndim != ndim or (shape is not None and arr.shape != shape) or \
            any(isinstance(x, (bool, str)) for x in _flat(value)):
        raise f.fail(f"expected {want} numbers", f.where(key))
    if not np.isfinite(arr).all():
        raise f.fail("expected finite numbers", f.where(key))
    return arr


def _flat(value: Any) -> Iterable[Any]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        else:
            yield v


@dataclass
class TableAssignment:
    cluster: int
    confidence: float  # posterior probability of that cluster
    posterior: np.ndarray
    n_events: int
    profile: ClusterProfile


def export_json(model: Any, min_cluster_size: int = MIN_CLUSTER_SIZE) -> dict[str, Any]:
    """Profiles (``core.profile`` schema) plus the assignment tables, for ``learn export-profiles``:
    clusters of at least ``min_cluster_size`` listeners only (smaller ones merged, noted in
    ``"privacy"``); no listener id or event."""
    model = with_min_cluster_size(model, min_cluster_size)
    privacy = {"min_cluster_size": int(model.min_cluster_size_), "notes": list(getattr(model, "privacy_notes_", []))}
    return {**profiles_to_json(model.profiles_), "assignment": AssignmentTables.from_model(model).to_json(),
            "privacy": privacy}


def tables_from_export(data: Any, source: str = "<export>") -> tuple[list[ClusterProfile], AssignmentTables]:
    """Profiles and tables of an exported JSON object, checked against each other."""
    profiles = profiles_from_json(data, source)
    if not isinstance(data, dict) or "assignment" not in data:
        raise ProjectError(f"{source}: assignment: missing (export the profiles again with a newer "
                           f"`learn export-profiles` to assign listeners without the model)")
    tables = AssignmentTables.from_json(data["assignment"], source)
    if sorted(p.cluster for p in profiles) != list(range(tables.n_clusters)):
        raise ProjectError(f"{source}: profiles: expected clusters 0..{tables.n_clusters - 1}, one profile each, "
                           f"to match assignment.log_prior")
    return profiles, tables


def assign_from_export(data: Any, events: Iterable[Mapping[str, Any]], listener: str | None = None,
                       source: str = "<export>") -> TableAssignment:
    """A listener's cluster from exported JSON (``export_json``) and their feedback events alone.

    ``events`` are mappings with the feedback log's columns; with ``listener`` only the events
    whose ``listener`` equals it count.  No events: the population prior decides.
    """
    profiles, tables = tables_from_export(data, source)
    if listener is not None:
        events = [e for e in events if isinstance(e, Mapping) and str(e.get("listener")) == listener]
    lp, n = tables.log_posterior(events)
    post = normalise(lp)
    k = int(np.argmax(post))
    return TableAssignment(k, float(post[k]), post, n, next(p for p in profiles if p.cluster == k))


def load_export(path: str | Path) -> Any:
    """Parsed JSON of an exported profiles file (one-line errors, deep nesting included)."""
    return read_json(path, ProjectError)


__all__ = ["ASSIGNMENT_SCHEMA_VERSION", "AssignmentTables", "TableAssignment", "assign_from_export", "export_json",
           "load_export", "log_posterior", "normalise", "tables_from_export"]
