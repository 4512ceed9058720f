"""The `Simulator` base class that every built-in simulator builds on."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ._prior import as_generator, check_prior, sample_prior
from ._simulation import Simulation
from ._validation import check_n_samples, check_simulation

# The hooks a simulator author writes, old private spelling -> public name.
RENAMED_HOOKS = {
    "_prior_params": "prior_params",
    "_simulate": "generate",
    "_latent": "generate_latent",
    "_observe": "generate_observation",
}


class Simulator(BaseEstimator):
    """Base class for simulators: a prior over parameters and a generative model.

    A simulator follows scikit-learn's parameter conventions: its constructor
    arguments are stored untouched and exposed by ``get_params``, so ``clone``
    works and nested parameters such as ``simulator__beta`` can be grid
    searched. Priors are constructor arguments too.

    Subclasses set the class attribute ``prior_params`` (the names of the
    constructor arguments that are priors, in the order of the ``params``
    columns) and implement:

    - ``generate(params, rng) -> (X, y)``: vectorised over the rows of
      ``params``;
    - ``feature_names`` and ``target_names`` properties.

    The hooks were called ``_prior_params`` and ``_simulate`` before version
    0.1: a subclass that defines the old names still works, with a
    ``FutureWarning`` when the class is defined; the old names will stop
    working in version 0.3.

    A prior is a ``(low, high)`` tuple (uniform), a fixed number, or any object
    with scipy.stats' ``rvs(size=..., random_state=...)``.

    Simulators whose observation model has a tractable likelihood also
    implement ``log_likelihood(params, X)``; likelihood-based baselines such
    as :class:`~sgnn_sklearn.baselines.AICModelSelector` require it.

    Simulators that draw a latent trajectory and then observe it with noise
    can say so (an optional hook): they derive from :class:`LatentSimulator`,
    which adds ``simulate_latent(n_samples, random_state)`` and
    ``observe(latent, random_state)``. All the built-in simulators but
    :class:`FunctionSimulator` and :class:`MixtureSimulator` do.

    See Also
    --------
    MixtureSimulator : Draws from several mechanisms and labels each sample.
    FunctionSimulator : Wraps a per-draw Python function.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import Simulator
    >>> class Coin(Simulator):
    ...     prior_params = ("p",)
    ...     def __init__(self, n_flips=10, p=(0.0, 1.0)):
    ...         self.n_flips = n_flips
    ...         self.p = p
    ...     @property
    ...     def feature_names(self):
    ...         return tuple(f"flip{i}" for i in range(self.n_flips))
    ...     @property
    ...     def target_names(self):
    ...         return ("p",)
    ...     def generate(self, params, rng):
    ...         p = params[:, 0]
    ...         X = (rng.random((len(p), self.n_flips)) < p[:, None]).astype(float)
    ...         return X, p
    >>> sim = Coin().simulate(100, random_state=0)
    >>> sim.X.shape, sim.y.shape, sim.param_names
    ((100, 10), (100,), ('p',))
    """

    prior_params: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for old, new in RENAMED_HOOKS.items():
            if old in cls.__dict__ and new not in cls.__dict__:
                warnings.warn(
                    f"{cls.__qualname__} defines {old}, a simulator hook now "
                    f"called {new} (same meaning and arguments). Rename it: "
                    f"{old} is read until version 0.3.",
                    FutureWarning,
                    stacklevel=2,
                )
                setattr(cls, new, cls.__dict__[old])
            elif new in cls.__dict__ and old not in cls.__dict__:
                # A subclass written against the old names that calls
                # super()._simulate(...) reaches this class's new hook.
                setattr(cls, old, cls.__dict__[new])

    def _priors(self) -> dict[str, Any]:
        """The prior of each latent parameter, in the order of ``params`` columns."""
        return {name: getattr(self, name) for name in self.prior_params}

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the latent parameters, one per column of ``params``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import FunctionSimulator
        >>> FunctionSimulator(lambda p, rng: [p["a"]], {"a": (0, 1)}).param_names
        ('a',)
        """
        return tuple(self._priors())

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the observed features, one per column of ``X``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_features=2).feature_names
        ('x0', 'x1')
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define the feature_names property."
        )

    @property
    def target_names(self) -> tuple[str, ...]:
        """Names of the targets, one per column of ``y``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_params=2).target_names
        ('theta0', 'theta1')
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define the target_names property."
        )

    def sample_params(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        """Draw parameters from the prior.

        Parameters
        ----------
        n_samples : int
            Number of draws.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            One row of parameter values per draw, columns in the order of
            ``param_names``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_params=2).sample_params(4, random_state=0).shape
        (4, 2)
        """
        n_samples = check_n_samples(n_samples)
        rng = as_generator(random_state)
        columns = [
            sample_prior(prior, n_samples, rng, name)
            for name, prior in self._priors().items()
        ]
        return np.column_stack(columns) if columns else np.empty((n_samples, 0))

    def simulate(self, n_samples: int, random_state: Any = None) -> Simulation:
        """Draw parameters from the prior and simulate an observation for each.

        Parameters
        ----------
        n_samples : int
            Number of samples to simulate.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness; the same int gives identical output.

        Returns
        -------
        Simulation
            The observations ``X``, targets ``y`` and parameter draws.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=4)
        >>> a = sim.simulate(5, random_state=1)
        >>> b = sim.simulate(5, random_state=1)
        >>> bool((a.X == b.X).all())
        True
        """
        n_samples = check_n_samples(n_samples)
        rng = as_generator(random_state)
        params = self.sample_params(n_samples, rng)
        return self.simulate_from_params(params, rng)

    def simulate_from_params(
        self, params: np.ndarray, random_state: Any = None
    ) -> Simulation:
        """Simulate one observation for each given parameter vector.

        Parameters
        ----------
        params : array-like of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness for the observation noise.

        Returns
        -------
        Simulation
            One observation per row of ``params``.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=4, n_params=2)
        >>> sim.simulate_from_params(np.zeros((3, 2)), random_state=0).X.shape
        (3, 4)
        """
        params = self._checked_params(params, "simulate_from_params")
        X, y = self.generate(params, as_generator(random_state))
        return self._simulation(X, y, params)

    def _checked_params(self, params: Any, method: str) -> np.ndarray:
        """Check the priors and the shape of ``params``; return it as floats."""
        for name, prior in self._priors().items():
            check_prior(prior, name)
        params = np.asarray(params, dtype=float)
        if params.ndim != 2 or params.shape[1] != len(self.param_names):
            raise ValueError(
                f"{type(self).__name__}.{method} expects params of shape "
                f"(n_samples, {len(self.param_names)}) for {self.param_names}; "
                f"got {params.shape}."
            )
        return params

    def _simulation(self, X: Any, y: Any, params: np.ndarray) -> Simulation:
        """``X``, ``y`` and ``params`` as a checked :class:`Simulation`."""
        simulation = Simulation(
            X=np.asarray(X),
            y=None if y is None else np.asarray(y),
            params=params,
            feature_names=tuple(self.feature_names),
            target_names=tuple(self.target_names),
            param_names=self.param_names,
        )
        return check_simulation(simulation, self, len(params), allow_nonfinite=True)

    def generate(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The simulator's model: observations and targets for given parameters.

        The hook a subclass implements; users call :meth:`simulate` or
        :meth:`simulate_from_params`, which check the parameters and the
        result.

        Parameters
        ----------
        params : ndarray of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.
        rng : numpy.random.Generator
            The only source of randomness the model may use.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            One observation per row of ``params``.
        y : ndarray of shape (n_samples,) or (n_samples, n_targets), or None
            The targets of each observation.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3, n_params=2)
        >>> X, y = sim.generate(np.zeros((4, 2)), np.random.default_rng(0))
        >>> X.shape, y.shape
        ((4, 3), (4, 2))
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement generate(params, rng)."
        )

    _simulate = generate


class NamesFromWrapped(Simulator):
    """Base for a simulator in front of another (``self.simulator``) with its names.

    What ``simulate`` draws differs (a truncated prior, the latent trajectories
    alone); the parameters, features and targets are the wrapped simulator's.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> class Same(NamesFromWrapped):
    ...     def __init__(self, simulator):
    ...         self.simulator = simulator
    >>> Same(LinearGaussian(n_params=2)).target_names
    ('theta0', 'theta1')
    """

    simulator: Any

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.simulator.param_names)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.simulator.feature_names)

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(self.simulator.target_names)
