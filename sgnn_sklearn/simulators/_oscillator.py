"""A curve-fitting benchmark: a damped oscillation observed with Gaussian noise."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm

from ._latent import LatentSimulator
from ._prior import prior_bounds
from ._quadratic_gaussian import check_likelihood_inputs, check_positive
from ._trajectory import check_targets
from ._validation import check_n_samples


class DampedOscillator(LatentSimulator):
    r"""A damped oscillation at evenly spaced times, with Gaussian noise.

    Model, with uniform priors on the three parameters:

    .. math::

        x_i = A\, e^{-\gamma t_i} \cos(\omega t_i) + \varepsilon_i, \qquad
        \varepsilon_i \sim \mathcal{N}(0, \sigma^2), \qquad
        t_i = \frac{i\, t_\text{max}}{n - 1}, \quad i = 0, \dots, n - 1.

    The classical way to read :math:`(A, \gamma, \omega)` off one series is
    least squares (``scipy.optimize.curve_fit``), which with known Gaussian
    noise is maximum likelihood. The posterior mean has a smaller expected
    squared error than any other function of the series, least squares
    included: a benchmark of how near an amortised estimator comes to it.
    The likelihood is tractable (:meth:`log_likelihood`), so
    :func:`~sgnn_sklearn.diagnostics.reference_posterior` computes the
    posterior of each series by quadrature, and the bounds of the priors
    (:meth:`param_bounds`) let
    :class:`~sgnn_sklearn.baselines.MaximumLikelihoodRegressor` fit it.

    Parameters
    ----------
    n_times : int, default=40
        Number of observation times ``n``, from 0 to ``t_max``. At least 2.
    amplitude : tuple, float or scipy.stats distribution, default=(0.5, 2.0)
        Prior of the amplitude :math:`A`. A prior is a ``(low, high)`` tuple
        (uniform), a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``.
    damping : tuple, float or scipy.stats distribution, default=(0.05, 0.5)
        Prior of the damping rate :math:`\gamma` per unit time.
    frequency : tuple, float or scipy.stats distribution, default=(0.5, 3.0)
        Prior of the angular frequency :math:`\omega` per unit time.
    t_max : float, default=10.0
        Time of the last observation.
    noise_std : float, default=0.1
        Noise sd :math:`\sigma`, known.
    targets : sequence of str, default=("amplitude", "damping", "frequency")
        Names of the parameters returned as ``y``, in that order. ``y`` is
        1-D with one target, else of shape ``(n_samples, n_targets)``.

    See Also
    --------
    FunctionSimulator : The same model written by a user, one draw at a time.
    LinearGaussian : Linear observations, a Gaussian posterior.

    Notes
    -----
    Features are named ``t0, t1, ...``; the ``params`` columns are
    ``amplitude, damping, frequency``. The latent trajectory
    (:meth:`simulate_latent`) is the noise-free curve; :meth:`observe` adds
    the noise.

    With the default priors the oscillation decays to between 0.7% and 61%
    of its amplitude over the window, and makes between 0.8 and 4.8 turns;
    the amplitude at the end is then often below the noise, so a weakly
    damped, fast series pins the frequency down well and a strongly damped
    one hardly at all.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import DampedOscillator
    >>> sim = DampedOscillator()
    >>> data = sim.simulate(3, random_state=0)
    >>> data.X.shape, data.y.shape, data.target_names
    ((3, 40), (3, 3), ('amplitude', 'damping', 'frequency'))

    The true parameters explain a series better than others do:

    >>> truth = data.params[:1]
    >>> other = truth * np.array([[1.0, 1.0, 1.2]])
    >>> ll = sim.log_likelihood(np.vstack([truth, other]), np.repeat(data.X[:1], 2, 0))
    >>> bool(ll[0] > ll[1])
    True
    """

    prior_params = ("amplitude", "damping", "frequency")

    def __init__(
        self,
        n_times: int = 40,
        *,
        amplitude: Any = (0.5, 2.0),
        damping: Any = (0.05, 0.5),
        frequency: Any = (0.5, 3.0),
        t_max: float = 10.0,
        noise_std: float = 0.1,
        targets: Any = ("amplitude", "damping", "frequency"),
    ) -> None:
        self.n_times = n_times
        self.amplitude = amplitude
        self.damping = damping
        self.frequency = frequency
        self.t_max = t_max
        self.noise_std = noise_std
        self.targets = targets

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the features: ``t0, t1, ...``, one per observation time.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import DampedOscillator
        >>> DampedOscillator(n_times=3).feature_names
        ('t0', 't1', 't2')
        """
        n_times = self._checked_n_times()
        return tuple(f"t{i}" for i in range(n_times))

    @property
    def target_names(self) -> tuple[str, ...]:
        """Names of the targets, one per column of ``y``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import DampedOscillator
        >>> DampedOscillator(targets=("frequency",)).target_names
        ('frequency',)
        """
        return check_targets(self.targets, self.prior_params, type(self).__name__)

    @property
    def times(self) -> np.ndarray:
        """The observation times, ``n_times`` evenly spaced from 0 to ``t_max``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import DampedOscillator
        >>> DampedOscillator(n_times=3, t_max=2.0).times
        array([0., 1., 2.])
        """
        n_times = self._checked_n_times()
        t_max = check_positive(self.t_max, "t_max", type(self).__name__)
        return np.linspace(0.0, t_max, n_times)

    def _checked_n_times(self) -> int:
        n_times = check_n_samples(self.n_times, "n_times")
        if n_times < 2:
            raise ValueError(
                f"{type(self).__name__}: n_times must be at least 2; got "
                f"{self.n_times!r}."
            )
        return n_times

    def param_bounds(self) -> list[tuple[float, float]]:
        """The support of each parameter's prior, in ``params`` column order.

        Returns
        -------
        list of (low, high) tuples
            ``(v, v)`` for a fixed value ``v``; a scipy distribution's
            ``support()``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import DampedOscillator
        >>> DampedOscillator(amplitude=1.0).param_bounds()
        [(1.0, 1.0), (0.05, 0.5), (0.5, 3.0)]
        """
        return [prior_bounds(prior, name) for name, prior in self._priors().items()]

    def mean_trajectory(self, params: Any) -> np.ndarray:
        """The noise-free curve for each parameter vector.

        Parameters
        ----------
        params : array-like of shape (n_samples, 3)
            Parameter values, columns ``amplitude, damping, frequency``.

        Returns
        -------
        ndarray of shape (n_samples, n_times)
            :math:`A e^{-\\gamma t} \\cos(\\omega t)` at each observation time.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import DampedOscillator
        >>> sim = DampedOscillator(n_times=3, t_max=2.0)
        >>> sim.mean_trajectory([[2.0, 0.0, 3.14159265]]).round(3)
        array([[ 2., -2.,  2.]])
        """
        params = self._checked_params(params, "mean_trajectory")
        return self._curve(params)

    def _curve(self, params: np.ndarray) -> np.ndarray:
        t = self.times
        amplitude, damping, frequency = (params[:, [j]] for j in range(3))
        return amplitude * np.exp(-damping * t) * np.cos(frequency * t)

    def _targets(self, params: np.ndarray) -> np.ndarray:
        columns = [self.prior_params.index(name) for name in self.target_names]
        y = params[:, columns]
        return y[:, 0] if len(columns) == 1 else y

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._curve(params), self._targets(params)

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        noise_std = check_positive(self.noise_std, "noise_std", type(self).__name__)
        return trajectory + noise_std * rng.standard_normal(trajectory.shape)

    def log_likelihood(self, params: Any, X: Any) -> np.ndarray:
        """Log density of each series given its parameters.

        Parameters
        ----------
        params : array-like of shape (n_samples, 3)
            Parameter values, columns ``amplitude, damping, frequency``.
        X : array-like of shape (n_samples, n_times)
            Observed series.

        Returns
        -------
        ndarray of shape (n_samples,)
            The Gaussian log-likelihood of each series.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import DampedOscillator
        >>> sim = DampedOscillator(n_times=2, noise_std=1.0)
        >>> params = [[1.0, 0.1, 1.0]]
        >>> ll = sim.log_likelihood(params, sim.mean_trajectory(params))
        >>> bool(np.isclose(ll[0], 2 * np.log(1 / np.sqrt(2 * np.pi))))
        True
        """
        params, X = check_likelihood_inputs(self, params, X)
        noise_std = check_positive(self.noise_std, "noise_std", type(self).__name__)
        return norm.logpdf(X, self._curve(params), noise_std).sum(axis=1)
