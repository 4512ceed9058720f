"""The baselines refuse masked arrays with masked entries, as the SGNN estimators do."""

import numpy as np
import pytest

from sgnn_sklearn.baselines import (
    AICModelSelector,
    MaximumLikelihoodRegressor,
    RejectionABCRegressor,
)
from sgnn_sklearn.simulators import ExponentialGrowth, LinearGaussian, LogisticGrowth

GROWTH = ExponentialGrowth(n_times=8)
X_GROWTH = GROWTH.simulate(4, random_state=0).X
LINEAR = LinearGaussian(n_features=3)
X_LINEAR = LINEAR.simulate(6, random_state=0).X


def _masked(X):
    """``X`` with one entry masked, its value under the mask a plausible one."""
    mask = np.zeros(X.shape, bool)
    mask[1, 2] = True
    return np.ma.masked_array(X, mask=mask)


BASELINES = {
    "AIC": (
        lambda: AICModelSelector(
            [("exp", GROWTH), ("log", LogisticGrowth(n_times=8))], random_state=0
        ),
        X_GROWTH,
        None,
    ),
    "ML": (lambda: MaximumLikelihoodRegressor(GROWTH, random_state=0), X_GROWTH, None),
    "ABC": (
        lambda: RejectionABCRegressor(LINEAR, 200, random_state=0),
        X_LINEAR,
        None,
    ),
    "ABC, no simulator": (
        lambda: RejectionABCRegressor(n_accept=2),
        X_LINEAR,
        np.arange(6.0),
    ),
}
MESSAGE = "X is a masked array with 1 masked entry of"


@pytest.mark.parametrize("name", BASELINES)
def test_fit_refuses_masked_entries(name):
    make, X, y = BASELINES[name]
    with pytest.raises(ValueError, match=MESSAGE):
        make().fit(_masked(X), y)


@pytest.mark.parametrize("name", BASELINES)
def test_predict_refuses_masked_entries_and_accepts_nothing_masked(name):
    make, X, y = BASELINES[name]
    est = make().fit(X, y)
    with pytest.raises(ValueError, match=MESSAGE):
        est.predict(_masked(X))
    unmasked = np.ma.masked_array(X)
    np.testing.assert_array_equal(est.predict(unmasked), est.predict(X))


def test_masked_targets_are_refused():
    y = np.ma.masked_array(np.arange(6.0), mask=[0, 1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="y is a masked array with 1 masked entry"):
        RejectionABCRegressor(n_accept=2).fit(X_LINEAR, y)
