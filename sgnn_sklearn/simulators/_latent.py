"""`LatentSimulator`: simulators that draw the latent trajectory and the noise apart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ._base import Simulator
from ._prior import as_generator
from ._simulation import Simulation
from ._validation import check_n_samples, check_simulation


class LatentSimulator(Simulator):
    """Base class for simulators whose observation noise is drawn apart.

    Many simulators first produce a latent trajectory (the expected reported
    counts of an epidemic, the noise-free signal of a regression) and then
    observe it with noise. A ``LatentSimulator`` exposes the two steps:

    - :meth:`simulate_latent` draws parameters and returns a
      :class:`Simulation` whose ``X`` is the latent trajectory;
    - :meth:`observe` draws observation noise around a latent trajectory and
      returns the observed :class:`Simulation` (same parameters and targets).

    For the same generator, ``simulate`` is exactly
    ``observe(simulate_latent(n_samples, rng), rng)``. A training loop can
    therefore keep a fixed budget of latent trajectories and draw fresh
    observation noise around them at every epoch, and the observation-model
    wrappers (:class:`Overdispersed`, :class:`ReportingDelay`, ...) can change
    either step of any ``LatentSimulator``.

    Subclasses implement, besides what :class:`Simulator` asks for:

    - ``generate_latent(params, rng) -> (trajectory, y)``: the latent
      trajectory, of shape (n_samples, n_features), and the targets, for each
      row of ``params``;
    - ``generate_observation(trajectory, params, rng) -> X``: the observation
      of each latent trajectory, given its row of ``params``.

    ``generate`` is then the one followed by the other (the old names
    ``_latent`` and ``_observe`` still work until version 0.3, with a
    ``FutureWarning``). The targets belong
    to the latent step: observation noise never changes them.

    See Also
    --------
    Simulator : The base of every simulator.
    Overdispersed : Negative-binomial noise around a latent trajectory.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import LatentSimulator
    >>> class Decay(LatentSimulator):
    ...     prior_params = ("rate",)
    ...     def __init__(self, rate=(0.1, 1.0), noise_std=0.1):
    ...         self.rate = rate
    ...         self.noise_std = noise_std
    ...     @property
    ...     def feature_names(self):
    ...         return ("t0", "t1", "t2")
    ...     @property
    ...     def target_names(self):
    ...         return ("rate",)
    ...     def generate_latent(self, params, rng):
    ...         return np.exp(-params[:, :1] * np.arange(3)), params[:, 0]
    ...     def generate_observation(self, trajectory, params, rng):
    ...         return trajectory + self.noise_std * rng.standard_normal(
    ...             trajectory.shape)
    >>> sim = Decay()
    >>> latent = sim.simulate_latent(4, random_state=0)
    >>> latent.X[:, 0].tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> epoch_1 = sim.observe(latent, random_state=1)
    >>> epoch_2 = sim.observe(latent, random_state=2)
    >>> bool((epoch_1.y == epoch_2.y).all()), bool((epoch_1.X != epoch_2.X).all())
    (True, True)
    >>> rng = np.random.default_rng(5)
    >>> again = sim.observe(sim.simulate_latent(4, rng), rng)
    >>> bool((again.X == sim.simulate(4, random_state=5).X).all())
    True
    """

    def simulate_latent(self, n_samples: int, random_state: Any = None) -> Simulation:
        """Draw parameters from the prior and the latent trajectory of each.

        Parameters
        ----------
        n_samples : int
            Number of samples.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness. Pass the same ``Generator`` on to
            :meth:`observe` to get exactly what :meth:`simulate` gives.

        Returns
        -------
        Simulation
            ``X`` holds the latent trajectories (no observation noise);
            ``y``, ``params`` and the names are those of :meth:`simulate`.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import SIR
        >>> latent = SIR(n_days=5).simulate_latent(2, random_state=0)
        >>> latent.X.shape, latent.param_names[:2]
        ((2, 5), ('R0', 'gamma'))
        """
        n_samples = check_n_samples(n_samples)
        rng = as_generator(random_state)
        params = self.sample_params(n_samples, rng)
        return self.simulate_latent_from_params(params, rng)

    def simulate_latent_from_params(
        self, params: Any, random_state: Any = None
    ) -> Simulation:
        """The latent trajectory for each given parameter vector.

        Parameters
        ----------
        params : array-like of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness of the latent step (none is used by the
            built-in simulators, whose latent trajectories are deterministic).

        Returns
        -------
        Simulation
            ``X`` holds the latent trajectories.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=2)
        >>> sim.simulate_latent_from_params(np.zeros((1, 1))).X
        array([[0., 0.]])
        """
        params = self._checked_params(params, "simulate_latent_from_params")
        trajectory, y = self.generate_latent(params, as_generator(random_state))
        return self._simulation(trajectory, y, params)

    def observe(self, latent: Simulation, random_state: Any = None) -> Simulation:
        """Observe latent trajectories: draw their observation noise.

        Parameters
        ----------
        latent : Simulation
            What :meth:`simulate_latent` (or
            :meth:`simulate_latent_from_params`) of this simulator returned,
            or rows of it.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness of the observation noise.

        Returns
        -------
        Simulation
            ``latent`` with ``X`` replaced by the observations.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import SIR
        >>> sim = SIR(n_days=10)
        >>> latent = sim.simulate_latent(3, random_state=0)
        >>> observed = sim.observe(latent, random_state=1)
        >>> bool((observed.X == observed.X.round()).all())
        True
        """
        owner = type(self).__name__
        if not isinstance(latent, Simulation):
            raise TypeError(
                f"{owner}.observe expects the Simulation that simulate_latent "
                f"returned; got {type(latent).__name__}."
            )
        for what in ("param_names", "feature_names"):
            if tuple(getattr(latent, what)) != tuple(getattr(self, what)):
                raise ValueError(
                    f"{owner}.observe got a latent simulation with {what} "
                    f"{tuple(getattr(latent, what))}; this simulator has "
                    f"{tuple(getattr(self, what))}. Pass what its simulate_latent "
                    "returned."
                )
        X = self.generate_observation(
            np.asarray(latent.X, dtype=float),
            np.asarray(latent.params, dtype=float),
            as_generator(random_state),
        )
        return check_simulation(
            replace(latent, X=np.asarray(X)), self, len(latent), allow_nonfinite=True
        )

    def generate(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The latent trajectories, then their observation, for given parameters.

        Parameters
        ----------
        params : ndarray of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.
        rng : numpy.random.Generator
            Draws the latent step, then the noise.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The observations.
        y : ndarray or None
            The targets (from the latent step).

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3, n_params=2)
        >>> X, y = sim.generate(np.zeros((4, 2)), np.random.default_rng(0))
        >>> X.shape
        (4, 3)
        """
        trajectory, y = self.generate_latent(params, rng)
        return self.generate_observation(trajectory, params, rng), y

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The hook for the latent step: trajectories and targets for given parameters.

        Parameters
        ----------
        params : ndarray of shape (n_samples, n_params)
            Parameter values, columns in the order of ``param_names``.
        rng : numpy.random.Generator
            The latent step's only source of randomness.

        Returns
        -------
        trajectory : ndarray of shape (n_samples, n_features)
            The latent (noise-free) trajectory of each row.
        y : ndarray or None
            The targets of each row.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import SIR
        >>> sim = SIR(n_days=10)
        >>> params = sim.sample_params(2, random_state=0)
        >>> trajectory, y = sim.generate_latent(params, np.random.default_rng(0))
        >>> trajectory.shape
        (2, 10)
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement generate_latent(params, rng)."
        )

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """The hook for the observation step: noisy observations of trajectories.

        Parameters
        ----------
        trajectory : ndarray of shape (n_samples, n_features)
            Latent trajectories, as :meth:`generate_latent` returns them.
        params : ndarray of shape (n_samples, n_params)
            The parameters of each trajectory.
        rng : numpy.random.Generator
            The noise's only source of randomness.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The observed series.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.simulators import SIR
        >>> sim = SIR(n_days=10)
        >>> params = sim.sample_params(2, random_state=0)
        >>> rng = np.random.default_rng(0)
        >>> trajectory, _ = sim.generate_latent(params, rng)
        >>> sim.generate_observation(trajectory, params, rng).shape
        (2, 10)
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement "
            "generate_observation(trajectory, params, rng)."
        )


def draws_latent_apart(simulator: Any) -> bool:
    """True when ``simulator`` draws latent trajectories and their noise apart.

    It has ``simulate_latent`` and ``observe`` to call; a
    :class:`~sgnn_sklearn.simulators.MixtureSimulator`, whose two methods pass
    the steps on to its mechanisms, only when every mechanism does.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import (
    ...     FunctionSimulator, LinearGaussian, MixtureSimulator)
    >>> draws_latent_apart(LinearGaussian())
    True
    >>> plain = FunctionSimulator(lambda p, rng: [p["a"]] * 5, {"a": (0, 1)})
    >>> draws_latent_apart(plain)
    False
    >>> draws_latent_apart(MixtureSimulator([("a", LinearGaussian()), ("f", plain)]))
    False
    """
    from ._mixture import MixtureSimulator  # which calls this for its mechanisms

    if isinstance(simulator, MixtureSimulator):
        return all(draws_latent_apart(s) for _, s in simulator.simulators)
    return all(
        callable(getattr(simulator, hook, None))
        for hook in ("simulate_latent", "observe")
    )
