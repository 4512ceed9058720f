"""Checks on real inputs beyond scikit-learn's ``validate_data``.

What ``validate_data`` does not check: masked entries of a numpy masked
array (it reads the values under the mask), the names of the features a
simulator produces, whether standardised inputs still fit in the network's
float32, and (for the diagnostics and calibration, which take no row with a
gap) which rows are incomplete.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils.validation import _get_feature_names, check_array

# Rows of standardised inputs checked for finiteness at once.
FINITE_CHECK_ROWS = 65_536


def refuse_masked_values(data: Any, name: str) -> Any:
    """Refuse a masked array with masked entries; unmask one without.

    scikit-learn's validation reads the values under a mask as if they were
    data, so masked (missing) entries would be used silently. The estimators
    do not impute, so they are refused, counted.

    Parameters
    ----------
    data : object
        ``X`` or ``y`` as passed; anything but a masked array is returned as is.
    name : str
        ``"X"`` or ``"y"``, for the message.

    Returns
    -------
    object
        ``data``, as a plain ndarray when it was a masked array with nothing
        masked.

    Examples
    --------
    >>> import numpy as np
    >>> refuse_masked_values(np.ma.masked_array([[1.0, 2.0]]), "X")
    array([[1., 2.]])
    >>> refuse_masked_values(np.ma.masked_array([[1.0, 2.0]], mask=[[0, 1]]), "X")
    Traceback (most recent call last):
    ...
    ValueError: X is a masked array with 1 masked entry of 2; masked values ...
    """
    if not np.ma.isMaskedArray(data):
        return data
    n_masked = int(np.ma.count_masked(data))
    if n_masked:
        entries = "entry" if n_masked == 1 else "entries"
        raise ValueError(
            f"{name} is a masked array with {n_masked} masked {entries} of "
            f"{data.size}; masked values are missing data, which this estimator "
            f"does not impute. Fill them ({name}.filled(value)) or drop their rows "
            "first."
        )
    return np.ma.getdata(data)


def match_simulated_feature_names(estimator: Any, X: Any) -> Any:
    """Check a DataFrame's column names against the simulator's feature names.

    An estimator fitted on a simulator knows its features by the simulator's
    names, not by the columns of a DataFrame (scikit-learn's
    ``feature_names_in_`` is set only by fitting on one). A DataFrame whose
    string column names differ from them, in name or in order, is refused, so
    that columns are never matched by position against the wrong features.
    When the names match, ``X`` is returned as an array, so that scikit-learn
    does not warn that the estimator was "fitted without feature names".

    Parameters
    ----------
    estimator : estimator
        Its ``_simulated_feature_names`` holds the simulator's names, or is
        absent when it was not fitted on a simulator.
    X : array-like
        The input.

    Returns
    -------
    array-like
        ``X``, as an array when its names matched.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> est = SimpleNamespace(_simulated_feature_names=("a", "b"))
    >>> match_simulated_feature_names(est, pd.DataFrame({"a": [1.0], "b": [2.0]}))
    array([[1., 2.]])
    >>> match_simulated_feature_names(est, pd.DataFrame({"b": [1.0], "a": [2.0]}))
    Traceback (most recent call last):
    ...
    ValueError: X has the feature names ['b', 'a'], but the simulator ...
    """
    expected = getattr(estimator, "_simulated_feature_names", None)
    names = _get_feature_names(X)
    if expected is None or names is None:
        return X
    if list(names) != list(expected):
        order = " in another order" if sorted(names) == sorted(expected) else ""
        raise ValueError(
            f"X has the feature names {list(names)}, but the simulator produces "
            f"{list(expected)}{order}. Rename or reorder the columns to the "
            "simulator's names, or pass X.to_numpy() to match them by position."
        )
    return check_array(
        X,
        dtype=None,
        ensure_all_finite=False,
        ensure_min_samples=0,
        ensure_min_features=0,
    )


def numeric_targets(y: Any, estimator_name: str, source: str = "") -> np.ndarray:
    """``y`` as floats, or a ValueError that says a regressor needs numbers.

    Parameters
    ----------
    y : array-like
        The targets.
    estimator_name : str
        The estimator's name, for the message.
    source : str, default=""
        Where ``y`` came from, for the message (e.g. ``" from the simulator
        SIR"``).

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> numeric_targets([1, 2], "Regressor")
    array([1., 2.])
    >>> numeric_targets(["a", "b"], "Regressor")
    Traceback (most recent call last):
    ...
    ValueError: Regressor needs numeric targets y; got dtype <U1 (first value 'a'). ...
    """
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        try:
            return y.astype(float)
        except (TypeError, ValueError):
            first = y.ravel()[:1].tolist()[0] if y.size else None
            raise ValueError(
                f"{estimator_name} needs numeric targets y; got dtype {y.dtype} "
                f"(first value {first!r}){source}. For class labels use "
                "SimulationGroundedClassifier."
            ) from None
    return y.astype(float)


def check_hidden_layer_sizes(sizes: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of ints, or a ValueError.

    A size that is not an integer (``8.7``) is refused rather than truncated.

    Examples
    --------
    >>> check_hidden_layer_sizes((64, 32))
    (64, 32)
    >>> check_hidden_layer_sizes(16)
    (16,)
    >>> check_hidden_layer_sizes((8.7,))
    Traceback (most recent call last):
    ...
    ValueError: hidden_layer_sizes must be positive integers; got (8.7,).
    """
    values = np.atleast_1d(np.asarray(sizes, dtype=object))
    valid = values.ndim == 1 and all(
        isinstance(s, Integral) and not isinstance(s, bool) and int(s) >= 1
        for s in values
    )
    if not valid:
        raise ValueError(
            f"hidden_layer_sizes must be positive integers; got {sizes!r}."
        )
    return tuple(int(s) for s in values)


def as_network_inputs(
    scaled: np.ndarray,
    X: np.ndarray | Callable[[], np.ndarray],
    preprocessor: Any = None,
) -> np.ndarray:
    """Cast standardised inputs to float32, the network's precision, or refuse.

    Parameters
    ----------
    scaled : ndarray
        The standardised inputs (not copied when already float32).
    X : ndarray or callable
        The inputs before standardisation (after ``preprocessor``), for the
        message; or a function that returns them, called only for a message.
    preprocessor : transformer, default=None
        The fitted preprocessor that made ``X``, named when it made NaN or inf.

    Returns
    -------
    ndarray of float32

    Examples
    --------
    >>> import numpy as np
    >>> as_network_inputs(np.array([[0.5]]), np.array([[3.0]]))
    array([[0.5]], dtype=float32)
    >>> as_network_inputs(np.array([[1e300]]), np.array([[1e300]]))
    Traceback (most recent call last):
    ...
    ValueError: X has values too large for the network: 1 values are not ...
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> as_network_inputs(np.array([[np.nan]]), np.array([[np.nan]]),
    ...                   FunctionTransformer(np.log))
    Traceback (most recent call last):
    ...
    ValueError: The preprocessor FunctionTransformer(func=<ufunc 'log'>) turned 1 ...
    """
    with np.errstate(over="ignore", invalid="ignore"):
        inputs = scaled.astype(np.float32, copy=False)
    # Checked block by block: a mask of every value would add a quarter of
    # the float32 inputs (57 MB at 10^6 series of 60 days) to the fit's peak.
    if all(
        np.isfinite(inputs[start : start + FINITE_CHECK_ROWS]).all()
        for start in range(0, len(inputs), FINITE_CHECK_ROWS)
    ):
        return inputs
    if callable(X):
        X = X()
    made = ~np.isfinite(np.asarray(X, dtype=float))
    if preprocessor is not None and made.any():
        rows = np.flatnonzero(made.any(axis=1) if made.ndim == 2 else made)
        raise ValueError(
            f"The preprocessor {preprocessor!r} turned {int(made.sum())} values "
            f"of X, in {len(rows)} rows (the first: row {int(rows[0])}), into "
            "NaN or inf, which the network cannot take (a log of a negative "
            "value, say). Make the preprocessor defined on every input "
            "(np.log1p instead of np.log, or clip first)."
        )
    raise ValueError(
        "X has values too large for the network: "
        f"{int(np.count_nonzero(~np.isfinite(inputs)))} "
        "values are not finite once standardised by the statistics of the "
        "training inputs and cast to float32 (largest absolute value in X: "
        f"{np.nanmax(np.abs(X)):.3g}; float32 reaches "
        f"{np.finfo(np.float32).max:.3g}). Rescale the features, e.g. with a log "
        "transform as preprocessor."
    )


def refuse_incomplete_rows(X: np.ndarray, name: str, why: str) -> None:
    """A ValueError counting the rows of ``X`` with a missing or infinite value.

    Examples
    --------
    >>> import numpy as np
    >>> refuse_incomplete_rows(np.array([[1.0], [np.nan]]), "X", "reason")
    Traceback (most recent call last):
    ...
    ValueError: X has missing or infinite values in 1 of 2 rows (first: row 1); \
reason. Drop or impute those rows first.
    """
    if X.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(X).reshape(len(X), -1).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{name} has missing or infinite values in {int(bad.sum())} of "
            f"{len(X)} rows (first: row {int(np.argmax(bad))}); {why}. Drop or "
            "impute those rows first."
        )
