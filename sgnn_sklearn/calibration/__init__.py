"""Calibration on labelled real data: intervals that hold where the simulator errs.

:class:`SplitConformalRegressor` takes a regressor trained on simulations
and a few labelled real series, and widens or narrows its intervals so that
they hold the truth as often as they claim on further real series, however
wrong the simulator (split-conformal prediction).
"""

from ._conformal import SplitConformalRegressor

__all__ = ["SplitConformalRegressor"]
