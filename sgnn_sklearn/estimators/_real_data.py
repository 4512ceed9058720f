"""Real data passed with a simulator are checked before anything is simulated.

A wrong width or a NaN in ``fit(X, y)`` should not wait for a whole simulation
and training to be reported. What can be known before simulating is checked
first: scikit-learn's validation, the targets, and the features against the
names the simulator declares. A simulator that declares none is checked once
it has simulated (see ``_use_real_data``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import validate_data

from ._inputs import match_simulated_feature_names


def declared_feature_names(simulator: Any) -> tuple[str, ...] | None:
    """The feature names a simulator declares before simulating, if any.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import FunctionSimulator, LinearGaussian
    >>> declared_feature_names(LinearGaussian(n_features=2))
    ('x0', 'x1')
    >>> print(declared_feature_names(FunctionSimulator(lambda p, rng: [1.0],
    ...                                                {"a": (0, 1)})))
    None
    """
    try:
        names = getattr(simulator, "feature_names", None)
    except Exception:  # a property that cannot answer before simulating
        return None
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        return tuple(names)
    return None


def check_real_width(X: np.ndarray, n_sim_features: int, simulator: Any) -> None:
    """Refuse real inputs whose width is not the simulator's.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> check_real_width(np.zeros((2, 3)), 5, LinearGaussian())
    Traceback (most recent call last):
    ...
    ValueError: X has 3 features, but the simulator LinearGaussian produces 5: ...
    """
    if X.shape[1] != n_sim_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the simulator "
            f"{type(simulator).__name__} produces {n_sim_features}: real and "
            "simulated data must have the same features."
        )


def check_real_data(
    estimator: Any, X: Any, y: Any, simulator: Any
) -> tuple[Any, np.ndarray, Any]:
    """Validate the real data of ``fit(X, y)`` before anything is simulated.

    Sets the estimator's ``n_features_in_`` (and ``feature_names_in_`` for a
    DataFrame whose names the simulator does not declare), as
    ``validate_data`` does.

    Returns
    -------
    X_given : object
        ``X`` as passed, for the check of its names after simulating.
    X : ndarray
        ``X`` validated.
    y : ndarray or None
        ``y`` validated.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> est = SimulationGroundedRegressor()
    >>> check_real_data(est, np.zeros((4, 2)), np.zeros(4), LinearGaussian())
    Traceback (most recent call last):
    ...
    ValueError: X has 2 features, but the simulator LinearGaussian produces 5: ...
    """
    if getattr(estimator, "_simulated_feature_names", None) is None:
        estimator._simulated_feature_names = declared_feature_names(simulator)
    checked = match_simulated_feature_names(estimator, X)
    if y is None:
        checked = validate_data(estimator, checked, reset=True)
    else:
        checked, y = validate_data(
            estimator, checked, y, reset=True, multi_output=estimator._multi_output
        )
        estimator._check_real_targets(y)
    if estimator._simulated_feature_names is not None:
        check_real_width(checked, len(estimator._simulated_feature_names), simulator)
    return X, checked, y
