"""Counts on a log scale, and the choice the estimators make for ``"auto"``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class LogCounts(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Counts on a log scale: ``log(1 + x)``, refusing negative values.

    Epidemic and growth series are counts that span orders of magnitude: a
    small outbreak and a large one differ by a factor, not by an offset. On
    raw counts, standardised, every small series sits near zero and a network
    resolves them poorly; on ``log(1 + x)`` a factor becomes a shift. The
    estimators choose this transform themselves for simulations made of
    counts (``preprocessor="auto"``, the default); see
    :func:`auto_preprocessor`.

    Negative inputs are not counts, and ``log(1 + x)`` is undefined below
    -1: ``transform`` refuses them with a message that says how many there are
    and where, rather than passing NaN to the network.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of the features seen during fit, when they were strings.

    See Also
    --------
    auto_preprocessor : When the estimators choose this transform.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.preprocessing import LogCounts
    >>> LogCounts().fit_transform(np.array([[0.0, 9.0], [99.0, 999.0]])).round(3)
    array([[0.   , 2.303],
           [4.605, 6.908]])
    >>> LogCounts().fit([[1.0]]).transform([[-2.0]])
    Traceback (most recent call last):
    ...
    ValueError: LogCounts takes counts (values >= 0), but X has 1 negative value ...
    """

    def fit(self, X: Any, y: Any = None) -> LogCounts:
        """Check ``X``; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Counts.
        y : None
            Ignored.

        Returns
        -------
        self : LogCounts
            The transformer, with ``n_features_in_`` set.

        Examples
        --------
        >>> LogCounts().fit([[0.0, 5.0]]).n_features_in_
        2
        """
        validate_data(self, X, ensure_all_finite="allow-nan")
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``log(1 + X)``, or a ValueError for negative values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Counts (non-negative).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``log(1 + X)``.

        Examples
        --------
        >>> LogCounts().fit([[0.0]]).transform([[0.0], [1.0]]).round(3)
        array([[0.   ],
               [0.693]])
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        negative = X < 0
        if negative.any():
            rows = np.flatnonzero(negative.any(axis=1))
            n = int(negative.sum())
            raise ValueError(
                f"LogCounts takes counts (values >= 0), but X has {n} negative "
                f"value{'s' if n != 1 else ''} in {len(rows)} "
                f"row{'s' if len(rows) != 1 else ''} (the first: row {int(rows[0])}, "
                f"{float(X[negative][0])!r}). An estimator chooses LogCounts when "
                "its simulations are counts (preprocessor='auto'); if the real "
                "series are not counts on the same scale, check them, or pass "
                "preprocessor=None to train on the values as they are."
            )
        return np.log1p(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Counts from their logs: ``exp(X) - 1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Transformed values.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``exp(X) - 1``.

        Examples
        --------
        >>> logs = LogCounts().fit([[3.0]])
        >>> logs.inverse_transform(logs.transform([[3.0], [40.0]])).round(6)
        array([[ 3.],
               [40.]])
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return np.expm1(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.positive_only = True
        return tags


# Counts whose largest value reaches this span two orders of magnitude (from
# 1): "auto" puts them on a log scale. Smaller counts keep their raw scale,
# where a sum, often what the posterior depends on, stays linear in them (on a
# Poisson rate with counts below 30 the log made learnt quantiles 20-60% less
# accurate; tests/test_quantiles.py).
MIN_LARGEST_COUNT = 100

# Values of the simulations checked at once by are_wide_counts (32 MB).
CHECK_BLOCK_VALUES = 1 << 22


def are_wide_counts(X: Any, *, per_feature: bool = False) -> bool:
    """Whether ``X`` holds counts that span orders of magnitude.

    True when every finite value is a non-negative whole number and the
    largest is at least ``MIN_LARGEST_COUNT`` (100). With ``per_feature``,
    the span is judged within each feature: True when, for some feature,
    ``1 + largest`` is at least 100 times ``1 + smallest``. The two agree
    on a feature that reaches 0; they differ where every series is large
    and alike, as on a prior narrowed to one posterior.

    Parameters
    ----------
    X : array-like
        Simulated inputs, of shape (n_samples, n_features) with
        ``per_feature``.
    per_feature : bool, default=False
        Judge each feature's span apart.

    Returns
    -------
    bool
        False for an empty ``X`` or one with no finite value.

    Examples
    --------
    >>> are_wide_counts([[0.0, 3.0], [1200.0, 7.0]])
    True
    >>> are_wide_counts([[0.0, 3.0], [12.0, 7.0]])  # small counts
    False
    >>> are_wide_counts([[0.5, 300.0]]), are_wide_counts([[-1.0, 300.0]])
    (False, False)
    >>> are_wide_counts([[250.0, 3.0], [310.0, 9.0]], per_feature=True)
    False
    """
    # Read in blocks of rows: the finite values and their floor, taken at
    # once, would be two float64 copies of the simulations (916 MB at 10^6
    # series of 60 days) on top of them.
    values = np.asarray(X)
    if values.dtype != np.float32:  # float32 is read in float64 blocks
        values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        values = values.reshape(1, -1)
    n_rows = max(CHECK_BLOCK_VALUES // max(values.shape[1], 1), 1)
    largest = np.full(values.shape[1], -np.inf)
    smallest = np.full(values.shape[1], np.inf)
    for start in range(0, len(values), n_rows):
        block = values[start : start + n_rows].astype(float, copy=False)
        finite = np.isfinite(block)
        kept = block[finite]
        if not (np.all(kept >= 0) and np.all(kept == np.floor(kept))):
            return False
        largest = np.fmax(largest, np.where(finite, block, -np.inf).max(axis=0))
        smallest = np.fmin(smallest, np.where(finite, block, np.inf).min(axis=0))
    if per_feature:
        seen = np.isfinite(largest)
        spans = 1 + largest[seen] >= MIN_LARGEST_COUNT * (1 + smallest[seen])
        return bool(spans.any())
    return bool(largest.max(initial=-np.inf) >= MIN_LARGEST_COUNT)


def auto_preprocessor(X: Any, *, per_feature: bool = False) -> LogCounts | None:
    """The preprocessor that ``preprocessor="auto"`` chooses for simulations ``X``.

    :class:`LogCounts` when every finite simulated value is a non-negative
    whole number (counts: reported cases, individuals, events) and the
    largest is at least 100, so that they span orders of magnitude; else
    none. The choice is made once, on the training simulations, and kept in
    the fitted estimator's ``preprocessor_``.

    On a prior truncated to one posterior (a
    :class:`~sgnn_sklearn.simulators.TruncatedSimulator`, as in the rounds
    of :meth:`~sgnn_sklearn.SimulationGroundedRegressor.refine`), the
    estimators pass ``per_feature=True``: the log only when some feature's
    counts span two orders of magnitude there (``1 + largest >= 100 * (1 +
    smallest)``). Around a narrow posterior each day's count varies by a
    small factor, the log's reason is gone, and raw counts keep what the
    posterior of Poisson or binomial counts depends on, sums of the counts,
    linear in them: on the boarding-school outbreak, a series unlike every
    simulation, a network trained on ``log(1 + x)`` of the narrowed prior's
    simulations extrapolated 0.6-1 posterior sd away from the exact
    posterior mean, on raw counts within 0.25 (``benchmarks/README.md``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The simulated inputs.
    per_feature : bool, default=False
        Judge the span of each feature apart (see :func:`are_wide_counts`).

    Returns
    -------
    LogCounts or None
        Unfitted.

    Examples
    --------
    >>> from sgnn_sklearn.preprocessing import auto_preprocessor
    >>> auto_preprocessor([[0.0, 3.0], [400.0, 7.0]])
    LogCounts()
    >>> auto_preprocessor([[0.0, 3.0], [40.0, 7.0]]) is None
    True
    >>> auto_preprocessor([[0.1, -3.0]]) is None
    True
    >>> auto_preprocessor([[250.0, 3.0], [310.0, 9.0]], per_feature=True) is None
    True
    """
    return LogCounts() if are_wide_counts(X, per_feature=per_feature) else None
