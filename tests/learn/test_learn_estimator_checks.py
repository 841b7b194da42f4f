"""ListenerPreferenceModel honours the scikit-learn estimator contract, with no expected failures.

``partial_fit`` is exposed through ``available_if``: only method="minibatch" has it (the only
clusterer with an incremental update), so a gmm / kmeans estimator does not advertise a
``partial_fit`` that would have to refuse to continue its fit.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population


@parametrize_with_checks([ListenerPreferenceModel(max_clusters=3, random_state=0),
                          ListenerPreferenceModel(method="kmeans", n_clusters=3, random_state=0),
                          ListenerPreferenceModel(method="minibatch", max_clusters=3, random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("method", ["gmm", "kmeans"])
def test_partial_fit_exists_only_for_minibatch(method):
    model = ListenerPreferenceModel(method=method, n_clusters=2, random_state=0)
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as exc:
        model.partial_fit(generate_population(20, 5, seed=0).log)
    assert f"only with method='minibatch' (the streaming MiniBatchKMeans path), not method='{method}'" in \
        str(exc.value.__cause__)
    model.set_params(method="minibatch")
    assert hasattr(model, "partial_fit")


def test_partial_fit_honours_method_and_keeps_a_fit_it_cannot_continue():
    pop = generate_population(120, 10, seed=1)
    model = ListenerPreferenceModel(method="minibatch", n_clusters=3, random_state=0).partial_fit(pop.log)
    assert type(model.pipeline_[-1]).__name__ == "MiniBatchKMeans"
    gmm = ListenerPreferenceModel(n_clusters=3, random_state=0).fit(pop.log)
    before = gmm.pipeline_
    gmm.set_params(method="minibatch")  # now partial_fit exists, but a GaussianMixture has no increment
    with pytest.raises(ValueError, match=r"fitted with GaussianMixture; partial_fit continues only"):
        gmm.partial_fit(generate_population(30, 10, seed=2, id_prefix="N").log)
    assert gmm.pipeline_ is before
