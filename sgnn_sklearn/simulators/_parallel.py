"""Simulate a large budget in fixed-size chunks, in parallel through joblib."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from ._prior import as_generator
from ._simulation import Simulation
from ._validation import check_n_samples, check_simulation

DEFAULT_CHUNK_SIZE = 8192


def chunk_seeds(
    n_samples: int, random_state: Any, chunk_size: int
) -> list[tuple[int, int]]:
    """Split ``n_samples`` into chunks and give each its own integer seed.

    The split and the seeds depend only on ``n_samples``, ``chunk_size`` and
    ``random_state``, never on how many workers run the chunks.

    Returns
    -------
    list of (size, seed) tuples

    Examples
    --------
    >>> chunk_seeds(10, 0, 4) == chunk_seeds(10, 0, 4)
    True
    >>> [size for size, _ in chunk_seeds(10, 0, 4)]
    [4, 4, 2]
    """
    n_samples = check_n_samples(n_samples)
    chunk_size = check_n_samples(chunk_size, "chunk_size")
    sizes = [chunk_size] * (n_samples // chunk_size)
    if n_samples % chunk_size:
        sizes.append(n_samples % chunk_size)
    seeds = as_generator(random_state).integers(np.iinfo(np.int32).max, size=len(sizes))
    return [(size, int(seed)) for size, seed in zip(sizes, seeds, strict=True)]


def _simulate_chunk(simulator: Any, size: int, seed: int) -> Simulation:
    return check_simulation(
        simulator.simulate(size, random_state=seed),
        simulator,
        size,
        allow_nonfinite=True,
    )


def simulate_chunked(
    simulator: Any,
    n_samples: int,
    random_state: Any = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Simulation:
    """Simulate ``n_samples`` in chunks, in parallel through joblib.

    Each chunk has its own seed (see :func:`chunk_seeds`), so the result is the
    same whatever ``n_jobs`` or joblib backend runs it; a
    ``joblib.parallel_config(backend="dask")`` context sends the chunks to a
    Dask cluster.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``
        The simulator.
    n_samples : int
        Total number of samples.
    random_state : int, Generator, RandomState or None, default=None
        Seeds the chunks.
    chunk_size : int, default=8192
        Samples per chunk.
    n_jobs : int, default=None
        Number of joblib workers.
    progress : callable, default=None
        Called with the number of samples of each chunk as it arrives, e.g. a
        progress bar's ``update``.

    Returns
    -------
    Simulation
        All ``n_samples`` samples, the chunks in order.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> a = simulate_chunked(sim, 100, random_state=0, chunk_size=30)
    >>> b = simulate_chunked(sim, 100, random_state=0, chunk_size=30, n_jobs=2)
    >>> len(a), bool((a.X == b.X).all())
    (100, True)
    """
    chunks = chunk_seeds(n_samples, random_state, chunk_size)
    if len(chunks) == 1:
        parts = iter([_simulate_chunk(simulator, *chunks[0])])
    else:
        parts = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_simulate_chunk)(simulator, size, seed) for size, seed in chunks
        )
    collected = []
    for part in parts:
        collected.append(part)
        if progress is not None:
            progress(len(part))
    return collected[0] if len(collected) == 1 else Simulation.concatenate(collected)
