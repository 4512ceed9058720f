"""Cache simulated training sets on disk, so that refits do not simulate again."""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Callable
from typing import Any

from sklearn.utils.validation import check_memory

from .simulators import Simulation, simulate_chunked


def simulate_cached(
    simulator: Any,
    n_samples: int,
    seed: int,
    *,
    memory: Any = None,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Simulation:
    """Simulate ``n_samples`` with ``seed``, through ``memory``'s cache.

    The cache key is the simulator (its class and every parameter), the
    budget and the seed; ``n_jobs`` and ``progress`` are left out, since the
    chunks' seeds make the result the same whatever runs them.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``
        The simulator.
    n_samples : int
        Number of samples.
    seed : int
        Seeds the chunks (see :func:`~sgnn_sklearn.simulators.simulate_chunked`).
    memory : str, path-like, joblib.Memory or None, default=None
        Where to cache, as ``Pipeline``'s ``memory``: a directory, a
        ``joblib.Memory``, or None for no caching.
    n_jobs : int, default=None
        Number of joblib workers that simulate.
    progress : callable, default=None
        Called with the size of each chunk as it is simulated (not called when
        the whole set comes from the cache).

    Returns
    -------
    Simulation

    Examples
    --------
    >>> import tempfile
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     a = simulate_cached(LinearGaussian(), 50, seed=0, memory=cache)
    ...     b = simulate_cached(LinearGaussian(), 50, seed=0, memory=cache)
    >>> bool((a.X == b.X).all())
    True
    """
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    memory = check_memory(memory)
    cached = memory.cache(simulate_chunked, ignore=["n_jobs", "progress"])
    return cached(
        simulator, n_samples, random_state=seed, n_jobs=n_jobs, progress=progress
    )


def warn_if_uncacheable(memory: Any, random_state: Any) -> None:
    """Warn when ``memory`` is set but ``random_state`` gives new seeds each fit.

    Examples
    --------
    >>> warn_if_uncacheable(None, None)
    """
    if memory is None or isinstance(random_state, numbers.Integral):
        return
    warnings.warn(
        f"memory={memory!r} caches simulations by their seed, but "
        f"random_state={random_state!r} draws new seeds at every fit, so no fit "
        "will find its simulations in the cache. Set random_state to an int.",
        UserWarning,
        stacklevel=3,
    )
