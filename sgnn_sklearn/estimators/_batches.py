"""Mini-batches for skorch, fetched whole rather than row by row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from skorch.dataset import Dataset
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler
from torch.utils.data import Dataset as TorchDataset

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
    per batch instead, so a skorch ``Dataset`` slices its arrays once, and
    that by numpy's own indexing (see :class:`ArrayRows`). A
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
        ArrayRows(dataset),
        batch_size=None,
        sampler=BatchSampler(sampler, batch_size, drop_last=False),
        **kwargs,
    )


class ArrayRows(TorchDataset[Any]):
    """A skorch ``Dataset`` whose batches of rows numpy takes from its arrays.

    skorch indexes a ``Dataset`` through scikit-learn's ``_safe_indexing``,
    which inspects every index of a list one by one in Python: a sixth of
    the time of an epoch of the default network on 10^5 series. When the
    dataset holds plain arrays, ``X[rows]`` and ``y[rows]`` give the same
    rows (numpy's fancy indexing is what ``_safe_indexing`` ends in); any
    other dataset is indexed as skorch indexes it. The arrays are read at
    each batch, so an ``X`` replaced between epochs (fresh observation
    noise) is seen.

    Parameters
    ----------
    dataset : torch Dataset
        The dataset to index, typically a skorch ``Dataset``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> rows = ArrayRows(Dataset(np.arange(10.0).reshape(5, 2), np.arange(5)))
    >>> X, y = rows[[4, 0]]
    >>> X.tolist(), y.tolist()
    ([[8.0, 9.0], [0.0, 1.0]], [4, 0])
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, rows: Any) -> Any:
        data = self.dataset
        if (
            type(data).__getitem__ is Dataset.__getitem__
            and type(data.X) is np.ndarray
            and type(data.y) is np.ndarray
        ):
            return data.transform(data.X[rows], data.y[rows])
        return data[rows]


class _Epochs:
    """Re-iterable view of a stream: skorch iterates it once per epoch."""

    def __init__(self, stream: Any, batch_size: int) -> None:
        self.stream = stream
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[Any]:
        return iter(self.stream.epoch(self.batch_size))
