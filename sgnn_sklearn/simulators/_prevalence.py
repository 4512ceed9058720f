"""A benchmark with a skewed posterior against a bound: a prevalence."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binom

from ._latent import LatentSimulator
from ._quadratic_gaussian import check_likelihood_inputs
from ._validation import check_n_samples


class BinomialPrevalence(LatentSimulator):
    r"""Positive tests in batches of people: the prevalence of a rare condition.

    Model, with prevalence :math:`p \sim U(\text{low}, \text{high})`:

    .. math::

        x_b \sim \operatorname{Binomial}(m, p), \qquad b = 1, \dots, B,

    the number of positives among ``batch_size`` :math:`m` people tested in
    each of ``n_batches`` :math:`B` batches. With a uniform prior the
    posterior is a Beta(1 + k, 1 + Bm - k) truncated to the prior's range
    (:math:`k = \sum_b x_b`): when few are positive it piles up against the
    bound 0 with a long right tail, so a Gaussian interval around its mean
    reaches below 0 and misses the tail. The likelihood is tractable
    (:meth:`log_likelihood`), so
    :func:`~sgnn_sklearn.diagnostics.reference_posterior` computes the
    posterior to quadrature precision (and :meth:`posterior_mean` gives it
    exactly, for a uniform prior). The latent trajectory
    (:meth:`simulate_latent`) is :math:`p` in every batch; :meth:`observe`
    draws the binomial counts, so a fit draws fresh counts around the same
    prevalences every epoch (``observation_noise``).

    Parameters
    ----------
    n_batches : int, default=5
        Number of batches ``B`` (the features).
    batch_size : int, default=10
        People tested per batch ``m``.
    prevalence : tuple, float or scipy.stats distribution, default=(0.0, 0.3)
        Prior of the prevalence, within [0, 1]. A prior is a ``(low, high)``
        tuple (uniform), a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``.

    See Also
    --------
    QuadraticGaussian : A two-peaked posterior.
    LinearGaussian : A Gaussian posterior.

    Notes
    -----
    Features are named ``batch0, batch1, ...``; the one parameter and
    target is ``prevalence`` (``y`` is 1-D).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import BinomialPrevalence
    >>> sim = BinomialPrevalence()
    >>> data = sim.simulate(4, random_state=0)
    >>> data.X.shape, data.y.shape
    ((4, 5), (4,))
    >>> bool(((data.X >= 0) & (data.X <= 10)).all())
    True
    """

    prior_params = ("prevalence",)

    def __init__(
        self, n_batches: int = 5, batch_size: int = 10, prevalence: Any = (0.0, 0.3)
    ) -> None:
        self.n_batches = n_batches
        self.batch_size = batch_size
        self.prevalence = prevalence

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the features: ``batch0, batch1, ...``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import BinomialPrevalence
        >>> BinomialPrevalence(n_batches=2).feature_names
        ('batch0', 'batch1')
        """
        n_batches = check_n_samples(self.n_batches, "n_batches")
        return tuple(f"batch{b}" for b in range(n_batches))

    @property
    def target_names(self) -> tuple[str, ...]:
        """The target: ``("prevalence",)``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import BinomialPrevalence
        >>> BinomialPrevalence().target_names
        ('prevalence',)
        """
        return ("prevalence",)

    def _checked_prevalence(self, params: np.ndarray) -> np.ndarray:
        check_n_samples(self.batch_size, "batch_size")
        p = params[:, 0]
        bad = ~((p >= 0) & (p <= 1))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{type(self).__name__}: prevalence must be in [0, 1]; row {row} "
                f"has {p[row]!r} (prior prevalence={self.prevalence!r})."
            )
        return p

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        p = self._checked_prevalence(params)
        return np.repeat(p[:, None], len(self.feature_names), axis=1), p.copy()

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        size = trajectory.shape
        return rng.binomial(int(self.batch_size), trajectory, size=size).astype(float)

    def log_likelihood(self, params: Any, X: Any) -> np.ndarray:
        """Log probability of each observation's counts given its prevalence.

        Parameters
        ----------
        params : array-like of shape (n_samples, 1)
            Prevalences.
        X : array-like of shape (n_samples, n_batches)
            Positives per batch (whole numbers from 0 to ``batch_size``).

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-likelihood of each observation.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import BinomialPrevalence
        >>> sim = BinomialPrevalence(n_batches=1, batch_size=2)
        >>> np.exp(sim.log_likelihood([[0.5]], [[1.0]])).round(3)
        array([0.5])
        """
        params, X = check_likelihood_inputs(self, params, X)
        p = self._checked_prevalence(params)
        m = int(self.batch_size)
        if not np.all((X == np.round(X)) & (X >= 0) & (X <= m)):
            raise ValueError(
                f"{type(self).__name__}: X must hold whole counts from 0 to "
                f"batch_size={m}."
            )
        return binom.logpmf(X, m, p[:, None]).sum(axis=1)

    def posterior_mean(self, X: Any) -> np.ndarray:
        """Exact posterior mean of the prevalence under a uniform prior.

        The mean of the Beta(1 + k, 1 + Bm - k) truncated to the prior's
        ``(low, high)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_batches)
            Positives per batch.

        Returns
        -------
        ndarray of shape (n_samples,)
            The posterior mean of the prevalence given each observation.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import BinomialPrevalence
        >>> sim = BinomialPrevalence(n_batches=1, batch_size=8, prevalence=(0, 1))
        >>> sim.posterior_mean([[0.0]]).round(3)  # Beta(1, 9): 1 / 10
        array([0.1])
        """
        from scipy.stats import beta

        X = np.asarray(X, dtype=float)
        prior = self.prevalence
        if not (isinstance(prior, tuple | list) and len(prior) == 2):
            raise ValueError(
                f"posterior_mean needs a uniform (low, high) prior; got "
                f"prevalence={self.prevalence!r}."
            )
        _, X = check_likelihood_inputs(self, np.zeros((len(X), 1)), X)
        low, high = (float(v) for v in self.prevalence)
        k = X.sum(axis=1)
        n = X.shape[1] * int(self.batch_size)
        a, b = 1 + k, 1 + n - k
        # E[p; low < p < high] for Beta(a, b) is a / (a + b) times the mass of
        # Beta(a + 1, b) on the same range.
        mass = beta.cdf(high, a, b) - beta.cdf(low, a, b)
        shifted = beta.cdf(high, a + 1, b) - beta.cdf(low, a + 1, b)
        return a / (a + b) * shifted / mass
