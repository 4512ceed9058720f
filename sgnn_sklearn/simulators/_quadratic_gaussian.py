"""A benchmark with a two-peaked posterior: a parameter seen through its square."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy.stats import norm

from ._base import Simulator
from ._latent import LatentSimulator
from ._validation import check_n_samples


class QuadraticGaussian(LatentSimulator):
    r"""Noisy observations of a parameter's square, and one weak one of itself.

    Model, with :math:`\theta \sim U(\text{low}, \text{high})`:

    .. math::

        x_0 = \theta + \varepsilon_0, \quad
        \varepsilon_0 \sim \mathcal{N}(0, s_0^2); \qquad
        x_j = \theta^2 + \varepsilon_j, \quad
        \varepsilon_j \sim \mathcal{N}(0, s^2), \quad j = 1, \dots, d - 1.

    The squares say how far :math:`\theta` is from 0 but not on which side;
    only the weak direct measurement :math:`x_0` tells the sides apart, so
    the posterior has two peaks, near :math:`\pm\sqrt{\bar x}`, of unequal
    mass, and the posterior mean often lies between them, where the
    posterior has almost no mass. A Gaussian interval around the mean is
    then wrong in both directions: a benchmark for predicted intervals and
    quantiles. The likelihood is tractable (:meth:`log_likelihood`), so
    :func:`~sgnn_sklearn.diagnostics.reference_posterior` computes the exact
    posterior to quadrature precision.

    Parameters
    ----------
    n_features : int, default=8
        Number of observations ``d``: the direct one, then ``d - 1`` squares.
        At least 2.
    theta : tuple, float or scipy.stats distribution, default=(-2.0, 2.0)
        Prior of :math:`\theta`. A prior is a ``(low, high)`` tuple
        (uniform), a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``.
    noise_std : float, default=0.5
        Noise sd :math:`s` of the squares.
    direct_noise_std : float, default=2.0
        Noise sd :math:`s_0` of the direct measurement.

    See Also
    --------
    LinearGaussian : Linear observations, a Gaussian posterior.
    BinomialPrevalence : A skewed posterior against a bound.

    Notes
    -----
    The latent trajectory (:meth:`simulate_latent`) is
    :math:`(\theta, \theta^2, \dots, \theta^2)`; :meth:`observe` adds the
    noise, so a fit draws fresh noise around the same parameters every epoch
    (``observation_noise``).

    Features are named ``direct, square1, square2, ...``; the one parameter
    and target is ``theta`` (``y`` is 1-D).

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import QuadraticGaussian
    >>> sim = QuadraticGaussian()
    >>> data = sim.simulate(3, random_state=0)
    >>> data.X.shape, data.y.shape, sim.feature_names[:2]
    ((3, 8), (3,), ('direct', 'square1'))

    The likelihood cannot tell the sign from the squares alone:

    >>> X = np.array([[0.0] + [1.0] * 7])
    >>> ll = sim.log_likelihood(np.array([[1.0], [-1.0], [0.0]]), np.repeat(X, 3, 0))
    >>> bool(np.isclose(ll[0], ll[1])), bool(ll[0] > ll[2])
    (True, True)
    """

    prior_params = ("theta",)

    def __init__(
        self,
        n_features: int = 8,
        *,
        theta: Any = (-2.0, 2.0),
        noise_std: float = 0.5,
        direct_noise_std: float = 2.0,
    ) -> None:
        self.n_features = n_features
        self.theta = theta
        self.noise_std = noise_std
        self.direct_noise_std = direct_noise_std

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the features: ``direct``, then ``square1, square2, ...``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import QuadraticGaussian
        >>> QuadraticGaussian(n_features=3).feature_names
        ('direct', 'square1', 'square2')
        """
        self._check_settings()
        return ("direct",) + tuple(f"square{j}" for j in range(1, self.n_features))

    @property
    def target_names(self) -> tuple[str, ...]:
        """The target: ``("theta",)``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import QuadraticGaussian
        >>> QuadraticGaussian().target_names
        ('theta',)
        """
        return ("theta",)

    def _check_settings(self) -> None:
        owner = type(self).__name__
        if check_n_samples(self.n_features, "n_features") < 2:
            raise ValueError(
                f"{owner}: n_features must be at least 2 (the direct measurement "
                f"and one square); got {self.n_features!r}."
            )
        for name in ("noise_std", "direct_noise_std"):
            check_positive(getattr(self, name), name, owner)

    def _mean_and_std(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean of each feature for each ``theta``, and the noise sd of each."""
        self._check_settings()
        n_squares = self.n_features - 1
        mean = np.column_stack([theta, np.repeat((theta**2)[:, None], n_squares, 1)])
        std = np.array([self.direct_noise_std] + [self.noise_std] * n_squares)
        return mean, std

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        mean, _ = self._mean_and_std(params[:, 0])
        return mean, params[:, 0].copy()

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        _, std = self._mean_and_std(params[:, 0])
        return trajectory + std * rng.standard_normal(trajectory.shape)

    def log_likelihood(self, params: Any, X: Any) -> np.ndarray:
        """Log density of each observation given its parameter.

        Parameters
        ----------
        params : array-like of shape (n_samples, 1)
            Values of ``theta``.
        X : array-like of shape (n_samples, n_features)
            Observations.

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-likelihood of each observation.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import QuadraticGaussian
        >>> sim = QuadraticGaussian(n_features=2, noise_std=1.0, direct_noise_std=1.0)
        >>> bool(np.isclose(sim.log_likelihood([[0.0]], [[0.0, 0.0]])[0],
        ...                 2 * np.log(1 / np.sqrt(2 * np.pi))))
        True
        """
        params, X = check_likelihood_inputs(self, params, X)
        mean, std = self._mean_and_std(params[:, 0])
        return norm.logpdf(X, mean, std).sum(axis=1)


def check_positive(value: Any, name: str, owner: str) -> float:
    """Return ``value`` as a float, or raise unless it is a positive number.

    Examples
    --------
    >>> check_positive(0.5, "noise_std", "QuadraticGaussian")
    0.5
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(float(value))
        or value <= 0
    ):
        raise ValueError(f"{owner}: {name} must be a positive number; got {value!r}.")
    return float(value)


def check_likelihood_inputs(
    simulator: Simulator, params: Any, X: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``params`` and ``X`` as float arrays of matching rows, or a clear error.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import QuadraticGaussian
    >>> p, X = check_likelihood_inputs(QuadraticGaussian(n_features=2), [[1]], [[1, 1]])
    >>> p.shape, X.shape
    ((1, 1), (1, 2))
    """
    owner = type(simulator).__name__
    params = np.asarray(params, dtype=float)
    X = np.asarray(X, dtype=float)
    n_params, n_features = len(simulator.param_names), len(simulator.feature_names)
    if params.ndim != 2 or params.shape[1] != n_params:
        raise ValueError(
            f"{owner}: params must have shape (n_samples, {n_params}) for "
            f"{simulator.param_names}; got {params.shape}."
        )
    if X.shape != (len(params), n_features):
        raise ValueError(
            f"{owner}: X has shape {X.shape}; expected ({len(params)}, {n_features}), "
            "one observation per row of params."
        )
    return params, X
