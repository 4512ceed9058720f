"""Simulate a large budget in fixed-size chunks, in parallel through joblib."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from .._pages import releasable_empty
from .._progress import reporting_draws
from ._prior import as_generator
from ._simulation import Simulation
from ._validation import (
    check_n_samples,
    check_simulation,
    describe_simulator,
    refuse_simulator_class,
)

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
    check_n_jobs(n_jobs)
    n_chunks = len(chunks)
    group_size = n_chunks if group_size is None else max(1, int(group_size))
    for start in range(0, n_chunks, group_size):
        group = range(start, min(start + group_size, n_chunks))
        if n_chunks == 1:
            yield _simulate_chunk(simulator, *chunks[0])
            continue
        # Unordered, so that a backend failure leaves the chunks that did come
        # back known: the one lost is among the others, not the first pending.
        results = _streaming_parallel(n_jobs)(
            delayed(_indexed_chunk)(simulator, *chunks[index], index, n_chunks)
            for index in group
        )
        arrived: dict[int, Simulation] = {}
        next_index = start
        try:
            for index, part in results:
                arrived[index] = part
                while next_index in arrived:
                    yield arrived.pop(next_index)
                    next_index += 1
        except Exception as exc:
            if hasattr(exc, _CHUNK_MARK):
                raise
            missing = [i for i in group if i >= next_index and i not in arrived]
            raise RuntimeError(
                _lost_chunks_message(missing, n_chunks, chunks, simulator, exc)
            ) from exc


def _indexed_chunk(
    simulator: Any, size: int, seed: int, index: int, n_chunks: int
) -> tuple[int, Simulation]:
    return index, _simulate_chunk(simulator, size, seed, index, n_chunks)


def _lost_chunks_message(
    missing: list[int],
    n_chunks: int,
    chunks: list[tuple[int, int]],
    simulator: Any,
    exc: Exception,
) -> str:
    """Name the chunks that did not come back when the joblib backend failed."""
    first = missing[0]
    which = (
        f"chunk {first + 1} of {n_chunks} ({chunks[first][0]} samples, "
        f"random_state={chunks[first][1]})"
        if len(missing) == 1
        else f"one of chunks {', '.join(str(i + 1) for i in missing)} of "
        f"{n_chunks} (the ones that had not come back)"
    )
    return (
        f"The joblib backend failed while simulating {which} with "
        f"{describe_simulator(simulator)}: {exc!r}. The other chunks had come "
        "back; the simulation is incomplete and was not used."
    )


def check_n_jobs(n_jobs: Any) -> None:
    """Raise unless ``n_jobs`` is None or a non-zero integer, as joblib takes it.

    Examples
    --------
    >>> check_n_jobs(-1)
    >>> check_n_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: n_jobs must be None or a non-zero integer (-1 for all cores); got 0.
    """
    if n_jobs is None:
        return
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, numbers.Integral)
        or n_jobs == 0
    ):
        raise ValueError(
            "n_jobs must be None or a non-zero integer (-1 for all cores); got "
            f"{n_jobs!r}."
        )


def _streaming_parallel(n_jobs: int | None) -> Parallel:
    """A ``Parallel`` that yields results as they come, where the backend can.

    Ray's joblib backend, for one, cannot stream results back (joblib raises
    for ``return_as="generator_unordered"``); there each group of chunks comes back
    as a list, so its peak memory holds the whole group.

    Examples
    --------
    >>> from sklearn.utils.parallel import delayed
    >>> sorted(_streaming_parallel(1)(delayed(abs)(v) for v in (-1, 2)))
    [1, 2]
    """
    try:
        return Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError as exc:
        if "return_as" not in str(exc):
            raise
        return Parallel(n_jobs=n_jobs)


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
    refuse_simulator_class(simulator)
    chunks = chunk_seeds(n_samples, random_state, chunk_size)
    parts = []
    drawn = 0  # of the chunk running in this thread, reported draw by draw
    joined = _RowsInPlace(n_samples) if len(chunks) > 1 else None

    def count_draws(n_draws: int) -> None:
        nonlocal drawn
        drawn += n_draws
        progress(n_draws)  # type: ignore[misc]

    with reporting_draws(None if progress is None else count_draws):
        for part in iter_simulated_chunks(simulator, chunks, n_jobs=n_jobs):
            if progress is not None and len(part) > drawn:
                progress(len(part) - drawn)
            drawn = 0
            parts.append(part if joined is None else joined.add(part))
    if joined is None:
        return parts[0]
    return joined.result(parts)


class _RowsInPlace:
    """Joins the chunks' ``X`` into one array as they arrive.

    ``Simulation.concatenate`` would hold every chunk and their join at once,
    twice the data; here each chunk's ``X`` is copied into its rows of one
    array allocated for all, and freed. Chunks that do not fit (another
    width, dtype or number of rows than the first announced) are joined by
    ``Simulation.concatenate`` as before, so that the checks downstream see
    what the simulator returned.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> a, b = sim.simulate(3, random_state=0), sim.simulate(2, random_state=1)
    >>> rows = _RowsInPlace(5)
    >>> joined = rows.result([rows.add(a), rows.add(b)])
    >>> bool((joined.X == Simulation.concatenate([a, b]).X).all())
    True
    """

    def __init__(self, n_samples: int) -> None:
        self.n_samples = n_samples
        self.X: np.ndarray | None = None
        self.filled = 0
        self.fits = True

    def add(self, part: Simulation) -> Simulation:
        X = part.X
        if self.X is None and isinstance(X, np.ndarray) and X.ndim == 2:
            # Releasable: an offline fit returns each block of rows to the
            # system as it standardises it (see sgnn_sklearn._pages).
            self.X = releasable_empty((self.n_samples, X.shape[1]), X.dtype)
        fits = (
            self.fits
            and self.X is not None
            and isinstance(X, np.ndarray)
            and X.ndim == 2
            and X.shape[1] == self.X.shape[1]
            and X.dtype == self.X.dtype
            and self.filled + len(X) <= self.n_samples
        )
        if not fits:
            self.fits = False
            return part
        assert self.X is not None
        rows = self.X[self.filled : self.filled + len(X)]
        rows[...] = X
        self.filled += len(X)
        return replace(part, X=rows)

    def result(self, parts: list[Simulation]) -> Simulation:
        if not self.fits or self.filled != self.n_samples:
            return Simulation.concatenate(parts)
        assert self.X is not None
        rest = Simulation.concatenate([replace(p, X=p.X[:, :0]) for p in parts])
        return replace(rest, X=self.X)
