"""Compartmental epidemics (SIR, SEIR) observed as reported daily incidence."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ._trajectory import CountTrajectorySimulator, substitute_doc
from ._validation import check_n_samples

_SHARED_DOCS = {
    "n_days": """n_days : int, default=60
        Number of observed days; features are the reported incidence on days
        ``0, ..., n_days - 1``.""",
    "population": """population : float, default=1e5
        Population size ``N`` (a fixed setting, not a parameter).""",
    "R0": """R0 : tuple, float or scipy.stats distribution, default=(1.2, 4.0)
        Prior of the basic reproduction number. A prior is a ``(low, high)``
        tuple (uniform), a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``. The default spans slow
        (seasonal-influenza-like) to fast (early SARS-CoV-2-like) spread.""",
    "gamma": """gamma : tuple, float or scipy.stats distribution, default=(1/14, 1/4)
        Prior of the recovery rate per day: mean infectious periods from 4 to
        14 days.""",
    "rho": """rho : tuple, float or scipy.stats distribution, default=(0.2, 0.8)
        Prior of the reporting rate, the fraction of new cases reported.""",
    "i0": """i0 : tuple, float or scipy.stats distribution, default=(1e-4, 1e-3)
        Prior of the fraction of the population infected at day 0 (10 to 100
        people in the default population).""",
    "observation": """noise : {"poisson", "negbin"}, default="negbin"
        Observation model of the reported counts around their mean: Poisson,
        or negative binomial with size ``dispersion`` (variance
        ``mu + mu**2 / k``). Reported case counts are usually overdispersed,
        hence the default.
    dispersion : tuple, float or scipy.stats distribution, default=10.0
        Prior of the negative-binomial size ``k``. It is a parameter (the last
        column of ``params``) only when ``noise="negbin"``.
    targets : sequence of str, default=("R0",)
        Names of the quantities returned as ``y``: any parameter name,
        ``"beta"`` (the transmission rate ``R0 * gamma``),
        ``"total_infections"`` or ``"attack_rate"`` (see Notes). ``y`` is 1-D
        with one target, else of shape ``(n_samples, n_targets)``.
    steps_per_day : int, default=2
        Classical Runge-Kutta (RK4) steps per day in the integration of the
        ODE. Over the default priors the integration error stays below
        3e-4 of the peak incidence, far below the observation noise; raise it
        for priors with rates (``beta``, ``gamma``, ``sigma``) above about 1
        per day.""",
    "notes": """Observations are counts ``X[:, d] ~ Poisson(rho * c_d)`` or
    ``NegativeBinomial(mean=rho * c_d, size=dispersion)``, independent over
    days; features are named ``day0, day1, ...``.

    ``total_infections`` is the true number of new infections over the
    window, ``N * (S(0) - S(n_days))`` (the seed ``i0 * N`` excluded): never
    observed directly, because only a fraction ``rho`` of cases is reported.
    ``attack_rate`` is ``total_infections / population``.

    The ODE is integrated for all samples at once with a fixed-step RK4 on
    the compartment fractions.""",
}


def _integrate_daily(
    derivative: Callable[[np.ndarray, np.ndarray], None],
    state: np.ndarray,
    n_days: int,
    steps_per_day: int,
    record: Callable[[np.ndarray], np.ndarray],
    on_day: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate ``state' = f(state)`` with classical RK4, all samples at once.

    ``derivative(state, out)`` writes ``f(state)`` into ``out``; ``state`` has
    shape (n_states, n_samples). Returns ``record(state)`` at days
    ``0, ..., n_days`` (shape (n_days + 1, n_samples)) and the final state.
    ``on_day(day)``, if given, is called before the steps from ``day`` to
    ``day + 1``, so that it can change the rates ``derivative`` reads.
    """
    # In-place arithmetic on preallocated buffers: allocating the temporaries
    # of each stage instead doubles the time of a 1e5-sample simulation.
    h = 1.0 / steps_per_day
    state = state.copy()
    slope, total, work = (np.empty_like(state) for _ in range(3))
    trace = np.empty((n_days + 1, state.shape[1]))
    trace[0] = record(state)
    for day in range(1, n_days + 1):
        if on_day is not None:
            on_day(day - 1)
        for _ in range(steps_per_day):
            derivative(state, slope)
            np.copyto(total, slope)
            for fraction, weight in ((0.5, 2.0), (0.5, 2.0), (1.0, 1.0)):
                np.multiply(slope, fraction * h, out=work)
                work += state
                derivative(work, slope)
                np.multiply(slope, weight, out=work)
                total += work
            total *= h / 6.0
            state += total
        trace[day] = record(state)
    return trace, state


class _Epidemic(CountTrajectorySimulator):
    """Reported daily incidence of a deterministic compartmental epidemic."""

    _param_domains = {
        "R0": "positive",
        "gamma": "positive",
        "sigma": "positive",
        "rho": "fraction",
        "i0": "open_fraction",
        "dispersion": "positive",
    }
    _derived_targets = ("beta", "total_infections", "attack_rate")

    n_days: Any
    population: Any
    steps_per_day: Any

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the features: ``day0, day1, ...``, one per observed day.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import SIR
        >>> SIR(n_days=3).feature_names
        ('day0', 'day1', 'day2')
        """
        n_days = check_n_samples(self.n_days, "n_days")
        return tuple(f"day{i}" for i in range(n_days))

    def _check_settings(self) -> None:
        check_n_samples(self.n_days, "n_days")
        check_n_samples(self.steps_per_day, "steps_per_day")
        population = self.population
        if (
            isinstance(population, bool)
            or not isinstance(population, numbers.Real)
            or not math.isfinite(population)
            or population <= 0
        ):
            raise ValueError(
                f"{type(self).__name__}: population must be a positive number; "
                f"got {population!r}."
            )
        super()._check_settings()

    def _solve(
        self,
        values: dict[str, np.ndarray],
        change: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Expected reported incidence and derived targets.

        ``change``, if given, is ``(day, factor)`` per sample: transmission is
        multiplied by ``factor`` from the start of day ``ceil(day)`` on.
        """
        beta = values["R0"] * values["gamma"]
        incidence, infected = self._daily_incidence(values, beta, change)
        population = float(self.population)
        mean = population * values["rho"][:, None] * incidence
        total = population * infected
        derived = {
            "beta": beta,
            "total_infections": total,
            "attack_rate": infected,
        }
        return mean, derived

    def _daily_incidence(
        self,
        values: dict[str, np.ndarray],
        beta: np.ndarray,
        change: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Daily true incidence and total new infections, as population fractions."""
        raise NotImplementedError


def _transmission(
    beta: np.ndarray, change: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, Callable[[int], None] | None]:
    """The transmission rate the derivative reads, and what updates it each day.

    Without a change, ``beta`` itself and no update, so the arithmetic is
    exactly that of an epidemic without intervention.
    """
    if change is None:
        return beta, None
    day, factor = change
    current = beta.copy()

    def on_day(today: int) -> None:
        np.copyto(current, np.where(today >= day, beta * factor, beta))

    return current, on_day


@substitute_doc(**_SHARED_DOCS)
class SIR(_Epidemic):
    r"""Reported daily incidence of a deterministic SIR epidemic.

    Compartment fractions :math:`S, I, R` follow

    .. math::

        S' = -\beta S I, \qquad I' = \beta S I - \gamma I, \qquad
        R' = \gamma I, \qquad \beta = R_0 \gamma,

    from :math:`S(0) = 1 - i_0`, :math:`I(0) = i_0`, :math:`R(0) = 0`. The
    true incidence on day :math:`d` is the number of new infections,
    :math:`c_d = N (S(d) - S(d + 1))`, of which a fraction :math:`\rho` is
    reported on average.

    Parameters
    ----------
    %(n_days)s
    %(population)s
    %(R0)s
    %(gamma)s
    %(rho)s
    %(i0)s
    %(observation)s

    See Also
    --------
    SEIR : The same epidemic with a latent (exposed) stage.

    Notes
    -----
    The ``params`` columns are ``R0, gamma, rho, i0``, then ``dispersion``
    when ``noise="negbin"``.

    %(notes)s

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SIR
    >>> sim = SIR(targets=("R0", "attack_rate"))
    >>> data = sim.simulate(5, random_state=0)
    >>> data.X.shape, data.y.shape
    ((5, 60), (5, 2))
    >>> data.param_names
    ('R0', 'gamma', 'rho', 'i0', 'dispersion')
    """

    prior_params = ("R0", "gamma", "rho", "i0", "dispersion")

    def __init__(
        self,
        n_days: int = 60,
        *,
        population: float = 1e5,
        R0: Any = (1.2, 4.0),
        gamma: Any = (1 / 14, 1 / 4),
        rho: Any = (0.2, 0.8),
        i0: Any = (1e-4, 1e-3),
        noise: str = "negbin",
        dispersion: Any = 10.0,
        targets: Any = ("R0",),
        steps_per_day: int = 2,
    ) -> None:
        self.n_days = n_days
        self.population = population
        self.R0 = R0
        self.gamma = gamma
        self.rho = rho
        self.i0 = i0
        self.noise = noise
        self.dispersion = dispersion
        self.targets = targets
        self.steps_per_day = steps_per_day

    def _daily_incidence(
        self,
        values: dict[str, np.ndarray],
        beta: np.ndarray,
        change: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        gamma, i0 = values["gamma"], values["i0"]
        rate, on_day = _transmission(beta, change)

        def derivative(state: np.ndarray, out: np.ndarray) -> None:
            susceptible, infectious = state
            d_susceptible, d_infectious = out
            np.multiply(susceptible, infectious, out=d_susceptible)
            d_susceptible *= rate
            np.multiply(infectious, gamma, out=d_infectious)
            np.subtract(d_susceptible, d_infectious, out=d_infectious)
            np.negative(d_susceptible, out=d_susceptible)

        state = np.stack((1.0 - i0, i0))
        susceptible, final = _integrate_daily(
            derivative,
            state,
            self.n_days,
            self.steps_per_day,
            record=lambda state: state[0],
            on_day=on_day,
        )
        incidence = np.maximum(susceptible[:-1] - susceptible[1:], 0.0).T
        return np.ascontiguousarray(incidence), (1.0 - i0) - final[0]


@substitute_doc(**_SHARED_DOCS)
class SEIR(_Epidemic):
    r"""Reported daily incidence of a deterministic SEIR epidemic.

    Compartment fractions :math:`S, E, I, R` follow

    .. math::

        S' = -\beta S I, \qquad E' = \beta S I - \sigma E, \qquad
        I' = \sigma E - \gamma I, \qquad R' = \gamma I, \qquad
        \beta = R_0 \gamma.

    The infected fraction :math:`i_0` at day 0 is split between :math:`E`
    and :math:`I` as in the epidemic's early exponential phase, so the curve
    has no start-up transient: :math:`E(0)/I(0) = (\lambda + \gamma)/\sigma`
    with :math:`\lambda` the initial growth rate, the positive root of
    :math:`(\lambda + \sigma)(\lambda + \gamma) = \sigma \beta S(0)`.

    The true incidence on day :math:`d` is the number of people becoming
    infectious (the :math:`E \to I` flow, i.e. symptom onsets),
    :math:`c_d = N \int_d^{d+1} \sigma E \, dt`, of which a fraction
    :math:`\rho` is reported on average.

    Parameters
    ----------
    %(n_days)s
    %(population)s
    %(R0)s
    %(gamma)s
    sigma : tuple, float or scipy.stats distribution, default=(1/7, 1/2)
        Prior of the rate per day of leaving the latent stage: mean latent
        periods from 2 to 7 days.
    %(rho)s
    %(i0)s
    %(observation)s

    See Also
    --------
    SIR : The same epidemic without a latent stage.

    Notes
    -----
    The ``params`` columns are ``R0, gamma, sigma, rho, i0``, then
    ``dispersion`` when ``noise="negbin"``.

    %(notes)s

    Here ``total_infections`` counts new infections (the :math:`S \to E`
    flow): it is the window's summed true incidence (onsets), plus those
    still latent at the end, minus those latent at day 0.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SEIR
    >>> sim = SEIR(noise="poisson", targets=("R0", "sigma"))
    >>> data = sim.simulate(5, random_state=0)
    >>> data.X.shape, data.y.shape
    ((5, 60), (5, 2))
    >>> data.param_names
    ('R0', 'gamma', 'sigma', 'rho', 'i0')
    """

    prior_params = ("R0", "gamma", "sigma", "rho", "i0", "dispersion")

    def __init__(
        self,
        n_days: int = 60,
        *,
        population: float = 1e5,
        R0: Any = (1.2, 4.0),
        gamma: Any = (1 / 14, 1 / 4),
        sigma: Any = (1 / 7, 1 / 2),
        rho: Any = (0.2, 0.8),
        i0: Any = (1e-4, 1e-3),
        noise: str = "negbin",
        dispersion: Any = 10.0,
        targets: Any = ("R0",),
        steps_per_day: int = 2,
    ) -> None:
        self.n_days = n_days
        self.population = population
        self.R0 = R0
        self.gamma = gamma
        self.sigma = sigma
        self.rho = rho
        self.i0 = i0
        self.noise = noise
        self.dispersion = dispersion
        self.targets = targets
        self.steps_per_day = steps_per_day

    def _daily_incidence(
        self,
        values: dict[str, np.ndarray],
        beta: np.ndarray,
        change: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        gamma, sigma, i0 = values["gamma"], values["sigma"], values["i0"]
        susceptible0 = 1.0 - i0
        growth = 0.5 * (
            np.sqrt((sigma - gamma) ** 2 + 4.0 * sigma * beta * susceptible0)
            - (sigma + gamma)
        )
        exposed_share = (growth + gamma) / (growth + gamma + sigma)
        rate, on_day = _transmission(beta, change)

        def derivative(state: np.ndarray, out: np.ndarray) -> None:
            susceptible, exposed, infectious = state
            d_susceptible, d_exposed, d_infectious = out
            np.multiply(susceptible, infectious, out=d_susceptible)
            d_susceptible *= rate
            np.multiply(exposed, sigma, out=d_exposed)  # onsets, for now
            np.multiply(infectious, gamma, out=d_infectious)
            np.subtract(d_exposed, d_infectious, out=d_infectious)
            np.subtract(d_susceptible, d_exposed, out=d_exposed)
            np.negative(d_susceptible, out=d_susceptible)

        state = np.stack(
            (
                susceptible0,
                i0 * exposed_share,
                i0 * (1.0 - exposed_share),
            )
        )
        # Whoever has left S + E has become infectious: the cumulative onsets
        # are (S + E)(0) - (S + E)(t), so no fourth compartment is needed.
        not_yet_infectious, final = _integrate_daily(
            derivative,
            state,
            self.n_days,
            self.steps_per_day,
            record=lambda state: state[0] + state[1],
            on_day=on_day,
        )
        onsets = not_yet_infectious[:-1] - not_yet_infectious[1:]
        incidence = np.maximum(onsets, 0.0).T
        return np.ascontiguousarray(incidence), susceptible0 - final[0]
