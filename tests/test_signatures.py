"""The regressor repeats the base's constructor (scikit-learn reads parameters from
the signature); a parameter added to one and forgotten in the other would silently
fall back to its default and vanish from get_params."""

import inspect

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators._base import BaseSimulationGrounded


def _parameters(cls):
    return {
        name: (p.kind, p.default)
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self"
    }


def test_the_regressor_takes_every_base_parameter_with_the_same_default():
    base = _parameters(BaseSimulationGrounded)
    regressor = _parameters(SimulationGroundedRegressor)
    assert {k: regressor.get(k) for k in base} == base
    assert set(regressor) - set(base) == {"interval_method"}


def test_the_classifier_takes_every_base_parameter_with_the_same_default():
    assert _parameters(SimulationGroundedClassifier) == _parameters(
        BaseSimulationGrounded
    )
