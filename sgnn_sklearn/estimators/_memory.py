"""The memory bank: training simulations kept at fit, in the network's own terms.

Attribution (:func:`sgnn_sklearn.attribution.explain_mechanism`) and the
simulation gap (:func:`sgnn_sklearn.diagnostics.simulation_gap`) read it: both
compare an input's embedding (the network's last hidden layer) with those of
simulations whose latent causes are known.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ..simulators import Simulation
from ._heads import embed_method
from ._inference import run_in_batches
from ._interrupts import warn_interrupted_step

# Held-out simulations whose neighbour distances form the reference for the
# simulation gap: enough for percentiles to a resolution of 0.05%.
MAX_REFERENCE = 2000
# A row lies outside the simulated support when it is farther from the
# training simulations than this share of held-out simulations are.
SUPPORT_LEVEL = 0.99
# Neighbours whose mean distance scores the gap: a few, for a stable distance.
GAP_NEIGHBORS = 5


class SimulationGapWarning(UserWarning):
    """Real inputs lie outside the distribution of the training simulations.

    Examples
    --------
    >>> issubclass(SimulationGapWarning, UserWarning)
    True
    """


def embed_inputs(
    module: torch.nn.Module, inputs: np.ndarray, batch_size: int, device: str
) -> np.ndarray:
    """The last hidden layer (``module.embed``) for network inputs, in batches.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = MLP(n_features=3, n_outputs=1, hidden_layer_sizes=(4,))
    >>> embed_inputs(net, np.zeros((5, 3), np.float32), 2, "cpu").shape
    (5, 4)
    """
    embed = embed_method(module)
    return run_in_batches(
        module, lambda batch: (embed(batch),), inputs, batch_size, device
    )[0]


@dataclass(frozen=True)
class MemoryBank:
    """A bounded random subset of the training simulations, with embeddings.

    Kept by the estimators at ``fit`` on a simulator, as ``memory_bank_``.

    Parameters
    ----------
    inputs : ndarray of shape (n_memory, n_features)
        The kept simulations' network inputs (preprocessed and standardised).
    embeddings : ndarray of shape (n_memory, n_hidden)
        Their embeddings by the trained network.
    params : ndarray of shape (n_memory, n_params)
        Their latent parameters; NaN where a mechanism lacks a parameter.
    param_names : tuple of str
        Names of the columns of ``params``.
    mechanism : ndarray of shape (n_memory,) or None
        Their mechanism names, for a mixture.
    mechanism_names : tuple of str or None
        Every mechanism's name, sorted as a classifier's ``classes_`` are.
    simulation_index : ndarray of shape (n_memory,)
        Row of each kept simulation among the ``n_simulations_`` drawn at fit.
    reference_inputs : ndarray of shape (n_reference, n_features)
        Held-out simulations (the early-stopping validation share when there
        is one), the reference distribution of the simulation gap.
    reference_embeddings : ndarray of shape (n_reference, n_hidden)
        Their embeddings.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> est = SimulationGroundedRegressor(n_simulations=300, max_epochs=2,
    ...                                   memory_bank_size=100, random_state=0)
    >>> bank = est.fit(LinearGaussian()).memory_bank_
    >>> len(bank), bank.param_names, len(bank.reference_inputs)
    (100, ('theta0',), 60)
    """

    inputs: np.ndarray
    embeddings: np.ndarray
    params: np.ndarray
    param_names: tuple[str, ...]
    mechanism: np.ndarray | None
    mechanism_names: tuple[str, ...] | None
    simulation_index: np.ndarray
    reference_inputs: np.ndarray
    reference_embeddings: np.ndarray
    # The held-out simulations' sorted neighbour distances, by number of
    # neighbours: filled at fit, so that a cached network (a cross-validation
    # fold) does not search for them again at every real-data check.
    _reference_distances: dict[int, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def embedded_by(self, embed: Callable[[np.ndarray], np.ndarray]) -> MemoryBank:
        """The same simulations with embeddings recomputed by ``embed``.

        Parameters
        ----------
        embed : callable
            Maps inputs of shape ``(n, n_features)`` to embeddings of shape
            ``(n, n_embedding)``, e.g. a fitted network's last hidden layer.

        Returns
        -------
        MemoryBank
            A copy whose ``embeddings`` and ``reference_embeddings`` are
            ``embed`` of its ``inputs`` and ``reference_inputs``.

        Examples
        --------
        >>> import numpy as np
        >>> bank = MemoryBank(np.ones((2, 1)), np.ones((2, 1)), np.ones((2, 1)),
        ...                   ("a",), None, None, np.arange(2), np.ones((1, 1)),
        ...                   np.ones((1, 1)))
        >>> bank.embedded_by(lambda x: 2 * x).embeddings.ravel().tolist()
        [2.0, 2.0]
        """
        embedded = replace(
            self,
            embeddings=embed(self.inputs),
            reference_embeddings=embed(self.reference_inputs),
        )
        if len(embedded.reference_embeddings) and len(embedded) >= GAP_NEIGHBORS:
            embedded.reference_distances(GAP_NEIGHBORS)
        return embedded

    def subset(self, size: int, random_state: int) -> MemoryBank:
        """A random subset of at most ``size`` kept and ``size`` held-out simulations.

        Parameters
        ----------
        size : int
            The most simulations kept, of the bank and of its held-out
            reference each.
        random_state : int
            Seeds the choice.

        Returns
        -------
        MemoryBank
            The subset, rows in their original order; ``self`` when it is no
            larger than ``size`` already.

        Examples
        --------
        >>> import numpy as np
        >>> bank = MemoryBank(np.arange(6.0)[:, None], np.zeros((6, 1)),
        ...                   np.zeros((6, 1)), ("a",), np.array(list("abcabc")),
        ...                   ("a", "b", "c"), np.arange(6), np.zeros((3, 1)),
        ...                   np.zeros((3, 1)))
        >>> small = bank.subset(2, random_state=0)
        >>> len(small), len(small.reference_inputs), small.mechanism.shape
        (2, 2, (2,))
        """
        if len(self) <= size and len(self.reference_inputs) <= size:
            return self
        rng = np.random.RandomState(random_state)
        kept = np.sort(rng.permutation(len(self))[:size])
        reference = np.sort(rng.permutation(len(self.reference_inputs))[:size])
        return replace(
            self,
            inputs=self.inputs[kept],
            embeddings=self.embeddings[kept],
            params=self.params[kept],
            mechanism=None if self.mechanism is None else self.mechanism[kept],
            simulation_index=self.simulation_index[kept],
            reference_inputs=self.reference_inputs[reference],
            reference_embeddings=self.reference_embeddings[reference],
        )

    def neighbors(
        self, embeddings: np.ndarray, n_neighbors: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances to, and positions of, the nearest kept simulations.

        Parameters
        ----------
        embeddings : ndarray of shape (n_samples, n_hidden)
            Embeddings of the queries.
        n_neighbors : int
            Number of neighbours, at most ``len(self)``.

        Returns
        -------
        distances, positions : ndarray of shape (n_samples, n_neighbors)
            Euclidean distances in embedding space, nearest first, and the
            neighbours' positions in the bank.

        Examples
        --------
        >>> import numpy as np
        >>> bank = MemoryBank(np.zeros((3, 1)), np.array([[0.], [1.], [5.]]),
        ...                   np.zeros((3, 1)), ("a",), None, None, np.arange(3),
        ...                   np.zeros((0, 1)), np.zeros((0, 1)))
        >>> d, i = bank.neighbors(np.array([[0.9]]), 2)
        >>> i.tolist(), np.round(d, 1).tolist()
        ([[1, 0]], [[0.1, 0.9]])
        """
        if n_neighbors > len(self):
            raise ValueError(
                f"n_neighbors={n_neighbors} is larger than the memory bank, which "
                f"holds {len(self)} training simulations; ask for at most "
                f"{len(self)} neighbours, or fit with a larger memory_bank_size (and "
                "n_simulations)."
            )
        search = NearestNeighbors(n_neighbors=n_neighbors, algorithm="brute")
        search.fit(self.embeddings)
        distances, positions = search.kneighbors(embeddings)
        return distances, positions

    def reference_distances(self, n_neighbors: int) -> np.ndarray:
        """The held-out simulations' mean distances to their nearest kept ones.

        Computed once per ``n_neighbors`` and kept with the bank (a copy made
        by :meth:`subset` or :meth:`embedded_by` computes its own).

        Parameters
        ----------
        n_neighbors : int
            How many nearest kept simulations each distance averages over.

        Returns
        -------
        ndarray of shape (n_reference,)
            The distances, sorted.

        Examples
        --------
        >>> import numpy as np
        >>> bank = MemoryBank(np.zeros((3, 1)), np.array([[0.], [1.], [2.]]),
        ...                   np.zeros((3, 1)), ("a",), None, None, np.arange(3),
        ...                   np.zeros((2, 1)), np.array([[1.25], [0.5]]))
        >>> bank.reference_distances(1).tolist()
        [0.25, 0.5]
        """
        # A bank pickled before this memo existed has no such attribute.
        memo = self.__dict__.setdefault("_reference_distances", {})
        if n_neighbors not in memo:
            distances = self.neighbors(self.reference_embeddings, n_neighbors)[0]
            memo[n_neighbors] = np.sort(distances.mean(axis=1))
        return memo[n_neighbors]

    def support_percentile(
        self, embeddings: np.ndarray, n_neighbors: int = GAP_NEIGHBORS
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How far inputs lie from the kept simulations, against held-out ones.

        Parameters
        ----------
        embeddings : ndarray of shape (n_samples, n_hidden)
            Embeddings of the inputs.
        n_neighbors : int, default=5
            The distance of a row is its mean distance to this many nearest
            kept simulations.

        Returns
        -------
        distance : ndarray of shape (n_samples,)
            Each row's mean distance to its nearest kept simulations.
        percentile : ndarray of shape (n_samples,)
            Share of held-out simulations at most as far: uniform on [0, 1]
            for data from the simulator itself.
        reference : ndarray of shape (n_reference,)
            The held-out simulations' distances, sorted.

        Examples
        --------
        >>> import numpy as np
        >>> bank = MemoryBank(np.zeros((3, 1)), np.array([[0.], [1.], [2.]]),
        ...                   np.zeros((3, 1)), ("a",), None, None, np.arange(3),
        ...                   np.zeros((2, 1)), np.array([[0.5], [1.25]]))
        >>> distance, percentile, _ = bank.support_percentile(
        ...     np.array([[0.25], [9.0]]), n_neighbors=1)
        >>> distance.tolist(), percentile.tolist()
        ([0.25, 7.0], [0.5, 1.0])
        """
        if len(self.reference_embeddings) == 0:
            raise ValueError(
                "The memory bank has no held-out simulations to compare with; fit "
                "with more simulations (at least 20 hold out a validation share)."
            )
        distance = self.neighbors(embeddings, n_neighbors)[0].mean(axis=1)
        reference = self.reference_distances(n_neighbors)
        percentile = np.searchsorted(reference, distance, side="right") / len(reference)
        return distance, percentile, reference


def keep_simulations(
    simulation: Simulation,
    inputs: np.ndarray,
    train: np.ndarray,
    valid: np.ndarray | None,
    size: int,
    random_state: int,
) -> MemoryBank | None:
    """Keep a random subset of at most ``size`` training simulations.

    The held-out reference is the validation share when there is one;
    otherwise a tenth of the training rows, kept out of the bank. The bank
    has no embeddings yet (zero columns): give it the trained network's with
    :meth:`MemoryBank.embedded_by`. None when ``size`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian().simulate(50, random_state=0)
    >>> bank = keep_simulations(sim, sim.X.astype(np.float32), np.arange(10, 50),
    ...                         np.arange(10), 25, 0).embedded_by(lambda x: x)
    >>> len(bank), len(bank.reference_inputs), bool(bank.simulation_index.min() >= 10)
    (25, 10, True)
    """
    if size == 0:
        return None
    rng = np.random.RandomState(random_state)
    if valid is None or len(valid) == 0:
        n_reference = min(MAX_REFERENCE, len(train) // 10)
        shuffled = rng.permutation(train)
        valid, train = shuffled[:n_reference], shuffled[n_reference:]
    kept = np.sort(rng.choice(train, size=min(size, len(train)), replace=False))
    reference = np.sort(
        rng.choice(valid, size=min(MAX_REFERENCE, len(valid)), replace=False)
    )
    mechanism_names = None
    if simulation.mechanism is not None:
        mechanism_names = tuple(
            sorted(set(simulation.mechanism_names or ()) | set(simulation.mechanism))
        )
    return MemoryBank(
        inputs=inputs[kept],
        embeddings=np.zeros((len(kept), 0), dtype=np.float32),
        params=np.asarray(simulation.params, dtype=float)[kept],
        param_names=tuple(simulation.param_names),
        mechanism=None if simulation.mechanism is None else simulation.mechanism[kept],
        mechanism_names=mechanism_names,
        simulation_index=kept,
        reference_inputs=inputs[reference],
        reference_embeddings=np.zeros((len(reference), 0), dtype=np.float32),
    )


def embed_or_drop(
    bank: MemoryBank | None,
    embed: Callable[[np.ndarray], np.ndarray],
    estimator_name: str,
) -> tuple[MemoryBank | None, bool]:
    """The bank embedded by ``embed``; dropped (None) if a Ctrl-C interrupts it.

    A bank is never left with embeddings by another network than the one
    that predicts. Returns the bank and whether the embedding was interrupted.

    Examples
    --------
    >>> import numpy as np
    >>> bank = MemoryBank(np.ones((2, 1)), np.ones((2, 0)), np.ones((2, 1)),
    ...                   ("a",), None, None, np.arange(2), np.ones((1, 1)),
    ...                   np.ones((1, 0)))
    >>> embedded, interrupted = embed_or_drop(bank, lambda x: 2 * x, "Est")
    >>> embedded.embeddings.ravel().tolist(), interrupted
    ([2.0, 2.0], False)
    """
    if bank is None:
        return None, False
    try:
        return bank.embedded_by(embed), False
    except KeyboardInterrupt:
        warn_interrupted_step(
            estimator_name,
            "embedding the memory bank",
            "the bank is dropped (memory_bank_ is None), so explain_mechanism and "
            "simulation_gap need a refit",
        )
        return None, True


def warn_if_outside_support(bank: MemoryBank | None, embeddings: np.ndarray) -> None:
    """Warn when most real rows lie outside the simulated support.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> bank = MemoryBank(np.zeros((6, 1)), np.arange(6.0)[:, None],
    ...                   np.zeros((6, 1)), ("a",), None, None, np.arange(6),
    ...                   np.zeros((2, 1)), np.array([[0.5], [2.5]]))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_outside_support(bank, np.array([[40.0], [50.0], [1.5]]))
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    2 of 3 real rows (67%) lie outside the simulated support: ...
    """
    if bank is None or len(bank.reference_embeddings) == 0 or len(embeddings) == 0:
        return
    n_neighbors = min(GAP_NEIGHBORS, len(bank))
    distance, percentile, reference = bank.support_percentile(embeddings, n_neighbors)
    outside = percentile >= SUPPORT_LEVEL
    if outside.mean() <= 0.5:
        return
    ratio = np.median(distance) / max(float(np.median(reference)), 1e-12)
    warnings.warn(
        f"{int(outside.sum())} of {len(outside)} real rows ({outside.mean():.0%}) "
        "lie outside the simulated support: in the network's representation they "
        f"are farther from the training simulations than {SUPPORT_LEVEL:.0%} of "
        "held-out simulations are, and their median distance is "
        f"{ratio:.1f} times that of held-out simulations. Predictions on them "
        "extrapolate; check the simulator and its prior against the data, e.g. "
        "with est.simulation_gap(X).",
        SimulationGapWarning,
        stacklevel=5,
    )


def fitted_memory_bank(estimator: Any, purpose: str) -> MemoryBank:
    """The estimator's memory bank, or a clear error saying why there is none.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> est = SimulationGroundedRegressor(max_epochs=2).fit(np.ones((5, 2)), np.ones(5))
    >>> fitted_memory_bank(est, "simulation_gap")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: SimulationGroundedRegressor kept no training simulations, so \
    simulation_gap has nothing to compare with: it was fitted with fit(X, y) ...
    """
    check_is_fitted(estimator)
    bank = getattr(estimator, "memory_bank_", None)
    if bank is not None:
        return bank
    if getattr(estimator, "simulator_", None) is None:
        reason = (
            "it was fitted with fit(X, y) and no simulator, so there are no "
            "simulated mechanisms or latent parameters. Fit it on a simulator"
        )
    elif (
        getattr(estimator, "_memory_bank_removed", False) and estimator.memory_bank_size
    ):
        reason = (
            "its memory bank was removed with shrink_memory_bank(0), e.g. to make "
            "a saved model smaller. Keep some (shrink_memory_bank(1000) keeps "
            "1000) or refit"
        )
    else:
        reason = (
            "it was fitted with memory_bank_size=0. Refit with memory_bank_size > 0"
        )
    raise ValueError(
        f"{type(estimator).__name__} kept no training simulations, so {purpose} "
        f"has nothing to compare with: {reason} to use {purpose}."
    )
