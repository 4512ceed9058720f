"""Simulation-grounded neural networks as scikit-learn estimators."""

from . import simulators
from ._version import __version__

__all__ = ["__version__", "simulators"]
