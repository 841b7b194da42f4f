"""ListenerPreferenceModel honours the scikit-learn estimator contract."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from composer_assist.learn.model import ListenerPreferenceModel

# Every check passes but one, by design: check_fit_score_takes_y calls partial_fit right after fit.
# partial_fit is the MiniBatchKMeans streaming path and refuses to continue a GaussianMixture or
# KMeans model fitted with fit() rather than silently throw that fit away (the minibatch estimator,
# whose fit() it can continue, passes the check).
def expected_failed(est: ListenerPreferenceModel) -> dict[str, str]:
    if est.method == "minibatch":
        return {}
    return {"check_fit_score_takes_y": "partial_fit refuses to continue a gmm/kmeans model fitted with fit()"}


@parametrize_with_checks([ListenerPreferenceModel(max_clusters=3, random_state=0),
                          ListenerPreferenceModel(method="kmeans", n_clusters=3, random_state=0),
                          ListenerPreferenceModel(method="minibatch", max_clusters=3, random_state=0)],
                         expected_failed_checks=expected_failed)
def test_sklearn_contract(estimator, check):
    check(estimator)
