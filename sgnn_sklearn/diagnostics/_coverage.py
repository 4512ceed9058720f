"""Coverage of predicted intervals: do 90% intervals hold 90% of the truth?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..estimators._variance import check_coverage

DEFAULT_COVERAGES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def interval_coverage(y_true: Any, lower: Any, upper: Any) -> float | np.ndarray:
    """Share of true values that lie inside their predicted intervals.

    Entries whose true value is NaN (a parameter that a sample's mechanism
    does not have) are left out of the share; a NaN bound counts as a miss.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        True values.
    lower, upper : array-like of the same shape
        The intervals' bounds.

    Returns
    -------
    float or ndarray of shape (n_targets,)
        The coverage, per target when ``y_true`` is 2-D.

    Examples
    --------
    >>> interval_coverage([0.0, 1.0, 5.0], [-1, 0, 0], [1, 2, 2])
    0.6666666666666666
    >>> interval_coverage([0.0], [1.0], [-1.0])
    Traceback (most recent call last):
    ...
    ValueError: lower > upper in 1 of 1 intervals (the first at index (0,): ...
    """
    y_true, lower, upper = (np.asarray(a, dtype=float) for a in (y_true, lower, upper))
    if not (y_true.shape == lower.shape == upper.shape) or y_true.ndim not in (1, 2):
        raise ValueError(
            "y_true, lower and upper must have the same 1-D or 2-D shape; got "
            f"{y_true.shape}, {lower.shape} and {upper.shape}."
        )
    crossed = lower > upper  # False where a bound is NaN
    if crossed.any():
        first = np.unravel_index(int(np.flatnonzero(crossed)[0]), crossed.shape)
        raise ValueError(
            f"lower > upper in {int(crossed.sum())} of {crossed.size} intervals "
            f"(the first at index {tuple(int(i) for i in first)}: lower="
            f"{lower[first]:.6g}, upper={upper[first]:.6g}); are the bounds "
            "swapped?"
        )
    known = np.isfinite(y_true)
    inside = (lower <= y_true) & (y_true <= upper) & known
    with np.errstate(invalid="ignore", divide="ignore"):
        share = inside.sum(axis=0) / known.sum(axis=0)
    return float(share) if y_true.ndim == 1 else share


@dataclass(frozen=True)
class CoverageCurve:
    """Observed against nominal coverage of an estimator's intervals.

    Returned by :func:`coverage_curve`.

    Parameters
    ----------
    nominal : ndarray of shape (n_levels,)
        The coverages asked for.
    observed : ndarray of shape (n_levels,) or (n_levels, n_targets)
        The share of true values inside the intervals at each level.
    target_names : tuple of str
        Names of the targets.

    Examples
    --------
    >>> import numpy as np
    >>> curve = CoverageCurve(np.array([0.5, 0.9]), np.array([0.52, 0.88]), ("y",))
    >>> round(curve.max_error, 2)
    0.02
    """

    nominal: np.ndarray
    observed: np.ndarray
    target_names: tuple[str, ...]

    @property
    def max_error(self) -> float:
        """The largest absolute gap between observed and nominal coverage.

        Examples
        --------
        >>> import numpy as np
        >>> curve = CoverageCurve(np.array([0.5, 0.9]), np.array([0.45, 0.88]), ("y",))
        >>> round(curve.max_error, 2)
        0.05
        """
        gap = np.abs(
            self.observed - self.nominal.reshape(-1, *[1] * (self.observed.ndim - 1))
        )
        return float(gap.max())

    def plot(self, ax: Any = None) -> Any:
        """Plot observed against nominal coverage.

        See :func:`sgnn_sklearn.plotting.plot_coverage_curve`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw into; new ones when None.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn into.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> curve = CoverageCurve(np.array([0.5, 0.9]), np.array([0.52, 0.88]), ("y",))
        >>> curve.plot().get_xlabel()
        'nominal coverage'
        """
        from ..plotting import plot_coverage_curve

        return plot_coverage_curve(self, ax=ax)


def coverage_curve(
    estimator: Any, X: Any, y: Any, coverages: Any = DEFAULT_COVERAGES
) -> CoverageCurve:
    """Coverage of ``estimator.predict_interval`` at several nominal levels.

    On held-out simulations, calibrated intervals lie on the diagonal.

    Parameters
    ----------
    estimator : fitted estimator with ``predict_interval(X, coverage)``
        E.g. a fitted :class:`~sgnn_sklearn.SimulationGroundedRegressor`.
    X : array-like of shape (n_samples, n_features)
        Inputs.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Their true targets.
    coverages : array-like of float in (0, 1), default=(0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
        Nominal coverages.

    Returns
    -------
    CoverageCurve
        The nominal and the observed coverage at each level.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.diagnostics import coverage_curve
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> est = SimulationGroundedRegressor(sim, n_simulations=2000, max_epochs=20,
    ...                                   random_state=0).fit()
    >>> test = sim.simulate(1000, random_state=1)
    >>> curve = coverage_curve(est, test.X, test.y)
    >>> bool(curve.max_error < 0.05)
    True
    """
    nominal = np.array([check_coverage(c) for c in np.atleast_1d(coverages)])
    observed = np.array(
        [interval_coverage(y, *estimator.predict_interval(X, c)) for c in nominal]
    )
    names = getattr(estimator, "target_names_", None) or tuple(
        f"y{j}" for j in range(1 if observed.ndim == 1 else observed.shape[1])
    )
    return CoverageCurve(nominal, observed, tuple(names))
