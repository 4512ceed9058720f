"""The marginal likelihood of a series under a simulator with a likelihood.

The integral over a uniform prior box, on its logit scale: the pieces its
quadratures and samplers share (the box, the Poisson epidemics' reporting
rate integrated exactly, the Laplace approximation at the posterior mode).
The lattice quadrature is in ``_grid_evidence``, the quadrature along a
ridge in ``_ridge_evidence``, the importance sampler in
``_importance_evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, gammainc, gammaincc, gammaln

from ..baselines._likelihood import maximize_likelihood
from ..simulators import SEIR, SIR

# Finite-difference step of the Hessian, on the logit scale of the prior box.
HESSIAN_STEP = 1e-4
# Largest proposal standard deviation on the logit scale (the prior's own is
# about 1.8): directions the data do not inform are covered by the prior.
MAX_PROPOSAL_STD = 3.0
# Damped Newton steps from the maximum-likelihood point to the posterior mode.
NEWTON_STEPS = 6
# Rows per vectorised likelihood call, to bound memory.
CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class _UniformBox:
    """A simulator's prior as a box: free parameters uniform, others fixed."""

    low: np.ndarray
    high: np.ndarray
    free: np.ndarray

    @classmethod
    def of(cls, simulator: Any) -> _UniformBox:
        bounds = np.asarray(simulator.param_bounds(), dtype=float).reshape(-1, 2)
        low, high = bounds.T
        free = np.flatnonzero(low < high)
        priors = simulator.get_params(deep=False)
        names = simulator.param_names
        for j in free:
            prior = priors.get(names[j])
            if not (isinstance(prior, tuple | list) and len(prior) == 2):
                raise ValueError(
                    f"log_marginal_likelihood needs uniform (low, high) priors; "
                    f"{type(simulator).__name__} has {names[j]}={prior!r}."
                )
        if not np.isfinite(bounds[free]).all():
            raise ValueError(
                f"log_marginal_likelihood needs finite prior bounds; "
                f"{type(simulator).__name__} has {simulator.param_bounds()}."
            )
        return cls(low, high, free)

    def fixing(self, column: int) -> _UniformBox:
        """The same box with ``column`` left out of the free parameters."""
        return _UniformBox(self.low, self.high, self.free[self.free != column])

    def params(self, z: np.ndarray) -> np.ndarray:
        """Parameter vectors from points ``z`` on the logit scale of the box."""
        params = np.tile(self.low, (len(z), 1))
        width = (self.high - self.low)[self.free]
        params[:, self.free] = self.low[self.free] + expit(z) * width
        return params

    def logit(self, params: np.ndarray) -> np.ndarray:
        """The logit-scale point of each parameter vector, kept off the edges."""
        width = (self.high - self.low)[self.free]
        unit = (params[:, self.free] - self.low[self.free]) / width
        unit = np.clip(np.nan_to_num(unit, nan=0.5), 0.01, 0.99)
        return np.log(unit) - np.log1p(-unit)


class _ReportingRateIntegrated:
    """A Poisson epidemic's likelihood with the reporting rate integrated out.

    The mean count is ``rho * c_d`` with ``c_d`` the expected cases at full
    reporting, so under Poisson noise and a uniform prior ``rho ~ U(a, b)``

    ``p(x | rest) = prod_d c_d^x_d / x_d! * int_a^b rho^S e^(-rho C) drho / (b - a)``

    with ``S = sum x_d`` and ``C = sum c_d``: an incomplete gamma function.
    Integrating it exactly removes the ridge along which ``rho`` and ``i0``
    trade off (only their product is well identified early in an epidemic),
    which no Gaussian or t proposal follows.
    """

    def __init__(self, simulator: Any, box: _UniformBox) -> None:
        self.simulator = simulator
        self.column = simulator.param_names.index("rho")
        self.low = float(box.low[self.column])
        self.high = float(box.high[self.column])

    @classmethod
    def applies(cls, simulator: Any) -> bool:
        """Poisson SIR or SEIR with a free reporting rate."""
        return (
            isinstance(simulator, SIR | SEIR)
            and simulator.noise == "poisson"
            and "rho" in simulator.free_params
        )

    def log_likelihood(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        full = np.array(params, dtype=float)
        full[:, self.column] = 1.0
        cases = self.simulator.mean_trajectory(full)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_terms = np.where(X > 0, X * np.log(cases), 0.0) - gammaln(X + 1)
        total, expected = X.sum(axis=1), np.maximum(cases.sum(axis=1), 1e-300)
        return (
            log_terms.sum(axis=1)
            + _log_gamma_integral(total, expected, self.low, self.high)
            - np.log(self.high - self.low)
        )


def _log_gamma_integral(S: np.ndarray, C: np.ndarray, a: float, b: float) -> np.ndarray:
    """``log int_a^b r^S e^(-r C) dr``, stable far from the peak too.

    Examples
    --------
    >>> from scipy.integrate import quad
    >>> exact = np.log(quad(lambda r: r**3 * np.exp(-5 * r), 0.2, 0.8)[0])
    >>> bool(np.isclose(_log_gamma_integral(np.array([3.0]), np.array([5.0]),
    ...                                     0.2, 0.8)[0], exact))
    True
    """
    shape = S + 1.0
    lower_b, lower_a = gammainc(shape, b * C), gammainc(shape, a * C)
    upper_a, upper_b = gammaincc(shape, a * C), gammaincc(shape, b * C)
    # Subtract the two small tails, never two numbers near 1.
    mass = np.where(lower_b < 0.5, lower_b - lower_a, upper_a - upper_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = gammaln(shape) - shape * np.log(C) + np.log(mass)
        # Both tails underflow when the peak S / C lies far outside (a, b):
        # then the integral is the integrand at the near end over its slope.
        edge = np.where(S / C > b, b, a)
        slope = np.abs(S / edge - C)
        far = S * np.log(edge) - edge * C - np.log(slope)
    return np.where(mass > 0, exact, far)


def _log_prior_logit(z: np.ndarray) -> np.ndarray:
    """Log density, on the logit scale, of a uniform prior on the unit box."""
    return np.sum(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z), axis=-1)


def _log_likelihood(
    simulator: Any, box: _UniformBox, X: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """``log_likelihood`` of series ``X[i]`` at each point ``z[i, s]``."""
    n_series, n_points, _ = z.shape
    per_chunk = max(1, CHUNK_ROWS // n_points)
    out = np.empty((n_series, n_points))
    for start in range(0, n_series, per_chunk):
        rows = slice(start, start + per_chunk)
        points = z[rows].reshape(-1, z.shape[2])
        series = np.repeat(X[rows], n_points, axis=0)
        with np.errstate(all="ignore"):
            values = simulator.log_likelihood(box.params(points), series)
        out[rows] = values.reshape(-1, n_points)
    return np.where(np.isfinite(out), out, -np.inf)


def _log_posterior_logit(
    simulator: Any, box: _UniformBox, X: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """Unnormalised log posterior density on the logit scale, at ``z[i, s]``."""
    return _log_likelihood(simulator, box, X, z) + _log_prior_logit(z)


def _on_plane(w: np.ndarray, plane: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Logit-scale points ``origin + basis @ w`` of a plane (itself when None).

    ``plane`` is ``(origin, basis)``, shapes (n, n_free) and (n, n_free, m)
    with orthonormal columns; ``w`` has shape (n, m) or (n, k, m).
    """
    if plane is None:
        return w
    origin, basis = plane
    if w.ndim == 2:
        return origin + np.einsum("nij,nj->ni", basis, w)
    return origin[:, None] + np.einsum("nij,nkj->nki", basis, w)


def _derivatives(
    simulator: Any,
    box: _UniformBox,
    X: np.ndarray,
    center: np.ndarray,
    plane: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, gradient and negative Hessian of the log posterior at ``center``.

    Central differences on the logit scale, all series in one evaluation;
    within ``plane`` (see :func:`_on_plane`) when given, ``center`` then
    being coordinates in it.
    """
    n_free = center.shape[1]
    h = HESSIAN_STEP
    eye = np.eye(n_free) * h
    offsets = [np.zeros(n_free)]
    for a in range(n_free):
        offsets += [eye[a], -eye[a]]
        for b in range(a + 1, n_free):
            offsets += [eye[a] + eye[b], eye[a] - eye[b], -eye[a] + eye[b]]
            offsets += [-eye[a] - eye[b]]
    stencil = center[:, None, :] + np.array(offsets)[None]
    values = _log_posterior_logit(simulator, box, X, _on_plane(stencil, plane))
    values = np.where(np.isfinite(values), values, -1e12)
    f0 = values[:, 0]
    gradient = np.empty((len(X), n_free))
    hessian = np.empty((len(X), n_free, n_free))
    k = 1
    for a in range(n_free):
        gradient[:, a] = (values[:, k] - values[:, k + 1]) / (2 * h)
        hessian[:, a, a] = -(values[:, k] - 2 * f0 + values[:, k + 1]) / h**2
        k += 2
        for b in range(a + 1, n_free):
            pp, pm, mp, mm = values[:, k : k + 4].T
            hessian[:, a, b] = hessian[:, b, a] = -(pp - pm - mp + mm) / (4 * h**2)
            k += 4
    return f0, gradient, hessian


def _floored(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues floored so that no direction is wider than MAX_PROPOSAL_STD."""
    eigenvalues, vectors = np.linalg.eigh(hessian)
    return np.clip(eigenvalues, 1.0 / MAX_PROPOSAL_STD**2, None), vectors


def _laplace_proposal(
    simulator: Any,
    box: _UniformBox,
    X: np.ndarray,
    start: np.ndarray,
    plane: tuple[np.ndarray, np.ndarray] | None = None,
    n_steps: int = NEWTON_STEPS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mode, covariance factor and log-determinant of the Laplace approximation.

    On the logit scale the prior's Jacobian keeps the posterior mode inside,
    even when the maximum-likelihood point is on an edge of the prior box:
    damped Newton steps (at most 2 logit units each) move from ``start`` to
    the mode, and the covariance is the inverse negative Hessian there.
    Within ``plane`` (see :func:`_on_plane`) the mode and the covariance are
    those of the posterior restricted to it: the mode in the plane's
    coordinates, the covariance factor mapped to the logit scale.
    """
    center = start.copy()
    for _ in range(n_steps):
        f0, gradient, hessian = _derivatives(simulator, box, X, center, plane)
        eigenvalues, vectors = _floored(hessian)
        step = np.einsum(
            "nij,nj,nkj,nk->ni", vectors, 1 / eigenvalues, vectors, gradient
        )
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        step *= np.minimum(1.0, 2.0 / np.maximum(norm, 1e-300))
        for fraction in (1.0, 0.25):
            trial = center + fraction * step
            value = _log_posterior_logit(
                simulator, box, X, _on_plane(trial, plane)[:, None]
            )[:, 0]
            better = value > f0
            center = np.where(better[:, None], trial, center)
            f0 = np.where(better, np.inf, f0)  # moved: no smaller trial step
    _, _, hessian = _derivatives(simulator, box, X, center, plane)
    eigenvalues, vectors = _floored(hessian)
    scale = vectors / np.sqrt(eigenvalues)[:, None, :]
    if plane is not None:
        scale = np.einsum("nij,njk->nik", plane[1], scale)
    return center, scale, -np.sum(np.log(eigenvalues), axis=1)


def laplace_at_mode(
    simulator: Any, X: np.ndarray, rng: np.random.Generator, *, chart: Any = None
) -> tuple[Any, _UniformBox, np.ndarray, np.ndarray, np.ndarray]:
    """The integrand and its Laplace approximation for each series.

    Returns the likelihood to integrate (for Poisson epidemics with the
    reporting rate integrated exactly), the box of its free parameters, and
    the mode, covariance factor and log-determinant from
    :func:`_laplace_proposal`, started at the maximum-likelihood point.
    ``chart``, when given, is called as ``chart(simulator, likelihood, box)``
    and returns an integrand on other coordinates, with ``box`` and
    ``to_chart(params)`` (``_epidemic_chart._GrowthRateChart``): the
    integrand, box and mode are then the chart's.
    """
    box = _UniformBox.of(simulator)
    fit_simulator = simulator
    if _ReportingRateIntegrated.applies(simulator):
        simulator = _ReportingRateIntegrated(simulator, box)
        box = box.fixing(simulator.column)
    fit = maximize_likelihood(
        fit_simulator,
        X,
        n_init=20,
        n_starts=1,
        max_iter=100,
        random_state=int(rng.integers(np.iinfo(np.int32).max)),
    )
    start = fit.params
    if chart is not None:
        simulator = chart(fit_simulator, simulator, box)
        box, start = simulator.box, simulator.to_chart(start)
    center, scale, log_det = _laplace_proposal(simulator, box, X, box.logit(start))
    return simulator, box, center, scale, log_det
