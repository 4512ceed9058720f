"""The ``memory`` caches: simulated training sets, and fitted zero-shot networks.

Both are keyed by what determines their content, the code included (see
:mod:`sgnn_sklearn._fingerprint`): a cache never answers for a simulator, a
function or an estimator whose code has changed since the entry was written.
What cannot be keyed is not cached: the fit runs as without ``memory`` and a
:class:`CacheWarning` says why.
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Callable
from typing import Any

from sklearn.utils.validation import check_memory

from ._fingerprint import UncacheableError, fingerprint, package_fingerprint
from .simulators import Simulation, simulate_chunked

# Estimator parameters that do not change the fitted zero-shot network: where
# the cache is, what is printed, how many workers simulate (the chunks' seeds
# make the result the same), and what is done with real data afterwards.
_NOT_IN_ZERO_SHOT_KEY = frozenset(
    {"memory", "verbose", "n_jobs", "real_data", "finetune_lr", "simulator"}
)


class CacheWarning(UserWarning):
    """``memory`` was set, but a fit could not use the cache.

    Raised as a warning when the simulator or the estimator holds something
    a cache key cannot describe (a lock, an open file...), so that a cached
    answer could not be told apart from a stale one; the fit then simulates
    and trains as without ``memory``.

    Examples
    --------
    >>> import tempfile
    >>> import threading
    >>> import warnings
    >>> from sgnn_sklearn import CacheWarning, SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import FunctionSimulator
    >>> lock = threading.Lock()
    >>> def observe(params, rng):
    ...     with lock:
    ...         return [params["a"]]
    >>> sim = FunctionSimulator(observe, {"a": (0, 1)})
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     est = SimulationGroundedRegressor(sim, 50, max_epochs=1, memory=cache,
    ...                                       random_state=0)
    ...     with warnings.catch_warnings(record=True) as caught:
    ...         warnings.simplefilter("always")
    ...         _ = est.fit()
    >>> [w.category.__name__ for w in caught]
    ['CacheWarning', 'CacheWarning']
    >>> print(caught[1].message)  # doctest: +ELLIPSIS
    memory is set, but the simulations of this fit are not cached: cannot key
    simulator...__globals__['lock'] (a lock)...
    """


def simulator_key(simulator: Any) -> str:
    """The cache key of a simulator: its class, parameters and code.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)``
        The simulator.

    Returns
    -------
    str
        Equal in every process for equal parameters and code; different as
        soon as a parameter, a method, the wrapped function, or a global that
        code reads changes.

    Raises
    ------
    UncacheableError
        When the simulator holds something that can be neither described
        nor pickled.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> simulator_key(LinearGaussian()) == simulator_key(LinearGaussian())
    True
    >>> simulator_key(LinearGaussian()) == simulator_key(LinearGaussian(noise_std=2))
    False
    """
    return fingerprint((package_fingerprint(), simulator), "simulator")


def _simulate_keyed(
    key: str,
    n_samples: int,
    seed: int,
    simulator: Any,
    n_jobs: int | None,
    progress: Callable[[int], None] | None,
) -> Simulation:
    """What the simulation cache stores under ``(key, n_samples, seed)``."""
    return simulate_chunked(
        simulator, n_samples, random_state=seed, n_jobs=n_jobs, progress=progress
    )


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

    The cache key is :func:`simulator_key` (the simulator's class, parameters
    and code), the budget and the seed; ``n_jobs`` and ``progress`` are left
    out, since the chunks' seeds make the result the same whatever runs them.
    A simulator that cannot be keyed is simulated without the cache, with a
    :class:`CacheWarning`.

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
    memory = _check_memory(memory)
    key = None if memory is None else _key_or_warn(simulator_key, simulator)
    if key is None:
        return _simulate_keyed("", n_samples, seed, simulator, n_jobs, progress)
    cached = memory.cache(_simulate_keyed, ignore=["simulator", "n_jobs", "progress"])
    return cached(key, n_samples, seed, simulator, n_jobs, progress)


def zero_shot_key(estimator: Any, simulator: Any) -> str:
    """The cache key of a zero-shot fit: what determines the fitted network.

    The estimator's class and code, its parameters (less those that do not
    change the network: ``memory``, ``verbose``, ``n_jobs``, ``real_data``
    and ``finetune_lr``), the simulator's key and the package's code.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> est = SimulationGroundedRegressor(random_state=0)
    >>> key = zero_shot_key(est, LinearGaussian())
    >>> key == zero_shot_key(est.set_params(verbose=1), LinearGaussian())
    True
    >>> key == zero_shot_key(est.set_params(lr=0.1), LinearGaussian())
    False
    """
    params = {
        name: value
        for name, value in estimator.get_params(deep=False).items()
        if name not in _NOT_IN_ZERO_SHOT_KEY
    }
    return fingerprint(
        (package_fingerprint(), type(estimator), params, simulator), "estimator"
    )


class _NotCached(Exception):  # noqa: N818 (a signal, not an error)
    """Carries a result out of the cached function so that it is not stored."""

    def __init__(self, result: Any) -> None:
        self.result = result


def _fit_keyed(key: str, estimator: Any, fit: Callable[[], None]) -> Any:
    """What the zero-shot cache stores under ``key``: the state ``fit`` set.

    The warnings of the fit are stored too, to be given again on a cache hit.
    An interrupted fit is not stored.
    """
    before = dict(vars(estimator))
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            fit()
    except BaseException:
        _replay([(w.message, w.category) for w in caught])
        raise
    replay = [(w.message, w.category) for w in caught]
    result = (_state_set_by_fit(estimator, before), replay)
    if getattr(estimator, "_interrupted", False):
        raise _NotCached(result)
    return result


def _state_set_by_fit(estimator: Any, before: dict[str, Any]) -> dict[str, Any]:
    """The attributes ``fit`` set, less the parameters and the simulator itself.

    The simulator is left out (it may not pickle, and its key is in the
    cache key); an attribute left untouched from an earlier fit is not part
    of this fit's state.
    """
    params = estimator.get_params(deep=False)
    return {
        name: value
        for name, value in vars(estimator).items()
        if name not in params
        and name != "simulator_"
        and (
            name not in before
            or before[name] is not value
            or isinstance(value, bool | int | float | str | tuple | type(None))
        )
    }


def fit_zero_shot_cached(
    estimator: Any, simulator: Any, fit: Callable[[], None]
) -> None:
    """Run ``fit`` (the simulation phase of ``estimator``) through ``memory``.

    With ``estimator.memory`` set and an integer ``random_state``, the
    attributes ``fit`` sets are stored under :func:`zero_shot_key`; a later
    fit with the same key (in any fold of a cross-validation, any process)
    takes them from the cache instead of simulating and training again, and
    gives again the warnings the first fit gave. ``estimator.simulator_`` is
    set to ``simulator`` either way.

    Parameters
    ----------
    estimator : BaseSimulationGrounded
        The estimator being fitted.
    simulator : object with ``simulate(n_samples, random_state)``
        The simulator it is fitted on.
    fit : callable
        Fits ``estimator`` on ``simulator``'s simulations, in place.

    Examples
    --------
    >>> import tempfile
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     est = SimulationGroundedRegressor(n_simulations=100, max_epochs=2,
    ...                                       memory=cache, random_state=0)
    ...     first = est.fit(LinearGaussian()).net_.history[-1, "train_loss"]
    ...     again = est.fit(LinearGaussian()).net_.history[-1, "train_loss"]
    >>> bool(first == again)
    True
    """
    memory = _check_memory(estimator.memory)
    key = None
    if memory is not None and isinstance(estimator.random_state, numbers.Integral):
        key = _key_or_warn(zero_shot_key, estimator, simulator)
    if key is None:
        fit()
        return
    cached = memory.cache(_fit_keyed, ignore=["estimator", "fit"])
    try:
        state, replay = cached(key, estimator, fit)
    except _NotCached as not_cached:
        state, replay = not_cached.result
    vars(estimator).update(state)
    estimator.simulator_ = simulator
    _replay(replay)


def _replay(caught: list[tuple[Any, type[Warning]]]) -> None:
    for message, category in caught:
        warnings.warn(message, category, stacklevel=5)


def _check_memory(memory: Any) -> Any:
    """``memory`` as a joblib.Memory-like object, or None for no caching."""
    if memory is None:
        return None
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return check_memory(memory)


def _key_or_warn(make_key: Callable[..., str], *args: Any) -> str | None:
    what = "trained network" if make_key is zero_shot_key else "simulations"
    try:
        return make_key(*args)
    except UncacheableError as error:
        warnings.warn(
            f"memory is set, but the {what} of this fit are not cached: {error} A "
            "cache could not tell whether what it holds was made by the same "
            f"code and data, so the {what} are made as without memory. Keep such "
            "objects out of the simulator and the estimator's parameters (and "
            "out of the globals their code reads), or set memory=None.",
            CacheWarning,
            stacklevel=4,
        )
        return None


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
