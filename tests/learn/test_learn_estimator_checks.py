"""ListenerPreferenceModel honours the scikit-learn estimator contract."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from composer_assist.learn.model import ListenerPreferenceModel

# Every check applies and passes; checks that did not apply would be listed here with the reason.
EXPECTED_FAILED: dict[str, str] = {}


@parametrize_with_checks([ListenerPreferenceModel(max_clusters=3, random_state=0),
                          ListenerPreferenceModel(method="kmeans", n_clusters=3, random_state=0),
                          ListenerPreferenceModel(method="minibatch", max_clusters=3, random_state=0)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_contract(estimator, check):
    check(estimator)
