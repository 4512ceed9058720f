"""Simulate a large budget in fixed-size chunks, in parallel through joblib."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from ._prior import as_generator
from ._simulation import Simulation
from ._validation import check_n_samples, check_simulation, describe_simulator

DEFAULT_CHUNK_SIZE = 8192

# Set on an exception raised inside a chunk, so that backend failures (which
# lack it) can be told apart from the simulator's own errors.
_CHUNK_MARK = "_sgnn_failed_chunk"


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


def _simulate_chunk(
    simulator: Any, size: int, seed: int, index: int = 0, n_chunks: int = 1
) -> Simulation:
    try:
        return check_simulation(
            simulator.simulate(size, random_state=seed),
            simulator,
            size,
            allow_nonfinite=True,
        )
    except Exception as exc:
        # A note keeps the exception's type and message, survives pickling by
        # process-based and distributed backends, and tells how to reproduce.
        setattr(exc, _CHUNK_MARK, index)
        add_note = getattr(exc, "add_note", None)
        if add_note is not None:
            add_note(
                f"Raised while simulating chunk {index + 1} of {n_chunks} "
                f"({size} samples) with {describe_simulator(simulator)}; "
                f"reproduce with simulator.simulate({size}, random_state={seed})."
            )
        raise


def iter_simulated_chunks(
    simulator: Any,
    chunks: list[tuple[int, int]],
    *,
    n_jobs: int | None = None,
    group_size: int | None = None,
) -> Iterator[Simulation]:
    """Simulate each ``(size, seed)`` chunk through joblib; yield them in order.

    At most ``group_size`` chunks are simulated ahead of the one being
    consumed, so memory holds at most that many chunks (all of them when
    ``group_size`` is None).

    An exception raised by the simulator keeps its type and gets a note that
    names the chunk and its seed. Any other failure of the joblib backend
    (a lost Dask worker, say) is raised as a RuntimeError that names the
    first chunk that did not come back; no chunk is ever skipped.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``
        The simulator.
    chunks : list of (size, seed)
        As returned by :func:`chunk_seeds`.
    n_jobs : int, default=None
        Number of joblib workers.
    group_size : int, default=None
        Number of chunks submitted to joblib at a time.

    Yields
    ------
    Simulation
        One per chunk, in the order of ``chunks``.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> chunks = chunk_seeds(10, 0, 4)
    >>> [len(s) for s in iter_simulated_chunks(LinearGaussian(), chunks)]
    [4, 4, 2]
    """
    n_chunks = len(chunks)
    group_size = n_chunks if group_size is None else max(1, int(group_size))
    for start in range(0, n_chunks, group_size):
        group = range(start, min(start + group_size, n_chunks))
        if n_chunks == 1:
            yield _simulate_chunk(simulator, *chunks[0])
            continue
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_simulate_chunk)(simulator, *chunks[index], index, n_chunks)
            for index in group
        )
        index = start
        try:
            for part in results:
                yield part
                index += 1
        except Exception as exc:
            if hasattr(exc, _CHUNK_MARK):
                raise
            raise RuntimeError(
                f"The joblib backend failed while simulating chunk {index + 1} of "
                f"{n_chunks} ({chunks[index][0]} samples, random_state="
                f"{chunks[index][1]}) with {describe_simulator(simulator)}: "
                f"{exc!r}. Chunks 1 to {index} had come back; the simulation "
                "is incomplete and was not used."
            ) from exc


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
    parts = []
    for part in iter_simulated_chunks(simulator, chunks, n_jobs=n_jobs):
        parts.append(part)
        if progress is not None:
            progress(len(part))
    return parts[0] if len(parts) == 1 else Simulation.concatenate(parts)
