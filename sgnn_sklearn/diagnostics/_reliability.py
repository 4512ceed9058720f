"""Reliability of probabilities: does a 70% forecast come true 70% of the time?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# How far past [0, 1] rounding may carry a sum of probabilities.
PROBA_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ReliabilityCurve:
    """Observed frequency against predicted probability, in bins.

    Returned by :func:`reliability_curve`; only non-empty bins are kept.

    Parameters
    ----------
    prob_pred : ndarray of shape (n_bins,)
        Mean predicted probability in each bin.
    prob_true : ndarray of shape (n_bins,)
        Share of those predictions whose class was the true one.
    counts : ndarray of shape (n_bins,)
        Number of (sample, class) predictions in each bin.

    Examples
    --------
    >>> import numpy as np
    >>> curve = ReliabilityCurve(np.array([0.2, 0.8]), np.array([0.25, 0.75]),
    ...                          np.array([10, 10]))
    >>> round(curve.expected_calibration_error, 3)
    0.05
    """

    prob_pred: np.ndarray
    prob_true: np.ndarray
    counts: np.ndarray

    @property
    def expected_calibration_error(self) -> float:
        """Count-weighted mean of ``|prob_true - prob_pred|`` over the bins.

        Examples
        --------
        >>> import numpy as np
        >>> curve = ReliabilityCurve(np.array([0.2, 0.8]), np.array([0.2, 0.5]),
        ...                          np.array([30, 10]))
        >>> round(curve.expected_calibration_error, 3)
        0.075
        """
        weights = self.counts / self.counts.sum()
        return float(np.sum(weights * np.abs(self.prob_true - self.prob_pred)))

    def plot(self, ax: Any = None) -> Any:
        """Plot the reliability diagram.

        See :func:`sgnn_sklearn.plotting.plot_reliability_curve`.

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
        >>> from sgnn_sklearn.diagnostics import reliability_curve
        >>> proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.1, 0.9], [0.6, 0.4]])
        >>> curve = reliability_curve([0, 1, 1, 0], proba)
        >>> curve.plot().get_xlabel()
        'predicted probability'
        """
        from ..plotting import plot_reliability_curve

        return plot_reliability_curve(self, ax=ax)


def reliability_curve(
    y_true: Any, proba: Any, classes: Any = None, n_bins: int = 10
) -> ReliabilityCurve:
    """Reliability of class probabilities, pooled over classes (one against rest).

    Every (sample, class) pair is a forecast ``proba[i, c]`` that comes true
    when ``y_true[i] == classes[c]``. Forecasts are grouped in ``n_bins``
    equal-width bins of probability; calibrated probabilities lie on the
    diagonal. Works for a classifier's ``predict_proba`` and for the mechanism
    shares of :func:`~sgnn_sklearn.attribution.explain_mechanism`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities.
    classes : array-like of shape (n_classes,), default=None
        The label of each column of ``proba`` (e.g. ``clf.classes_``). None
        takes the sorted distinct labels of ``y_true``, which must then number
        ``n_classes``.
    n_bins : int, default=10
        Number of probability bins.

    Returns
    -------
    ReliabilityCurve
        The mean predicted probability, the observed frequency and the
        number of predictions in each non-empty bin.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=5000)
    >>> y = np.where(rng.uniform(size=5000) < p, "b", "a")
    >>> curve = reliability_curve(y, np.c_[1 - p, p], classes=["a", "b"])
    >>> bool(curve.expected_calibration_error < 0.03)
    True
    """
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or y_true.shape != (len(proba),):
        raise ValueError(
            "reliability_curve expects y_true of shape (n_samples,) and proba of "
            f"shape (n_samples, n_classes); got {y_true.shape} and {proba.shape}."
        )
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if classes.shape != (proba.shape[1],):
        raise ValueError(
            f"proba has {proba.shape[1]} columns but there are {len(classes)} "
            f"classes ({classes.tolist()}); pass classes=, one label per column."
        )
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    # Shares summed from weights land a rounding error past 1 (1 + 2e-16):
    # those are probabilities; anything further out, or NaN, is not.
    outside = ~((proba >= -PROBA_TOLERANCE) & (proba <= 1 + PROBA_TOLERANCE))
    if outside.any():
        raise ValueError(
            f"proba must hold probabilities in [0, 1]; {int(outside.sum())} of "
            f"{proba.size} values are not (first: {proba[outside][0]!r})."
        )
    proba = np.clip(proba, 0.0, 1.0)
    unknown = sorted(set(y_true.tolist()) - set(classes.tolist()), key=repr)
    if unknown:
        raise ValueError(
            f"y_true holds labels that are not among the classes "
            f"{classes.tolist()}: {unknown[:5]}; pass classes=, one "
            "label per column of proba, in the order of the columns."
        )
    forecast = proba.ravel()
    outcome = (y_true[:, None] == classes[None, :]).ravel().astype(float)
    bins = np.clip((forecast * n_bins).astype(int), 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    kept = counts > 0
    sums = np.bincount(bins, forecast, minlength=n_bins)[kept]
    hits = np.bincount(bins, outcome, minlength=n_bins)[kept]
    return ReliabilityCurve(sums / counts[kept], hits / counts[kept], counts[kept])
