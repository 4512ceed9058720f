"""Online simulation: fresh simulations every epoch, never the whole budget at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from skorch.callbacks import Callback
from torch.utils.data import IterableDataset

from ..simulators import Simulation, check_simulation
from ..simulators._parallel import (
    DEFAULT_CHUNK_SIZE,
    chunk_seeds,
    iter_simulated_chunks,
)
from ..simulators._validation import describe_simulator
from ._faults import drop_invalid, warn_dropped_online
from ._memory import keep_simulations


class SimulationStream(IterableDataset):
    """Training batches simulated afresh for every epoch, one chunk at a time.

    Each epoch draws ``n_samples`` new simulations in chunks of
    ``chunk_size``; each chunk has its own seed, derived from
    ``random_state`` and the epoch number, so a stream is reproducible and
    does not depend on ``n_jobs``. Memory holds at most one chunk per joblib
    worker, whatever ``n_samples`` is.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``
        The simulator.
    n_samples : int
        Simulations drawn per epoch.
    random_state : int
        Seeds every epoch's chunks.
    encode : callable
        ``encode(simulation) -> (inputs, targets)``, the arrays the network
        trains on.
    n_jobs : int, default=None
        Number of joblib workers that simulate.
    chunk_size : int, default=8192
        Simulations per chunk.
    n_features : int, default=None
        Width of the encoded inputs, for building the network.
    validation : tuple of (inputs, targets), default=None
        The fixed validation set for early stopping, already encoded.
    on_chunk : callable, default=None
        ``on_chunk(simulation) -> simulation``, applied to every chunk before
        ``encode``: the estimator's fault policy, which drops invalid rows or
        raises. With it, chunks may hold NaN, inf and draws that raised;
        without it they raise at once.
    feature_names : tuple of str, default=None
        The features of the fixed first chunk that the scalers were fitted
        on; a chunk with other features is refused, naming both.

    Attributes
    ----------
    n_drawn : int
        Number of simulations drawn so far, over all epochs (a chunk counts
        from when it is drawn, before its batches are yielded).

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> stream = SimulationStream(LinearGaussian(), 10, random_state=0,
    ...                           encode=lambda s: (s.X, s.y), chunk_size=4)
    >>> [len(X) for X, y in stream.epoch(batch_size=3)]
    [3, 1, 3, 1, 2]
    >>> stream.n_drawn
    10
    """

    def __init__(
        self,
        simulator: Any,
        n_samples: int,
        random_state: int,
        encode: Callable[[Simulation], tuple[np.ndarray, np.ndarray]],
        *,
        n_jobs: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        n_features: int | None = None,
        validation: tuple[np.ndarray, np.ndarray] | None = None,
        on_chunk: Callable[[Simulation], Simulation] | None = None,
        feature_names: tuple[str, ...] | None = None,
    ) -> None:
        self.simulator = simulator
        self.n_samples = n_samples
        self.random_state = random_state
        self.encode = encode
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.n_features = n_features
        self.validation = validation
        self.on_chunk = on_chunk
        self.feature_names = feature_names
        self.n_drawn = 0
        self._epochs = 0

    def epoch(self, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Simulate one epoch and yield it as shuffled ``(inputs, targets)`` batches.

        Parameters
        ----------
        batch_size : int
            Rows per batch; a chunk's last batch may be smaller.

        Yields
        ------
        tuple of ndarray
        """
        # A spawn key per epoch: streams independent of each other and of
        # the fixed first chunk, which is drawn from the root seed.
        rng = np.random.default_rng(
            np.random.SeedSequence(self.random_state, spawn_key=(self._epochs,))
        )
        self._epochs += 1
        chunks = chunk_seeds(self.n_samples, rng, self.chunk_size)
        parts = iter_simulated_chunks(
            self.simulator,
            chunks,
            n_jobs=self.n_jobs,
            group_size=effective_n_jobs(self.n_jobs),
        )
        for index, ((size, seed), part) in enumerate(zip(chunks, parts, strict=True)):
            where = f"chunk {index + 1} of {len(chunks)} of epoch {self._epochs}"
            part = check_simulation(
                part, self.simulator, size, allow_nonfinite=self.on_chunk is not None
            )
            self._check_features(part, where)
            if self.on_chunk is not None:
                part = self.on_chunk(part)
            # Counted when drawn, as its invalid rows are: an interrupt within
            # the chunk leaves the counts adding up to what was drawn.
            self.n_drawn += size
            try:
                inputs, targets = self.encode(part)
            except ValueError as error:
                raise ValueError(
                    f"The online stream's {where} could not be encoded as the "
                    f"fixed first chunk was: {error} In online mode the scalers "
                    "and the classes are fixed on that first chunk (at most "
                    f"{DEFAULT_CHUNK_SIZE} simulations): a class, or values, too "
                    "rare to occur there cannot be learnt. Raise the class's "
                    "share in the simulator, or fit with simulation='offline'."
                ) from error
            # Draws are i.i.d., but a simulator may return them grouped (by
            # mechanism, say); a shuffle within the chunk costs nothing.
            order = np.random.default_rng(seed).permutation(len(inputs))
            for start in range(0, len(inputs), batch_size):
                rows = order[start : start + batch_size]
                yield inputs[rows], targets[rows]

    def _check_features(self, part: Simulation, where: str) -> None:
        expected = self.feature_names
        if expected is None or tuple(part.feature_names) == tuple(expected):
            return
        raise ValueError(
            f"Simulator {describe_simulator(self.simulator)} returned "
            f"{part.n_features} features {_abbreviate(part.feature_names)} in the "
            f"online stream's {where}, but {len(expected)} features "
            f"{_abbreviate(expected)} in the fixed first chunk the scalers were "
            "fitted on: a simulator must return the same features on every call."
        )

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self.epoch(batch_size=self.chunk_size)


def _abbreviate(names: tuple[str, ...] | list[str], most: int = 6) -> str:
    """Names for a message, the middle left out of a long list.

    Examples
    --------
    >>> _abbreviate(("a", "b"))
    "('a', 'b')"
    >>> _abbreviate(tuple("abcdefgh"), most=4)
    "('a', 'b', ..., 'g', 'h')"
    """
    names = tuple(names)
    if len(names) <= most:
        return repr(names)
    head = ", ".join(repr(n) for n in names[: most // 2])
    tail = ", ".join(repr(n) for n in names[-(most // 2) :])
    return f"({head}, ..., {tail})"


class ForgetBatches(Callback):
    """Drop each epoch's per-batch records once the epoch's losses are scored.

    skorch's history keeps two numbers per batch; online training on a large
    budget would make the history, and the pickled model, grow with the
    number of simulations. The epoch-level losses are kept.
    """

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        net.history[-1]["batches"] = []


def online_sizes(
    n_simulations: int, n_valid: int, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> tuple[int, int]:
    """Sizes of the fixed first chunk and of each epoch's fresh simulations.

    The fixed chunk, drawn once, standardises inputs and targets and holds
    the validation share, capped at one chunk so memory stays flat.

    Examples
    --------
    >>> online_sizes(100_000, 10_000, chunk_size=8192)
    (8192, 91808)
    >>> online_sizes(100, 10)
    (100, 90)
    """
    n_valid = min(n_valid, chunk_size)
    return min(n_simulations, chunk_size), n_simulations - n_valid


class OnlineFitMixin:
    """The zero-shot fit of ``simulation="online"``: a fresh stream every epoch."""

    # Set by the estimator (its parameters and fit) that inherits this mixin.
    n_simulations: int
    on_invalid: str
    min_valid_fraction: float
    memory_bank_size: int
    n_jobs: int | None
    simulator_: Any
    preprocessor_: Any
    memory_bank_: Any
    n_features_in_: int
    n_invalid_simulations_: int
    n_simulations_: int
    _seeds: dict[str, int]
    _n_invalid_online: int

    # Methods of the estimator and of its other mixins.
    _n_validation: Callable[[int], int]
    _simulate: Callable[..., Simulation]
    _fit_inputs: Callable[[np.ndarray], None]
    _fit_targets: Callable[..., tuple[np.ndarray, int]]
    _simulated_targets: Callable[[Simulation], tuple[np.ndarray, tuple[str, ...]]]
    _transform_inputs: Callable[[np.ndarray], np.ndarray]
    _encode_simulation: Callable[[Simulation], tuple[np.ndarray, np.ndarray]]
    _train: Callable[..., None]
    _fit_uncertainty: Callable[..., None]

    def _fit_online(
        self, simulator: Any, interrupt_note: str | None = None
    ) -> np.ndarray:
        """Fit scalers on a fixed first chunk, then train on a fresh stream.

        Returns the fixed chunk's inputs (for the feature checks of real data).
        """
        n_fixed, n_train = online_sizes(
            self.n_simulations, self._n_validation(self.n_simulations)
        )
        fixed = self._simulate(simulator, n_fixed)
        self.simulator_ = simulator
        self._fit_inputs(fixed.X)
        self.n_features_in_ = fixed.X.shape[1]
        targets, n_outputs = self._fit_targets(*self._simulated_targets(fixed))
        inputs = self._transform_inputs(fixed.X)
        n_valid = self.n_simulations - n_train
        stream = SimulationStream(
            simulator,
            n_train,
            random_state=self._seeds["simulate"],
            encode=self._encode_simulation,
            n_jobs=self.n_jobs,
            n_features=inputs.shape[1],
            validation=(inputs[:n_valid], targets[:n_valid]) if n_valid else None,
            on_chunk=self._drop_invalid_online,
            feature_names=fixed.feature_names,
        )
        n_invalid_fixed, self._n_invalid_online = self.n_invalid_simulations_, 0
        self._train(stream, None, n_outputs, on_interrupt_note=interrupt_note)
        warn_dropped_online(
            self._n_invalid_online, stream.n_drawn, simulator, n_invalid_fixed
        )
        self.n_invalid_simulations_ = n_invalid_fixed + self._n_invalid_online
        self.n_simulations_ = len(fixed) + stream.n_drawn - self._n_invalid_online
        # The stream never trains on the fixed chunk, so its rows serve the
        # posterior's spread and the memory bank as fresh simulations.
        train, valid = _fixed_chunk_split(len(fixed), n_valid)
        self._fit_uncertainty(inputs, targets, train, valid)
        self.memory_bank_ = keep_simulations(
            fixed,
            inputs,
            train,
            valid,
            size=self.memory_bank_size,
            random_state=self._seeds["memory"],
        )
        return fixed.X

    def _drop_invalid_online(self, simulation: Simulation) -> Simulation:
        """The fault policy on one chunk of the online stream, counted, unwarned."""
        simulation, n_invalid = drop_invalid(
            simulation,
            self.simulator_,
            on_invalid=self.on_invalid,
            min_valid_fraction=self.min_valid_fraction,
            warn=False,
            preprocessor=self.preprocessor_,
            preprocessor_is_fitted=True,
        )
        self._n_invalid_online += n_invalid
        return simulation


def _fixed_chunk_split(
    n_fixed: int, n_valid: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows of online training's fixed chunk to fit on and to validate on.

    The validation share is the chunk's head; when it fills the whole chunk,
    half of it is fitted on.

    Examples
    --------
    >>> [r.tolist() for r in _fixed_chunk_split(5, 2)]
    [[2, 3, 4], [0, 1]]
    >>> [r.tolist() for r in _fixed_chunk_split(4, 4)]
    [[2, 3], [0, 1]]
    >>> _fixed_chunk_split(3, 0)[1] is None
    True
    """
    if n_valid == 0:
        return np.arange(n_fixed), None
    if n_valid >= n_fixed:
        n_valid = n_fixed // 2
    return np.arange(n_valid, n_fixed), np.arange(n_valid)
