"""Shared base of the simulators that observe a deterministic mean through counts."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ._latent import LatentSimulator
from ._observation import (
    CountLaw,
    check_counts,
    check_noise,
    count_log_pmf,
    iter_count_blocks,
    sample_law,
)
from ._prior import prior_bounds

# Domain of each kind of parameter: a test on a column and how to describe it.
_DOMAINS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "real": (np.isfinite, "a finite number"),
    "positive": (lambda v: np.isfinite(v) & (v > 0), "positive"),
    "fraction": (lambda v: (v > 0) & (v <= 1), "in (0, 1]"),
    "open_fraction": (lambda v: (v > 0) & (v < 1), "in (0, 1)"),
}


class CountTrajectorySimulator(LatentSimulator):
    """Base class: a deterministic mean trajectory observed with count noise.

    Subclasses compute the expected counts (and any derived targets) in
    ``_solve``; this class adds Poisson or negative-binomial noise, picks the
    targets, separates the two steps (the expected counts are the latent
    trajectory of :class:`LatentSimulator`), and gives the likelihood API
    that likelihood-based baselines need: :meth:`mean_trajectory`,
    :meth:`log_likelihood`, :meth:`param_bounds` and :attr:`free_params`.

    Subclasses set

    - ``prior_params``: the prior arguments in ``params`` column order, with
      ``"dispersion"`` last; it is a parameter only when ``noise="negbin"``;
    - ``_param_domains``: each parameter's domain, a key of ``_DOMAINS``;
    - ``_derived_targets``: targets computed by ``_solve`` rather than drawn;

    and implement ``feature_names``, ``_solve(values) -> (mean, derived)``
    and, for their own settings, ``_check_settings`` (calling ``super()``).
    They store ``noise``, ``dispersion`` and ``targets`` arguments.
    """

    _param_domains: dict[str, str] = {}
    _derived_targets: tuple[str, ...] = ()

    noise: Any
    targets: Any

    def _priors(self) -> dict[str, Any]:
        negbin = check_noise(self.noise, type(self).__name__) == "negbin"
        return {
            name: getattr(self, name)
            for name in self.prior_params
            if name != "dispersion" or negbin
        }

    def _check_settings(self) -> None:
        check_noise(self.noise, type(self).__name__)
        self._checked_targets()

    def _checked_targets(self) -> tuple[str, ...]:
        available = self.param_names + self._derived_targets
        return check_targets(self.targets, available, type(self).__name__)

    @property
    def target_names(self) -> tuple[str, ...]:
        """Names of the targets, one per column of ``y``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LogisticGrowth
        >>> LogisticGrowth(targets=("K", "r")).target_names
        ('K', 'r')
        """
        return self._checked_targets()

    @property
    def free_params(self) -> tuple[str, ...]:
        """Names of the parameters whose prior is not a fixed number.

        These are the parameters a likelihood-based fit estimates (what AIC
        counts). A ``(low, high)`` prior with ``low == high`` counts as fixed.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LogisticGrowth
        >>> LogisticGrowth(K=1000.0).free_params
        ('r', 'x0')
        >>> LogisticGrowth(noise="negbin", dispersion=(1.0, 50.0)).free_params
        ('r', 'K', 'x0', 'dispersion')
        """
        return tuple(
            name for name, prior in self._priors().items() if not _is_fixed(prior)
        )

    def param_bounds(self) -> list[tuple[float, float]]:
        """The support of each parameter's prior, in ``params`` column order.

        Returns
        -------
        list of (low, high) tuples
            ``(v, v)`` for a fixed value ``v``; a scipy distribution's
            ``support()``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import ExponentialGrowth
        >>> ExponentialGrowth(x0=10.0).param_bounds()
        [(0.1, 0.4), (10.0, 10.0), (10.0, 10.0)]
        """
        return [prior_bounds(prior, name) for name, prior in self._priors().items()]

    def mean_trajectory(self, params: Any) -> np.ndarray:
        """The expected observation (noise-free) for each parameter vector.

        Parameters
        ----------
        params : array-like of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The mean count at each time, one row per parameter vector.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import ExponentialGrowth
        >>> sim = ExponentialGrowth(n_times=3, noise="poisson")
        >>> sim.mean_trajectory(np.array([[np.log(2.0), 5.0]]))
        array([[ 5., 10., 20.]])
        """
        self._check_settings()
        mean, _ = self._solve(self._param_columns(params))
        return mean

    def log_likelihood(self, params: Any, X: Any) -> np.ndarray:
        """Log probability of each observed series given its parameters.

        The sum over features of the log pmf of ``X[i]`` under the observation
        model (Poisson, or negative binomial with size ``dispersion``) around
        ``mean_trajectory(params)[i]``.

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
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LogisticGrowth
        >>> sim = LogisticGrowth()
        >>> data = sim.simulate(200, random_state=0)
        >>> wrong = data.params * [2.0, 1.0, 1.0, 1.0]  # twice the true r
        >>> good = sim.log_likelihood(data.params, data.X)
        >>> bad = sim.log_likelihood(wrong, data.X)
        >>> good.shape, bool(good.mean() > bad.mean())
        ((200,), True)
        """
        self._check_settings()
        values = self._param_columns(params)
        mean, _ = self._solve(values)
        X = check_counts(X, mean.shape, type(self).__name__)
        dispersion = values.get("dispersion")
        if dispersion is not None:
            dispersion = dispersion[:, None]
        return count_log_pmf(X, mean, self.noise, dispersion).sum(axis=1)

    def _param_columns(self, params: Any) -> dict[str, np.ndarray]:
        """Check ``params`` and return its columns by name."""
        owner = type(self).__name__
        names = self.param_names
        params = np.asarray(params, dtype=float)
        if params.ndim != 2 or params.shape[1] != len(names):
            raise ValueError(
                f"{owner}: params must have shape (n_samples, {len(names)}) for "
                f"{names}; got {params.shape}."
            )
        values = dict(zip(names, params.T, strict=True))
        for name, column in values.items():
            is_valid, description = _DOMAINS[self._param_domains[name]]
            invalid = ~is_valid(column)
            if invalid.any():
                row = int(np.flatnonzero(invalid)[0])
                raise ValueError(
                    f"{owner}: parameter {name!r} must be {description}; row {row} "
                    f"has {column[row]!r} (prior {name}={getattr(self, name)!r})."
                )
        return values

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        self._check_settings()
        values = self._param_columns(params)
        return self._latent_of(values, *self._solve(values))

    def _latent_of(
        self,
        values: dict[str, np.ndarray],
        mean: np.ndarray,
        derived: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """The checked mean trajectory and the targets, from a solution."""
        finite = np.isfinite(mean).all(axis=1)
        if not finite.all():
            row = int(np.flatnonzero(~finite)[0])
            draw = {name: float(column[row]) for name, column in values.items()}
            raise ValueError(
                f"{type(self).__name__}: the mean trajectory overflows for "
                f"{int((~finite).sum())} samples; the first is row {row}, with "
                f"parameters {draw}. Narrow the priors."
            )
        quantities = {**values, **derived}
        y = np.column_stack([quantities[t] for t in self._checked_targets()])
        return mean, y[:, 0] if y.shape[1] == 1 else y

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return sample_law(self._count_law(trajectory, params), rng)

    def _count_law(self, trajectory: np.ndarray, params: np.ndarray) -> CountLaw:
        """The law of the observed counts given the latent trajectory."""
        noise = check_noise(self.noise, type(self).__name__)
        dispersion = None
        if noise == "negbin":
            dispersion = params[:, [self.param_names.index("dispersion")]]
        return CountLaw(trajectory, noise, dispersion, None)

    def _solve(
        self, values: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError(
            f"{type(self).__name__} must implement _solve(values)."
        )


def observation_blocks(
    simulator: Any, latent: Any, rng: np.random.Generator
) -> Iterator[tuple[slice, np.ndarray]] | None:
    """``simulator.observe(latent, rng).X`` block of rows by block, or None.

    For a :class:`CountTrajectorySimulator` that observes as the class does
    (its ``observe`` and count law, no missing reports), the blocks hold the
    bits of ``observe`` and leave ``rng`` where it does (see
    :func:`~sgnn_sklearn.simulators._observation.iter_count_blocks`), so the
    observations are never held whole. None for any other simulator, whose
    observation is only known whole.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import SIR
    >>> sim = SIR(n_days=5)
    >>> latent = sim.simulate_latent(3, random_state=0)
    >>> blocks = observation_blocks(sim, latent, np.random.default_rng(1))
    >>> X = np.vstack([block for _, block in blocks])
    >>> bool((X == sim.observe(latent, np.random.default_rng(1)).X).all())
    True
    """
    cls = type(simulator)
    if (
        getattr(cls, "observe", None) is not LatentSimulator.observe
        or getattr(cls, "generate_observation", None)
        is not CountTrajectorySimulator.generate_observation
    ):
        return None
    law = simulator._count_law(
        np.asarray(latent.X, dtype=float), np.asarray(latent.params, dtype=float)
    )
    if law.missing is not None:
        return None
    return iter_count_blocks(law.mean, law.noise, rng, law.dispersion)


def check_targets(
    targets: Any, available: tuple[str, ...], owner: str
) -> tuple[str, ...]:
    """``targets`` as a tuple of distinct names among ``available``, or raise.

    Examples
    --------
    >>> check_targets("R0", ("R0", "gamma"), "SIR")
    ('R0',)
    >>> check_targets(["beta"], ("R0",), "SIR")
    Traceback (most recent call last):
    ...
    ValueError: SIR: unknown target(s) ['beta']; available targets are ['R0'].
    """
    names = (targets,) if isinstance(targets, str) else targets
    try:
        names = tuple(names)
    except TypeError:
        names = None
    if not names or not all(isinstance(t, str) for t in names):
        raise ValueError(
            f"{owner}: targets must be a non-empty sequence of names; got {targets!r}."
        )
    unknown = [t for t in names if t not in available]
    if unknown:
        raise ValueError(
            f"{owner}: unknown target(s) {unknown}; available targets are "
            f"{list(available)}."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: targets must be unique; got {list(names)}.")
    return names


def substitute_doc(**fragments: str) -> Callable[[type], type]:
    """Fill the ``%(name)s`` placeholders of a class docstring with shared text.

    Parameters documented the same way in several simulators are written
    once, so they stay identical.

    Examples
    --------
    >>> @substitute_doc(x="x : int")
    ... class A:
    ...     "Parameters: %(x)s."
    >>> A.__doc__
    'Parameters: x : int.'
    """

    def decorate(cls: type) -> type:
        cls.__doc__ = (cls.__doc__ or "") % fragments
        return cls

    return decorate


def _is_fixed(prior: Any) -> bool:
    if isinstance(prior, numbers.Real) and not isinstance(prior, bool):
        return True
    return isinstance(prior, tuple | list) and len(prior) == 2 and prior[0] == prior[1]
