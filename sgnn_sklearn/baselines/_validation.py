"""Checks shared by the baselines' fit methods."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from ..estimators._inputs import refuse_masked_values
from ..simulators._validation import refuse_simulator_class


def n_features_of(simulator: Any) -> int | None:
    """The number of features a simulator produces, or None if it cannot say.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SIR
    >>> n_features_of(SIR(n_days=20))
    20
    """
    try:
        return len(simulator.feature_names)
    except (AttributeError, NotImplementedError, TypeError):
        return None


def validate_fit_data(
    estimator: Any, X: Any, y: Any, simulators: dict[str, Any]
) -> np.ndarray:
    """Validate ``X`` (and ``y`` when given) and match X to each simulator's width.

    ``y`` is only checked for its length: the baselines do not learn from it.

    Parameters
    ----------
    estimator : estimator
        Gets ``n_features_in_`` (and ``feature_names_in_``).
    X, y : array-like
        The data given to ``fit``.
    simulators : dict of str to simulator
        How to name each simulator in an error, and the simulator.

    Returns
    -------
    ndarray
        The validated ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sgnn_sklearn.simulators import SIR
    >>> validate_fit_data(BaseEstimator(), np.zeros((1, 4)), None,
    ...                   {"candidate 'sir'": SIR(n_days=3)})
    Traceback (most recent call last):
    ...
    ValueError: X has 4 features, but candidate 'sir' (SIR) produces 3.
    """
    X, y = refuse_masked_values(X, "X"), refuse_masked_values(y, "y")
    if y is None:
        X = validate_data(estimator, X)
    else:
        X, _ = validate_data(estimator, X, y, multi_output=True)
    for label, simulator in simulators.items():
        refuse_simulator_class(simulator, label)
        n_features = n_features_of(simulator)
        if n_features is not None and n_features != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but {label} "
                f"({type(simulator).__name__}) produces {n_features}."
            )
    return X


def validate_predict_data(estimator: Any, X: Any) -> np.ndarray:
    """Check that ``estimator`` is fitted and validate ``X`` against its fit.

    A masked array with masked entries is refused, as the SGNN estimators
    refuse it: scikit-learn's validation would read the values under the mask.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.baselines import RejectionABCRegressor
    >>> abc = RejectionABCRegressor().fit(np.zeros((5, 2)), np.arange(5.0))
    >>> validate_predict_data(abc, np.ma.masked_array(np.ones((1, 2)), mask=[[1, 0]]))
    Traceback (most recent call last):
    ...
    ValueError: X is a masked array with 1 masked entry of 2; masked values ...
    """
    check_is_fitted(estimator)
    return validate_data(estimator, refuse_masked_values(X, "X"), reset=False)
