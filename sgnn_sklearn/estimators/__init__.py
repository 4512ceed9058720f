"""Estimators that learn from simulations: regressor and classifier."""

from ._classifier import SimulationGroundedClassifier
from ._regressor import SimulationGroundedRegressor

__all__ = ["SimulationGroundedClassifier", "SimulationGroundedRegressor"]
