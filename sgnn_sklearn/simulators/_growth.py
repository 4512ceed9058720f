"""Population growth curves observed as counts: exponential, logistic, Gompertz."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._trajectory import CountTrajectorySimulator, substitute_doc
from ._validation import check_n_samples

_SHARED_DOCS = {
    "n_times": """n_times : int, default=30
        Number of observation times ``t = 0, 1, ..., n_times - 1``.""",
    "r": """r : tuple, float or scipy.stats distribution, default=(0.1, 0.4)
        Prior of the growth rate per time step. A prior is a ``(low, high)``
        tuple (uniform), a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``. The default spans doubling times
        from 1.7 to 6.9 steps.""",
    "K": """K : tuple, float or scipy.stats distribution, default=(200.0, 2000.0)
        Prior of the carrying capacity (the plateau of the mean).""",
    "x0": """x0 : tuple, float or scipy.stats distribution, default=(5.0, 20.0)
        Prior of the mean count at ``t = 0``.""",
    "observation": """noise : {"poisson", "negbin"}, default="negbin"
        Observation model of the counts around the mean: Poisson, or negative
        binomial with size ``dispersion`` (variance ``mu + mu**2 / k``).
        Replicate counts of growing populations are usually overdispersed,
        hence the default.
    dispersion : tuple, float or scipy.stats distribution, default=10.0
        Prior of the negative-binomial size ``k``. It is a parameter (the last
        column of ``params``) only when ``noise="negbin"``.
    targets : sequence of str, default=("r",)
        Names of the quantities returned as ``y``: any parameter names. The
        three growth models share this default so that a
        :class:`MixtureSimulator` of them stacks a common target. ``y`` is 1-D
        with one target, else of shape ``(n_samples, n_targets)``.""",
    "notes": """Observations are counts ``X[:, t] ~ Poisson(mu(t))`` or
    ``NegativeBinomial(mean=mu(t), size=dispersion)``, independent over time,
    at ``t = 0, ..., n_times - 1``; features are named ``t0, t1, ...``.

    The default priors make the three growth models hard but possible to
    tell apart over 30 points: growing from ``x0`` to ``K`` takes
    ``log(K / x0) / r``, between about 6 and 60 steps, so some logistic and
    Gompertz series reach their plateau within the window and others still
    look exponential. (A gradient-boosting classifier on ``log1p(X)``,
    trained on 30,000 draws of an equal mixture, tells them apart about 91%
    of the time with the default noise, 97% with Poisson noise.)""",
}


class _GrowthModel(CountTrajectorySimulator):
    """Counts at times ``t = 0, 1, ..., n_times - 1`` around a growth curve."""

    _param_domains = {
        "r": "real",
        "K": "positive",
        "x0": "positive",
        "dispersion": "positive",
    }

    _curve_params: tuple[str, ...] = ()

    n_times: Any

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the features: ``t0, t1, ...``, one per observation time.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import ExponentialGrowth
        >>> ExponentialGrowth(n_times=3).feature_names
        ('t0', 't1', 't2')
        """
        n_times = check_n_samples(self.n_times, "n_times")
        return tuple(f"t{i}" for i in range(n_times))

    def _check_settings(self) -> None:
        check_n_samples(self.n_times, "n_times")
        super()._check_settings()

    def _solve(
        self, values: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        t = np.arange(self.n_times, dtype=float)
        columns = {name: values[name][:, None] for name in self._curve_params}
        # An overflowing mean is reported by `generate`, with its parameters.
        with np.errstate(over="ignore"):
            return self._curve(t, **columns), {}

    @staticmethod
    def _curve(t: np.ndarray, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@substitute_doc(**_SHARED_DOCS)
class ExponentialGrowth(_GrowthModel):
    r"""Counts around unbounded exponential growth.

    Mean trajectory:

    .. math::

        \mu(t) = x_0 e^{r t}.

    Parameters
    ----------
    %(n_times)s
    %(r)s
    %(x0)s
    %(observation)s

    See Also
    --------
    LogisticGrowth : Growth that saturates at a carrying capacity.
    GompertzGrowth : Saturating growth with an early inflection.

    Notes
    -----
    The ``params`` columns are ``r, x0``, then ``dispersion`` when
    ``noise="negbin"``.

    %(notes)s

    Examples
    --------
    >>> from sgnn_sklearn.simulators import ExponentialGrowth
    >>> sim = ExponentialGrowth()
    >>> data = sim.simulate(5, random_state=0)
    >>> data.X.shape, data.y.shape, data.param_names
    ((5, 30), (5,), ('r', 'x0', 'dispersion'))
    """

    prior_params = ("r", "x0", "dispersion")
    _curve_params = ("r", "x0")

    def __init__(
        self,
        n_times: int = 30,
        *,
        r: Any = (0.1, 0.4),
        x0: Any = (5.0, 20.0),
        noise: str = "negbin",
        dispersion: Any = 10.0,
        targets: Any = ("r",),
    ) -> None:
        self.n_times = n_times
        self.r = r
        self.x0 = x0
        self.noise = noise
        self.dispersion = dispersion
        self.targets = targets

    @staticmethod
    def _curve(t: np.ndarray, **params: np.ndarray) -> np.ndarray:
        return params["x0"] * np.exp(params["r"] * t)


@substitute_doc(**_SHARED_DOCS)
class LogisticGrowth(_GrowthModel):
    r"""Counts around logistic growth to a carrying capacity.

    Mean trajectory, the solution of :math:`\mu' = r\mu(1 - \mu/K)` with
    :math:`\mu(0) = x_0`:

    .. math::

        \mu(t) = \frac{K}{1 + (K/x_0 - 1) e^{-r t}}.

    Its inflection is at :math:`K/2`, symmetric about the midpoint.

    Parameters
    ----------
    %(n_times)s
    %(r)s
    %(K)s
    %(x0)s
    %(observation)s

    See Also
    --------
    ExponentialGrowth : Growth without a carrying capacity.
    GompertzGrowth : Saturating growth with an early inflection.

    Notes
    -----
    The ``params`` columns are ``r, K, x0``, then ``dispersion`` when
    ``noise="negbin"``.

    %(notes)s

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LogisticGrowth
    >>> sim = LogisticGrowth(targets=("r", "K"))
    >>> data = sim.simulate(5, random_state=0)
    >>> data.X.shape, data.y.shape, data.param_names
    ((5, 30), (5, 2), ('r', 'K', 'x0', 'dispersion'))
    """

    prior_params = ("r", "K", "x0", "dispersion")
    _curve_params = ("r", "K", "x0")

    def __init__(
        self,
        n_times: int = 30,
        *,
        r: Any = (0.1, 0.4),
        K: Any = (200.0, 2000.0),
        x0: Any = (5.0, 20.0),
        noise: str = "negbin",
        dispersion: Any = 10.0,
        targets: Any = ("r",),
    ) -> None:
        self.n_times = n_times
        self.r = r
        self.K = K
        self.x0 = x0
        self.noise = noise
        self.dispersion = dispersion
        self.targets = targets

    @staticmethod
    def _curve(t: np.ndarray, **params: np.ndarray) -> np.ndarray:
        r, K, x0 = params["r"], params["K"], params["x0"]
        return K / (1.0 + (K / x0 - 1.0) * np.exp(-r * t))


@substitute_doc(**_SHARED_DOCS)
class GompertzGrowth(_GrowthModel):
    r"""Counts around Gompertz growth to a carrying capacity.

    Mean trajectory, the solution of :math:`\mu' = r\mu\log(K/\mu)` with
    :math:`\mu(0) = x_0`:

    .. math::

        \mu(t) = K \exp\!\left(\log(x_0/K)\, e^{-r t}\right).

    Its inflection is at :math:`K/e`: growth slows earlier than the
    logistic's, and approaches the plateau more slowly.

    Parameters
    ----------
    %(n_times)s
    %(r)s
    %(K)s
    %(x0)s
    %(observation)s

    See Also
    --------
    ExponentialGrowth : Growth without a carrying capacity.
    LogisticGrowth : Saturating growth with a symmetric inflection.

    Notes
    -----
    The ``params`` columns are ``r, K, x0``, then ``dispersion`` when
    ``noise="negbin"``.

    %(notes)s

    Examples
    --------
    >>> from sgnn_sklearn.simulators import GompertzGrowth
    >>> sim = GompertzGrowth(noise="poisson")
    >>> data = sim.simulate(5, random_state=0)
    >>> data.X.shape, data.param_names
    ((5, 30), ('r', 'K', 'x0'))
    """

    prior_params = ("r", "K", "x0", "dispersion")
    _curve_params = ("r", "K", "x0")

    def __init__(
        self,
        n_times: int = 30,
        *,
        r: Any = (0.1, 0.4),
        K: Any = (200.0, 2000.0),
        x0: Any = (5.0, 20.0),
        noise: str = "negbin",
        dispersion: Any = 10.0,
        targets: Any = ("r",),
    ) -> None:
        self.n_times = n_times
        self.r = r
        self.K = K
        self.x0 = x0
        self.noise = noise
        self.dispersion = dispersion
        self.targets = targets

    @staticmethod
    def _curve(t: np.ndarray, **params: np.ndarray) -> np.ndarray:
        r, K, x0 = params["r"], params["K"], params["x0"]
        return K * np.exp(np.log(x0 / K) * np.exp(-r * t))
