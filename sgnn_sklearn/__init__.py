"""Simulation-grounded neural networks as scikit-learn estimators.

Train a network on data drawn from a mechanistic simulator under a prior over
its parameters, then predict on real observations: ``est.fit(simulator)``,
``est.predict(X_real)``.
"""

from . import (
    attribution,
    calibration,
    datasets,
    diagnostics,
    plotting,
    preprocessing,
    simulators,
)
from ._caching import CacheWarning
from ._persistence import ModelPortabilityWarning, ModelVersionWarning
from ._version import __version__
from .estimators import SimulationGroundedClassifier, SimulationGroundedRegressor

__all__ = [
    "CacheWarning",
    "ModelPortabilityWarning",
    "ModelVersionWarning",
    "SimulationGroundedClassifier",
    "SimulationGroundedRegressor",
    "__version__",
    "attribution",
    "calibration",
    "datasets",
    "diagnostics",
    "plotting",
    "preprocessing",
    "simulators",
]
