"""What :func:`reference_posterior` returns, and predictions scored against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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
