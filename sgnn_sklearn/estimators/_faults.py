"""What an estimator does with simulations that failed: drop and count, or raise.

A simulation is invalid when its ``X`` or numeric ``y`` holds NaN or inf, or
when its draw raised (``Simulation.errors``, set by simulators that run one
draw at a time such as ``FunctionSimulator``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import clone

from ..simulators import Simulation, check_simulation
from ..simulators._validation import (
    describe_row,
    describe_simulator,
    failed_rows,
    nonfinite_rows,
)

# Rows transformed at a time when looking for inputs a preprocessor spoils.
_BLOCK_ROWS = 65_536


def _shares_by_mechanism(
    simulation: Simulation, invalid: np.ndarray
) -> dict[str, tuple[int, int]]:
    """Invalid and total counts of each mechanism of a mixture, else empty."""
    if simulation.mechanism is None:
        return {}
    mechanism = np.asarray(simulation.mechanism)  # a simulator may return a list
    names = simulation.mechanism_names or tuple(np.unique(mechanism))
    counts = {}
    for name in names:
        rows = mechanism == name
        if rows.any():
            counts[str(name)] = (int(invalid[rows].sum()), int(rows.sum()))
    return counts


def drop_invalid(
    simulation: Simulation,
    simulator: Any,
    *,
    on_invalid: str = "drop",
    min_valid_fraction: float = 0.5,
    warn: bool = True,
    preprocessor: Any = None,
    preprocessor_is_fitted: bool = False,
) -> tuple[Simulation, int]:
    """Apply the fault policy to a simulation; return the valid rows and the count.

    Parameters
    ----------
    simulation : Simulation
        What the simulator returned, checked for shapes and dtypes.
    simulator : object
        The simulator, named in messages.
    on_invalid : {"drop", "raise"}, default="drop"
        ``"drop"`` removes invalid rows with a warning that counts them;
        ``"raise"`` raises on the first one (by row), showing the parameters
        that drew it: a ValueError for NaN or inf, a RuntimeError chained to
        the exception for a draw that raised.
    min_valid_fraction : float, default=0.5
        With ``"drop"``, a ValueError is raised when the valid share of the
        simulations, or of any mechanism of a mixture, is below this (it is
        chained to the first exception a draw raised, if any).
    warn : bool, default=True
        Whether to warn when rows are dropped (online training counts them
        over its chunks and warns once, see :func:`warn_dropped_online`).
    preprocessor : scikit-learn transformer, default=None
        The estimator's ``preprocessor``: a row whose inputs it turns into
        NaN or inf (a log of a negative value) is invalid too.
    preprocessor_is_fitted : bool, default=False
        Whether ``preprocessor`` is fitted already (online chunks); if not, a
        clone is fitted on the rows valid so far.

    Returns
    -------
    simulation : Simulation
        The valid rows, in their order.
    n_invalid : int
        The number of rows dropped.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from dataclasses import replace
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=2)
    >>> data = sim.simulate(4, random_state=0)
    >>> data = replace(data, X=np.where([[0], [1], [0], [0]], np.nan, data.X))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     valid, n_invalid = drop_invalid(data, sim)
    >>> len(valid), n_invalid
    (3, 1)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    1 of 4 simulations from LinearGaussian were invalid (1 with NaN or inf, ...
    """
    source = describe_simulator(simulator)
    if on_invalid == "raise":
        simulation = check_simulation(simulation, simulator, allow_nonfinite=False)
        spoilt = _spoilt_by_preprocessor(
            simulation, preprocessor, preprocessor_is_fitted
        )
        if spoilt.any():
            raise ValueError(
                f"The preprocessor {preprocessor!r} turned the inputs of "
                f"{int(spoilt.sum())} of {len(simulation)} simulations from "
                f"{source} into NaN or inf (on_invalid='raise'); the first is "
                f"{describe_row(simulation, int(np.flatnonzero(spoilt)[0]))}. "
                "Make the preprocessor defined on every input the simulator "
                "produces (np.log1p instead of np.log, say)."
            )
        return simulation, 0
    failed = failed_rows(simulation)
    nonfinite = nonfinite_rows(simulation) & ~failed
    spoilt = np.zeros(len(simulation), dtype=bool)
    if preprocessor is not None and not (failed | nonfinite).all():
        valid = ~(failed | nonfinite)
        spoilt[valid] = _spoilt_by_preprocessor(
            simulation.take(valid), preprocessor, preprocessor_is_fitted
        )
    invalid = failed | nonfinite | spoilt
    n_invalid = int(invalid.sum())
    if not n_invalid:
        return simulation, 0
    n_samples = len(simulation)
    first = int(np.flatnonzero(invalid)[0])
    by_mechanism = _shares_by_mechanism(simulation, invalid)
    spoilt_note = (
        f", {int(spoilt.sum())} whose inputs the preprocessor turned into NaN or inf"
        if spoilt.any()
        else ""
    )
    summary = (
        f"{n_invalid} of {n_samples} simulations from {source} were invalid "
        f"({int(nonfinite.sum())} with NaN or inf, {int(failed.sum())} whose draw "
        f"raised{spoilt_note}"
        + "".join(
            f"; {name!r}: {bad} of {total}"
            for name, (bad, total) in by_mechanism.items()
        )
        + ")"
    )
    shares = {"all simulations": (n_invalid, n_samples)} | {
        f"mechanism {name!r}": counts for name, counts in by_mechanism.items()
    }
    for what, (bad, total) in shares.items():
        n_valid = total - bad
        if n_valid == 0 or n_valid < min_valid_fraction * total:
            cause = None if simulation.errors is None else simulation.errors[first]
            raise ValueError(
                f"{summary}. Only {n_valid} of {what} ({n_valid / total:.1%}) are "
                f"valid, below min_valid_fraction={min_valid_fraction}: fix the "
                "simulator or narrow its prior, or lower min_valid_fraction to "
                "train on the valid ones. The first invalid is "
                f"{describe_row(simulation, first)}."
            ) from cause
    if not warn:
        return simulation.take(~invalid), n_invalid
    warnings.warn(
        f"{summary} and were dropped; training on the other "
        f"{n_samples - n_invalid} (n_invalid_simulations_ keeps the count). The "
        f"first is {describe_row(simulation, first)}.",
        UserWarning,
        stacklevel=2,
    )
    return simulation.take(~invalid), n_invalid


def _spoilt_by_preprocessor(
    simulation: Simulation, preprocessor: Any, is_fitted: bool
) -> np.ndarray:
    """Rows whose inputs ``preprocessor`` turns into NaN or inf (none without one).

    Transformed in blocks, so that only a mask is kept of a large set.
    """
    spoilt = np.zeros(len(simulation), dtype=bool)
    if preprocessor is None or not len(simulation):
        return spoilt
    X = simulation.X
    if not is_fitted:
        preprocessor = clone(preprocessor).fit(X)
    for start in range(0, len(X), _BLOCK_ROWS):
        block = slice(start, start + _BLOCK_ROWS)
        with np.errstate(all="ignore"):
            transformed = np.asarray(preprocessor.transform(X[block]), dtype=float)
        spoilt[block] = ~np.isfinite(transformed.reshape(len(transformed), -1)).all(
            axis=1
        )
    return spoilt


def warn_dropped_online(
    n_invalid: int, n_drawn: int, simulator: Any, n_invalid_fixed: int = 0
) -> None:
    """Warn once about the invalid simulations dropped from an online stream.

    Examples
    --------
    >>> import warnings
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_dropped_online(3, 200, LinearGaussian())
    ...     warn_dropped_online(0, 200, LinearGaussian())
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    3 of the 200 simulations that LinearGaussian drew online were invalid ...
    >>> len(caught)
    1
    """
    if not n_invalid:
        return
    warnings.warn(
        f"{n_invalid} of the {n_drawn} simulations that "
        f"{describe_simulator(simulator)} drew online were invalid (NaN or inf, "
        "or a draw that raised) and were dropped from their epochs' batches; "
        f"with the {n_invalid_fixed} dropped from the fixed first chunk, "
        "n_invalid_simulations_ keeps the count.",
        UserWarning,
        stacklevel=3,
    )
