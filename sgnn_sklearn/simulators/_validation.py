"""Checks applied to whatever a simulator returns, before anything learns from it."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ._simulation import Simulation


def describe_simulator(simulator: Any) -> str:
    """A short name for ``simulator`` to use in error messages.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> describe_simulator(LinearGaussian())
    'LinearGaussian'
    """
    return type(simulator).__name__


def refuse_simulator_class(obj: Any, what: str = "simulator") -> Any:
    """Return ``obj``, or raise a TypeError when it is a simulator class.

    A class has ``simulate`` too, as an unbound function, so it passes for a
    simulator until ``simulate`` is called without its instance; the error
    then names a missing ``n_samples``. This says what was passed instead.

    Parameters
    ----------
    obj : object
        What was passed where a simulator instance is expected.
    what : str, default="simulator"
        How to name it in the message.

    Returns
    -------
    object
        ``obj`` unchanged.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> refuse_simulator_class(LinearGaussian())
    LinearGaussian()
    >>> refuse_simulator_class(LinearGaussian)
    Traceback (most recent call last):
    ...
    TypeError: simulator is the class LinearGaussian, not a simulator: pass an
    instance, LinearGaussian() (with its parameters), instead.

    A class among a simulator's parameters (one it wraps) is refused too:

    >>> from sgnn_sklearn.simulators import SIR, Overdispersed
    >>> refuse_simulator_class(Overdispersed(SIR))
    Traceback (most recent call last):
    ...
    TypeError: The parameter 'simulator' of simulator Overdispersed is the class ...
    """
    if isinstance(obj, type) and hasattr(obj, "simulate"):
        raise TypeError(
            f"{what} is the class {obj.__name__}, not a simulator: pass an "
            f"instance, {obj.__name__}() (with its parameters), instead."
        )
    try:  # a wrapper of a simulator, at any depth
        params = obj.get_params(deep=True) if hasattr(obj, "get_params") else {}
    except Exception:  # not scikit-learn's get_params: nothing to look into
        params = {}
    for name, value in params.items():
        if isinstance(value, type) and hasattr(value, "simulate"):
            refuse_simulator_class(
                value, f"The parameter {name!r} of {what} {type(obj).__name__}"
            )
    return obj


def check_n_samples(n_samples: Any, name: str = "n_samples") -> int:
    """Return ``n_samples`` as an int, or raise when it is not a positive integer.

    Examples
    --------
    >>> check_n_samples(10)
    10
    >>> check_n_samples(0)
    Traceback (most recent call last):
    ...
    ValueError: n_samples must be a positive integer; got 0.
    """
    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, numbers.Integral)
        or n_samples < 1
    ):
        raise ValueError(f"{name} must be a positive integer; got {n_samples!r}.")
    return int(n_samples)


def _check_rows(array: Any, what: str, n_samples: int, source: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 0 or array.shape[0] != n_samples:
        raise ValueError(
            f"{source} returned {what} with shape {array.shape}; expected "
            f"{n_samples} rows, one per simulated sample."
        )
    return array


def _check_numeric(array: np.ndarray, what: str, source: str) -> None:
    if not (
        np.issubdtype(array.dtype, np.number)
        and not np.issubdtype(array.dtype, np.complexfloating)
    ):
        raise TypeError(
            f"{source} returned {what} of dtype {array.dtype}; expected real numbers."
        )


def _as_object_array(values: Any) -> np.ndarray:
    """One entry per row, even when the entries are themselves sequences.

    Examples
    --------
    >>> _as_object_array([None, ValueError("x")]).shape
    (2,)
    """
    if isinstance(values, np.ndarray):
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def nonfinite_rows(simulation: Simulation) -> np.ndarray:
    """Boolean mask of the rows whose ``X`` or numeric ``y`` holds NaN or inf.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian().simulate(4, random_state=0)
    >>> nonfinite_rows(sim).tolist()
    [False, False, False, False]
    """
    bad = ~np.isfinite(simulation.X).all(axis=1)
    if simulation.y is not None:
        finite_y = _finite_values(np.asarray(simulation.y))
        bad |= ~(finite_y if finite_y.ndim == 1 else finite_y.all(axis=1))
    return bad


def _finite_values(y: np.ndarray) -> np.ndarray:
    """Elementwise: neither missing (None) nor a NaN or infinite number.

    An object array may hold numbers (a simulator's ``.astype(object)``);
    their NaN are as invalid as in a float array. Labels such as strings are
    valid.

    Examples
    --------
    >>> import numpy as np
    >>> _finite_values(np.array([1.0, np.nan, "a", None], dtype=object)).tolist()
    [True, False, True, False]
    """
    if np.issubdtype(y.dtype, np.number):
        return np.isfinite(y)
    if y.dtype != object:
        return np.ones(y.shape, dtype=bool)
    try:
        return np.isfinite(y.astype(float))
    except (TypeError, ValueError):
        values = y.ravel()
        finite = [
            v is not None and not (isinstance(v, numbers.Real) and not math.isfinite(v))
            for v in values
        ]
        return np.array(finite, dtype=bool).reshape(y.shape)


def failed_rows(simulation: Simulation) -> np.ndarray:
    """Boolean mask of the rows whose draw raised (see ``Simulation.errors``).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> failed_rows(LinearGaussian().simulate(3, random_state=0)).tolist()
    [False, False, False]
    """
    if simulation.errors is None:
        return np.zeros(len(simulation), dtype=bool)
    return np.array([error is not None for error in simulation.errors], dtype=bool)


def describe_row(simulation: Simulation, row: int) -> str:
    """Say how row ``row`` was drawn and what went wrong with it, for messages.

    Examples
    --------
    >>> import numpy as np
    >>> from dataclasses import replace
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=2).simulate(2, random_state=0)
    >>> sim = replace(sim, X=np.array([[0.0, 1.0], [np.nan, 1.0]]))
    >>> print(describe_row(sim, 1))  # doctest: +ELLIPSIS
    row 1, drawn with parameters {'theta0': ...}, produced NaN or inf
    """
    draw = dict(
        zip(simulation.param_names, simulation.params[row].tolist(), strict=True)
    )
    mechanism = (
        ""
        if simulation.mechanism is None
        else f" (mechanism {str(simulation.mechanism[row])!r})"
    )
    error = None if simulation.errors is None else simulation.errors[row]
    what = "produced NaN or inf" if error is None else f"raised {error!r}"
    return f"row {row}{mechanism}, drawn with parameters {draw}, {what}"


def invalid_row_error(simulation: Simulation, row: int, context: str) -> Exception:
    """The error that reports invalid row ``row``, chained to what it raised.

    Its message is ``context`` followed by :func:`describe_row`.

    A draw that raised gives a RuntimeError whose ``__cause__`` is the
    original exception; a row with NaN or inf gives a ValueError.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import FunctionSimulator
    >>> def fragile(params, rng):
    ...     if params["a"] > 0.5:
    ...         raise ZeroDivisionError("edge case")
    ...     return [params["a"]]
    >>> data = FunctionSimulator(fragile, {"a": (0, 1)}).simulate(10, random_state=0)
    >>> row = next(i for i, e in enumerate(data.errors) if e is not None)
    >>> error = invalid_row_error(data, row, "Sim: ")
    >>> print(type(error).__name__, error)  # doctest: +ELLIPSIS
    RuntimeError Sim: row ..., drawn with ..., raised ZeroDivisionError('edge case').
    >>> type(error.__cause__).__name__
    'ZeroDivisionError'
    """
    message = f"{context}{describe_row(simulation, row)}."
    cause = None if simulation.errors is None else simulation.errors[row]
    if cause is None:
        return ValueError(message)
    error = RuntimeError(message)
    error.__cause__ = cause
    return error


def check_simulation(
    simulation: Any,
    simulator: Any,
    n_samples: int | None = None,
    *,
    allow_nonfinite: bool = False,
) -> Simulation:
    """Check the shapes, dtypes and values a simulator returned.

    Parameters
    ----------
    simulation : object
        What the simulator returned; must be a :class:`Simulation`.
    simulator : object
        The simulator, named in error messages.
    n_samples : int, default=None
        The number of samples asked for, if known.
    allow_nonfinite : bool, default=False
        If False, invalid rows raise: NaN or inf in ``X`` or ``y`` a
        ValueError, a draw that raised (see ``Simulation.errors``) a
        RuntimeError chained to its exception, whichever comes first; the
        message counts the invalid rows and shows the first one's parameters.

    Returns
    -------
    Simulation
        The same simulation, with ``X`` as a float64 array.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> check_simulation(sim.simulate(3, random_state=0), sim, 3).X.dtype
    dtype('float64')
    """
    source = f"Simulator {describe_simulator(simulator)}"
    refuse_simulator_class(simulator)
    if not isinstance(simulation, Simulation):
        raise TypeError(
            f"{source}.simulate returned {type(simulation).__name__}; expected a "
            "sgnn_sklearn.simulators.Simulation."
        )
    X = np.asarray(simulation.X)
    if X.ndim != 2:
        raise ValueError(
            f"{source} returned X with shape {X.shape}; expected a 2-D array of "
            "shape (n_samples, n_features)."
        )
    n = X.shape[0] if n_samples is None else n_samples
    X = _check_rows(X, "X", n, source)
    _check_numeric(X, "X", source)
    if len(simulation.feature_names) != X.shape[1]:
        raise ValueError(
            f"{source} returned X with shape {X.shape}; expected "
            f"({n}, {len(simulation.feature_names)}), one column per feature name "
            f"{tuple(simulation.feature_names)}."
        )
    y = None
    if simulation.y is not None:
        y = _check_rows(simulation.y, "y", n, source)
        if y.ndim > 2:
            raise ValueError(
                f"{source} returned y with shape {y.shape}; expected (n_samples,) "
                "or (n_samples, n_targets)."
            )
        n_targets = 1 if y.ndim == 1 else y.shape[1]
        if len(simulation.target_names) != n_targets:
            raise ValueError(
                f"{source} returned {n_targets} targets but "
                f"{len(simulation.target_names)} target names."
            )
    params = _check_rows(simulation.params, "params", n, source)
    if params.ndim != 2 or params.shape[1] != len(simulation.param_names):
        raise ValueError(
            f"{source} returned params with shape {params.shape}; expected "
            f"({n}, {len(simulation.param_names)}) for parameters "
            f"{simulation.param_names}."
        )
    # Lists become arrays, so that rows can be taken by a mask or indices.
    mechanism = (
        None
        if simulation.mechanism is None
        else _check_rows(simulation.mechanism, "mechanism", n, source)
    )
    errors = (
        None
        if simulation.errors is None
        else _check_rows(_as_object_array(simulation.errors), "errors", n, source)
    )
    simulation = Simulation(
        X=X.astype(np.float64, copy=False),
        y=y,
        params=params.astype(np.float64, copy=False),
        feature_names=tuple(simulation.feature_names),
        target_names=tuple(simulation.target_names),
        param_names=tuple(simulation.param_names),
        mechanism=mechanism,
        mechanism_names=simulation.mechanism_names,
        errors=errors,
    )
    if not allow_nonfinite:
        failed = failed_rows(simulation)
        bad = nonfinite_rows(simulation) | failed
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise invalid_row_error(
                simulation,
                first,
                (
                    f"{source} produced {int(bad.sum())} invalid samples of {n} "
                    f"({int((bad & ~failed).sum())} with NaN or inf, "
                    f"{int(failed.sum())} whose draw raised)"
                    if failed.any()
                    else f"{source} produced NaN or inf in {int(bad.sum())} of {n} "
                    "samples"
                )
                + "; the first is ",
            )
    return simulation
