"""The `Simulation` container: what every simulator returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class Simulation:
    """A batch of simulated observations with their latent causes.

    Every simulator's :meth:`~sgnn_sklearn.simulators.Simulator.simulate`
    returns one. Rows of all arrays are aligned: row ``i`` of ``X`` was
    generated from row ``i`` of ``params``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The simulated observations, as the estimator will see real data.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets), or None
        The targets to learn. ``None`` when a mixture's components do not
        share their targets.
    params : ndarray of shape (n_samples, n_params)
        The latent parameter draws from the prior. For a mixture, a
        parameter that a component does not have is NaN in its rows.
    feature_names : tuple of str
        One name per column of ``X``.
    target_names : tuple of str
        One name per target (per column of a 2-D ``y``).
    param_names : tuple of str
        One name per column of ``params``.
    mechanism : ndarray of shape (n_samples,) of str, default=None
        For mixtures, the name of the mechanism that generated each row.
    mechanism_names : tuple of str, default=None
        For mixtures, the names of all mechanisms, in the mixture's order.
    errors : ndarray of shape (n_samples,) of object, default=None
        For simulators that run one draw at a time (such as
        :class:`~sgnn_sklearn.simulators.FunctionSimulator`), the exception
        each draw raised, ``None`` where it succeeded; the ``X`` row of a
        failed draw is NaN. ``None`` when no draw failed.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=3).simulate(5, random_state=0)
    >>> sim.X.shape, sim.y.shape, len(sim)
    ((5, 3), (5,), 5)
    >>> sim.take([0, 1]).X.shape
    (2, 3)
    """

    X: np.ndarray
    y: np.ndarray | None
    params: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    param_names: tuple[str, ...]
    mechanism: np.ndarray | None = None
    mechanism_names: tuple[str, ...] | None = field(default=None)
    errors: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of observed features (columns of ``X``).

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> LinearGaussian(n_features=3).simulate(2, random_state=0).n_features
        3
        """
        return int(self.X.shape[1])

    def take(self, indices: Sequence[int] | np.ndarray | slice) -> Simulation:
        """Return the rows at ``indices`` (integer positions or a boolean mask).

        Parameters
        ----------
        indices : array-like of int or bool, or slice
            Rows to keep. A slice keeps views of the arrays, not copies.

        Returns
        -------
        Simulation
            A new simulation holding only those rows.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian().simulate(10, random_state=0)
        >>> len(sim.take(sim.y > 0)) <= 10
        True
        """
        idx = indices if isinstance(indices, slice) else np.asarray(indices)

        def rows(array: np.ndarray | None) -> np.ndarray | None:
            # A simulator may have returned a list (of targets, mechanisms).
            return None if array is None else np.asarray(array)[idx]

        return replace(
            self,
            X=self.X[idx],
            y=rows(self.y),
            params=self.params[idx],
            mechanism=rows(self.mechanism),
            errors=rows(self.errors),
        )

    @classmethod
    def concatenate(cls, simulations: Sequence[Simulation]) -> Simulation:
        """Stack simulations of the same simulator row-wise.

        Parameters
        ----------
        simulations : sequence of Simulation
            Batches with the same feature, target, parameter and mechanism
            names.

        Returns
        -------
        Simulation
            One simulation holding all rows, in order.

        Examples
        --------
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> a, b = sim.simulate(3, random_state=0), sim.simulate(4, random_state=1)
        >>> len(Simulation.concatenate([a, b]))
        7
        """
        if not simulations:
            raise ValueError("concatenate needs at least one Simulation, got none.")
        first = simulations[0]
        for other in simulations[1:]:
            for attr in ("feature_names", "target_names", "param_names"):
                if getattr(other, attr) != getattr(first, attr):
                    raise ValueError(
                        f"Cannot concatenate simulations with different {attr}: "
                        f"{getattr(first, attr)} and {getattr(other, attr)}."
                    )
        mechanism_names = first.mechanism_names
        if first.mechanism is not None:
            seen = list(mechanism_names or ())
            for other in simulations[1:]:
                seen += [m for m in (other.mechanism_names or ()) if m not in seen]
            mechanism_names = tuple(seen)
        return replace(
            first,
            X=np.concatenate([s.X for s in simulations]),
            y=None if first.y is None else np.concatenate([s.y for s in simulations]),  # type: ignore[misc]
            params=np.concatenate([s.params for s in simulations]),
            mechanism=None
            if first.mechanism is None
            else np.concatenate([s.mechanism for s in simulations]),  # type: ignore[misc]
            mechanism_names=mechanism_names,
            errors=_concatenate_errors(simulations),
        )


def no_errors(n_samples: int) -> np.ndarray:
    """An ``errors`` array of ``n_samples`` rows in which no draw failed.

    Examples
    --------
    >>> no_errors(2)
    array([None, None], dtype=object)
    """
    return np.full(n_samples, None, dtype=object)


def _concatenate_errors(simulations: Sequence[Simulation]) -> np.ndarray | None:
    if all(s.errors is None for s in simulations):
        return None
    return np.concatenate(
        [no_errors(len(s)) if s.errors is None else s.errors for s in simulations]
    )
