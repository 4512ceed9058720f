"""Observation models that wrap a simulator: how its trajectory gets reported.

Each wrapper takes a :class:`LatentSimulator` and changes one step of its
reporting: the noise around the expected counts (:class:`Overdispersed`),
the share of counts reported (:class:`UnderReported`), when they are
reported (:class:`ReportingDelay`, :class:`DayOfWeekEffect`) and whether
(:class:`MissingReports`). Each has a prior over its own parameters, like the
simulators' priors, and they wrap one another.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._observation import CountLaw, drop_reports, sample_law
from ._trajectory import substitute_doc
from ._wrapping import SHARED_DOCS, ObservationWrapper, check_counts_observed

_DELAY_DISTRIBUTIONS = ("geometric", "poisson")


@substitute_doc(**SHARED_DOCS)
class Overdispersed(ObservationWrapper):
    r"""Negative-binomial reports around a simulator's latent trajectory.

    Replaces the wrapped simulator's observation noise: each observation is
    negative binomial with mean the latent trajectory (the expected count)
    and size ``dispersion`` (variance ``mu + mu**2 / dispersion``), so that
    smaller sizes are more overdispersed than Poisson counts.

    Parameters
    ----------
    %(simulator)s
        Its latent trajectory must be non-negative (expected counts). Its own
        observation noise is not used: give the built-ins ``noise="poisson"``,
        so that they have no ``dispersion`` parameter of their own.
    dispersion : tuple, float or scipy.stats distribution, default=(1.0, 20.0)
        Prior of the negative-binomial size ``k`` (positive). A prior is a
        ``(low, high)`` tuple (uniform), a fixed number, or an object with
        scipy.stats' ``rvs(size=..., random_state=...)``.
    %(targets)s

    See Also
    --------
    UnderReported : Binomial thinning of the reports.
    ReportingDelay : Reports spread over later days.

    Notes
    -----
    %(wrapper_notes)s

    The likelihood is the negative binomial's around the latent trajectory,
    so :meth:`log_likelihood` is exact when the latent trajectory is
    deterministic (the built-in count simulators).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import Overdispersed, SIR
    >>> sim = Overdispersed(SIR(noise="poisson"), dispersion=(1.0, 10.0))
    >>> data = sim.simulate(4, random_state=0)
    >>> data.X.shape, data.param_names[-1]
    ((4, 60), 'dispersion')
    >>> sim.set_params(simulator__R0=2.0).simulator.R0
    2.0
    """

    _own_params = ("dispersion",)
    _own_domains = {"dispersion": (lambda v: np.isfinite(v) & (v > 0), "positive")}

    def __init__(
        self, simulator: Any, *, dispersion: Any = (1.0, 20.0), targets: Any = None
    ) -> None:
        self.simulator = simulator
        self.dispersion = dispersion
        self.targets = targets

    def _clash_hint(self) -> str:
        return (
            "Overdispersed replaces the wrapped simulator's observation noise: "
            "give it noise='poisson'."
        )

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return sample_law(self._count_law(trajectory, params), rng)

    def _count_law(self, trajectory: np.ndarray, params: np.ndarray) -> CountLaw:
        _, own = self._split(params)
        if not (np.isfinite(trajectory).all() and (trajectory >= 0).all()):
            raise ValueError(
                "Overdispersed draws counts around the latent trajectory, which "
                "must be finite and non-negative (expected counts); the wrapped "
                f"{type(self.simulator).__name__} gave values down to "
                f"{float(np.nanmin(trajectory))!r}."
            )
        return CountLaw(trajectory, "negbin", own["dispersion"][:, None], None)


@substitute_doc(**SHARED_DOCS)
class UnderReported(ObservationWrapper):
    r"""Only a share of the counts is reported: binomial thinning.

    Each count the wrapped simulator observes is thinned: every case is
    reported with probability ``reporting_rate``, independently, so a count
    ``x`` becomes ``Binomial(x, reporting_rate)``.

    Parameters
    ----------
    %(simulator)s
        It must observe whole non-negative counts.
    reporting_rate : tuple, float or scipy.stats distribution, default=(0.1, 1.0)
        Prior of the probability that a case is reported, in (0, 1]. A
        prior is a ``(low, high)`` tuple (uniform), a fixed number, or an
        object with scipy.stats' ``rvs(size=..., random_state=...)``.
    %(targets)s

    See Also
    --------
    Overdispersed : Negative-binomial noise around the trajectory.
    MissingReports : Whole days of reports missing.

    Notes
    -----
    %(wrapper_notes)s

    Thinning a Poisson or negative-binomial count of mean ``mu`` gives the
    same law with mean ``reporting_rate * mu`` (and the same size), so
    :meth:`log_likelihood` stays exact on the built-in count simulators.
    The epidemic simulators already have a reporting rate ``rho`` in their
    mean; this wrapper is for simulators without one, or for a second
    reporting stage.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import UnderReported, LogisticGrowth
    >>> sim = UnderReported(LogisticGrowth(noise="poisson"), reporting_rate=0.5)
    >>> data = sim.simulate(2000, random_state=0)
    >>> full = LogisticGrowth(noise="poisson").simulate(2000, random_state=0)
    >>> round(float(data.X.sum() / full.X.sum()), 2)
    0.5
    """

    _own_params = ("reporting_rate",)
    _own_domains = {"reporting_rate": (lambda v: (v > 0) & (v <= 1), "in (0, 1]")}

    def __init__(
        self, simulator: Any, *, reporting_rate: Any = (0.1, 1.0), targets: Any = None
    ) -> None:
        self.simulator = simulator
        self.reporting_rate = reporting_rate
        self.targets = targets

    def _change_observation(
        self, X: np.ndarray, own: dict[str, np.ndarray], rng: np.random.Generator
    ) -> np.ndarray:
        counts = check_counts_observed(X, type(self).__name__)
        rate = own["reporting_rate"][:, None]
        return rng.binomial(counts, rate).astype(np.float64)

    def _count_law(self, trajectory: np.ndarray, params: np.ndarray) -> CountLaw:
        inner, own = self._split(params)
        law = self._inner_count_law(trajectory, inner)
        return law._replace(mean=law.mean * own["reporting_rate"][:, None])


@substitute_doc(**SHARED_DOCS)
class ReportingDelay(ObservationWrapper):
    r"""Cases are reported after a random delay, not on the day they occur.

    Each day's expected count (the wrapped simulator's latent trajectory) is
    spread over that day and the following ones by a delay distribution with
    mean ``delay_mean``; cases whose report would fall after the last
    observed day are not seen. The wrapped simulator's observation noise is
    then drawn around the delayed trajectory.

    Parameters
    ----------
    %(simulator)s
    delay_mean : tuple, float or scipy.stats distribution, default=(0.0, 5.0)
        Prior of the mean delay in days (non-negative; 0 is no delay). A
        prior is a ``(low, high)`` tuple (uniform), a fixed number, or an
        object with scipy.stats' ``rvs(size=..., random_state=...)``.
    distribution : {"geometric", "poisson"}, default="geometric"
        The delay's distribution over whole days 0, 1, 2, ...: geometric
        (most cases reported at once, a long tail) or Poisson (delays
        concentrated around the mean).
    %(targets)s

    See Also
    --------
    DayOfWeekEffect : Fewer reports on weekends.

    Notes
    -----
    %(wrapper_notes)s

    The delay is a linear map of the expected counts, so
    :meth:`log_likelihood` stays exact on the built-in count simulators.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import ReportingDelay, SIR
    >>> sim = SIR(n_days=40, noise="poisson")
    >>> late = ReportingDelay(sim, delay_mean=3.0)
    >>> params = late.sample_params(5, random_state=0)
    >>> delayed = late.simulate_latent_from_params(params).X
    >>> on_time = sim.simulate_latent_from_params(params[:, :-1]).X
    >>> bool((delayed.argmax(axis=1) >= on_time.argmax(axis=1)).all())
    True
    """

    _own_params = ("delay_mean",)
    _own_domains = {
        "delay_mean": (lambda v: np.isfinite(v) & (v >= 0), "a number >= 0 (days)")
    }

    def __init__(
        self,
        simulator: Any,
        *,
        delay_mean: Any = (0.0, 5.0),
        distribution: str = "geometric",
        targets: Any = None,
    ) -> None:
        self.simulator = simulator
        self.delay_mean = delay_mean
        self.distribution = distribution
        self.targets = targets

    def _check_settings(self) -> None:
        if self.distribution not in _DELAY_DISTRIBUTIONS:
            raise ValueError(
                f"ReportingDelay: distribution must be one of {_DELAY_DISTRIBUTIONS}; "
                f"got {self.distribution!r}."
            )
        super()._check_settings()

    def _change_latent(
        self, trajectory: np.ndarray, own: dict[str, np.ndarray]
    ) -> np.ndarray:
        n_days = trajectory.shape[1]
        weights = delay_pmf(own["delay_mean"], n_days, self.distribution)
        delayed = np.zeros_like(trajectory)
        for lag in range(n_days):
            delayed[:, lag:] += (
                weights[:, lag : lag + 1] * trajectory[:, : n_days - lag]
            )
        return delayed


def delay_pmf(mean: np.ndarray, n_days: int, distribution: str) -> np.ndarray:
    """Probability of each whole-day delay 0, ..., n_days - 1, one row per mean.

    Examples
    --------
    >>> import numpy as np
    >>> delay_pmf(np.array([1.0]), 3, "geometric").tolist()
    [[0.5, 0.25, 0.125]]
    >>> delay_pmf(np.array([0.0]), 3, "poisson").tolist()
    [[1.0, 0.0, 0.0]]
    """
    lags = np.arange(n_days)
    mean = np.asarray(mean, dtype=float)[:, None]
    if distribution == "geometric":
        stay = mean / (1.0 + mean)
        return (1.0 - stay) * stay**lags
    from scipy.stats import poisson

    return poisson.pmf(lags, mean)


@substitute_doc(**SHARED_DOCS)
class DayOfWeekEffect(ObservationWrapper):
    r"""Fewer (or more) reports on weekends, the same over each week.

    The wrapped simulator's latent trajectory (one value per day) is
    multiplied on Saturdays and Sundays by ``weekend_factor`` and on the
    other days by ``(7 - 2 * weekend_factor) / 5``, so that a week's total
    is unchanged; its observation noise is then drawn around the result.

    Parameters
    ----------
    %(simulator)s
        Its features must be consecutive days.
    weekend_factor : tuple, float or scipy.stats distribution, default=(0.5, 1.0)
        Prior of the weekend reporting factor, in [0, 3.5] (1 is no effect,
        0 no weekend reports). A prior is a ``(low, high)`` tuple (uniform),
        a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``.
    first_weekday : tuple, float or scipy.stats distribution, default=(0.0, 7.0)
        Prior of the weekday of the first observed day, in [0, 7]: its
        integer part counts from Monday (0) to Sunday (6), and 7 is Monday
        again. The default
        leaves it unknown; a fixed number such as ``0`` fixes it.
    %(targets)s

    See Also
    --------
    ReportingDelay : Reports spread over later days.

    Notes
    -----
    %(wrapper_notes)s

    The effect multiplies the expected counts, so :meth:`log_likelihood`
    stays exact on the built-in count simulators (piecewise constant in
    ``first_weekday``).

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import DayOfWeekEffect, ExponentialGrowth
    >>> sim = DayOfWeekEffect(ExponentialGrowth(r=0.0, x0=10.0, n_times=7),
    ...                       weekend_factor=0.4, first_weekday=0)
    >>> sim.simulate_latent(1, random_state=0).X.round(2).tolist()
    [[12.4, 12.4, 12.4, 12.4, 12.4, 4.0, 4.0]]
    """

    _own_params = ("weekend_factor", "first_weekday")
    _own_domains = {
        "weekend_factor": (lambda v: (v >= 0) & (v <= 3.5), "in [0, 3.5]"),
        "first_weekday": (lambda v: (v >= 0) & (v <= 7), "in [0, 7]"),
    }

    def __init__(
        self,
        simulator: Any,
        *,
        weekend_factor: Any = (0.5, 1.0),
        first_weekday: Any = (0.0, 7.0),
        targets: Any = None,
    ) -> None:
        self.simulator = simulator
        self.weekend_factor = weekend_factor
        self.first_weekday = first_weekday
        self.targets = targets

    def _change_latent(
        self, trajectory: np.ndarray, own: dict[str, np.ndarray]
    ) -> np.ndarray:
        weekend = own["weekend_factor"][:, None]
        first = np.floor(own["first_weekday"])[:, None]
        weekday = (first + np.arange(trajectory.shape[1])) % 7
        factor = np.where(weekday >= 5, weekend, (7.0 - 2.0 * weekend) / 5.0)
        return trajectory * factor


@substitute_doc(**SHARED_DOCS)
class MissingReports(ObservationWrapper):
    r"""Some days' reports are missing and recorded as zero.

    Each observation of the wrapped simulator is, independently with
    probability ``missing_rate``, replaced by zero: a day on which no report
    came in, as surveillance data record it.

    Parameters
    ----------
    %(simulator)s
    missing_rate : tuple, float or scipy.stats distribution, default=(0.0, 0.1)
        Prior of the probability that a day's report is missing, in [0, 1).
        A prior is a ``(low, high)`` tuple (uniform), a fixed number, or an
        object with scipy.stats' ``rvs(size=..., random_state=...)``.
    %(targets)s

    See Also
    --------
    UnderReported : Binomial thinning of the reports.

    Notes
    -----
    %(wrapper_notes)s

    The law of a count is zero-inflated: zero with probability
    ``missing_rate``, else the wrapped simulator's. :meth:`log_likelihood`
    stays exact on the built-in count simulators.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import MissingReports, SIR
    >>> sim = MissingReports(SIR(noise="poisson", R0=3.0, rho=0.8),
    ...                      missing_rate=0.2)
    >>> data = sim.simulate(200, random_state=0)
    >>> round(float(np.mean(data.X[:, 20:40] == 0)), 1)
    0.2
    """

    _own_params = ("missing_rate",)
    _own_domains = {"missing_rate": (lambda v: (v >= 0) & (v < 1), "in [0, 1)")}

    def __init__(
        self, simulator: Any, *, missing_rate: Any = (0.0, 0.1), targets: Any = None
    ) -> None:
        self.simulator = simulator
        self.missing_rate = missing_rate
        self.targets = targets

    def _change_observation(
        self, X: np.ndarray, own: dict[str, np.ndarray], rng: np.random.Generator
    ) -> np.ndarray:
        return drop_reports(X, own["missing_rate"][:, None], rng)

    def _count_law(self, trajectory: np.ndarray, params: np.ndarray) -> CountLaw:
        inner, own = self._split(params)
        law = self._inner_count_law(trajectory, inner)
        missing = own["missing_rate"][:, None]
        if law.missing is not None:
            missing = 1.0 - (1.0 - law.missing) * (1.0 - missing)
        return law._replace(missing=missing)
