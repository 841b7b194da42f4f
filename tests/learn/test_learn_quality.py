"""The model recovers planted clusters of a SYNTHETIC population and its profiles steer the choice."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.core.profile import profiles_from_json, profiles_to_json
from composer_assist.learn.assign import OnlineAssigner, assign
from composer_assist.learn.evaluate import evaluate, split_log
from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population
from composer_assist.learn.profiles import policy_choice


@pytest.fixture(scope="module")
def fitted():
    pop = generate_population(1500, 30, seed=11)
    planted = {lid: int(c) for lid, c in zip(pop.log.listener_ids, pop.planted.tolist())}
    split = split_log(pop.log, seed=0)
    model = ListenerPreferenceModel(random_state=0).fit(split.train)
    return pop, split, model, evaluate(model, split, planted)


def test_planted_clusters_recovered(fitted):
    _, _, model, q = fitted
    assert model.n_clusters_ == 4  # chosen by BIC, not given
    assert q["selection"]["criterion"] == "bic" and len(q["selection"]["scores"]) == 8
    assert q["ari"] > 0.7


def test_next_choice_beats_popularity(fitted):
    nc = fitted[3]["next_choice"]
    assert nc["events"] > 1000 and nc["model"] > nc["popularity"] + 0.02


def test_new_listeners_converge(fitted):
    nl = fitted[3]["new_listeners"]
    curve = dict(nl["curve"])
    assert curve[0] < 0.5  # the prior alone cannot tell
    assert nl["events_for_90"] is not None and nl["events_for_90"] <= 25
    assert curve[25] > curve[5] > curve[1]


def test_online_updates_match_batch_posterior(fitted):
    pop, split, model, _ = fitted
    lid = split.new.listener_ids[0]
    events = split.new.for_listener(lid)
    online = OnlineAssigner(model)
    assert np.allclose(online.posterior, np.exp(model.log_prior_) / np.exp(model.log_prior_).sum())
    for row in events.to_rows():
        online.observe(row["cue"], row["variant"], row["valence"], row["arousal"], row["kept"], row["rating"])
    batch = assign(model, split.new, lid)
    assert batch.n_events == len(events) == online.n_events
    assert np.allclose(online.posterior, batch.posterior)
    assert batch.profile is model.profiles_[batch.cluster]


def test_profiles_are_readable_and_steer_the_policy(fitted):
    _, _, model, q = fitted
    labels = {p.label for p in model.profiles_}
    assert {"suspense lovers", "comfort seekers"} <= labels
    suspense = next(p for p in model.profiles_ if p.label == "suspense lovers")
    comfort = next(p for p in model.profiles_ if p.label == "comfort seekers")
    tense_ctx = suspense.contexts["high_arousal_negative"]
    assert tense_ctx.tag_weights.get("tense", 0) > 0.05
    assert comfort.contexts["high_arousal_negative"].arousal_shift < -0.2
    assert any("tense scenes" in s for s in suspense.description)
    # one trace, different soundtracks
    trace = [(-0.7, 0.2), (-0.3, 0.8), (0.2, 0.3), (0.5, -0.4), (-0.5, -0.6)]
    picks = {p.label: [model.catalog_.variants[policy_choice(p, v, a, model.catalog_, "night_chase")].name
                       for v, a in trace] for p in model.profiles_}
    assert len({tuple(v) for v in picks.values()}) >= 3, picks
    assert q["profile_agreement"] > 0.6


def test_profiles_json_round_trip(fitted):
    model = fitted[2]
    text = json.dumps(profiles_to_json(model.profiles_))
    back = profiles_from_json(json.loads(text), "profiles.json")
    assert [p.to_json() for p in back] == [p.to_json() for p in model.profiles_]


def test_partial_fit_matches_batch_clusters():
    pop = generate_population(1200, 30, seed=5)
    model = ListenerPreferenceModel(method="minibatch", n_clusters=4, random_state=0)
    ids = np.array(pop.log.listener_ids)
    for part in np.array_split(np.arange(pop.log.n_listeners), 3):
        model.partial_fit(pop.log.take(np.isin(pop.log.listener, part)))
    assert len(model.listener_ids_) == 1200 and model.stats_.listeners.sum() == 1200
    from sklearn.metrics import adjusted_rand_score
    labels = model.predict(pop.log)
    assert adjusted_rand_score(pop.planted, labels) > 0.6
    assert len(model.profiles_) == 4 and ids.size == 1200


def test_partial_fit_contract():
    pop = generate_population(600, 15, seed=8)
    log = pop.log
    parts = np.array_split(np.arange(log.n_listeners), 3)
    batch = [log.take(np.isin(log.listener, p)) for p in parts]
    # a GaussianMixture has no partial_fit at all (test_learn_estimator_checks covers the refusals)
    assert not hasattr(ListenerPreferenceModel(n_clusters=4, random_state=0), "partial_fit")
    # streaming: labels_ and listener_ids_ grow together, the scaling stays as the first batch set it
    m = ListenerPreferenceModel(method="minibatch", n_clusters=4, random_state=0).partial_fit(batch[0])
    mean = m.pipeline_.named_steps["scale"].mean_.copy()
    for b, n in ((batch[1], 400), (batch[2], 600)):
        m.partial_fit(b)
        assert len(m.labels_) == len(m.listener_ids_) == n == m.stats_.listeners.sum()
    assert np.array_equal(m.pipeline_.named_steps["scale"].mean_, mean)
    assert m.listener_ids_ == log.listener_ids
    # clusters are renumbered after each batch (largest first), labels_ and statistics with them
    assert (np.diff(np.bincount(m.labels_)) <= 0).all()
    assert np.array_equal(np.bincount(m.labels_, minlength=4), m.stats_.listeners)
    with pytest.raises(ValueError, match=r"listener '.*' was in an earlier batch"):
        m.partial_fit(batch[1])
    # a model fitted with method='minibatch' continues with new listeners
    mb = ListenerPreferenceModel(method="minibatch", n_clusters=4, random_state=0).fit(batch[0])
    mb.partial_fit(batch[1])
    assert len(mb.labels_) == len(mb.listener_ids_) == 400
