"""Mini-batches for skorch, fetched whole rather than row by row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

from ._seeding import GeneratorRandomSampler, active_generator

# Prediction and validation batches hold at least this many rows: large
# enough that per-batch overhead vanishes, small enough that the activations
# of one batch stay a few megabytes whatever the number of rows predicted.
PREDICT_BATCH_SIZE = 4096


def iterate_batches(
    dataset: Any, batch_size: int = 128, shuffle: bool = False, **kwargs: Any
) -> Iterable[Any]:
    """skorch's ``iterator_train`` and ``iterator_valid``: one index per batch.

    torch's default ``DataLoader`` fetches a batch row by row and collates the
    rows; for the small networks trained here that costs as much as the
    training step. A ``BatchSampler`` hands the dataset one list of indices
    per batch instead, so a skorch ``Dataset`` slices its arrays once. A
    dataset that makes its own batches (an online
    :class:`~sgnn_sklearn.estimators._online.SimulationStream`) is iterated
    as it is.

    Parameters
    ----------
    dataset : torch Dataset
        A skorch ``Dataset`` over arrays, or a stream with an
        ``epoch(batch_size)`` method.
    batch_size : int, default=128
        Rows per batch.
    shuffle : bool, default=False
        Draw the rows in a random order: from the training's own generator
        within :func:`~sgnn_sklearn.estimators._seeding.fit_generator`, else
        from torch's global one.
    **kwargs
        Passed to ``torch.utils.data.DataLoader``.

    Returns
    -------
    iterable of (X, y) batches

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> data = Dataset(np.zeros((10, 2), dtype=np.float32), np.arange(10))
    >>> [len(X) for X, y in iterate_batches(data, batch_size=4)]
    [4, 4, 2]
    """
    if hasattr(dataset, "epoch"):
        return _Epochs(dataset, batch_size)
    generator = active_generator() if shuffle else None
    if generator is not None:
        kwargs.setdefault("generator", generator)  # the loader's base seed
        sampler: Any = GeneratorRandomSampler(dataset, generator)
    elif shuffle:
        sampler = RandomSampler(dataset)
    else:
        sampler = SequentialSampler(dataset)
    return DataLoader(
        dataset,
        batch_size=None,
        sampler=BatchSampler(sampler, batch_size, drop_last=False),
        **kwargs,
    )


class _Epochs:
    """Re-iterable view of a stream: skorch iterates it once per epoch."""

    def __init__(self, stream: Any, batch_size: int) -> None:
        self.stream = stream
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[Any]:
        return iter(self.stream.epoch(self.batch_size))
