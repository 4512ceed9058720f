"""The base of the wrappers that change how a simulator's trajectory is observed."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ._latent import LatentSimulator
from ._observation import CountLaw, check_counts, law_log_pmf
from ._prior import as_generator, check_prior, prior_bounds, sample_prior
from ._trajectory import _is_fixed, check_targets
from ._validation import check_n_samples

# A wrapper parameter's domain: a test on a column and how to describe it.
Domain = tuple[Callable[[np.ndarray], np.ndarray], str]

SHARED_DOCS = {
    "simulator": """simulator : LatentSimulator
        The simulator whose observation this changes: a built-in simulator
        (:class:`SIR`, :class:`SEIR`, the growth models, :class:`LinearGaussian`),
        another wrapper, or any :class:`LatentSimulator`. Its parameters stay
        in front of this wrapper's in ``params``, and its own parameters are
        reached as ``simulator__name`` by ``get_params`` and ``set_params``.""",
    "targets": """targets : sequence of str or None, default=None
        The quantities returned as ``y``. None keeps the wrapped simulator's
        targets; otherwise names among the wrapped simulator's targets and
        every parameter name (this wrapper's included), e.g. to learn the
        observation process itself.""",
    "wrapper_notes": """The wrapper's own parameters are drawn after the wrapped
    simulator's and appended to ``params`` (and ``param_names``): they are
    nuisance parameters the network learns to see through, and targets only
    when ``targets`` names them.""",
}


class ObservationWrapper(LatentSimulator):
    """Base of the wrappers: a simulator with an extra step and its own priors.

    Subclasses set ``_own_params`` (their prior arguments, in the order of
    their ``params`` columns) and ``_own_domains`` (each one's domain), and
    change the latent trajectory in ``_change_latent``, the observation in
    ``_change_observation``, and the likelihood in ``_count_law``.
    """

    _own_params: tuple[str, ...] = ()
    _own_domains: dict[str, Domain] = {}
    # The wrapped simulator must expose this to be wrapped at all.
    _needs = "its latent trajectory"

    simulator: Any
    targets: Any

    def _inner(self) -> LatentSimulator:
        simulator = self.simulator
        if not isinstance(simulator, LatentSimulator):
            raise TypeError(
                f"{type(self).__name__} needs {self._needs}, so it wraps a "
                "LatentSimulator (one with simulate_latent and observe), such as "
                "SIR, SEIR, the growth models, LinearGaussian or another "
                f"wrapper; got {type(simulator).__name__}, which exposes none. "
                "Write the simulator as a LatentSimulator subclass with "
                "generate_latent(params, rng) and "
                "generate_observation(trajectory, params, rng)."
            )
        return simulator

    def _priors(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._own_params}

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the parameters: the wrapped simulator's, then this wrapper's.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import ReportingDelay, SIR
        >>> ReportingDelay(SIR(noise="poisson")).param_names
        ('R0', 'gamma', 'rho', 'i0', 'delay_mean')
        """
        inner = self._inner().param_names
        clash = [name for name in self._own_params if name in inner]
        if clash:
            raise ValueError(
                f"{type(self).__name__} adds the parameter(s) {clash}, which the "
                f"wrapped {type(self.simulator).__name__} already has "
                f"{inner}. " + self._clash_hint()
            )
        return tuple(inner) + self._own_params

    def _clash_hint(self) -> str:
        return "Wrap each kind of observation step once."

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the features: those of the wrapped simulator.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import MissingReports, SIR
        >>> MissingReports(SIR(n_days=2)).feature_names
        ('day0', 'day1')
        """
        return tuple(self._inner().feature_names)

    @property
    def target_names(self) -> tuple[str, ...]:
        """Names of the targets: the wrapped simulator's, or those of ``targets``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import ReportingDelay, SIR
        >>> ReportingDelay(SIR(), targets=("R0", "delay_mean")).target_names
        ('R0', 'delay_mean')
        """
        inner = tuple(self._inner().target_names)
        if self.targets is None:
            return inner
        available = inner + tuple(n for n in self.param_names if n not in inner)
        return check_targets(self.targets, available, type(self).__name__)

    def _check_settings(self) -> None:
        """Check the wrapped simulator, the names and this wrapper's priors."""
        self.target_names  # noqa: B018 - checks the names and the targets
        owner = type(self).__name__
        for name in self._own_params:
            prior = getattr(self, name)
            check_prior(prior, name)
            if hasattr(prior, "rvs"):
                continue  # a distribution is checked on its draws
            is_valid, description = self._own_domains[name]
            ends = np.asarray(
                [prior] if isinstance(prior, numbers.Real) else prior, dtype=float
            )
            if not is_valid(ends).all():
                raise ValueError(
                    f"{owner}: the prior {name}={prior!r} reaches "
                    f"{float(ends[~is_valid(ends)][0])!r}, but {name} must be "
                    f"{description}."
                )

    def _own_columns(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """This wrapper's columns of ``params``, by name, checked in their domains."""
        columns = dict(
            zip(self._own_params, params[:, -len(self._own_params) :].T, strict=True)
        )
        for name, column in columns.items():
            is_valid, description = self._own_domains[name]
            invalid = ~is_valid(column)
            if invalid.any():
                row = int(np.flatnonzero(invalid)[0])
                raise ValueError(
                    f"{type(self).__name__}: parameter {name!r} must be "
                    f"{description}; row {row} has {column[row]!r} (prior "
                    f"{name}={getattr(self, name)!r})."
                )
        return columns

    def _split(self, params: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The wrapped simulator's columns, and this wrapper's by name."""
        return params[:, : -len(self._own_params)], self._own_columns(params)

    def sample_params(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        """Draw the wrapped simulator's parameters, then this wrapper's.

        Parameters
        ----------
        n_samples : int
            Number of draws.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            Columns in the order of ``param_names``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import UnderReported, SIR
        >>> UnderReported(SIR()).sample_params(3, random_state=0).shape
        (3, 6)
        """
        n_samples = check_n_samples(n_samples)
        self._check_settings()
        rng = as_generator(random_state)
        inner = self._inner().sample_params(n_samples, rng)
        own = [
            sample_prior(getattr(self, name), n_samples, rng, name)
            for name in self._own_params
        ]
        params = np.column_stack([inner, *own])
        self._own_columns(params)
        return params

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        self._check_settings()
        inner, own = self._split(params)
        trajectory, y = self._inner().generate_latent(inner, rng)
        return self._change_latent(trajectory, own), self._targets(y, params)

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        inner, own = self._split(params)
        X = self._inner().generate_observation(trajectory, inner, rng)
        return self._change_observation(X, own, rng)

    def _change_latent(
        self, trajectory: np.ndarray, own: dict[str, np.ndarray]
    ) -> np.ndarray:
        return trajectory

    def _change_observation(
        self, X: np.ndarray, own: dict[str, np.ndarray], rng: np.random.Generator
    ) -> np.ndarray:
        return X

    def _targets(self, inner_y: np.ndarray | None, params: np.ndarray) -> Any:
        """``y``: the wrapped simulator's targets, or those ``targets`` names."""
        if self.targets is None:
            return inner_y
        inner_names = tuple(self._inner().target_names)
        inner_y = np.asarray(inner_y, dtype=float).reshape(len(params), -1)
        quantities = dict(zip(self.param_names, params.T, strict=True))
        quantities.update(zip(inner_names, inner_y.T, strict=True))
        y = np.column_stack([quantities[t] for t in self.target_names])
        return y[:, 0] if y.shape[1] == 1 else y

    # -- likelihood -------------------------------------------------------------

    def _count_law(self, trajectory: np.ndarray, params: np.ndarray) -> CountLaw:
        inner, _ = self._split(params)
        return self._inner_count_law(trajectory, inner)

    def _inner_count_law(self, trajectory: np.ndarray, inner: np.ndarray) -> CountLaw:
        simulator = self._inner()
        count_law = getattr(simulator, "_count_law", None)
        if count_law is None or not _has_likelihood(simulator):
            raise TypeError(
                f"{type(self).__name__} has no log_likelihood here: the wrapped "
                f"{type(simulator).__name__} has no count likelihood. Wrappers "
                "keep log_likelihood on the built-in count simulators (SIR, SEIR "
                "and the growth models), alone or wrapped."
            )
        return count_law(trajectory, inner)

    def log_likelihood(self, params: Any, X: Any) -> np.ndarray:
        """Log probability of each observed series given its parameters.

        Defined when the wrapped simulator is a built-in count simulator
        (:class:`SIR`, :class:`SEIR`, the growth models), alone or inside
        other wrappers: their latent trajectories are deterministic, and
        every wrapper keeps the counts' law tractable (see Notes of each).

        Parameters
        ----------
        params : array-like of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.
        X : array-like of shape (n_samples, n_features)
            Observed counts (whole numbers, possibly stored as floats).

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-likelihood of each series.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import Overdispersed, SIR
        >>> sim = Overdispersed(SIR(n_days=30, noise="poisson"))
        >>> data = sim.simulate(3, random_state=0)
        >>> sim.log_likelihood(data.params, data.X).shape
        (3,)
        """
        params = self._checked_params(params, "log_likelihood")
        # Built-in latent trajectories are deterministic: the generator is unused.
        trajectory, _ = self.generate_latent(params, np.random.default_rng(0))
        law = self._count_law(trajectory, params)
        X = check_counts(X, trajectory.shape, type(self).__name__)
        return law_log_pmf(X, law).sum(axis=1)

    def param_bounds(self) -> list[tuple[float, float]]:
        """The support of each parameter's prior, in ``params`` column order.

        Returns
        -------
        list of (low, high) tuples
            The wrapped simulator's bounds, then those of this wrapper's
            priors: ``(v, v)`` for a fixed value ``v``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import ReportingDelay, ExponentialGrowth
        >>> ReportingDelay(ExponentialGrowth(noise="poisson")).param_bounds()
        [(0.1, 0.4), (5.0, 20.0), (0.0, 5.0)]
        """
        self._check_settings()
        own = [prior_bounds(getattr(self, n), n) for n in self._own_params]
        return list(self._inner().param_bounds()) + own  # type: ignore[attr-defined]

    @property
    def free_params(self) -> tuple[str, ...]:
        """Names of the parameters whose prior is not a fixed number.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import UnderReported, ExponentialGrowth
        >>> UnderReported(ExponentialGrowth(noise="poisson"), reporting_rate=0.5
        ...               ).free_params
        ('r', 'x0')
        """
        own = tuple(n for n in self._own_params if not _is_fixed(getattr(self, n)))
        return tuple(self._inner().free_params) + own  # type: ignore[attr-defined]


def _has_likelihood(simulator: Any) -> bool:
    """Whether ``simulator``'s counts have a law given its deterministic latent."""
    from ._trajectory import CountTrajectorySimulator

    if isinstance(simulator, CountTrajectorySimulator):
        return True
    if isinstance(simulator, ObservationWrapper):
        return _has_likelihood(simulator.simulator)
    return False


def check_counts_observed(X: np.ndarray, owner: str) -> np.ndarray:
    """``X`` as whole non-negative counts, or a clear error naming ``owner``.

    Examples
    --------
    >>> import numpy as np
    >>> check_counts_observed(np.array([[1.0, 2.0]]), "UnderReported").dtype
    dtype('int64')
    """
    if not (np.all(X >= 0) and np.all(X == np.floor(X))):
        raise ValueError(
            f"{owner} acts on counts, but the wrapped simulator observed values "
            "that are not whole non-negative numbers."
        )
    return X.astype(np.int64)
