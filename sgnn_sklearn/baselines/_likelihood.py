"""Per-series maximum likelihood under a simulator's own observation model.

Shared by :class:`AICModelSelector` and :class:`MaximumLikelihoodRegressor`:
for each observed series, the log-likelihood is maximised over the
simulator's free parameters within the support of their priors, by
L-BFGS-B started from the best of a few prior draws.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from ..simulators._validation import refuse_simulator_class
from ._lockstep import BatchEvaluator, Task, run_in_lockstep

# Series per joblib task; fixed, so results do not depend on n_jobs.
CHUNK_SIZE = 64
# Finite stand-in for a non-finite negative log-likelihood, so that the line
# search of L-BFGS-B backs off instead of stopping.
PENALTY = 1e12
# Forward-difference step on the optimiser's (unit or log) scale.
STEP = 1e-6

LIKELIHOOD_METHODS = ("log_likelihood", "param_bounds", "sample_params")

# The optimiser settings of the likelihood-based baselines.
OPTIMISER_CONSTRAINTS: dict = {
    "n_init": [Interval(Integral, 1, None, closed="left")],
    "n_starts": [Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "n_jobs": [Integral, None],
    "random_state": ["random_state"],
}


class LikelihoodFitWarning(UserWarning):
    """Warns that the likelihood could not be maximised for some series.

    Examples
    --------
    >>> import warnings
    >>> from sgnn_sklearn.baselines import LikelihoodFitWarning
    >>> warnings.simplefilter("error", LikelihoodFitWarning)
    """


def check_likelihood_simulator(simulator: Any, name: str) -> None:
    """Raise unless ``simulator`` offers the likelihood API the baselines need.

    Parameters
    ----------
    simulator : object
        Needs ``log_likelihood(params, X)``, ``param_bounds()`` and
        ``sample_params(n_samples, random_state)``, as the built-in growth and
        epidemic simulators have.
    name : str
        How to name the simulator in the error (a candidate's name).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SIR, LinearGaussian
    >>> check_likelihood_simulator(SIR(), "sir")
    >>> check_likelihood_simulator(LinearGaussian(), "linear")
    Traceback (most recent call last):
    ...
    TypeError: 'linear' (LinearGaussian) has no log_likelihood(params, X) ...
    """
    refuse_simulator_class(simulator, repr(name))
    missing = [
        m for m in LIKELIHOOD_METHODS if not callable(getattr(simulator, m, None))
    ]
    if missing:
        signatures = {
            "log_likelihood": "log_likelihood(params, X)",
            "param_bounds": "param_bounds()",
            "sample_params": "sample_params(n_samples, random_state)",
        }
        raise TypeError(
            f"{name!r} ({type(simulator).__name__}) has no "
            f"{' or '.join(signatures[m] for m in missing)} method: a "
            "likelihood-based baseline needs the simulator's likelihood, as the "
            "built-in growth and epidemic simulators provide."
        )


class ParameterBox:
    """Maps a simulator's parameters to the optimiser's scale and back.

    A parameter whose bounds coincide is fixed. A free parameter with finite
    bounds maps to ``[0, 1]``, on a log scale when its lower bound is
    positive (rates, sizes and fractions spanning a decade are fitted as
    well at either end); a half-bounded one to ``log(theta - low)`` (or
    ``log(high - theta)``); an unbounded one is used as is.

    Parameters
    ----------
    bounds : list of (low, high)
        From the simulator's ``param_bounds()``, in ``params`` column order.

    Examples
    --------
    >>> import numpy as np
    >>> box = ParameterBox([(0.1, 0.4), (10.0, 10.0), (-np.inf, np.inf)])
    >>> box.free.tolist(), box.opt_bounds
    ([0, 2], [(0.0, 1.0), (None, None)])
    >>> box.to_params(np.array([[1.0, 3.0]])).tolist()
    [[0.4, 10.0, 3.0]]
    >>> box.to_scale(np.array([[0.4, 10.0, 3.0]])).round(6).tolist()
    [[1.0, 3.0]]
    """

    def __init__(self, bounds: list[tuple[float, float]]) -> None:
        bounds_array = np.asarray(bounds, dtype=float).reshape(-1, 2)
        self.low, self.high = bounds_array.T
        self.free = np.flatnonzero(self.low < self.high)
        self.fixed = np.where(self.low == self.high, self.low, np.nan)
        low, high = self.low[self.free], self.high[self.free]
        finite = np.isfinite(low) & np.isfinite(high)
        self._kind = np.select(
            [finite & (low > 0), finite, np.isfinite(low), np.isfinite(high)],
            ["log_box", "box", "above", "below"],
            "real",
        )
        self.opt_bounds = [
            (0.0, 1.0) if kind in ("log_box", "box") else (None, None)
            for kind in self._kind
        ]

    @property
    def n_free(self) -> int:
        """Number of free parameters (those the likelihood is maximised over)."""
        return len(self.free)

    def to_params(self, z: np.ndarray) -> np.ndarray:
        """Full parameter vectors (fixed ones included) from optimiser points."""
        z = np.atleast_2d(z)
        params = np.tile(self.fixed, (len(z), 1))
        low, high = self.low[self.free], self.high[self.free]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            values = np.select(
                [
                    self._kind == "log_box",
                    self._kind == "box",
                    self._kind == "above",
                    self._kind == "below",
                ],
                [
                    low * np.exp(z * np.log(high / low)),
                    low + z * (high - low),
                    low + np.exp(z),
                    high - np.exp(z),
                ],
                z,
            )
        params[:, self.free] = values
        return params

    def to_scale(self, params: np.ndarray) -> np.ndarray:
        """Optimiser points from full parameter vectors (free columns only)."""
        theta = np.atleast_2d(params)[:, self.free]
        low, high = self.low[self.free], self.high[self.free]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.select(
                [
                    self._kind == "log_box",
                    self._kind == "box",
                    self._kind == "above",
                    self._kind == "below",
                ],
                [
                    np.log(theta / low) / np.log(high / low),
                    (theta - low) / (high - low),
                    np.log(theta - low),
                    np.log(high - theta),
                ],
                theta,
            )
        # A draw exactly on a half-open bound maps to -inf; start just inside.
        z = np.where(np.isneginf(z), -30.0, z)
        is_box = np.isin(self._kind, ("log_box", "box"))
        return np.where(is_box, np.clip(z, 0.0, 1.0), z)

    def difference_points(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``z`` and one forward (backward at an upper bound) step per axis."""
        steps = np.full(self.n_free, STEP)
        for j, (_, high) in enumerate(self.opt_bounds):
            if high is not None and z[j] + STEP > high:
                steps[j] = -STEP
        points = np.tile(z, (self.n_free + 1, 1))
        points[1:] += np.diag(steps)
        return points, steps


def series_seeds(random_state: Any, X: np.ndarray, stream: int = 0) -> np.ndarray:
    """One seed per series, from ``random_state``, ``stream`` and the series itself.

    Seeding each series by its own values makes its fit independent of the
    order of the rows and of which other series are fitted with it.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> a = series_seeds(0, X)
    >>> bool((series_seeds(0, X[::-1]) == a[::-1]).all())
    True
    """
    base = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    rows = np.ascontiguousarray(X, dtype=np.float64)
    return np.array(
        [
            np.random.SeedSequence(
                [base, stream, zlib.crc32(row.tobytes())]
            ).generate_state(1)[0]
            for row in rows
        ],
        dtype=np.int64,
    )


@dataclass(frozen=True)
class LikelihoodFit:
    """Per-series maximum-likelihood fits of one simulator.

    Attributes
    ----------
    params : ndarray of shape (n_series, n_params)
        The maximum-likelihood parameters (fixed ones included); NaN where the
        fit failed.
    log_likelihood : ndarray of shape (n_series,)
        The maximised log-likelihood; NaN where the fit failed.
    n_free : int
        Number of free parameters.
    errors : dict of int to str
        Why the fit failed, for each failed series.
    """

    params: np.ndarray
    log_likelihood: np.ndarray
    n_free: int
    errors: dict[int, str]

    @property
    def failed(self) -> np.ndarray:
        """Boolean mask of the series whose fit failed."""
        return np.isnan(self.log_likelihood)


def maximize_likelihood(
    simulator: Any,
    X: np.ndarray,
    *,
    n_init: int,
    n_starts: int,
    max_iter: int,
    random_state: Any = None,
    stream: int = 0,
    n_jobs: int | None = None,
) -> LikelihoodFit:
    """Maximise ``simulator.log_likelihood`` separately for each row of ``X``.

    For each series, ``n_init`` parameter vectors are drawn from the prior
    (with that series' own seed, see :func:`series_seeds`) and evaluated;
    L-BFGS-B then starts from the ``n_starts`` best of them, with
    forward-difference gradients, within the support of the prior. The best
    optimum found is kept. Series are processed in chunks of 64, in parallel
    with joblib; within a chunk, the optimisers run in lockstep (see
    :func:`run_in_lockstep`).

    Parameters
    ----------
    simulator : object
        Has ``log_likelihood``, ``param_bounds`` and ``sample_params``.
    X : ndarray of shape (n_series, n_features)
        Observed series.
    n_init : int
        Prior draws screened per series.
    n_starts : int
        Optimisations per series, from the best screened draws.
    max_iter : int
        Iterations of each optimisation.
    random_state : int, RandomState instance or None, default=None
        Seeds the prior draws, with the series' values.
    stream : int, default=0
        Distinguishes the seeds of several fits of the same series.
    n_jobs : int, default=None
        Number of joblib workers.

    Returns
    -------
    LikelihoodFit

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import ExponentialGrowth
    >>> sim = ExponentialGrowth(noise="poisson")
    >>> data = sim.simulate(3, random_state=0)
    >>> fit = maximize_likelihood(sim, data.X, n_init=20, n_starts=1,
    ...                           max_iter=100, random_state=0)
    >>> bool(np.abs(fit.params[:, 0] - data.params[:, 0]).max() < 0.05)
    True
    """
    box = ParameterBox(simulator.param_bounds())
    seeds = series_seeds(random_state, X, stream)
    chunks = [
        slice(start, min(start + CHUNK_SIZE, len(X)))
        for start in range(0, len(X), CHUNK_SIZE)
    ]
    settings = dict(n_init=n_init, n_starts=n_starts, max_iter=max_iter)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_fit_chunk)(simulator, box, X[chunk], seeds[chunk], **settings)
        for chunk in chunks
    )
    errors = {}
    for chunk, (_, _, chunk_errors) in zip(chunks, parts, strict=True):
        errors.update({chunk.start + i: msg for i, msg in chunk_errors.items()})
    n_params = len(box.low)
    return LikelihoodFit(
        params=np.concatenate([p for p, _, _ in parts] or [np.empty((0, n_params))]),
        log_likelihood=np.concatenate([ll for _, ll, _ in parts] or [np.empty(0)]),
        n_free=box.n_free,
        errors=errors,
    )


def _evaluator(
    simulator: Any, box: ParameterBox, X: np.ndarray, owner: list[int]
) -> BatchEvaluator:
    """Batch evaluator for :func:`run_in_lockstep`: task ``t`` fits series ``owner[t]``.

    The whole batch goes to ``log_likelihood`` at once; if that raises, each
    request is evaluated alone so that the error reaches only its own task.
    """

    def one(series: int, z: np.ndarray) -> np.ndarray:
        params = box.to_params(z)
        return np.asarray(
            simulator.log_likelihood(params, np.repeat(X[[series]], len(params), 0)),
            dtype=float,
        )

    def evaluate(batch: list[tuple[int, np.ndarray]]) -> list[Any]:
        sizes = [len(z) for _, z in batch]
        try:
            rows = np.concatenate([np.repeat(owner[t], len(z)) for t, z in batch])
            params = box.to_params(np.concatenate([z for _, z in batch]))
            values = np.asarray(simulator.log_likelihood(params, X[rows]), dtype=float)
            return np.split(values, np.cumsum(sizes)[:-1])
        except Exception:
            results: list[Any] = []
            for t, z in batch:
                try:
                    results.append(one(owner[t], z))
                except Exception as exc:
                    results.append(exc)
            return results

    return evaluate


def _fit_chunk(*args: Any, **kwargs: Any) -> tuple[np.ndarray, np.ndarray, dict]:
    # L-BFGS-B calls BLAS on tiny vectors; waking BLAS threads for each call
    # costs a hundred times the arithmetic, more so on a loaded machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_chunk_serial_blas(*args, **kwargs)


def _fit_chunk_serial_blas(
    simulator: Any,
    box: ParameterBox,
    X: np.ndarray,
    seeds: np.ndarray,
    *,
    n_init: int,
    n_starts: int,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    n_series = len(X)
    best_z = np.full((n_series, box.n_free), np.nan)
    best_ll = np.full(n_series, -np.inf)
    errors: dict[int, str] = {}

    # Screening: the prior draws of every series in one evaluation.
    draws = [
        box.to_scale(simulator.sample_params(n_init, random_state=int(seed)))
        for seed in seeds
    ]
    screened = _evaluator(simulator, box, X, list(range(n_series)))(
        list(enumerate(draws))
    )
    starts: list[tuple[int, np.ndarray]] = []
    for i, values in enumerate(screened):
        if isinstance(values, Exception):
            errors[i] = f"log_likelihood raised {values!r}"
            continue
        order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
        finite = order[np.isfinite(values[order])]
        if not finite.size:
            errors[i] = f"no finite log-likelihood at {n_init} prior draws"
            continue
        best_z[i], best_ll[i] = draws[i][finite[0]], values[finite[0]]
        starts += [(i, draws[i][j]) for j in finite[:n_starts]]

    def optimise(z0: np.ndarray) -> Task:
        def task(
            request: Callable[[np.ndarray], np.ndarray],
        ) -> tuple[np.ndarray, float]:
            def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
                points, steps = box.difference_points(z)
                values = request(points)
                if not np.isfinite(values[0]):
                    return PENALTY, np.zeros_like(z)
                gradient = -(values[1:] - values[0]) / steps
                return -values[0], np.where(np.isfinite(gradient), gradient, 0.0)

            result = minimize(
                objective,
                z0,
                jac=True,
                method="L-BFGS-B",
                bounds=box.opt_bounds,
                options={"maxiter": max_iter},
            )
            return result.x, -result.fun

        return task

    outcomes = run_in_lockstep(
        [optimise(z0) for _, z0 in starts],
        _evaluator(simulator, box, X, [i for i, _ in starts]),
    )
    for (i, _), outcome in zip(starts, outcomes, strict=True):
        if isinstance(outcome, Exception):
            errors.setdefault(i, f"log_likelihood raised {outcome!r}")
            continue
        z, ll = outcome
        if ll > max(best_ll[i], -PENALTY / 10):
            best_z[i], best_ll[i] = z, ll

    failed = ~np.isfinite(best_ll)
    for row in np.flatnonzero(failed):
        errors.setdefault(int(row), "no finite log-likelihood")
    params = box.to_params(np.where(failed[:, None], 0.0, best_z))
    params[failed] = np.nan
    log_likelihood = np.where(failed, np.nan, best_ll)
    # A series whose screening worked keeps its best draw even if every start
    # then raised: only series with no finite value at all count as failed.
    errors = {i: msg for i, msg in errors.items() if failed[i]}
    return params, log_likelihood, errors
