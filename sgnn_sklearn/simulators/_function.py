"""`FunctionSimulator`: a user's per-draw Python function, run in parallel."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from .._progress import report_draws
from ._base import Simulator
from ._prior import as_generator, check_prior
from ._simulation import Simulation, no_errors
from ._validation import check_simulation


def _as_vector(value: Any, what: str, index: int, draw: dict[str, float]) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"FunctionSimulator: the function returned {what} of type "
            f"{type(value).__name__} and dtype {array.dtype} on draw {index}, with "
            f"parameters {draw}; expected real numbers. To mark a failed draw, "
            "raise an exception or return NaN."
        )
    if array.ndim > 1:
        raise ValueError(
            f"FunctionSimulator: the function returned {what} with shape "
            f"{array.shape} on draw {index}, with parameters {draw}; expected a "
            "1-D array of shape (n_features,) per draw."
        )
    return np.atleast_1d(array.astype(float))


def _portable(exc: Exception) -> Exception:
    """``exc``, or a RuntimeError naming it when it cannot cross to another process.

    joblib's workers send results back pickled; an exception whose class
    cannot be rebuilt from its pickle (one whose ``__init__`` takes other
    arguments than it passes to ``Exception``) would break the whole batch.
    """
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _call_one(
    function: Callable[..., Any], draw: dict[str, float], seed: int, index: int
) -> tuple[np.ndarray | None, np.ndarray | None, Exception | None]:
    """Run one draw: ``(x, y, None)``, or ``(None, None, exception)`` if it raised.

    The exception is returned, not raised, so that one failing draw does not
    lose the others; a return value of the wrong type or shape is a bug in the
    function, not a failed draw, and raises at once.
    """
    try:
        out = function(draw, np.random.default_rng(seed))
    except Exception as exc:
        return None, None, _portable(exc)
    x, y = out if isinstance(out, tuple) else (out, None)
    return (
        _as_vector(x, "x", index, draw),
        None if y is None else _as_vector(y, "y", index, draw),
        None,
    )


def _stack(
    vectors: list[np.ndarray | None], what: str, expected: int | None, draws: Any
) -> np.ndarray:
    """Stack per-draw vectors into rows, NaN for the draws that failed (None)."""
    lengths = {len(v) for v in vectors if v is not None}
    first = next(v for v in vectors if v is not None)
    width = expected if expected is not None else len(first)
    wrong = [
        (i, len(v)) for i, v in enumerate(vectors) if v is not None and len(v) != width
    ]
    if wrong:
        source = "its feature_names" if expected is not None else "the first draw"
        (index, length), *_ = wrong
        raise ValueError(
            f"FunctionSimulator: the function returned {what} of shape "
            f"({length},) on draw {index}, with parameters "
            f"{draws(index)}; expected shape ({width},) from {source}. Every "
            "draw must return the same number of values "
            f"(got lengths {sorted(lengths)})."
        )
    rows = np.full((len(vectors), width), np.nan)
    for i, vector in enumerate(vectors):
        if vector is not None:
            rows[i] = vector
    return rows


class FunctionSimulator(Simulator):
    """Wrap a per-draw Python function and a prior as a simulator.

    For simulators that are not vectorised: ``function`` is called once per
    parameter draw, in parallel with joblib when ``n_jobs`` allows. Each draw
    gets its own random generator, seeded from the ``random_state`` given to
    :meth:`simulate`, so results do not depend on ``n_jobs``.

    Parameters
    ----------
    function : callable
        ``function(params, rng)`` where ``params`` is a dict of one draw
        (parameter name to float) and ``rng`` a ``numpy.random.Generator``.
        It returns the observation ``x`` (1-D array-like of fixed length), or a
        tuple ``(x, y)`` when the targets are not parameters.
    priors : dict of str to prior
        One prior per parameter: a ``(low, high)`` tuple (uniform), a number
        (fixed), or an object with scipy.stats' ``rvs``.
    targets : list of str, default=None
        Names of the targets. If ``function`` returns ``x`` only, these must
        be parameter names and ``None`` means all parameters. If it returns
        ``(x, y)``, they name the columns of ``y`` (``None`` gives ``y0,
        y1, ...``).
    feature_names : list of str, default=None
        Names of the features; ``None`` gives ``x0, x1, ...``.
    n_jobs : int, default=None
        Number of parallel jobs for the per-draw calls, as in joblib;
        ``None`` means 1 unless in a ``joblib.parallel_config`` context.

    Notes
    -----
    A draw whose function raises an ``Exception`` does not stop the others:
    its row of ``X`` (and of a returned ``y``) is NaN and the exception is
    kept in ``Simulation.errors``, so that an estimator can drop the draw or
    report it (see ``on_invalid``). Only when every draw raises does
    ``simulate`` raise, a RuntimeError chained to the first exception. A
    return value that is not real numbers, not 1-D, or of another length
    than the first draw's (or than ``feature_names``) raises at once: it is a
    bug in the function, not a failed draw.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import FunctionSimulator
    >>> def decay(params, rng):
    ...     t = np.arange(5)
    ...     return np.exp(-params["rate"] * t) + 0.01 * rng.standard_normal(5)
    >>> sim = FunctionSimulator(decay, priors={"rate": (0.1, 1.0)})
    >>> data = sim.simulate(8, random_state=0)
    >>> data.X.shape, data.target_names
    ((8, 5), ('rate',))

    A draw that raises leaves a NaN row and its exception:

    >>> def fragile(params, rng):
    ...     if params["rate"] > 0.9:
    ...         raise FloatingPointError("solver diverged")
    ...     return decay(params, rng)
    >>> data = FunctionSimulator(fragile, {"rate": (0.1, 1.0)}).simulate(
    ...     20, random_state=0)
    >>> failed = [e is not None for e in data.errors]
    >>> sum(failed), bool(np.isnan(data.X[failed]).all())
    (2, True)
    """

    # Constructor parameters that shadow the base class's properties.
    feature_names = None  # type: ignore[assignment]

    def __init__(
        self,
        function: Callable[..., Any],
        priors: dict[str, Any],
        *,
        targets: list[str] | None = None,
        feature_names: list[str] | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.function = function
        self.priors = priors
        self.targets = targets
        self.feature_names = feature_names
        self.n_jobs = n_jobs

    def _priors(self) -> dict[str, Any]:
        if not isinstance(self.priors, dict) or not self.priors:
            raise ValueError(
                "priors must be a non-empty dict mapping each parameter name to "
                f"its prior; got {self.priors!r}."
            )
        for name, prior in self.priors.items():
            check_prior(prior, name)
        return self.priors

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(self.targets) if self.targets is not None else self.param_names

    def simulate_from_params(
        self, params: np.ndarray, random_state: Any = None
    ) -> Simulation:
        param_names = self.param_names
        params = np.asarray(params, dtype=float)
        if params.ndim != 2 or params.shape[1] != len(param_names):
            raise ValueError(
                f"FunctionSimulator.simulate_from_params expects params of shape "
                f"(n_samples, {len(param_names)}) for {param_names}; got "
                f"{params.shape}."
            )
        rng = as_generator(random_state)
        seeds = rng.integers(np.iinfo(np.int64).max, size=len(params))

        def draw(i: int) -> dict[str, float]:
            return dict(zip(param_names, params[i].tolist(), strict=True))

        results = []
        for result in Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(_call_one)(self.function, draw(i), int(seed), i)
            for i, seed in enumerate(seeds)
        ):
            results.append(result)
            report_draws(1)
        errors = no_errors(len(params))
        for i, (_, _, error) in enumerate(results):
            errors[i] = error
        succeeded = [i for i, error in enumerate(errors) if error is None]
        if not succeeded:
            raise RuntimeError(
                f"FunctionSimulator: the function raised on every one of the "
                f"{len(params)} draws; it raised first on draw 0, with parameters "
                f"{draw(0)}: {errors[0]!r}."
            ) from errors[0]
        return_kinds = {results[i][1] is not None for i in succeeded}
        if len(return_kinds) > 1:
            raise ValueError(
                "FunctionSimulator: the function returned (x, y) on some draws and "
                "x alone on others; it must return the same on every draw."
            )
        returns_y = return_kinds.pop()
        n_features = None if self.feature_names is None else len(self.feature_names)
        X = _stack([x for x, _, _ in results], "x", n_features, draw)
        if returns_y:
            n_targets = None if self.targets is None else len(self.targets)
            y = _stack([y for _, y, _ in results], "y", n_targets, draw)
            names = (
                tuple(self.targets)
                if self.targets is not None
                else tuple(f"y{j}" for j in range(y.shape[1]))
            )
        else:
            names = self.target_names
            unknown = [t for t in names if t not in param_names]
            if unknown:
                raise ValueError(
                    f"targets {unknown} are not parameters {param_names}; a function "
                    "that returns x alone can only target its parameters."
                )
            y = params[:, [param_names.index(t) for t in names]]
        if y.shape[1] == 1:
            y = y[:, 0]
        feature_names = (
            tuple(self.feature_names)
            if self.feature_names is not None
            else tuple(f"x{i}" for i in range(X.shape[1]))
        )
        simulation = Simulation(
            X=X,
            y=y,
            params=params,
            feature_names=feature_names,
            target_names=names,
            param_names=param_names,
            errors=errors if len(succeeded) < len(params) else None,
        )
        return check_simulation(simulation, self, len(params), allow_nonfinite=True)
