"""`TruncatedSimulator`: a simulator whose prior is cut to a box of parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import NamesFromWrapped
from ._latent import LatentSimulator
from ._prior import as_generator
from ._simulation import Simulation
from ._validation import check_n_samples

# Prior draws made per accepted draw before giving up: a box holding less
# than 1/MAX_DRAWS_PER_SAMPLE of the prior is almost surely a mistake.
MAX_DRAWS_PER_SAMPLE = 10_000


class TruncatedSimulator(NamesFromWrapped):
    """A simulator with its prior truncated to a box of some parameters.

    Parameters are drawn from the wrapped simulator's prior and kept only
    when every bounded parameter lies within its ``(low, high)``: the prior
    becomes the original one restricted to the box and renormalised, and
    only the kept draws are simulated. A network trained on these
    simulations learns the posterior under that truncated prior, which is
    the original posterior restricted to the box and renormalised: for an
    observation whose original posterior puts (almost) all its mass inside
    the box, the two are the same. This is how sequential methods refine
    around given observations (truncated sequential neural posterior
    estimation, Deistler et al. 2022); see
    :meth:`~sgnn_sklearn.SimulationGroundedRegressor.refine`.

    When the wrapped simulator draws its latent trajectory and its
    observation noise apart (a :class:`LatentSimulator`), so does this one
    (``simulate_latent`` and ``observe``), so that a fit with
    ``observation_noise="fresh"`` draws new noise every epoch on the
    truncated prior too.

    Parameters
    ----------
    simulator : Simulator
        The simulator to truncate: it must have ``sample_params`` and
        ``simulate_from_params`` (every :class:`Simulator` subclass has).
    bounds : dict of str to (float, float)
        ``{param_name: (low, high)}``: the box, on any of the simulator's
        ``param_names``. Parameters not named keep their whole prior.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian, TruncatedSimulator
    >>> sim = TruncatedSimulator(LinearGaussian(), {"theta0": (0.5, 1.0)})
    >>> data = sim.simulate(200, random_state=0)
    >>> bool(data.y.min() >= 0.5 and data.y.max() <= 1.0)
    True
    >>> round(sim.prior_mass(), 2)  # P(0.5 < theta < 1) under N(0, 1) is 0.150
    0.15
    """

    def __init__(self, simulator: Any, bounds: dict[str, tuple[float, float]]):
        self.simulator = simulator
        self.bounds = bounds

    def _box(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column indices, lower and upper bounds of the box, checked."""
        for method in ("sample_params", "simulate_from_params"):
            if not callable(getattr(self.simulator, method, None)):
                raise TypeError(
                    f"TruncatedSimulator needs a simulator with {method}(); "
                    f"{type(self.simulator).__name__} has none. Subclass "
                    "sgnn_sklearn.simulators.Simulator."
                )
        names = list(self.param_names)
        unknown = sorted(set(self.bounds) - set(names))
        if unknown:
            raise ValueError(
                f"bounds name {unknown}, which are not parameters of "
                f"{type(self.simulator).__name__}; its parameters are {names}."
            )
        columns = np.array([names.index(name) for name in self.bounds], dtype=int)
        box = np.array([self.bounds[name] for name in self.bounds], dtype=float)
        box = box.reshape(len(columns), 2)
        if np.any(~np.isfinite(box)) or np.any(box[:, 0] >= box[:, 1]):
            raise ValueError(
                f"bounds must be finite (low, high) pairs with low < high; got "
                f"{self.bounds}."
            )
        return columns, box[:, 0], box[:, 1]

    def sample_params(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        """Draw parameters from the prior truncated to the box (by rejection).

        Parameters
        ----------
        n_samples : int
            Number of draws.
        random_state : int, Generator, RandomState or None, default=None
            Source of randomness.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            Parameter draws, every bounded parameter inside its bounds.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, TruncatedSimulator
        >>> sim = TruncatedSimulator(LinearGaussian(), {"theta0": (-0.1, 0.1)})
        >>> sim.sample_params(5, random_state=0).shape
        (5, 1)
        """
        n_samples = check_n_samples(n_samples)
        columns, low, high = self._box()
        rng = as_generator(random_state)
        kept: list[np.ndarray] = []
        n_kept, n_drawn = 0, 0
        batch = max(n_samples, 1024)
        while n_kept < n_samples:
            if n_drawn >= MAX_DRAWS_PER_SAMPLE * n_samples:
                raise ValueError(
                    f"The box {self.bounds} held {n_kept} of {n_drawn} prior draws "
                    f"of {type(self.simulator).__name__}: it has almost no prior "
                    "mass. Widen it."
                )
            params = np.asarray(self.simulator.sample_params(batch, rng), dtype=float)
            values = params[:, columns]
            inside = np.all((values >= low) & (values <= high), axis=1)
            kept.append(params[inside])
            n_kept += int(inside.sum())
            n_drawn += batch
            batch = min(4 * batch, 1 << 20)
        return np.concatenate(kept)[:n_samples]

    def prior_mass(self, n_draws: int = 100_000, random_state: Any = 0) -> float:
        """Share of the original prior inside the box, by Monte Carlo.

        Parameters
        ----------
        n_draws : int, default=100_000
            Number of prior draws.
        random_state : int, Generator, RandomState or None, default=0
            Source of randomness.

        Returns
        -------
        float
            The estimated prior mass of the box.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, TruncatedSimulator
        >>> box = TruncatedSimulator(LinearGaussian(), {"theta0": (-1.0, 1.0)})
        >>> round(box.prior_mass(), 2)
        0.68
        """
        columns, low, high = self._box()
        params = np.asarray(self.simulator.sample_params(n_draws, random_state))
        values = params[:, columns]
        return float(np.all((values >= low) & (values <= high), axis=1).mean())

    def _latent_simulator(self, method: str) -> Any:
        """The wrapped simulator, or AttributeError when it has no latent step.

        An AttributeError makes ``getattr(truncated, method, None)`` None,
        which is how the estimators ask whether noise can be drawn apart.
        """
        if not isinstance(self.simulator, LatentSimulator):
            raise AttributeError(
                f"TruncatedSimulator has no {method}: the simulator it wraps, "
                f"{type(self.simulator).__name__}, does not draw its latent "
                "trajectory and its observation noise apart (it is not a "
                "LatentSimulator)."
            )
        return self.simulator

    @property
    def simulate_latent(self) -> Any:
        """Latent trajectories for parameters drawn from the truncated prior.

        Present only when the wrapped simulator is a :class:`LatentSimulator`;
        as its ``simulate_latent``, with the truncated prior. For the same
        generator, ``simulate`` is ``observe(simulate_latent(n, rng), rng)``.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, TruncatedSimulator
        >>> sim = TruncatedSimulator(LinearGaussian(), {"theta0": (0.0, 0.5)})
        >>> latent = sim.simulate_latent(3, random_state=0)
        >>> observed = sim.observe(latent, random_state=1)
        >>> bool(((0 <= observed.y) & (observed.y <= 0.5)).all())
        True
        """
        wrapped = self._latent_simulator("simulate_latent")

        def simulate_latent(n_samples: int, random_state: Any = None) -> Simulation:
            rng = as_generator(random_state)
            params = self.sample_params(n_samples, rng)
            return wrapped.simulate_latent_from_params(params, rng)

        return simulate_latent

    @property
    def observe(self) -> Any:
        """The wrapped simulator's ``observe`` (the truncation is in the prior only).

        Present only when the wrapped simulator is a :class:`LatentSimulator`.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian, TruncatedSimulator
        >>> sim = TruncatedSimulator(LinearGaussian(), {"theta0": (0.0, 0.5)})
        >>> latent = sim.simulate_latent(2, random_state=0)
        >>> sim.observe(latent, random_state=1).X.shape
        (2, 5)
        """
        return self._latent_simulator("observe").observe

    def simulate(self, n_samples: int, random_state: Any = None) -> Simulation:
        rng = as_generator(random_state)
        params = self.sample_params(n_samples, rng)
        return self.simulator.simulate_from_params(params, rng)

    def simulate_from_params(
        self, params: np.ndarray, random_state: Any = None
    ) -> Simulation:
        return self.simulator.simulate_from_params(params, random_state)
