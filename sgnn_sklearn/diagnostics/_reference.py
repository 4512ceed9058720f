"""A reference posterior for simulators with a likelihood: the yardstick of accuracy.

An amortised estimator is Bayes-optimal when it returns the posterior: its
accuracy is best judged against the posterior itself, not against the true
parameter alone (which adds the Bayes risk to every method). For simulators
with a tractable ``log_likelihood`` and at most three unknown parameters, the
posterior of each observation is computed here by adaptive tensor-product
quadrature, with a convergence check; ``LinearGaussian``'s is exact.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm
from sklearn.exceptions import ConvergenceWarning

from ..simulators import LinearGaussian
from ..simulators._prior import as_generator, check_prior

# The most unknown parameters a tensor-product grid integrates over.
MAX_GRID_PARAMS = 3
# Grid points per unknown parameter of the coarser of the two final grids
# (the finer has twice as many), by number of unknowns.
DEFAULT_GRID = {1: 256, 2: 48, 3: 16}
# Cells whose log posterior mass is this far below the largest are left out
# when the grid zooms in on where the posterior is (e^-25 ~ 1e-11).
ZOOM_DROP = 25.0
# At most this many zoom steps; each narrows the box to the cells that matter.
MAX_ZOOMS = 12
# A zoom step whose box keeps more than this share of the width in every
# direction ends the zooming: the grid already resolves the posterior.
ZOOM_STOP = 0.5
# Largest posterior mass allowed in the outer layer of cells of a zoomed box
# (away from the prior's bounds): more means the box cut the posterior off.
MAX_EDGE_MASS = 1e-4
# Rows per vectorised likelihood call, to bound memory.
CHUNK_ROWS = 200_000
# Points of the exact (Gaussian) marginal CDF table, spanning +-8 sd.
EXACT_TABLE = 2001


@dataclass(frozen=True)
class ReferencePosterior:
    """The posterior of each observation's targets, from :func:`reference_posterior`.

    Parameters
    ----------
    target_names : tuple of str
        Names of the targets (parameters of the simulator).
    mean, std : ndarray of shape (n_obs,) or (n_obs, n_targets)
        Posterior mean and standard deviation of each target, shaped like
        the simulator's ``y`` (1-D with one target).
    draws : ndarray of shape (n_obs, n_draws, n_params)
        Weighted draws of all the simulator's parameters (columns in the
        order of ``param_names``): the finer grid's nodes, or exact draws.
    weights : ndarray of shape (n_obs, n_draws)
        Normalised weight of each draw (each row sums to 1).
    log_evidence : ndarray of shape (n_obs,)
        Log marginal likelihood ``log p(x)`` of each observation.
    ess : ndarray of shape (n_obs,)
        Effective number of draws, ``1 / sum(weights**2)``.
    change : ndarray of shape (n_obs,)
        The convergence figure: the largest change of any unknown
        parameter's posterior mean between the grid and the grid with twice
        the points per parameter, in units of its posterior sd (0 when
        exact).
    converged : ndarray of bool of shape (n_obs,)
        Whether ``change`` is at most the tolerance asked for and the zoomed
        grid did not cut the posterior off.
    method : str
        ``"exact"`` or ``"grid"``.
    _nodes, _cdf : ndarray of shape (n_obs, n_targets, n_nodes)
        Each target's marginal CDF, piecewise linear between the nodes (the
        values at the nodes, and the CDF there); read through
        :meth:`quantiles` and :meth:`cdf`.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.diagnostics import reference_posterior
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3)
    >>> post = reference_posterior(sim, sim.simulate(4, random_state=0).X)
    >>> post.mean.shape, post.method, bool(post.converged.all())
    ((4,), 'exact', True)
    >>> post.quantiles([0.05, 0.95]).shape
    (4, 2)
    """

    target_names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    draws: np.ndarray
    weights: np.ndarray
    log_evidence: np.ndarray
    ess: np.ndarray
    change: np.ndarray
    converged: np.ndarray
    method: str
    _nodes: np.ndarray = field(repr=False)
    _cdf: np.ndarray = field(repr=False)

    def _shaped(self, values: np.ndarray) -> np.ndarray:
        """Drop the target axis (axis 1) when there is one target."""
        return values[:, 0] if len(self.target_names) == 1 else values

    def quantiles(self, quantiles: Any) -> np.ndarray:
        """Posterior quantiles of each target.

        Parameters
        ----------
        quantiles : float or array-like of float in (0, 1)
            The quantile levels.

        Returns
        -------
        ndarray of shape (n_obs, n_quantiles) or (n_obs, n_targets, n_quantiles)
            As the regressors' ``predict_quantiles``: the target axis is
            present with more than one target.

        Examples
        --------
        >>> from sgnn_sklearn.diagnostics import reference_posterior
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> post = reference_posterior(sim, sim.simulate(2, random_state=0).X)
        >>> q = post.quantiles([0.1, 0.5, 0.9])
        >>> bool(np.allclose(q[:, 1], post.mean, atol=1e-4))
        True
        """
        levels = np.atleast_1d(np.asarray(quantiles, dtype=float))
        if levels.ndim != 1 or not np.all((levels > 0) & (levels < 1)):
            raise ValueError(
                "quantiles must be a number or a 1-D array of numbers strictly "
                f"between 0 and 1; got {quantiles!r}."
            )
        n_obs, n_targets, _ = self._nodes.shape
        out = np.empty((n_obs, n_targets, len(levels)))
        for i in range(n_obs):
            for j in range(n_targets):
                cdf, nodes = _strictly_increasing(self._cdf[i, j], self._nodes[i, j])
                out[i, j] = np.interp(levels, cdf, nodes)
        return self._shaped(out)

    def cdf(self, values: Any) -> np.ndarray:
        """Posterior probability that each target is at most ``values``.

        Parameters
        ----------
        values : array-like of shape (n_obs,) or (n_obs, n_targets)
            One value per observation and target, shaped like ``mean``.

        Returns
        -------
        ndarray shaped like ``mean``
            The posterior CDF of each target at its value.

        Examples
        --------
        >>> from sgnn_sklearn.diagnostics import reference_posterior
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> post = reference_posterior(sim, sim.simulate(2, random_state=0).X)
        >>> post.cdf(post.mean).round(3)
        array([0.5, 0.5])
        """
        values = self._as_targets(values, "values")
        n_obs, n_targets, _ = self._nodes.shape
        out = np.empty((n_obs, n_targets))
        for i in range(n_obs):
            for j in range(n_targets):
                out[i, j] = np.interp(values[i, j], self._nodes[i, j], self._cdf[i, j])
        return self._shaped(out)

    def _as_targets(self, values: Any, name: str) -> np.ndarray:
        """``values`` as (n_obs, n_targets), or a clear error."""
        values = np.asarray(values, dtype=float)
        n_obs, n_targets, _ = self._nodes.shape
        expected = (n_obs,) if n_targets == 1 else (n_obs, n_targets)
        if values.shape == (n_obs, 1) and n_targets == 1:
            values = values[:, 0]
        if values.shape != expected:
            raise ValueError(
                f"{name} must have shape {expected} (one value per observation"
                f"{'' if n_targets == 1 else ' and target'}); got {values.shape}."
            )
        return values.reshape(n_obs, n_targets)


def _strictly_increasing(cdf: np.ndarray, nodes: np.ndarray) -> tuple:
    """Drop the flat steps of a CDF table so that it can be inverted."""
    keep = np.concatenate(([True], np.diff(cdf) > 0))
    return cdf[keep], nodes[keep]


def posterior_mean_distance(reference: ReferencePosterior, mean: Any) -> np.ndarray:
    """Squared distance of predicted means to the reference posterior means.

    Averaged over observations it is the excess risk of a point estimate
    over the Bayes-optimal one (the posterior mean), free of the Bayes risk
    that a comparison with the true parameters adds to every method.

    Parameters
    ----------
    reference : ReferencePosterior
        From :func:`reference_posterior`.
    mean : array-like of shape (n_obs,) or (n_obs, n_targets)
        Predicted posterior means, shaped like ``reference.mean``.

    Returns
    -------
    ndarray shaped like ``reference.mean``
        ``(mean - reference.mean) ** 2``.

    Examples
    --------
    >>> from sgnn_sklearn.diagnostics import (
    ...     posterior_mean_distance, reference_posterior)
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3)
    >>> post = reference_posterior(sim, sim.simulate(3, random_state=0).X)
    >>> posterior_mean_distance(post, post.mean + 0.1).round(3)
    array([0.01, 0.01, 0.01])
    """
    values = reference._as_targets(mean, "mean")
    distance = (values - reference._as_targets(reference.mean, "mean")) ** 2
    return reference._shaped(distance)


def posterior_mass_inside(
    reference: ReferencePosterior, lower: Any, upper: Any
) -> np.ndarray:
    """Reference posterior mass inside each predicted interval.

    A calibrated 90% interval holds 90% of the posterior for every
    observation, not only on average over the prior: this measures it per
    observation.

    Parameters
    ----------
    reference : ReferencePosterior
        From :func:`reference_posterior`.
    lower, upper : array-like of shape (n_obs,) or (n_obs, n_targets)
        The intervals' bounds, shaped like ``reference.mean``.

    Returns
    -------
    ndarray shaped like ``reference.mean``
        The posterior probability of ``[lower, upper]`` (0 when
        ``upper < lower``).

    Examples
    --------
    >>> from sgnn_sklearn.diagnostics import (
    ...     posterior_mass_inside, reference_posterior)
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3)
    >>> post = reference_posterior(sim, sim.simulate(3, random_state=0).X)
    >>> lower, upper = post.mean - 1.645 * post.std, post.mean + 1.645 * post.std
    >>> posterior_mass_inside(post, lower, upper).round(2)
    array([0.9, 0.9, 0.9])
    """
    low = reference._as_targets(lower, "lower")
    high = reference._as_targets(upper, "upper")
    mass = reference.cdf(reference._shaped(high)) - reference.cdf(
        reference._shaped(low)
    )
    return np.clip(mass, 0.0, 1.0)


def reference_posterior(
    simulator: Any,
    X: Any,
    *,
    n_grid: int | None = None,
    tol: float = 0.01,
    n_draws: int = 4096,
    random_state: Any = None,
) -> ReferencePosterior:
    """The posterior of each observation, by quadrature or exactly.

    For :class:`~sgnn_sklearn.simulators.LinearGaussian` the posterior is
    Gaussian and exact. For any other simulator with ``log_likelihood(params,
    X)`` and at most three unknown parameters (priors that are not a fixed
    number), the posterior is integrated by adaptive tensor-product
    quadrature on the prior's quantile scale (where the prior is uniform on
    the unit cube):

    1. a grid of ``n_grid`` midpoints per unknown covers the unit cube;
    2. it zooms in: the box shrinks to the cells within ``e^-25`` of the
       largest cell mass, widened by one cell on each side, and the grid is
       laid again on it, until a step keeps more than half of the width in
       every direction (at most 12 steps);
    3. on the final box the midpoint rule is applied with ``n_grid`` and
       with ``2 * n_grid`` points per unknown. The finer grid gives the
       answer; the convergence figure ``change`` is the largest change of
       any unknown's posterior mean between the two, in units of its
       posterior sd. An observation is converged when ``change <= tol`` and
       the box's outer cells (where the box does not end at the prior's
       bounds) hold at most 1e-4 of the mass.

    A warning (:class:`~sklearn.exceptions.ConvergenceWarning`) counts the
    observations that are not converged. Quadrature finds every mode that
    the coarse grid sees; a mode far narrower than a cell of the first grid
    can be missed (raise ``n_grid``).

    Parameters
    ----------
    simulator : Simulator
        Its targets must be among its parameters. Priors: ``(low, high)``
        (uniform), fixed numbers, or scipy.stats distributions with ``ppf``.
    X : array-like of shape (n_obs, n_features)
        Observations.
    n_grid : int, default=None
        Points per unknown of the coarser final grid (the finer has twice as
        many): None gives 256, 48 and 16 for one, two and three unknowns.
    tol : float, default=0.01
        Largest change of a posterior mean, in posterior sds, between the
        two final grids for an observation to count as converged.
    n_draws : int, default=4096
        Number of exact draws when the posterior is exact (LinearGaussian).
    random_state : int, Generator, RandomState or None, default=None
        Seeds the exact draws (quadrature is deterministic).

    Returns
    -------
    ReferencePosterior
        Per observation: means, sds, quantiles, weighted draws, evidence and
        the convergence figures.

    Raises
    ------
    TypeError
        When the simulator has no ``log_likelihood`` (and no exact posterior)
        or a prior without ``ppf``.
    ValueError
        When it has more than three unknown parameters, or a target that is
        not one of its unknown parameters.

    Examples
    --------
    One count ``x ~ Poisson(x0)`` with ``x0 ~ U(5, 20)``: the posterior is a
    Gamma(x + 1, 1) truncated to (5, 20).

    >>> import numpy as np
    >>> from scipy import stats
    >>> from sgnn_sklearn.diagnostics import reference_posterior
    >>> from sgnn_sklearn.simulators import ExponentialGrowth
    >>> sim = ExponentialGrowth(n_times=1, noise="poisson", targets=("x0",))
    >>> post = reference_posterior(sim, [[8.0]])
    >>> grid = np.linspace(5, 20, 200001)
    >>> density = stats.gamma(9.0).pdf(grid)
    >>> exact_mean = float((grid * density).sum() / density.sum())
    >>> bool(abs(post.mean[0] - exact_mean) < 1e-3), bool(post.converged[0])
    (True, True)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_obs, n_features); got an array of shape {X.shape}."
        )
    if isinstance(simulator, LinearGaussian):
        return _exact_linear_gaussian(simulator, X, n_draws, random_state)
    if not callable(getattr(simulator, "log_likelihood", None)):
        raise TypeError(
            f"reference_posterior needs a simulator with a tractable likelihood, "
            f"log_likelihood(params, X); {type(simulator).__name__} has none. "
            "Implement log_likelihood, or judge against the true parameters "
            "instead."
        )
    if not (isinstance(tol, numbers.Real) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol!r}.")
    space = _UnitCube.of(simulator)
    d = len(space.free)
    if n_grid is None:
        n_grid = DEFAULT_GRID[d]
    if not (isinstance(n_grid, numbers.Integral) and n_grid >= 2):
        raise ValueError(f"n_grid must be an integer >= 2; got {n_grid!r}.")
    n_grid = int(n_grid)

    boxes = np.tile([0.0, 1.0], (len(X), d, 1))
    for _ in range(MAX_ZOOMS):
        log_mass = _log_cell_mass(simulator, space, X, boxes, n_grid)
        zoomed = _zoom(boxes, log_mass, n_grid)
        shrunk = np.any(
            (zoomed[..., 1] - zoomed[..., 0])
            < ZOOM_STOP * (boxes[..., 1] - boxes[..., 0]),
            axis=1,
        )
        boxes = np.where(shrunk[:, None, None], zoomed, boxes)
        if not shrunk.any():
            break
    coarse = _grid_moments(simulator, space, X, boxes, n_grid)
    fine = _grid_moments(simulator, space, X, boxes, 2 * n_grid)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.max(np.abs(coarse["mean"] - fine["mean"]) / fine["std"], axis=1)
    change = np.where(fine["std"].min(axis=1) > 0, change, np.inf)
    converged = (change <= tol) & (fine["edge_mass"] <= MAX_EDGE_MASS)
    if not converged.all():
        bad = ~converged
        warnings.warn(
            f"reference_posterior: {int(bad.sum())} of {len(X)} observations did "
            f"not converge (largest change of a posterior mean between "
            f"{n_grid} and {2 * n_grid} points per parameter: "
            f"{float(np.max(change[bad])):.3g} posterior sd, tolerance {tol}; "
            f"largest mass in the zoomed box's outer cells "
            f"{float(np.max(fine['edge_mass'][bad])):.2g}). Raise n_grid; see "
            "the result's converged and change.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return _grid_result(simulator, space, fine, change, converged)


@dataclass(frozen=True)
class _UnitCube:
    """The prior as a map from the unit cube of its unknowns to parameters."""

    names: tuple[str, ...]
    priors: tuple[Any, ...]
    free: tuple[int, ...]
    fixed: np.ndarray

    @classmethod
    def of(cls, simulator: Any) -> _UnitCube:
        owner = type(simulator).__name__
        priors = simulator._priors()
        names = tuple(priors)
        free, fixed = [], np.full(len(names), np.nan)
        for j, (name, prior) in enumerate(priors.items()):
            check_prior(prior, name)
            if isinstance(prior, numbers.Real):
                fixed[j] = float(prior)
            elif isinstance(prior, tuple | list) and prior[0] == prior[1]:
                fixed[j] = float(prior[0])
            elif isinstance(prior, tuple | list) or callable(
                getattr(prior, "ppf", None)
            ):
                free.append(j)
            else:
                raise TypeError(
                    f"reference_posterior needs priors with a quantile function; "
                    f"{owner} has {name}={prior!r}, which has no ppf."
                )
        if len(free) > MAX_GRID_PARAMS:
            unknown = [names[j] for j in free]
            raise ValueError(
                f"reference_posterior integrates on a grid over at most "
                f"{MAX_GRID_PARAMS} unknown parameters; {owner} has {len(free)} "
                f"({', '.join(unknown)}). Fix the others by giving them a number "
                f"as prior, e.g. {owner}({unknown[-1]}=...)."
            )
        if not free:
            raise ValueError(
                f"reference_posterior: every parameter of {owner} is fixed by its "
                "prior; there is no posterior to compute."
            )
        targets = tuple(simulator.target_names)
        for target in targets:
            if target not in names or names.index(target) not in free:
                raise ValueError(
                    f"reference_posterior: target {target!r} of {owner} is not one "
                    f"of its unknown parameters {[names[j] for j in free]}; only "
                    "parameters with a non-degenerate prior can be targets here."
                )
        return cls(names, tuple(priors.values()), tuple(free), fixed)

    def params(self, u: np.ndarray) -> np.ndarray:
        """Parameter vectors (…, n_params) from points ``u`` (…, n_free)."""
        out = np.broadcast_to(self.fixed, (*u.shape[:-1], len(self.names))).copy()
        for k, j in enumerate(self.free):
            out[..., j] = self.value(j, u[..., k])
        return out

    def value(self, j: int, u: np.ndarray) -> np.ndarray:
        """Parameter ``j`` at prior quantile ``u``."""
        prior = self.priors[j]
        if isinstance(prior, tuple | list):
            low, high = float(prior[0]), float(prior[1])
            return low + u * (high - low)
        return np.asarray(prior.ppf(u), dtype=float)


def _offsets(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell indices (n**d, d) of a tensor grid and their midpoints in [0, 1]."""
    index = np.stack(np.meshgrid(*[np.arange(n)] * d, indexing="ij"), axis=-1).reshape(
        -1, d
    )
    return index, (index + 0.5) / n


def _log_cell_mass(
    simulator: Any, space: _UnitCube, X: np.ndarray, boxes: np.ndarray, n: int
) -> np.ndarray:
    """Log posterior mass (unnormalised) of each cell of each box's grid.

    ``boxes`` has shape (n_obs, n_free, 2) on the unit cube; the result
    (n_obs, n**n_free) is the log-likelihood at the midpoint plus the log
    prior mass of the cell (its volume on the unit cube).
    """
    _, mid = _offsets(n, boxes.shape[1])
    low, width = boxes[..., 0], boxes[..., 1] - boxes[..., 0]
    n_points = len(mid)
    out = np.empty((len(X), n_points))
    per_chunk = max(1, CHUNK_ROWS // n_points)
    for start in range(0, len(X), per_chunk):
        rows = slice(start, start + per_chunk)
        u = low[rows, None] + mid[None] * width[rows, None]
        params = space.params(u).reshape(-1, len(space.names))
        series = np.repeat(X[rows], n_points, axis=0)
        with np.errstate(all="ignore"):
            values = np.asarray(simulator.log_likelihood(params, series), float)
        out[rows] = values.reshape(-1, n_points)
    out = np.where(np.isfinite(out), out, -np.inf)
    with np.errstate(divide="ignore"):
        log_volume = np.sum(np.log(width / n), axis=1)
    return out + log_volume[:, None]


def _zoom(boxes: np.ndarray, log_mass: np.ndarray, n: int) -> np.ndarray:
    """The boxes shrunk to the cells that hold non-negligible mass, plus one."""
    d = boxes.shape[1]
    index, _ = _offsets(n, d)
    peak = log_mass.max(axis=1, keepdims=True)
    keep = log_mass >= peak - ZOOM_DROP
    keep &= np.isfinite(peak)
    # Where nothing is finite the likelihood is zero on the whole grid: keep
    # the box (the result then says so through a zero evidence).
    keep[~keep.any(axis=1)] = True
    first = np.where(keep[..., None], index[None], n).min(axis=1)
    last = np.where(keep[..., None], index[None], -1).max(axis=1)
    low, width = boxes[..., 0], boxes[..., 1] - boxes[..., 0]
    new_low = np.clip(low + (first - 1) / n * width, 0.0, 1.0)
    new_high = np.clip(low + (last + 2) / n * width, 0.0, 1.0)
    return np.stack((new_low, new_high), axis=-1)


def _grid_moments(
    simulator: Any, space: _UnitCube, X: np.ndarray, boxes: np.ndarray, n: int
) -> dict[str, Any]:
    """Weights, moments on the unit cube, and mass at the box's edges."""
    d = boxes.shape[1]
    index, mid = _offsets(n, d)
    log_mass = _log_cell_mass(simulator, space, X, boxes, n)
    log_evidence = logsumexp(log_mass, axis=1)
    with np.errstate(invalid="ignore"):
        weights = np.exp(log_mass - log_evidence[:, None])
    weights = np.nan_to_num(weights)
    low, width = boxes[..., 0], boxes[..., 1] - boxes[..., 0]
    u = low[:, None] + mid[None] * width[:, None]
    theta = space.params(u)[..., list(space.free)]
    mean = np.einsum("np,npk->nk", weights, theta)
    var = np.einsum("np,npk->nk", weights, (theta - mean[:, None]) ** 2)
    # Outer cells on a side where the box was cut inside the prior's support.
    inner_low, inner_high = low > 0, low + width < 1
    edge = (index[None] == 0) & inner_low[:, None]
    edge |= (index[None] == n - 1) & inner_high[:, None]
    edge_mass = np.sum(weights * edge.any(axis=2), axis=1)
    return {
        "n": n,
        "boxes": boxes,
        "index": index,
        "u": u,
        "weights": weights,
        "log_evidence": log_evidence,
        "mean": mean,
        "std": np.sqrt(var),
        "edge_mass": edge_mass,
    }


def _grid_result(
    simulator: Any,
    space: _UnitCube,
    fine: dict[str, Any],
    change: np.ndarray,
    converged: np.ndarray,
) -> ReferencePosterior:
    """Means, sds and marginal CDF tables of the targets from the finer grid."""
    weights, u, n, boxes = fine["weights"], fine["u"], fine["n"], fine["boxes"]
    draws = space.params(u)
    targets = tuple(simulator.target_names)
    columns = [space.names.index(t) for t in targets]
    values = draws[..., columns]
    mean = np.einsum("np,npt->nt", weights, values)
    std = np.sqrt(np.einsum("np,npt->nt", weights, (values - mean[:, None]) ** 2))
    n_obs = len(weights)
    nodes = np.empty((n_obs, len(targets), n + 1))
    cdf = np.empty_like(nodes)
    for t, column in enumerate(columns):
        k = space.free.index(column)
        # The marginal mass of each cell along this axis, spread uniformly
        # over the cell on the prior's quantile scale.
        along = fine["index"][:, k]
        marginal = np.zeros((n_obs, n))
        for cell in range(n):
            marginal[:, cell] = weights[:, along == cell].sum(axis=1)
        edges_u = boxes[:, k, :1] + np.arange(n + 1) / n * np.diff(boxes[:, k], 1)
        nodes[:, t] = space.value(column, edges_u)
        cdf[:, t, 0] = 0.0
        cdf[:, t, 1:] = np.cumsum(marginal, axis=1)
    ess = 1.0 / np.maximum(np.sum(weights**2, axis=1), 1e-300)
    shaped = (lambda a: a[:, 0]) if len(targets) == 1 else (lambda a: a)
    return ReferencePosterior(
        target_names=targets,
        mean=shaped(mean),
        std=shaped(std),
        draws=draws,
        weights=weights,
        log_evidence=fine["log_evidence"],
        ess=ess,
        change=change,
        converged=converged,
        method="grid",
        _nodes=nodes,
        _cdf=cdf,
    )


def _exact_linear_gaussian(
    simulator: LinearGaussian, X: np.ndarray, n_draws: int, random_state: Any
) -> ReferencePosterior:
    """LinearGaussian's exact Gaussian posterior, with exact draws."""
    if not (isinstance(n_draws, numbers.Integral) and n_draws >= 1):
        raise ValueError(f"n_draws must be a positive integer; got {n_draws!r}.")
    mean = simulator.posterior_mean(X).reshape(len(X), -1)
    cov = simulator.posterior_cov()
    std = np.sqrt(np.diag(cov))
    rng = as_generator(random_state)
    noise = rng.standard_normal((len(X), int(n_draws), len(std)))
    draws = mean[:, None] + noise @ np.linalg.cholesky(cov).T
    # The marginal of x is Gaussian too: N(A mu0, s0^2 A A' + s^2 I).
    A = simulator.design_matrix
    marginal_cov = simulator.prior_std**2 * A @ A.T + simulator.noise_std**2 * np.eye(
        len(A)
    )
    log_evidence = multivariate_normal(
        A @ np.full(simulator.n_params, float(simulator.prior_mean)), marginal_cov
    ).logpdf(X)
    z = np.linspace(-8.0, 8.0, EXACT_TABLE)
    nodes = mean[..., None] + std[None, :, None] * z
    cdf = np.broadcast_to(norm.cdf(z), nodes.shape).copy()
    n_obs = len(X)
    shaped = (lambda a: a[:, 0]) if simulator.n_params == 1 else (lambda a: a)
    return ReferencePosterior(
        target_names=simulator.target_names,
        mean=shaped(mean),
        std=shaped(np.broadcast_to(std, mean.shape).copy()),
        draws=draws,
        weights=np.full((n_obs, int(n_draws)), 1.0 / n_draws),
        log_evidence=np.atleast_1d(log_evidence),
        ess=np.full(n_obs, float(n_draws)),
        change=np.zeros(n_obs),
        converged=np.ones(n_obs, dtype=bool),
        method="exact",
        _nodes=nodes,
        _cdf=cdf,
    )
