"""No silent wrong answers from fit: invalid targets counted, divergence refused,
failed fits leaving the estimator as it was, real data checked first."""

import numpy as np
import pytest

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import Simulator

TINY = dict(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)


class ObjectTargets(Simulator):
    """A simulator whose targets come back as an object array holding NaN."""

    _prior_params = ("a",)

    def __init__(self, a=(0.0, 1.0)):
        self.a = a

    @property
    def feature_names(self):
        return ("x0", "x1")

    @property
    def target_names(self):
        return ("a",)

    def _simulate(self, params, rng):
        a = params[:, 0]
        X = np.c_[a + rng.normal(size=len(a)), 2 * a]
        return X, np.where(a < 0.9, a, np.nan).astype(object)


def test_nan_targets_in_an_object_array_are_counted_invalid():
    est = SimulationGroundedRegressor(ObjectTargets(), n_simulations=300, **TINY)
    with pytest.warns(UserWarning, match="simulations from ObjectTargets were invalid"):
        est.fit()
    # a >= 0.9 under a uniform prior: about 30 of 300.
    assert 10 < est.n_invalid_simulations_ < 60
    assert est.n_simulations_ + est.n_invalid_simulations_ == 300
    assert np.isfinite(est.predict(np.zeros((3, 2)))).all()
    with pytest.raises(ValueError, match="produced NaN or inf"):
        est.set_params(on_invalid="raise").fit()
