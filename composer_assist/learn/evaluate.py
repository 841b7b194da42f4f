"""Quality figures: planted-cluster recovery, next-choice accuracy, events needed to assign a newcomer.

The split is by listener and by time: a share of listeners is kept out entirely ("new listeners",
for the cold-start figures) and the last events of every other listener are held out ("next
choice").  The model is fitted on what remains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from composer_assist.learn.feedback_log import FeedbackLog

from .features import event_arrays
from .model import ListenerPreferenceModel
from .profiles import policy_choice


@dataclass
class Split:
    train: FeedbackLog
    heldout: FeedbackLog  # later events of training listeners
    new: FeedbackLog  # every event of listeners not trained on


def split_log(log: FeedbackLog, new_fraction: float = 0.1, holdout: float = 0.2, seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    n_l = log.n_listeners
    n_new = int(round(n_l * new_fraction)) if n_l >= 10 else 0
    is_new = np.zeros(n_l, bool)
    is_new[rng.choice(n_l, n_new, replace=False)] = True
    order = np.lexsort((log.timestamp, log.listener))
    lst = log.listener[order]
    count = np.bincount(lst, minlength=n_l)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    rank = np.arange(len(order)) - start[lst]
    n_hold = np.where(count >= 2, np.ceil(count * holdout).astype(int), 0)
    held = np.zeros(len(log), bool)
    held[order] = rank >= count[lst] - n_hold[lst]
    row_new = is_new[log.listener]
    return Split(log.take(~row_new & ~held), log.take(~row_new & held), log.take(row_new))


UNMATCHED = -2  # a planted cluster no learned cluster stands for: its listeners cannot be assigned right


def match_clusters(truth: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """Planted cluster -> learned cluster, by the best one-to-one overlap (Hungarian); planted
    clusters left over (more planted than learned) -> ``UNMATCHED``.  Mapping them to their best
    overlap instead made fewer clusters score better: one cluster was "100 % right"."""
    t_vals, l_vals = np.unique(truth), np.unique(labels)
    table = np.array([[np.sum((truth == t) & (labels == l)) for l in l_vals] for t in t_vals])
    rows, cols = linear_sum_assignment(-table)
    mapping = {int(t_vals[r]): int(l_vals[c]) for r, c in zip(rows, cols)}
    for t in t_vals:
        mapping.setdefault(int(t), UNMATCHED)
    return mapping


def next_choice(model: ListenerPreferenceModel, heldout: FeedbackLog) -> dict[str, float]:
    """Of held-out events the listener kept: how often the variant is the one their cluster keeps most."""
    ev = event_arrays(heldout, model.catalog_, model.dwell_median_)
    kept = ev.kept == 1
    code = {lid: i for i, lid in enumerate(model.listener_ids_)}
    cluster = np.array([model.labels_[code[lid]] if lid in code else -1 for lid in heldout.listener_ids])
    k = cluster[ev.listener]
    ok = kept & (k >= 0)
    rates, pop = model.stats_.keep_rates()
    cue_of = np.array([v.cue for v in model.catalog_.variants])
    same_cue = cue_of[None, :] == cue_of[ev.variant][:, None]  # candidates: variants of the cue heard
    model_scores = np.where(same_cue, rates[np.maximum(k, 0), ev.context], -1)
    pop_scores = np.where(same_cue, pop[ev.context], -1)
    hit_model = np.argmax(model_scores, axis=1) == ev.variant
    hit_pop = np.argmax(pop_scores, axis=1) == ev.variant
    n = int(ok.sum())
    return {"events": n, "model": float(hit_model[ok].mean()) if n else float("nan"),
            "popularity": float(hit_pop[ok].mean()) if n else float("nan")}


def convergence(model: ListenerPreferenceModel, new: FeedbackLog, reference: np.ndarray,
                max_events: int = 40) -> dict[str, Any]:
    """Share of new listeners assigned to ``reference`` (per listener) after n of their events."""
    ev = event_arrays(new, model.catalog_, model.dwell_median_)
    ll = model.log_keep_[:, ev.context, ev.variant, ev.kept] + model.log_rating_[:, ev.context, ev.variant, ev.rating]
    order = np.lexsort((ev.timestamp, ev.listener))
    lst = ev.listener[order]
    ll = ll[:, order].T  # (events, k) in listener/time order
    n_l = len(new.listener_ids)
    count = np.bincount(lst, minlength=n_l)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    csum = np.cumsum(ll, axis=0)
    before = np.vstack([np.zeros((1, ll.shape[1])), csum])[start]  # cumulative sum before each listener
    rank = np.arange(len(order)) - start[lst]
    curve = []
    prior = model.log_prior_
    valid = (reference >= 0) | (reference == UNMATCHED)  # -1: no reference for that listener
    for n in range(0, max_events + 1):
        if n == 0:
            post = np.tile(prior, (n_l, 1))
            have = valid
        else:
            rows = np.flatnonzero(rank == n - 1)
            post = np.full((n_l, len(prior)), -np.inf)
            post[lst[rows]] = prior + csum[rows] - before[lst[rows]]
            have = valid & (count >= n)
        if have.sum() == 0:
            break
        acc = float(np.mean(np.argmax(post[have], axis=1) == reference[have]))
        curve.append((n, acc))
    needed = next((n for n, a in curve if a >= 0.9), None)
    return {"curve": curve, "events_for_90": needed, "listeners": int(valid.sum())}


def profile_agreement(model: ListenerPreferenceModel, grid: int = 4) -> float:
    """How often the policy rule with a cluster's profile picks the variant that cluster keeps most."""
    rates, _ = model.stats_.keep_rates()
    pts = (np.arange(grid) + 0.5) / grid
    hits = total = 0
    for cue in dict.fromkeys(v.cue for v in model.catalog_.variants):
        idx = np.array([i for i, v in enumerate(model.catalog_.variants) if v.cue == cue])
        for k, prof in enumerate(model.profiles_):
            for ci, (sv, sa) in enumerate(((1, 1), (-1, 1), (1, -1), (-1, -1))):
                best = idx[np.argmax(rates[k, ci, idx])]
                for x in pts:
                    for y in pts:
                        hits += policy_choice(prof, sv * x, sa * y, model.catalog_, cue) == best
                        total += 1
    return hits / total if total else float("nan")


def evaluate(model: ListenerPreferenceModel, split: Split, planted: dict[str, int] | None = None) -> dict[str, Any]:
    """All quality figures for a model fitted on ``split.train``."""
    q: dict[str, Any] = {"train_listeners": split.train.n_listeners, "train_events": len(split.train),
                         "n_clusters": int(model.n_clusters_), "selection": model.selection_}
    mapping = None
    if planted:
        truth = np.array([planted.get(lid, -1) for lid in model.listener_ids_])
        known = truth >= 0
        if known.any():
            q["ari"] = float(adjusted_rand_score(truth[known], model.labels_[known]))
            mapping = match_clusters(truth[known], model.labels_[known])
    if len(split.heldout):
        q["next_choice"] = next_choice(model, split.heldout)
    if len(split.new):
        if mapping is not None:
            ref = np.array([mapping.get(planted.get(lid, -1), -1) for lid in split.new.listener_ids])
            q["convergence_reference"] = "planted clusters"
        else:
            ref = model.predict(split.new)
            q["convergence_reference"] = "the model's cluster from the listener's full history"
        q["new_listeners"] = convergence(model, split.new, ref)
    q["profile_agreement"] = profile_agreement(model)
    return q
