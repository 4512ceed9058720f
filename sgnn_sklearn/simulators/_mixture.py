"""`MixtureSimulator`: several candidate mechanisms, each sample labelled by its own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ._base import Simulator
from ._latent import draws_latent_apart
from ._prior import as_generator
from ._simulation import Simulation, no_errors
from ._validation import check_n_samples, check_simulation, refuse_simulator_class


class MixtureSimulator(Simulator):
    """Draw each sample from one of several simulators, and label its mechanism.

    This is the generative model of a model-selection task: a mechanism is
    drawn with probability ``weights``, then a sample from that mechanism's
    own simulator. Each row's mechanism name is kept in
    ``Simulation.mechanism``, so a classifier trained on the mixture learns the
    posterior probability of each mechanism.

    Components are named, as ``Pipeline`` steps are, so a component's
    parameter is reachable as ``NAME__PARAM`` in the mixture's ``set_params``
    (``mix.set_params(noisy__noise_std=3.0)``) and as
    ``simulator__NAME__PARAM`` in a grid search over an estimator whose
    ``simulator`` is the mixture (``{"simulator__noisy__noise_std": [2, 3]}``).

    Parameters
    ----------
    simulators : list of (str, Simulator) tuples
        The mechanisms. All must produce the same number of features.
        Names must be unique and must not contain ``"__"``.
    weights : array-like of shape (n_simulators,), default=None
        Prior probability of each mechanism; normalised to sum to one.
        ``None`` gives equal weights.

    Notes
    -----
    ``y`` stacks the components' targets when they all have the same
    ``target_names``, and is ``None`` otherwise. ``params`` holds the union of
    the components' parameters, NaN where a mechanism lacks a parameter.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
    >>> mix = MixtureSimulator([
    ...     ("quiet", LinearGaussian(noise_std=0.5)),
    ...     ("noisy", LinearGaussian(noise_std=2.0)),
    ... ])
    >>> sim = mix.simulate(6, random_state=0)
    >>> sim.mechanism_names
    ('quiet', 'noisy')
    >>> sorted(set(sim.mechanism)) <= ['noisy', 'quiet']
    True
    >>> mix.set_params(noisy__noise_std=3.0).get_params()["noisy__noise_std"]
    3.0

    Through an estimator, as a grid search sets it:

    >>> from sgnn_sklearn import SimulationGroundedClassifier
    >>> clf = SimulationGroundedClassifier(mix)
    >>> clf.set_params(simulator__noisy__noise_std=4.0).simulator.simulators[1][1]
    LinearGaussian(noise_std=4.0)
    """

    def __init__(
        self,
        simulators: list[tuple[str, Any]],
        weights: Any = None,
    ) -> None:
        self.simulators = simulators
        self.weights = weights

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get parameters, including each component and its own parameters.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return each named component and its parameters as
            ``NAME`` and ``NAME__PARAM``.

        Returns
        -------
        dict
            Parameter names mapped to their values.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian())])
        >>> "a__noise_std" in mix.get_params()
        True
        """
        params = super().get_params(deep=False)
        if deep:
            for name, simulator in self.simulators:
                params[name] = simulator
                if hasattr(simulator, "get_params"):
                    for key, value in simulator.get_params(deep=True).items():
                        params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params: Any) -> MixtureSimulator:
        """Set parameters; ``NAME=sim`` replaces a component, ``NAME__P=v`` sets P.

        Parameters
        ----------
        **params : dict
            Parameter names and values.

        Returns
        -------
        self
            The mixture, with its parameters set.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian())])
        >>> mix.set_params(a=LinearGaussian(n_features=2)).simulators[0][1].n_features
        2
        """
        if "simulators" in params:
            self.simulators = params.pop("simulators")
        names = [name for name, _ in self.simulators]
        replaced = {k: params.pop(k) for k in list(params) if k in names}
        if replaced:
            self.simulators = [
                (name, replaced.get(name, simulator))
                for name, simulator in self.simulators
            ]
        super().set_params(**params)
        return self

    def _check_components(self) -> tuple[list[str], list[Any], np.ndarray]:
        if not isinstance(self.simulators, list | tuple) or not self.simulators:
            raise ValueError(
                "simulators must be a non-empty list of (name, simulator) tuples; "
                f"got {self.simulators!r}."
            )
        names, simulators = [], []
        for item in self.simulators:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise ValueError(
                    "Each entry of simulators must be a (name, simulator) tuple; "
                    f"got {item!r}."
                )
            name, simulator = item
            if not isinstance(name, str) or "__" in name or not name:
                raise ValueError(
                    f"Mechanism names must be non-empty strings without '__'; got "
                    f"{name!r}."
                )
            refuse_simulator_class(simulator, f"Mechanism {name!r}")
            if not hasattr(simulator, "simulate"):
                raise TypeError(
                    f"Mechanism {name!r} is a {type(simulator).__name__}, which has "
                    "no simulate(n_samples, random_state) method."
                )
            names.append(name)
            simulators.append(simulator)
        if len(set(names)) != len(names):
            raise ValueError(f"Mechanism names must be unique; got {names}.")
        if self.weights is None:
            weights = np.full(len(names), 1.0 / len(names))
        else:
            weights = np.asarray(self.weights, dtype=float)
            if (
                weights.shape != (len(names),)
                or not np.all(np.isfinite(weights))
                or np.any(weights < 0)
                or weights.sum() <= 0
            ):
                raise ValueError(
                    f"weights must be {len(names)} non-negative numbers with a "
                    f"positive sum, one per mechanism; got {self.weights!r}."
                )
            weights = weights / weights.sum()
        return names, simulators, weights

    @property
    def mechanism_names(self) -> tuple[str, ...]:
        """Names of the mechanisms, in order.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> MixtureSimulator([("a", LinearGaussian()),
        ...                   ("b", LinearGaussian())]).mechanism_names
        ('a', 'b')
        """
        return tuple(self._check_components()[0])

    @property
    def param_names(self) -> tuple[str, ...]:
        union: list[str] = []
        for simulator in self._check_components()[1]:
            union += [p for p in simulator.param_names if p not in union]
        return tuple(union)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self._check_components()[1][0].feature_names)

    @property
    def target_names(self) -> tuple[str, ...]:
        simulators = self._check_components()[1]
        first = tuple(simulators[0].target_names)
        if all(tuple(s.target_names) == first for s in simulators):
            return first
        return ()

    def simulate(self, n_samples: int, random_state: Any = None) -> Simulation:
        """Draw a mechanism for each sample, then simulate it.

        Parameters
        ----------
        n_samples : int
            Number of samples.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness; the same int gives identical output.

        Returns
        -------
        Simulation
            With ``mechanism`` and ``mechanism_names`` set.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian()), ("b", LinearGaussian())])
        >>> len(mix.simulate(10, random_state=0).mechanism)
        10
        """
        return self._draw(n_samples, random_state, "simulate")

    def simulate_latent(self, n_samples: int, random_state: Any = None) -> Simulation:
        """Draw a mechanism for each sample, then its latent trajectory.

        Available when every mechanism is a
        :class:`~sgnn_sklearn.simulators.LatentSimulator` (or has
        ``simulate_latent`` and ``observe``): with :meth:`observe` it lets an
        estimator draw fresh observation noise around a fixed budget of a
        mixture's trajectories (``observation_noise="fresh"``). The mechanisms
        and their parameters are drawn as :meth:`simulate` draws them, with
        the same ``random_state``.

        Parameters
        ----------
        n_samples : int
            Number of samples.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness.

        Returns
        -------
        Simulation
            ``X`` holds the latent trajectories; ``mechanism`` is set.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian(noise_std=0.5)),
        ...                         ("b", LinearGaussian(noise_std=2.0))])
        >>> latent = mix.simulate_latent(4, random_state=0)
        >>> bool((latent.mechanism == mix.simulate(4, random_state=0).mechanism).all())
        True
        """
        self._check_latent("simulate_latent")
        return self._draw(n_samples, random_state, "simulate_latent")

    def observe(self, latent: Simulation, random_state: Any = None) -> Simulation:
        """Observe a mixture's latent trajectories, each by its own mechanism.

        Parameters
        ----------
        latent : Simulation
            What :meth:`simulate_latent` returned, or rows of it.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness of the observation noise.

        Returns
        -------
        Simulation
            ``latent`` with ``X`` replaced by the observations.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian(noise_std=0.5)),
        ...                         ("b", LinearGaussian(noise_std=2.0))])
        >>> latent = mix.simulate_latent(4, random_state=0)
        >>> observed = mix.observe(latent, random_state=1)
        >>> bool((observed.y == latent.y).all()), bool((observed.X != latent.X).all())
        (True, True)
        """
        names, simulators, _ = self._check_components()
        self._check_latent("observe")
        if not isinstance(latent, Simulation) or latent.mechanism is None:
            got = (
                "a Simulation without mechanisms"
                if isinstance(latent, Simulation)
                else type(latent).__name__
            )
            raise TypeError(
                "MixtureSimulator.observe expects the Simulation that its "
                f"simulate_latent returned; got {got}."
            )
        if tuple(latent.param_names) != self.param_names:
            raise ValueError(
                f"MixtureSimulator.observe got a latent simulation with "
                f"param_names {tuple(latent.param_names)}; this mixture has "
                f"{self.param_names}. Pass what its simulate_latent returned."
            )
        mechanism = np.asarray(latent.mechanism)
        unknown = sorted(set(mechanism.tolist()) - set(names))
        if unknown:
            raise ValueError(
                f"MixtureSimulator.observe got mechanisms {unknown}; this mixture "
                f"has {names}."
            )
        rng = as_generator(random_state)
        seeds = rng.integers(np.iinfo(np.int32).max, size=len(names))
        X = np.array(latent.X, dtype=float)
        for j, (name, simulator) in enumerate(zip(names, simulators, strict=True)):
            rows = np.flatnonzero(mechanism == name)
            if rows.size == 0:
                continue
            columns = np.array(
                [self.param_names.index(p) for p in simulator.param_names], dtype=int
            )
            part = Simulation(
                X=X[rows],
                y=None if latent.y is None else np.asarray(latent.y)[rows],
                params=np.asarray(latent.params)[np.ix_(rows, columns)],
                # Each mechanism observes its rows under its own feature names
                # (the mixture's are its first mechanism's).
                feature_names=tuple(simulator.feature_names),
                target_names=tuple(simulator.target_names),
                param_names=tuple(simulator.param_names),
            )
            observed = simulator.observe(part, random_state=int(seeds[j]))
            X[rows] = check_simulation(
                observed, simulator, rows.size, allow_nonfinite=True
            ).X
        return replace(latent, X=X)

    def _check_latent(self, method: str) -> None:
        for name, simulator in zip(*self._check_components()[:2], strict=True):
            if not draws_latent_apart(simulator):
                raise TypeError(
                    f"MixtureSimulator.{method} needs every mechanism to draw its "
                    f"latent trajectory and its noise apart (a LatentSimulator); "
                    f"mechanism {name!r} is a {type(simulator).__name__}."
                )

    def _draw(self, n_samples: int, random_state: Any, method: str) -> Simulation:
        """Mechanisms drawn, then each one's rows by ``method`` of its simulator."""
        n_samples = check_n_samples(n_samples)
        names, simulators, weights = self._check_components()
        rng = as_generator(random_state)
        component = rng.choice(len(names), size=n_samples, p=weights)
        seeds = rng.integers(np.iinfo(np.int32).max, size=len(names))
        parts = {}
        for j, simulator in enumerate(simulators):
            count = int((component == j).sum())
            if count:
                part = getattr(simulator, method)(count, random_state=int(seeds[j]))
                parts[j] = check_simulation(
                    part, simulator, count, allow_nonfinite=True
                )
        n_features = {p.n_features for p in parts.values()}
        if len(n_features) > 1:
            counts = {names[j]: p.n_features for j, p in parts.items()}
            raise ValueError(
                "All mechanisms of a MixtureSimulator must produce the same number "
                f"of features; got {counts}."
            )
        param_names = self.param_names
        target_names = self.target_names
        first = next(iter(parts.values()))
        X = np.empty((n_samples, first.n_features))
        params = np.full((n_samples, len(param_names)), np.nan)
        y = None
        errors = (
            no_errors(n_samples)
            if any(part.errors is not None for part in parts.values())
            else None
        )
        if target_names:
            y_shape = (n_samples,) + np.asarray(first.y).shape[1:]
            y = np.empty(y_shape, dtype=np.asarray(first.y).dtype)
        for j, part in parts.items():
            rows = component == j
            X[rows] = part.X
            columns = [param_names.index(p) for p in part.param_names]
            params[np.ix_(rows, columns)] = part.params
            if y is not None:
                y[rows] = part.y
            if errors is not None and part.errors is not None:
                errors[rows] = part.errors
        return Simulation(
            X=X,
            y=y,
            params=params,
            feature_names=tuple(first.feature_names),
            target_names=target_names,
            param_names=param_names,
            mechanism=np.asarray(names)[component],
            mechanism_names=tuple(names),
            errors=errors,
        )

    def sample_params(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        """Not available for a mixture: raises TypeError.

        A mixture draws the mechanism together with its parameters, and its
        mechanisms may have different parameters; use :meth:`simulate`, or
        ``sample_params`` of one component.

        Parameters
        ----------
        n_samples : int
            Number of draws.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness.

        Returns
        -------
        ndarray
            Never returns.

        Raises
        ------
        TypeError
            Always.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian())])
        >>> mix.simulators[0][1].sample_params(2, random_state=0).shape
        (2, 1)
        """
        raise TypeError(
            "A MixtureSimulator draws the mechanism together with its parameters; "
            "call simulate(), or sample_params() on one of its components."
        )

    def simulate_from_params(
        self, params: np.ndarray, random_state: Any = None
    ) -> Simulation:
        """Not available for a mixture: raises TypeError.

        Parameter vectors do not say which mechanism to run; use
        :meth:`simulate`, or ``simulate_from_params`` of one component.

        Parameters
        ----------
        params : array-like of shape (n_samples, n_params)
            Parameter values.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness.

        Returns
        -------
        Simulation
            Never returns.

        Raises
        ------
        TypeError
            Always.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
        >>> mix = MixtureSimulator([("a", LinearGaussian())])
        >>> mix.simulators[0][1].simulate_from_params(np.zeros((2, 1))).X.shape
        (2, 5)
        """
        raise TypeError(
            "A MixtureSimulator draws the mechanism together with its parameters; "
            "call simulate(), or simulate_from_params() on one of its components."
        )
