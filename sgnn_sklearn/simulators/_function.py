"""`FunctionSimulator`: a user's per-draw Python function, run in parallel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from ._base import Simulator
from ._prior import as_generator, check_prior
from ._simulation import Simulation
from ._validation import check_simulation


def _call_one(
    function: Callable[..., Any], draw: dict[str, float], seed: int, index: int
) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        out = function(draw, np.random.default_rng(seed))
    except Exception as exc:
        raise RuntimeError(
            f"FunctionSimulator: the function raised {exc!r} on draw {index}, with "
            f"parameters {draw}."
        ) from exc
    if isinstance(out, tuple):
        x, y = out
        return np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(
            np.asarray(y, dtype=float)
        )
    return np.atleast_1d(np.asarray(out, dtype=float)), None


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
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_call_one)(
                self.function,
                dict(zip(param_names, row.tolist(), strict=True)),
                int(seed),
                i,
            )
            for i, (row, seed) in enumerate(zip(params, seeds, strict=True))
        )
        lengths = {len(x) for x, _ in results}
        if len(lengths) > 1:
            raise ValueError(
                "FunctionSimulator: the function returned observations of "
                f"different lengths {sorted(lengths)}; every draw must return the "
                "same number of features."
            )
        X = np.vstack([x for x, _ in results])
        returns_y = results[0][1] is not None
        if returns_y:
            y = np.vstack([np.asarray(r[1]) for r in results])
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
        )
        return check_simulation(simulation, self, len(params), allow_nonfinite=True)
