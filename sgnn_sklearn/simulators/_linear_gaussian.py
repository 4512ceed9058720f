"""A conjugate linear-Gaussian model: the ground truth for Bayes-optimality checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._latent import LatentSimulator
from ._prior import as_generator
from ._validation import check_n_samples


class LinearGaussian(LatentSimulator):
    r"""Linear observations of Gaussian parameters, with an exact posterior.

    Model:

    .. math::

        \theta \sim \mathcal{N}(\mu_0 \mathbf{1}, \sigma_0^2 I_p), \qquad
        x = A\theta + \varepsilon, \quad
        \varepsilon \sim \mathcal{N}(0, \sigma^2 I_d),

    with a fixed design matrix :math:`A` (shape ``(n_features, n_params)``,
    standard-normal entries drawn once from ``design_seed``). The posterior is
    Gaussian with covariance
    :math:`\Sigma = (I/\sigma_0^2 + A^\top A/\sigma^2)^{-1}` and mean
    :math:`\Sigma(\mu_0\mathbf{1}/\sigma_0^2 + A^\top x/\sigma^2)`, so the
    Bayes-optimal prediction under squared loss, and its risk
    (:math:`\operatorname{tr}\Sigma / p` per target), are known exactly.

    Parameters
    ----------
    n_features : int, default=5
        Dimension ``d`` of each observation.
    n_params : int, default=1
        Dimension ``p`` of the latent parameter; every component is a target.
    noise_std : float, default=1.0
        Observation noise standard deviation :math:`\sigma`.
    prior_mean : float, default=0.0
        Prior mean :math:`\mu_0` of every parameter component.
    prior_std : float, default=1.0
        Prior standard deviation :math:`\sigma_0`.
    design_seed : int, default=0
        Seed of the fixed design matrix :math:`A`.

    Attributes
    ----------
    design_matrix : ndarray of shape (n_features, n_params)
        The matrix :math:`A`, derived from ``design_seed``.

    Notes
    -----
    The latent trajectory (:meth:`simulate_latent`) is :math:`A\theta`;
    :meth:`observe` adds the noise :math:`\varepsilon`.

    Features are named ``x0, x1, ...``; parameters and targets
    ``theta0, theta1, ...``. ``y`` is 1-D when ``n_params == 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3, n_params=1)
    >>> data = sim.simulate(1000, random_state=0)
    >>> mean = sim.posterior_mean(data.X)
    >>> risk = float(np.mean((mean - data.y) ** 2))
    >>> bool(abs(risk - sim.bayes_risk()) < 0.05)
    True
    """

    def __init__(
        self,
        n_features: int = 5,
        n_params: int = 1,
        noise_std: float = 1.0,
        prior_mean: float = 0.0,
        prior_std: float = 1.0,
        design_seed: int = 0,
    ) -> None:
        self.n_features = n_features
        self.n_params = n_params
        self.noise_std = noise_std
        self.prior_mean = prior_mean
        self.prior_std = prior_std
        self.design_seed = design_seed

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(f"theta{j}" for j in range(self.n_params))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f"x{i}" for i in range(self.n_features))

    @property
    def target_names(self) -> tuple[str, ...]:
        return self.param_names

    @property
    def design_matrix(self) -> np.ndarray:
        """The fixed design matrix ``A`` of shape (n_features, n_params).

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_features=4, n_params=2).design_matrix.shape
        (4, 2)
        """
        self._check_settings()
        rng = np.random.default_rng(self.design_seed)
        return rng.standard_normal((self.n_features, self.n_params))

    def _check_settings(self) -> None:
        check_n_samples(self.n_features, "n_features")
        check_n_samples(self.n_params, "n_params")
        for name in ("noise_std", "prior_std"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number; got {value!r}.")

    def sample_params(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        n_samples = check_n_samples(n_samples)
        self._check_settings()
        rng = as_generator(random_state)
        return self.prior_mean + self.prior_std * rng.standard_normal(
            (n_samples, self.n_params)
        )

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        y = params[:, 0] if self.n_params == 1 else params.copy()
        return params @ self.design_matrix.T, y

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return trajectory + self.noise_std * rng.standard_normal(trajectory.shape)

    def posterior_cov(self) -> np.ndarray:
        """Exact posterior covariance of the parameters (the same for every x).

        Returns
        -------
        ndarray of shape (n_params, n_params)
            The posterior covariance matrix given in the class description.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_params=2).posterior_cov().shape
        (2, 2)
        """
        A = self.design_matrix
        precision = np.eye(self.n_params) / self.prior_std**2 + A.T @ A / (
            self.noise_std**2
        )
        return np.linalg.inv(precision)

    def posterior_std(self) -> np.ndarray:
        """Exact posterior standard deviation of each parameter.

        Returns
        -------
        ndarray of shape (n_params,)
            Square roots of the diagonal of :meth:`posterior_cov`.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> bool(LinearGaussian().posterior_std()[0] < 1.0)
        True
        """
        return np.sqrt(np.diag(self.posterior_cov()))

    def posterior_mean(self, X: Any) -> np.ndarray:
        """Exact posterior mean of the parameters given observations ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_params)
            Shaped like the simulator's ``y``.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_features=2).posterior_mean(np.zeros((1, 2)))
        array([0.])
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"X has shape {X.shape}; LinearGaussian expects (n_samples, "
                f"{self.n_features})."
            )
        A = self.design_matrix
        cov = self.posterior_cov()
        mean = (self.prior_mean / self.prior_std**2 + X @ A / self.noise_std**2) @ cov.T
        return mean[:, 0] if self.n_params == 1 else mean

    def bayes_risk(self) -> float:
        """Exact Bayes risk of the posterior mean: mean squared error per target.

        Returns
        -------
        float
            The expected squared error of :meth:`posterior_mean`, averaged
            over the targets.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> round(LinearGaussian(n_features=1, noise_std=1.0).bayes_risk(), 3) < 1
        True
        """
        return float(np.trace(self.posterior_cov()) / self.n_params)
