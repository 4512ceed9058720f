"""What reads the memory bank: the embeddings and the explain delegates."""

from __future__ import annotations

from numbers import Integral
from typing import Any, Self

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._batches import PREDICT_BATCH_SIZE
from ._memory import embed_inputs, embed_or_drop
from ._threads import uses_torch_threads


class ExplainMixin:
    """Embed the memory bank; explain predictions and score the simulation gap."""

    # Set by the estimator (its parameters and fit) that inherits this mixin.
    batch_size: int
    net_: Any
    memory_bank_: Any
    _seeds: dict[str, int]
    _interrupted: bool

    def _embed_memory_bank(self) -> None:
        """Embed the memory bank by the network as now trained, or drop it."""
        self.memory_bank_, interrupted = embed_or_drop(
            self.memory_bank_, self._embed_inputs, type(self).__name__
        )
        self._interrupted = self._interrupted or interrupted

    def _embed_inputs(self, inputs: np.ndarray) -> np.ndarray:
        """The network's last hidden layer for already transformed inputs."""
        return embed_inputs(
            self.net_.module_,
            inputs,
            max(self.batch_size, PREDICT_BATCH_SIZE),
            self.net_.device,
        )

    def shrink_memory_bank(self, size: int) -> Self:
        """Keep at most ``size`` simulations in the memory bank, e.g. before saving.

        The memory bank (``memory_bank_``) is most of a saved model's size:
        ``memory_bank_size`` simulations' inputs and embeddings. Predictions
        do not read it; ``explain_mechanism`` and ``simulation_gap`` do, and
        answer from what is left. ``size=0`` removes it: both then raise a
        ValueError that says so.

        Parameters
        ----------
        size : int
            The most simulations kept (a random subset, seeded by
            ``random_state``), of the bank and of its held-out reference each.

        Returns
        -------
        self
            The estimator, its bank shrunk in place.

        Examples
        --------
        >>> import pickle
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import SIR
        >>> est = SimulationGroundedRegressor(SIR(), 1000, max_epochs=1,
        ...                                   random_state=0).fit()
        >>> full = len(pickle.dumps(est))
        >>> len(est.shrink_memory_bank(100).memory_bank_)
        100
        >>> len(pickle.dumps(est)) < full
        True
        >>> est.shrink_memory_bank(0).memory_bank_ is None
        True
        """
        check_is_fitted(self)
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 0:
            raise ValueError(
                f"size must be a non-negative int (0 removes the bank); got {size!r}."
            )
        if self.memory_bank_ is not None:
            if size == 0:
                self.memory_bank_ = None
                self._memory_bank_removed = True
            else:
                self.memory_bank_ = self.memory_bank_.subset(
                    int(size), self._seeds["memory"]
                )
        return self

    @uses_torch_threads
    def explain_mechanism(
        self,
        X: Any,
        n_neighbors: int = 100,
        *,
        coverage: float = 0.9,
        kernel: str = "uniform",
    ) -> Any:
        """Explain predictions by the training simulations the network finds alike.

        Each row is embedded with the network's last hidden layer and matched
        to its ``n_neighbors`` nearest training simulations in
        ``memory_bank_``; their mechanisms and latent parameters approximate
        the posterior. See :func:`sgnn_sklearn.attribution.explain_mechanism`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations to explain.
        n_neighbors : int, default=100
            Number of simulations matched to each row (at most the bank size).
        coverage : float in (0, 1), default=0.9
            Probability of the central interval reported per parameter.
        kernel : {"uniform", "gaussian"}, default="uniform"
            How the neighbours are weighted.

        Returns
        -------
        MechanismExplanation
            Per row: the share of each mechanism among the neighbours, the
            mean and central interval of each parameter, and the neighbours'
            indices and distances.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> est = SimulationGroundedRegressor(sim, n_simulations=1000, max_epochs=10,
        ...                                   random_state=0).fit()
        >>> explanation = est.explain_mechanism(sim.simulate(5, random_state=1).X,
        ...                                     n_neighbors=50)
        >>> explanation.param_lower.shape, explanation.neighbor_index.shape
        ((5, 1), (5, 50))
        """
        from ..attribution import explain_mechanism

        return explain_mechanism(self, X, n_neighbors, coverage=coverage, kernel=kernel)

    @uses_torch_threads
    def simulation_gap(self, X: Any, n_neighbors: int = 5) -> Any:
        """Score how far inputs lie from the simulated training distribution.

        Distances to the nearest training simulations, in the network's own
        representation, against those of held-out simulations. See
        :func:`sgnn_sklearn.diagnostics.simulation_gap`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, typically real observations.
        n_neighbors : int, default=5
            Number of nearest training simulations whose mean distance
            scores a row.

        Returns
        -------
        SimulationGap
            Per-sample ``distance``, ``percentile`` and ``distance_ratio``;
            overall ``score`` (about 1 with no gap) and ``outside_fraction``.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian()
        >>> est = SimulationGroundedRegressor(sim, n_simulations=1000, max_epochs=10,
        ...                                   random_state=0).fit()
        >>> X = sim.simulate(300, random_state=1).X
        >>> gap, shifted = est.simulation_gap(X), est.simulation_gap(X + 3)
        >>> gap.outside_fraction < shifted.outside_fraction
        True
        """
        from ..diagnostics import simulation_gap

        return simulation_gap(self, X, n_neighbors)
