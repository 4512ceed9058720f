"""`simulation_gap`: how far inputs lie from the simulated training distribution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..estimators._memory import (
    GAP_NEIGHBORS,
    SUPPORT_LEVEL,
    fitted_memory_bank,
)
from ..simulators._validation import check_n_samples


@dataclass(frozen=True)
class SimulationGap:
    """Per-sample and overall distance of inputs from the training simulations.

    Returned by :func:`simulation_gap`. Distances are measured in the fitted
    network's representation (its last hidden layer), where the network
    itself decides what is alike.

    Parameters
    ----------
    distance : ndarray of shape (n_samples,)
        Each input's mean distance to its nearest training simulations.
    percentile : ndarray of shape (n_samples,)
        Share of held-out simulations whose distance is at most the input's:
        uniform on [0, 1] for data the simulator could have produced, near 1
        for inputs outside the simulated support.
    reference_distance : ndarray of shape (n_reference,)
        The same distance for held-out simulations, sorted.
    support_level : float
        An input whose percentile reaches this level lies outside the
        simulated support.

    Examples
    --------
    >>> import numpy as np
    >>> gap = SimulationGap(np.array([1.0, 4.0]), np.array([0.5, 1.0]),
    ...                     np.array([0.5, 1.0, 2.0]), 0.99)
    >>> gap.distance_ratio.tolist(), gap.score, gap.outside_fraction
    ([1.0, 4.0], 2.5, 0.5)
    """

    distance: np.ndarray
    percentile: np.ndarray
    reference_distance: np.ndarray
    support_level: float

    @property
    def distance_ratio(self) -> np.ndarray:
        """Each input's distance over the median distance of held-out simulations.

        Examples
        --------
        >>> import numpy as np
        >>> gap = SimulationGap(np.array([1.0, 4.0]), np.array([0.5, 1.0]),
        ...                     np.array([0.5, 1.0, 2.0]), 0.99)
        >>> gap.distance_ratio.tolist()
        [1.0, 4.0]
        """
        median = max(float(np.median(self.reference_distance)), 1e-12)
        return self.distance / median

    @property
    def score(self) -> float:
        """The overall gap: the median distance ratio (about 1 with no gap)."""
        return float(np.median(self.distance_ratio))

    @property
    def outside(self) -> np.ndarray:
        """Whether each input lies outside the simulated support.

        Examples
        --------
        >>> import numpy as np
        >>> gap = SimulationGap(np.array([1.0, 4.0]), np.array([0.5, 1.0]),
        ...                     np.array([0.5, 1.0, 2.0]), 0.99)
        >>> gap.outside.tolist()
        [False, True]
        """
        return self.percentile >= self.support_level

    @property
    def outside_fraction(self) -> float:
        """Share of inputs outside the simulated support (about 1% with no gap).

        Examples
        --------
        >>> import numpy as np
        >>> gap = SimulationGap(np.array([1.0, 4.0]), np.array([0.5, 1.0]),
        ...                     np.array([0.5, 1.0, 2.0]), 0.99)
        >>> gap.outside_fraction
        0.5
        """
        return float(np.mean(self.outside))

    def plot(self, ax: Any = None) -> Any:
        """Histogram of the inputs' distances against the held-out simulations'.

        See :func:`sgnn_sklearn.plotting.plot_simulation_gap`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw into; new ones when None.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn into.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> gap = SimulationGap(np.array([1.0, 4.0]), np.array([0.5, 1.0]),
        ...                     np.array([0.5, 1.0, 2.0]), 0.99)
        >>> gap.plot().get_xlabel()
        'distance to the nearest training simulations (embedding)'
        """
        from ..plotting import plot_simulation_gap

        return plot_simulation_gap(self, ax=ax)


def simulation_gap(
    estimator: Any, X: Any, n_neighbors: int = GAP_NEIGHBORS
) -> SimulationGap:
    """Score how far inputs lie from the simulations the estimator learnt from.

    Each row of ``X`` is embedded by the fitted network (its last hidden
    layer) and its mean distance to the ``n_neighbors`` nearest training
    simulations in the memory bank is compared with the same distance for
    held-out simulations. Real data that the simulator reproduces score like
    held-out simulations (percentiles uniform, score about 1); misspecified
    data lie farther. The error of a simulation-trained network on real data
    grows with this gap.

    Parameters
    ----------
    estimator : fitted SimulationGroundedRegressor or SimulationGroundedClassifier
        Fitted on a simulator, with ``memory_bank_size > 0``.
    X : array-like of shape (n_samples, n_features)
        Inputs, typically real observations.
    n_neighbors : int, default=5
        Number of nearest training simulations whose mean distance scores a
        row.

    Returns
    -------
    SimulationGap
        Per-sample distances and percentiles, and the overall ``score`` and
        ``outside_fraction``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    ValueError
        If the estimator kept no training simulations, or ``n_neighbors``
        exceeds the memory bank.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.diagnostics import simulation_gap
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> est = SimulationGroundedRegressor(sim, n_simulations=1000, max_epochs=10,
    ...                                   random_state=0).fit()
    >>> X = sim.simulate(200, random_state=1).X
    >>> simulation_gap(est, X).score < simulation_gap(est, 3 * X + 2).score
    True
    """
    bank = fitted_memory_bank(estimator, "simulation_gap")
    n_neighbors = check_n_samples(n_neighbors, "n_neighbors")
    embeddings = estimator._embed_inputs(estimator._network_inputs(X))
    distance, percentile, reference = bank.support_percentile(embeddings, n_neighbors)
    return SimulationGap(distance, percentile, reference, SUPPORT_LEVEL)
