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
from typing import Any

import numpy as np
from scipy.stats import multivariate_normal, norm
from sklearn.exceptions import ConvergenceWarning

from ..simulators import LinearGaussian
from ..simulators._prior import as_generator
from ._quadrature import _grid_moments, _grid_result, _log_cell_mass, _UnitCube, _zoom

# Defined here until December 2026: results pickled then name this module.
from ._reference_result import ReferencePosterior

# Grid points per unknown parameter of the coarser of the two final grids
# (the finer has twice as many), by number of unknowns.
DEFAULT_GRID = {1: 256, 2: 48, 3: 16}
# At most this many zoom steps; each narrows the box to the cells that matter.
MAX_ZOOMS = 12
# A zoom step whose box keeps more than this share of the width in every
# direction ends the zooming: the grid already resolves the posterior.
ZOOM_STOP = 0.5
# Largest posterior mass allowed in the outer layer of cells of a zoomed box
# (away from the prior's bounds): more means the box cut the posterior off.
MAX_EDGE_MASS = 1e-4
# Points of the exact (Gaussian) marginal CDF table, spanning +-8 sd.
EXACT_TABLE = 2001


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
