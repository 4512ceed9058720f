"""`MechanismExplanation`: what `explain_mechanism` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class MechanismExplanation:
    """Per input row: the mechanism posterior and parameter summaries of its neighbours.

    Returned by :func:`~sgnn_sklearn.attribution.explain_mechanism` and by the
    estimators' ``explain_mechanism`` method. Arrays are aligned on their
    first axis with the explained rows; neighbours are ordered nearest first.

    Parameters
    ----------
    mechanism_names : tuple of str or None
        The mechanisms, sorted (as a classifier's ``classes_``); None for a
        single-mechanism simulator.
    mechanism_proba : ndarray of shape (n_samples, n_mechanisms) or None
        The (weighted) share of each mechanism among the neighbours: the
        attributed posterior probability of each mechanism.
    param_names : tuple of str
        The simulator's latent parameters.
    param_mean : ndarray of shape (n_samples, n_params)
        The neighbours' (weighted) mean of each parameter; NaN when no
        neighbour's mechanism has that parameter.
    param_lower, param_upper : ndarray of shape (n_samples, n_params)
        The neighbours' central interval of each parameter, holding
        ``coverage`` of their weight.
    coverage : float
        Nominal probability of the parameter intervals.
    neighbor_index : ndarray of shape (n_samples, n_neighbors)
        Rows of the neighbours among the ``n_simulations_`` simulations drawn
        at fit.
    neighbor_distance : ndarray of shape (n_samples, n_neighbors)
        Euclidean distances in the network's embedding, nearest first.
    neighbor_weight : ndarray of shape (n_samples, n_neighbors)
        Weight of each neighbour; each row sums to one.
    neighbor_params : ndarray of shape (n_samples, n_neighbors, n_params)
        The neighbours' latent parameters.
    neighbor_mechanism : ndarray of shape (n_samples, n_neighbors) or None
        The neighbours' mechanisms.
    series : ndarray of shape (n_samples, n_features) or None
        The explained rows as the network compared them: after the
        estimator's ``preprocessor``, before standardisation.
    simulated_series : ndarray of shape (n_memory, n_features) or None
        The memory bank's simulations in the same terms (float32: recovered
        from the network's standardised inputs), shared by all rows.
    neighbor_position : ndarray of shape (n_samples, n_neighbors) or None
        Rows of ``simulated_series`` that are each row's neighbours.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
    ...                                   random_state=0).fit(sim)
    >>> explanation = est.explain_mechanism(sim.simulate(4, random_state=1).X,
    ...                                     n_neighbors=20)
    >>> len(explanation), explanation.mechanism_proba is None
    (4, True)
    >>> explanation.neighbor_params.shape
    (4, 20, 1)
    """

    mechanism_names: tuple[str, ...] | None
    mechanism_proba: np.ndarray | None
    param_names: tuple[str, ...]
    param_mean: np.ndarray
    param_lower: np.ndarray
    param_upper: np.ndarray
    coverage: float
    neighbor_index: np.ndarray
    neighbor_distance: np.ndarray
    neighbor_weight: np.ndarray
    neighbor_params: np.ndarray
    neighbor_mechanism: np.ndarray | None
    series: np.ndarray | None = None
    simulated_series: np.ndarray | None = None
    neighbor_position: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.neighbor_index.shape[0])

    def to_frame(self) -> Any:
        """One row per explained input: mechanism shares and parameter summaries.

        Returns
        -------
        pandas.DataFrame
            Columns ``proba_<mechanism>`` (for a mixture), then
            ``<param>_mean``, ``<param>_lower``, ``<param>_upper`` for each
            parameter, and ``nearest_distance``.

        Raises
        ------
        ImportError
            If pandas is not installed.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> frame = est.explain_mechanism(sim.simulate(4, random_state=1).X,
        ...                               n_neighbors=20).to_frame()
        >>> list(frame.columns)
        ['theta0_mean', 'theta0_lower', 'theta0_upper', 'nearest_distance']
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "MechanismExplanation.to_frame() needs pandas; install it with "
                "`pip install pandas`."
            ) from exc
        columns: dict[str, np.ndarray] = {}
        if self.mechanism_proba is not None:
            for j, name in enumerate(self.mechanism_names or ()):
                columns[f"proba_{name}"] = self.mechanism_proba[:, j]
        for j, name in enumerate(self.param_names):
            columns[f"{name}_mean"] = self.param_mean[:, j]
            columns[f"{name}_lower"] = self.param_lower[:, j]
            columns[f"{name}_upper"] = self.param_upper[:, j]
        columns["nearest_distance"] = self.neighbor_distance[:, 0]
        return pd.DataFrame(columns)

    def plot(self, i: int = 0, *, fig: Any = None) -> Any:
        """Plot the explanation of row ``i``: mechanism shares, parameter spreads.

        Parameters
        ----------
        i : int, default=0
            Which explained row.
        fig : matplotlib.figure.Figure, default=None
            Figure to draw into; a new one when None.

        Returns
        -------
        matplotlib.figure.Figure
            The figure drawn into.

        Raises
        ------
        ImportError
            If matplotlib is not installed.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> explanation = est.explain_mechanism(sim.simulate(4, random_state=1).X,
        ...                                     n_neighbors=20)
        >>> len(explanation.plot(0).axes)
        1
        """
        from ..plotting import plot_mechanism_explanation

        return plot_mechanism_explanation(self, i, fig=fig)

    def plot_series(self, i: int = 0, *, n_series: int = 50, fig: Any = None) -> Any:
        """Plot row ``i`` over its nearest simulations, with shares and intervals.

        The observed series in black over the ``n_series`` nearest training
        simulations (coloured by mechanism for a mixture), and beside it the
        mechanism shares and each parameter's interval among all the
        neighbours. See :func:`sgnn_sklearn.plotting.plot_explanation_series`.

        Parameters
        ----------
        i : int, default=0
            Which explained row.
        n_series : int, default=50
            How many of the nearest simulations to draw.
        fig : matplotlib.figure.Figure, default=None
            Figure to draw into; a new one when None.

        Returns
        -------
        matplotlib.figure.Figure
            The figure drawn into.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=6)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=2,
        ...                                   random_state=0).fit(sim)
        >>> explanation = est.explain_mechanism(sim.simulate(3, random_state=1).X,
        ...                                     n_neighbors=20)
        >>> len(explanation.plot_series(2).axes)
        2
        """
        from ..plotting import plot_explanation_series

        return plot_explanation_series(self, i, n_series=n_series, fig=fig)
