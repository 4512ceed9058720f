"""Diagnostics of a fitted estimator: calibration, coverage and the simulation gap.

They read a fitted estimator (or its predictions) and say how far to trust
it: whether its intervals hold the truth as often as they claim
(:func:`interval_coverage`, :func:`coverage_curve`), whether its posterior
is calibrated (:func:`sbc_ranks`), whether its probabilities are reliable
(:func:`reliability_curve`), and how far real data lie from its simulations
(:func:`simulation_gap`) and whether they could have come from the
simulator at all (:func:`simulation_gap_test`). The reference posterior of a
simulator with a likelihood (:func:`reference_posterior`) is the yardstick
for all of them: :func:`posterior_mean_distance` and
:func:`posterior_mass_inside` score predicted means and intervals against
it. Each result has a ``plot`` method
(see :mod:`sgnn_sklearn.plotting`).
"""

from ..estimators._memory import SimulationGapWarning
from ._coverage import CoverageCurve, coverage_curve, interval_coverage
from ._gap import SimulationGap, simulation_gap
from ._gap_test import SimulationGapTest, simulation_gap_test
from ._reference import reference_posterior
from ._reference_result import (
    ReferencePosterior,
    posterior_mass_inside,
    posterior_mean_distance,
)
from ._reliability import ReliabilityCurve, reliability_curve
from ._sbc import SBCRanks, posterior_draws, sbc_ranks

__all__ = [
    "CoverageCurve",
    "ReferencePosterior",
    "ReliabilityCurve",
    "SBCRanks",
    "SimulationGap",
    "SimulationGapTest",
    "SimulationGapWarning",
    "coverage_curve",
    "interval_coverage",
    "posterior_draws",
    "posterior_mass_inside",
    "posterior_mean_distance",
    "reference_posterior",
    "reliability_curve",
    "sbc_ranks",
    "simulation_gap",
    "simulation_gap_test",
]
